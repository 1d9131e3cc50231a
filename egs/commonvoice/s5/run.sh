#!/usr/bin/env bash
# Meta-learning over a Mozilla Common Voice release as downloaded (one folder per language
# with clips/*.mp3 and train.tsv, dev.tsv, test.tsv, validated.tsv): Kaldi data
# directories (mp3 decoded by sox in wav.scp pipes; speakers from client_id, dialects from
# the accents column; normalised text, graphemes and espeak-ng phones), then the stages and
# protocol of egs/multilang/s5, with its local scripts: filterbank features with
# per-speaker CMVN; a CTC recogniser initialised several ways on the source languages
# (tasks by language, or by accent with --task-key dialect), each with several training
# seeds and the same compute; adapted to each held-out language (dev languages to choose
# settings, test languages to report) from 0 to a few of its utterances in several
# random draws, decoded and scored. Writes exp/RESULTS (exp/RESULTS.phone with --unit phone)
# and exp/plots/*.png; next to every model, what steps/transcribe.sh needs to transcribe new
# audio with it.
#
#   ./run.sh --corpus /data/cv-corpus-17.0-2024-03-15 --src-langs "en de fr es it" \
#     --dev-langs "eu" --test-langs "ca sv-SE"
#   ./run.sh --corpus ... --stage 7 --stop-stage 7      one stage
# Every stage skips work already done; remove its outputs (or exp/) to redo it. The corpus,
# the models and the adaptation results record the settings that made them, and a rerun
# with others stops instead of reusing them.

stage=1
stop_stage=100
corpus=               # the release: the directory holding the language folders
src_langs=            # source languages (Common Voice codes, as the folder names)
dev_langs=            # held-out languages where settings are chosen
test_langs=           # held-out languages that are reported
nj=2                  # parallel jobs (features, adaptation)
num_threads=2         # threads of a training job
train_nj=0            # 0: one meta-train process; N: steps/meta_train.sh with N jobs per outer step
tiny=false            # tiny training and adaptation (for tests)
unit=char             # char (graphemes, CER: every language) or phone (espeak-ng IPA, PER)
data=data
exp=exp
feat_conf=conf/fbank.conf
model_conf=conf/dnn.conf
adapt_conf=conf/adapt.conf
adapt_lr=0.05         # fast-adapt's rate for models without learned inner rates
decode_conf=conf/decode.conf
prep_opts=            # more options for local/prepare_data.sh, e.g. "--train-utts 5000"
inits="multitask reptile-sq-mb2"   # conf/meta/<init>.conf each; also reptile-sq, maml, scratch, reptile, fomaml, maml-lslr
task_key=lang         # what a meta-training task is: lang, dialect (accent), spk ...
support=10            # utterances of a training episode's support set
query=10              # and of its query set
num_episodes=4000
train_seeds="1 2 3"   # every initialisation is trained once per seed
pretrain_iters=150    # multitask iterations every trained initialisation of a seed starts from
train_budget=40000    # utterance gradient evaluations of each trained initialisation after
                      # pretraining (local/step_cost.sh): its iterations are this / its cost
train_opts=           # more meta-train options for every initialisation
shots="5 10 20 100"   # adaptation utterances (0, zero shot, is always run)
draws=2               # random draws of the adaptation utterances per shot count
seed=1                # episodes and draws
test_recs=0           # test utterances decoded per held-out language, evenly spaced (0: all)
replications=1000     # bootstrap replications of compute-wer-bootci
keep_models=false     # keep every adapted model, each a model directory
adapt_dir=            # stage 7's draws and results [<exp>/adapt]
plot_dir=             # stage 8's plots [<exp>/plots]
results=              # the results file [<exp>/RESULTS; <exp>/RESULTS.phone]

