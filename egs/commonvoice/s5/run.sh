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
# random draws, decoded and scored. Writes RESULTS (RESULTS.phone with --unit phone) and
# exp/plots/*.png; next to every model, what steps/transcribe.sh needs to transcribe new
# audio with it.
#
#   ./run.sh --corpus /data/cv-corpus-17.0-2024-03-15 --src-langs "en de fr es it" \
#     --dev-langs "eu" --test-langs "ca sv-SE"
#   ./run.sh --corpus ... --stage 7 --stop-stage 7      one stage
# Every stage skips work already done; remove its outputs (or exp/) to redo it. The corpus
# records the settings that made it, and a rerun with others stops instead of reusing it.

stage=1
stop_stage=100
corpus=               # the release: the directory holding the language folders
src_langs=            # source languages (Common Voice codes, as the folder names)
dev_langs=            # held-out languages where settings are chosen
test_langs=           # held-out languages that are reported
nj=2                  # parallel jobs (features, adaptation)
num_threads=2         # threads of a training job
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
inits="multitask maml reptile"   # conf/meta/<init>.conf each; also scratch, fomaml, maml-lslr
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
replications=1000     # bootstrap replications of compute-wer-bootci
keep_models=false     # keep every adapted model, each a model directory

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
  --tiny true                tiny training and adaptation, for tests [$tiny]
  --inits '<names>'          initialisations, conf/meta/<name>.conf each [$inits]
  --task-key KEY             meta-training tasks by lang, dialect (accent), spk [$task_key]
  --train-seeds '<seeds>' --train-budget N --pretrain-iters N   [$train_seeds; $train_budget; $pretrain_iters]
  --shots '<N ...>' --draws N            adaptation utterances, draws [$shots; $draws]
  --feat-conf, --model-conf, --adapt-conf, --decode-conf FILE   [$feat_conf, $model_conf, $adapt_conf, $decode_conf]
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
results=RESULTS; [ $unit = char ] || results=RESULTS.$unit
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
  worked=true
  # Filterbanks, per-speaker CMVN statistics, normalised features (feats_cmvn.scp).
  for d in $(dirs); do
    local/make_feats.sh --nj $nj --cmd "$cmd" --feat-conf $feat_conf $d $exp/make_feats/${d//\//_} feats
  done
  stage_done
fi

if stage_run 3 labels; then
  worked=true
  [ -s $data/lang_$unit/units.txt ] || die "no $data/lang_$unit/units.txt" \
    "(--unit phone needs an espeak-ng voice for every language; see stage 1's warnings)"
  for d in $(dirs); do
    [ -s $d/labels_$unit.scp ] && [ $d/labels_$unit.scp -nt $data/lang_$unit/units.txt ] && continue
    utils/sym2int.pl -f 2- $data/lang_$unit/units.txt $d/text.$unit |
      copy-int-vector ark,t:- ark,scp:$PWD/$d/labels_$unit.ark,$d/labels_$unit.scp 2>$d/labels_$unit.log ||
      die "making labels for $d failed (see $d/labels_$unit.log)"
  done
  echo "run.sh: $(($(wc -l < $data/lang_$unit/units.txt) - 1)) $unit units and <blk>" >&2
  stage_done
fi

if stage_run 4 episodes; then
  worked=true
  # Meta-training episodes over the source languages' tasks (--task-key).
  mkdir -p $exp/tasks/log
  k=${task_key//,/+}
  [ -s $exp/tasks/episodes.$k.txt ] ||
    $cmd $exp/tasks/log/make_tasks.$k.log \
      make-tasks --task-key=$task_key --support=$support --query=$query --num-episodes=$num_episodes \
        --seed=$seed --list-tasks=$exp/tasks/tasks.$k.txt $data/train $exp/tasks/episodes.$k.txt
  echo "run.sh: $(awk '$4 == "yes" || $4 == 1' $exp/tasks/tasks.$k.txt | wc -l) of $(wc -l < $exp/tasks/tasks.$k.txt) source tasks by $task_key are used" >&2
  stage_done
fi

if stage_run 5 init; then
  worked=true
  # One random model per training seed.
  mkdir -p $exp/init/log
  feat_dim=$(feat-to-dim scp:$data/train/feats_cmvn.scp - 2>/dev/null)
  for ts in $train_seeds; do
    [ -s $exp/init/s$ts/0.mdl ] && continue
    mkdir -p $exp/init/s$ts
    $cmd $exp/init/log/init.s$ts.log \
      nnet-init --seed=$ts --input-dim=$feat_dim --output-dim=$(wc -l < $data/lang_$unit/units.txt) \
        $model_conf $exp/init/s$ts/0.mdl
  done
  nnet-info $exp/init/s${train_seeds%% *}/0.mdl > $exp/init/info.txt 2>/dev/null
  stage_done
fi

if stage_run 6 train; then
  worked=true
  # For each training seed: scratch is the random model; the others start from it after
  # --pretrain-iters multitask iterations, then train for the same budget of gradient
  # evaluations (--train-budget; local/step_cost.sh). Each model directory gets what
  # decoding new audio needs (steps/make_model_dir.sh).
  train_one() { # <name> <config> <model-in> <model-out-dir> <iterations>
    local name=$1 conf=$2 in=$3 dir=$4 iters=$5 start=$SECONDS
    if [ -s $dir/final.mdl ]; then echo "run.sh: $dir/final.mdl exists" >&2; return 0; fi
    mkdir -p $dir/log
    echo "run.sh: training $name, seed ${dir##*/s}: $iters iterations (log: $dir/log/train.log)" >&2
    $train_cmd --num-threads $num_threads $dir/log/train.log \
      meta-train --config=$conf --num-threads=$num_threads --seed=${dir##*/s} \
        --checkpoint-every=20 --resume $train_opts --iterations=$iters \
        $in scp:$data/train/feats_cmvn.scp scp:$data/train/labels_$unit.scp \
        $exp/tasks/episodes.${task_key//,/+}.txt $dir/final.mdl
    echo "$name $((SECONDS - start)) $iters $(local/step_cost.sh --support $support --query $query \
      $conf $train_opts)" > $dir/train_time
  }
  for ts in $train_seeds; do
    start_mdl=$exp/init/s$ts/0.mdl
    if [ $pretrain_iters -gt 0 ]; then
      train_one pretrain conf/meta/multitask.conf $start_mdl $exp/pretrain/s$ts $pretrain_iters
      start_mdl=$exp/pretrain/s$ts/final.mdl
    fi
    for i in $inits; do
      if [ $i = scratch ]; then
        mkdir -p $exp/scratch/s$ts && cp $exp/init/s$ts/0.mdl $exp/scratch/s$ts/final.mdl
      else
        cost=$(local/step_cost.sh --support $support --query $query conf/meta/$i.conf $train_opts)
        iters=$(( (train_budget + cost / 2) / cost )); [ $iters -ge 1 ] || iters=1
        train_one $i conf/meta/$i.conf $start_mdl $exp/$i/s$ts $iters
      fi
      steps/make_model_dir.sh --feat-conf $feat_conf --decode-conf $decode_conf $data/lang_$unit/units.txt $exp/$i/s$ts
    done
  done
  stage_done
fi

if stage_run 7 adapt; then
  worked=true
  # For each held-out language, shot count and draw: adapt every initialisation of every
  # training seed to the drawn utterances, decode the language's test set, score; and
  # decode each model as it is (zero shot): local/adapt_decode.sh.
  adapt_dir=$exp/adapt
  mkdir -p $adapt_dir/log
  for l in $(target_codes); do
    t=$adapt_dir/test/$l; mkdir -p $t
    cp $data/$l/test/feats_cmvn.scp $t/feats.scp
    cp $data/$l/test/text.$unit $t/text
    [ -s $adapt_dir/draws/$l/order_$draws ] ||
      local/make_draws.sh --seed $seed --draws $draws --shots "$shots" $data/$l/adapt $adapt_dir/draws/$l
  done
  for i in $inits; do for ts in $train_seeds; do for l in $(target_codes); do
    echo "$i $ts $l"
  done; done; done > $adapt_dir/jobs
  $cmd --max-jobs-run $nj JOB=1:$(wc -l < $adapt_dir/jobs) $adapt_dir/log/adapt.JOB.log \
    local/adapt_decode.sh --adapt-conf $adapt_conf --decode-conf $decode_conf --unit $unit \
      --lr $adapt_lr --keep-models $keep_models --job JOB $adapt_dir/jobs $data $exp ||
    die "adaptation failed (see $adapt_dir/log/adapt.*.log)"
  stage_done
fi

if stage_run 8 plots; then
  worked=true
  local/plot.sh --unit $unit --inits "$inits" --targets "$test_langs" $exp $exp/plots
  stage_done
fi
if stage_run 9 results; then
  worked=true
  local/make_results.sh --unit $unit --inits "$inits" --shots "$shots" --draws $draws \
    --train-seeds "$train_seeds" --dev-targets "$dev_langs" --test-targets "$test_langs" \
    --replications $replications --train-budget $train_budget --adapt-lr $adapt_lr \
    --adapt-conf $adapt_conf --decode-conf $decode_conf --cmdline "$cmdline" $data $exp > $results.tmp ||
    { rm -f $results.tmp; exit 1; }
  mv $results.tmp $results
  cat $results
  stage_done
fi

echo "$(date '+%F %T') run.sh: done" >&2