help_message="Usage: ./run.sh --corpus <release-dir> --src-langs '<codes>' --test-langs '<codes>' [options]
Meta-learning over a Common Voice release (see the top of run.sh). Options [defaults]:
  --stage N --stop-stage N   run stages N..M only [$stage, $stop_stage]:
        1 data  2 features  3 labels  4 episodes  5 initial models  6 training
        7 adaptation, decoding, scoring  8 plots  9 RESULTS
  --corpus DIR               the release (holds <lang>/clips and <lang>/*.tsv)
  --src-langs '<codes>'      source languages (folder names)
  --dev-langs, --test-langs '<codes>'   held-out languages: dev (tuning), test (reported)
  --prep-opts '<opts>'       local/prepare_data.sh options (sizes, the TSVs used)
  --unit char|phone          graphemes (CER) or espeak-ng phones (PER) [$unit]
  --nj N --num-threads N     parallel jobs, threads of a training job [$nj, $num_threads]
  --train-nj N               N > 0: steps/meta_train.sh with N jobs per outer step [$train_nj]
  --tiny true                tiny training and adaptation, for tests [$tiny]
  --inits '<names>'          initialisations, conf/meta/<name>.conf each [$inits]
  --task-key KEY             meta-training tasks by lang, dialect (accent), spk [$task_key]
  --train-seeds '<seeds>' --train-budget N --pretrain-iters N   [$train_seeds; $train_budget; $pretrain_iters]
  --shots '<N ...>' --draws N            adaptation utterances, draws [$shots; $draws]
  --feat-conf, --model-conf, --adapt-conf, --decode-conf FILE   [$feat_conf, $model_conf, $adapt_conf, $decode_conf]
  --test-recs N --adapt-dir DIR --plot-dir DIR --results FILE   test utterances decoded per language
                             (0: all), stages 7-9's outputs [$test_recs; <exp>/adapt, <exp>/plots, <exp>/RESULTS[.phone]]
  --train-opts '<opts>' --adapt-lr R --seed N --replications N --keep-models true
e.g.: ./run.sh --corpus /data/cv-corpus-17.0-2024-03-15 --src-langs 'en de fr es it' --test-langs 'ca'"

cmdline=$0; [ $# -gt 0 ] && cmdline="$0$(printf " %q" "$@")"
. ./cmd.sh || exit 1
. ./path.sh || exit 1
. utils/parse_options.sh || exit 1
[ $# -eq 0 ] || { echo "$help_message" >&2; exit 1; }
set -e -o pipefail

die() { echo "run.sh: ERROR: $*" >&2; exit 1; }
if $tiny; then
  shots="2 4"; draws=2; support=2; query=2; num_episodes=100; train_seeds=1
  train_budget=40; train_opts="--progress-every=1 --meta-batch=2 $train_opts"
  pretrain_iters=2; replications=100; model_conf=conf/dnn_tiny.conf
fi
case $unit in char|phone) ;; *) die "--unit must be char or phone, got '$unit'" ;; esac
[ -n "$test_langs" ] || die "give the held-out languages that are reported (--test-langs)"
for l in $dev_langs; do
  [[ " $test_langs " != *" $l "* ]] || die "language $l is both a dev and a test language"
done
for i in $inits; do
  [ "$i" = scratch ] || [ -f conf/meta/$i.conf ] || die "no conf/meta/$i.conf for initialisation '$i'"
done
[ -n "$results" ] || results=$exp/RESULTS$([ $unit = char ] || echo .$unit)
[ -n "$adapt_dir" ] || adapt_dir=$exp/adapt
[ -n "$plot_dir" ] || plot_dir=$exp/plots
mkdir -p $exp
echo "$(date -u '+%F %T') $cmdline" >> $exp/cmdlines

# Stages, their settings and progress: stage_run, stage_done, settings_check ...
. utils/lib/stages.sh
target_codes() { echo $dev_langs $test_langs; }
dirs() { echo $data/train; for l in $(target_codes); do echo $data/$l/adapt $data/$l/test; done; }

if stage_run 1 data; then
  rate=$(sed -n 's/^--sample-frequency=//p' $feat_conf | tail -n 1)
  s="corpus=$corpus src=$src_langs targets=$dev_langs $test_langs rate=${rate:-16000} $prep_opts"
  if ! settings_check $data "$s"; then
    worked=true
    [ -n "$corpus" ] || die "give the Common Voice release with --corpus DIR"
    eval local/prepare_data.sh --src-langs "'$src_langs'" --tgt-langs "'$dev_langs $test_langs'" \
      --rate ${rate:-16000} $prep_opts $corpus $data
    settings_save $data "$s"
  else echo "run.sh: $data is up to date" >&2; fi
  stage_done
fi

if stage_run 2 features; then
  # Filterbanks, per-speaker CMVN statistics, normalised features (feats_cmvn.scp).
  s=$(conf_settings $feat_conf)
  for d in $(dirs); do
    settings_check $d/.feats "$s" && continue
    worked=true
    local/make_feats.sh --nj $nj --cmd "$cmd" --feat-conf $feat_conf $d $exp/make_feats/${d//\//_} feats
    settings_save $d/.feats "$s"
  done
  stage_done
fi

if stage_run 3 labels; then
  [ -s $data/lang_$unit/units.txt ] || die "no $data/lang_$unit/units.txt" \
    "(--unit phone needs an espeak-ng voice for every language; see stage 1's warnings)"
  for d in $(dirs); do
    [ -s $d/labels_$unit.scp ] && [ $d/labels_$unit.scp -nt $data/lang_$unit/units.txt ] && continue
    worked=true
    utils/sym2int.pl -f 2- $data/lang_$unit/units.txt $d/text.$unit |
      copy-int-vector ark,t:- ark,scp:$PWD/$d/labels_$unit.ark,$d/labels_$unit.scp 2>$d/labels_$unit.log ||
      die "making labels for $d failed (see $d/labels_$unit.log)"
  done
  echo "run.sh: $(($(wc -l < $data/lang_$unit/units.txt) - 1)) $unit units and <blk>" >&2
  stage_done
fi

if stage_run 4 episodes; then
  # Meta-training episodes over the source languages' tasks (--task-key); make-tasks keeps
  # the copies of a recording on one side (utt2uniq).
  s="support=$support query=$query num_episodes=$num_episodes seed=$seed data=$data"
  settings_check $exp/tasks "$s" || { rm -f $exp/tasks/episodes.*; settings_save $exp/tasks "$s"; }
  mkdir -p $exp/tasks/log
  k=${task_key//,/+}
  if [ ! -s $exp/tasks/episodes.$k.txt ]; then
    worked=true
    $cmd $exp/tasks/log/make_tasks.$k.log \
      make-tasks --task-key=$task_key --support=$support --query=$query --num-episodes=$num_episodes \
        --seed=$seed --list-tasks=$exp/tasks/tasks.$k.txt $data/train $exp/tasks/episodes.$k.txt ||
      die "make-tasks failed (see $exp/tasks/log/make_tasks.$k.log)"
  fi
  echo "run.sh: $(awk '$4 == "yes" || $4 == 1' $exp/tasks/tasks.$k.txt | wc -l) of $(wc -l < $exp/tasks/tasks.$k.txt) source tasks by $task_key are used" >&2
  stage_done
fi

if stage_run 5 init; then
  # One random model per training seed.
  s="$(conf_settings $model_conf) unit=$unit"
  settings_check $exp/init "$s" || { rm -rf $exp/init; settings_save $exp/init "$s"; }
  mkdir -p $exp/init/log
  feat_dim=$(feat-to-dim scp:$data/train/feats_cmvn.scp - 2>/dev/null)
  for ts in $train_seeds; do
    [ -s $exp/init/s$ts/0.mdl ] && continue
    worked=true
    mkdir -p $exp/init/s$ts
    $cmd $exp/init/log/init.s$ts.log \
      nnet-init --seed=$ts --input-dim=$feat_dim --output-dim=$(wc -l < $data/lang_$unit/units.txt) \
        $model_conf $exp/init/s$ts/0.mdl
  done
  nnet-info $exp/init/s${train_seeds%% *}/0.mdl > $exp/init/info.txt 2>/dev/null
  stage_done
fi

if stage_run 6 train; then
  # Every initialisation of every training seed at equal compute: scratch is the random
  # model; the others start from it after --pretrain-iters multitask iterations.
  local/train_inits.sh --cmd "$train_cmd" --inits "$inits" --train-seeds "$train_seeds" \
    --pretrain-iters $pretrain_iters --train-budget $train_budget --train-opts "$train_opts" \
    --support $support --query $query --task-key $task_key --unit $unit --num-threads $num_threads \
    --train-nj $train_nj --feat-conf $feat_conf --decode-conf $decode_conf $data $exp
  wrote_since_stage $exp -name train_time && worked=true
  stage_done
fi

if stage_run 7 adapt; then
  # Every model adapted to each held-out language's draws, decoded and scored; and zero shot.
  local/adapt_all.sh --cmd "$cmd" --nj $nj --inits "$inits" --train-seeds "$train_seeds" \
    --targets "$(target_codes)" --shots "$shots" --draws $draws --test-recs $test_recs --seed $seed \
    --unit $unit --adapt-conf $adapt_conf --adapt-lr $adapt_lr --decode-conf $decode_conf \
    --keep-models $keep_models $data $exp $adapt_dir
  wrote_since_stage $adapt_dir -name wer && worked=true
  stage_done
fi

if stage_run 8 plots; then
  worked=true
  local/plot.sh --unit $unit --inits "$inits" --targets "$test_langs" --adapt-dir $adapt_dir $exp $plot_dir
  stage_done
fi
if stage_run 9 results; then
  worked=true
  local/make_results.sh --unit $unit --inits "$inits" --shots "$shots" --draws $draws \
    --train-seeds "$train_seeds" --dev-targets "$dev_langs" --test-targets "$test_langs" \
    --replications $replications --train-budget $train_budget --adapt-lr $adapt_lr \
    --adapt-conf $adapt_conf --decode-conf $decode_conf --adapt-dir $adapt_dir \
    --cmdline "$cmdline" $data $exp > $results.tmp || { rm -f $results.tmp; exit 1; }
  mv $results.tmp $results
  cat $results
  stage_done
fi

echo "$(date '+%F %T') run.sh: done" >&2
