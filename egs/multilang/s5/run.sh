#!/usr/bin/env bash
# Multilingual meta-learning recipe: a corpus synthesised with espeak-ng (source and
# held-out target languages, dialects, speakers, noisy copies), filterbank features with
# per-speaker CMVN, a CTC phone recogniser initialised several ways (multitask, MAML,
# Reptile, ...: conf/meta/<init>.conf) on the source languages with several training
# seeds and the same compute each, then adapted to each held-out language from 0 (zero
# shot) to 100 recordings (several random draws each), decoded and scored.
#
# The protocol: held-out languages come in two sets, dev (--dev-langs: where every
# setting is chosen) and test (--test-langs: reported only); no recording has copies on
# both sides of an episode, a draw and its test set (utt2uniq); adaptation is a budget in
# passes over the drawn utterances with early stopping on a held-out share of them, the
# same rule for every initialisation; results are mean and standard deviation over
# training seeds x draws, with bootstrap intervals (compute-wer-bootci) of each
# meta-learned initialisation against multitask. Writes exp/RESULTS and exp/plots/*.png
# (the committed RESULTS* files are copies of the runs README reports; a run never
# overwrites them).
# Settings are chosen on the dev targets alone with local/tune_dev.sh (after stage 6):
# adaptation rates, and variants of an initialisation's meta-training settings.
# How long a run takes: README.md (measured, with the time per stage).
#
# --axis chooses what is held out and adapted to (the same initialisations, seeds and
# protocol on each; meta-training tasks follow the axis):
#   lang     languages (the default): tasks by language; data/ exp/ (exp/RESULTS)
#   dialect  regional voices of source languages: tasks by dialect
#   speaker  speakers whose voice no training speaker has (espeak-ng variants, festival
#            and flite voices): tasks by speaker
#   noise    a noise type and a room no training copy has, at low SNR: tasks by condition
#            (training copies: white noise, small and medium rooms, speed 0.9 and 1.1)
#   engine   festival and flite voices, trained on espeak-ng voices only: tasks by
#            language; a language seen in training (cs) and one that was not (ca)
# Every axis but lang runs in data_<axis>/ exp_<axis>/ (exp_<axis>/RESULTS);
# --dev-targets and --test-targets name its held-out sets (data/<target>/{adapt,test}).
#
#   ./run.sh                      the default run
#   ./run.sh --axis dialect       the dialect experiment
#   ./run.sh --model-conf conf/lstm.conf   the same with a BLSTM (exp_lstm/)
#   ./run.sh --tiny true          a few utterances everywhere (make test): data_tiny/,
#                                 exp_tiny/
#   ./run.sh --stage 6 --stop-stage 6 --inits "maml"   one stage, one initialisation
# Every stage skips work already done and refuses outputs made with other settings.

stage=1
stop_stage=100
nj=2                  # parallel jobs (features, adaptation)
num_threads=2         # threads of a training job
train_nj=0            # 0: one meta-train process per initialisation; N: steps/meta_train.sh
                      # with N jobs per outer step (for a cluster: see cmd.sh)
tiny=false            # a tiny corpus and short training (for tests)
axis=lang             # what is held out: lang, dialect, speaker, noise or engine
dev_targets=auto      # held-out targets where settings are chosen (auto: the axis's; lang: --dev-langs)
test_targets=auto     # held-out targets that are reported (auto: the axis's; lang: --test-langs)
unit=phone            # phone (IPA, PER) or char (graphemes, CER)
data=                 # [data; data_tiny with --tiny true]
exp=                  # [exp; exp_tiny with --tiny true]
feat_conf=conf/fbank.conf
model_conf=conf/dnn.conf  # the acoustic model; another (conf/lstm.conf: a BLSTM) gets its own
                          # exp (exp_lstm), on the same corpus
adapt_conf=conf/adapt.conf
adapt_lr=0.05         # fast-adapt's rate for models without learned inner rates; chosen on the
                      # dev languages (local/tune_dev.sh --lrs "0.02 0.05 0.1": mean dev PER of
                      # the three initialisations 38.3, 37.1, 38.9)
decode_conf=conf/decode.conf
src_langs=            # source languages (espeak-ng voices); default: local/prepare_data.sh's
dev_langs="af bg"     # held-out languages where settings are chosen
test_langs="ca is sk uk"  # held-out languages that are reported
noise_types=          # noisy copies' conditions [white pink babble; noise axis: white]
prep_opts=            # more options for local/prepare_data.sh, e.g. "--train-utts 400"
inits="multitask reptile-sq-mb2"   # conf/meta/<init>.conf each; also reptile-sq, maml, scratch, reptile, fomaml, maml-lslr,
                      # meta-sgd, multitask-rates
task_key=             # what a meta-training task is: lang, dialect, spk, cond, lang,cond ...
                      # [the axis's: lang, dialect, spk, cond, lang]
episode_keys="lang dialect spk cond lang,cond"            # episode files also written
support=10            # utterances of a training episode's support set
query=10              # and of its query set
num_episodes=4000
train_seeds="1 2 3"   # every initialisation is trained once per seed
pretrain_iters=500    # multitask iterations every trained initialisation of a seed starts
                      # from (exp/pretrain/s<seed>); 0: from the random model
train_budget=30000    # utterance gradient evaluations of each trained initialisation after
                      # pretraining (local/step_cost.sh): its iterations are this / its cost
train_opts=           # more meta-train options for every initialisation
shots="5 10 20 100"   # adaptation recordings (0, zero shot, is always run)
draws=2               # random draws of the adaptation recordings per shot count
seed=1                # corpus, episodes and draws
results=              # the results file [<exp>/RESULTS; <exp>/RESULTS.<unit>]
test_recs=50          # recordings of each target test set decoded, with all their copies
                      # (evenly spaced; 0: all)
keep_models=false     # keep every adapted model (<adapt-dir>/.../final.mdl)
adapt_dir=            # stage 7's draws and results [<exp>/adapt]; another directory (with
                      # another --adapt-conf) compares adaptation setups on the same models
plot_dir=             # stage 8's plots [<exp>/plots]
replications=1000     # bootstrap replications of compute-wer-bootci

help_message="Usage: ./run.sh [options]
The multilingual meta-learning recipe (see the top of run.sh). Options [defaults]:
  --stage N --stop-stage N   run stages N..M only [$stage, $stop_stage]:
        1 data  2 features  3 labels  4 episodes  5 initial models  6 training
        7 adaptation, decoding, scoring  8 plots  9 RESULTS
  --nj N                     parallel jobs [$nj]
  --num-threads N            threads of each training job [$num_threads]
  --train-nj N               0: one meta-train process per initialisation; N > 0:
                             steps/meta_train.sh with N jobs per outer step [$train_nj]
  --axis lang|dialect|speaker|noise|engine   what is held out and adapted to [$axis]
  --dev-targets, --test-targets '<targets>'   the axis's held-out sets: dev (tuning), test
                             (reported) [auto: the axis's; lang: --dev-langs, --test-langs]
  --tiny true                tiny corpus and short runs in data_tiny/ exp_tiny/, for tests [$tiny]
  --data DIR --exp DIR       corpus and experiment directories [data, exp; data_<axis>, exp_<axis>]
  --unit phone|char          recognition units: phones (PER) or characters (CER) [$unit]
  --inits '<names>'          initialisations, conf/meta/<name>.conf each, and scratch [$inits]
  --train-seeds '<seeds>'    training seeds of every initialisation [$train_seeds]
  --train-budget N           utterance gradient evaluations per initialisation and seed [$train_budget]
  --task-key KEY             meta-training tasks by lang, dialect, spk, cond, lang,cond [the axis's]
  --shots '<N ...>'          adaptation recordings (and 0) [$shots]
  --draws N                  random draws per shot count [$draws]
  --dev-langs, --test-langs '<voices>'   held-out languages: dev (tuning), test (reported)
                             [$dev_langs; $test_langs]
  --src-langs '<voices>', --prep-opts '<opts>'   corpus (local/prepare_data.sh)
  --noise-types '<types>'    noise of the noisy copies: white pink babble [white pink babble;
                             noise axis: white]
  --pretrain-iters N         multitask iterations the trained initialisations start from [$pretrain_iters]
  --train-opts '<opts>'      extra meta-train options for every initialisation
  --test-recs N              test recordings decoded per target language, every copy (0: all) [$test_recs]
  --feat-conf, --model-conf, --adapt-conf, --decode-conf FILE   [$feat_conf, $model_conf, $adapt_conf, $decode_conf]
                             (a --model-conf other than conf/dnn.conf, e.g. conf/lstm.conf, runs in
                             exp_<name>/, on the same corpus)
  --adapt-lr R               fast-adapt rate (models without learned rates) [$adapt_lr]
  --results FILE             where the results table goes [<exp>/RESULTS, <exp>/RESULTS.char]
  --adapt-dir DIR            adaptation draws and results [<exp>/adapt]
  --plot-dir DIR             plots [<exp>/plots]
  --replications N           bootstrap replications [$replications]
  --seed N                   corpus, episodes and draws [$seed]
e.g.: ./run.sh --nj 2            (then see exp/RESULTS and exp/plots/)
      ./run.sh --axis noise      (exp_noise/RESULTS, exp_noise/plots/)"

cmdline=$0; [ $# -gt 0 ] && cmdline="$0$(printf " %q" "$@")"
. ./cmd.sh || exit 1
. ./path.sh || exit 1
. utils/parse_options.sh || exit 1
[ $# -eq 0 ] || { echo "$help_message" >&2; exit 1; }
set -e -o pipefail
die() { echo "run.sh: ERROR: $*" >&2; exit 1; }
code_of() { for l in "$@"; do echo "${l%%-*}"; done; }   # a language's code (data key)

for v in stage stop_stage nj num_threads train_nj pretrain_iters train_budget support query \
         num_episodes draws seed test_recs replications; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "--${v//_/-} must be a non-negative integer, got '${!v}'"
done
for v in train_seeds shots; do
  for x in ${!v}; do [[ "$x" =~ ^[0-9]+$ ]] || die "--${v//_/-}: '$x' is not a non-negative integer"; done
  [ -n "${!v}" ] || die "--${v//_/-} is empty"
done
$tiny || [ "$tiny" = false ] || die "--tiny must be true or false, got '$tiny'"
case $unit in phone|char) ;; *) die "--unit must be phone or char, got '$unit'" ;; esac

case $axis in lang|dialect|speaker|noise|engine) ;; *) die "--axis must be lang, dialect, speaker, noise or engine, got '$axis'" ;; esac
# Voices from recordings the speaker and engine axes use: festival's (<dialect>:<voice>;
# the dialect is the espeak-ng voice whose phones label the speech) and flite's.
festival_all="en-us:kal_diphone en-us:ked_diphone en-us:cmu_us_slt_arctic_hts cs:czech_dita cs:czech_krb
  cs:czech_machac cs:czech_ph it:lp_diphone it:pc_diphone ru:msu_ru_nsh_clunits ca:upc_ca_ona_hts"
flite_all="en-us:kal16 en-us:rms en-us:slt en-gb-scotland:awb"
voices_of() { # <voices> <codes>: the voices of those languages
  local v codes=" $(echo $2) "; for v in $1; do [[ "$codes" == *" ${v%%[-:]*} "* ]] && echo "$v"; done | paste -sd' '; true
}
# Each axis: its held-out targets (dev, test; smaller with --tiny), its meta-training
# tasks, the corpus options that hold the targets out (before --prep-opts, which can
# override them), and the words RESULTS uses for a target.
axis_prep=
case $axis in
  lang)
    $tiny && { dev_langs=af; test_langs="ca sk"; }
    [ "$dev_targets$test_targets" = autoauto ] || die "--axis lang takes --dev-langs and --test-langs"
    def_dev= def_test= def_key=lang what=languages label=lang ;;
  dialect)
    def_dev="en-us-nyc fr-ch" def_test="en-gb-scotland es-419 pt-br"
    $tiny && def_dev=en-us-nyc def_test=es-419
    def_key=dialect what=dialects label=dialect axis_prep="--heldout-dialects" ;;
  speaker)
    # Festival's slt and kal are the same people as flite's: flite's two are left out.
    def_dev="de-m3 en-us-festival-ked"
    def_test="es-f4 it-klatt2 cs-festival-machac en-us-festival-slt en-gb-scotland-flite-awb"
    fv=$(voices_of "$festival_all" "en cs it ru") lv="en-us:rms en-gb-scotland:awb"
    $tiny && def_dev=cs-festival-krb def_test="en-us-m3 en-us-flite-rms" \
      fv="en-us:kal_diphone cs:czech_dita cs:czech_krb" lv="en-us:rms"
    axis_prep="--festival-voices '$fv' --flite-voices '$lv' --heldout-speakers"
    def_key=spk what=speakers label=spk ;;
  noise)
    def_dev="pink-0db reverb-large" def_test="babble-0db reverb-hall"
    axis_prep="--rooms 'small medium' --speeds '0.9 1.1' --heldout-conds"
    $tiny && def_dev=pink-0db def_test=reverb-hall axis_prep="--rooms small --speeds 1.1 --heldout-conds"
    [ -n "$noise_types" ] || noise_types=white
    def_key=cond what=conditions label=cond ;;
  engine)
    def_dev="en-flite it-festival" def_test="cs-festival ca-festival"
    $tiny && def_dev=en-flite
    def_key=lang what="engine targets" label=target ;;
esac
if [ $axis = lang ]; then
  dev_targets=$(echo $(code_of $dev_langs)) test_targets=$(echo $(code_of $test_langs))
else
  [ "$dev_targets" != auto ] || dev_targets=$def_dev
  [ "$test_targets" != auto ] || test_targets=$def_test
fi
[ -n "$test_targets" ] || die "the $axis axis has no test targets (--test-$([ $axis = lang ] && echo langs || echo targets) is empty)"
for t in $dev_targets; do
  [[ " $test_targets " != *" $t "* ]] || die "$t is both a dev and a test ${what%s}"
done
if [ $axis = engine ]; then
  # The targets' voices only: training has espeak-ng's voices alone.
  of_engine() { for t in $dev_targets $test_targets; do [ "${t##*-}" = $1 ] && echo "${t%-*}"; done; }
  fv=$festival_all lv=$flite_all
  $tiny && fv="cs:czech_dita cs:czech_krb ca:upc_ca_ona_hts it:pc_diphone" lv="en-us:rms"
  axis_prep="--festival-voices '$(voices_of "$fv" "$(of_engine festival)")' --flite-voices '$(voices_of "$lv" "$(of_engine flite)")' --heldout-engines"
fi
[ -n "$task_key" ] || task_key=$def_key
[ -n "$noise_types" ] || noise_types="white pink babble"

# Where it goes: data exp for languages, data_<axis> exp_<axis> for the other axes.
sfx=$([ $axis = lang ] || echo _$axis)
# A model other than the DNN: its own experiment directory (exp_lstm), on the axis's
# corpus.
msfx=$([ $model_conf = conf/dnn.conf ] || echo _$(basename $model_conf .conf))
if $tiny; then
  # A few utterances per split: 2 speakers x 4 utterances (and noisy copies) per source
  # language; adaptation sets of 6 recordings; a few training iterations.
  [ -n "$src_langs" ] || src_langs=$(case $axis in speaker|engine) echo "en-us cs" ;; *) echo "en-us de fr-fr es" ;; esac)
  prep_opts="--tiny true $prep_opts"
  shots="2 4"; draws=2; support=2; query=2; num_episodes=200; train_seeds="1 2"
  train_budget=200; train_opts="--progress-every=1 --meta-batch=2 $train_opts"
  pretrain_iters=4; replications=200
  [ "$test_recs" = 50 ] && test_recs=0   # all (a --test-recs given otherwise is kept)
  case $model_conf in conf/dnn.conf|conf/lstm.conf) model_conf=${model_conf%.conf}_tiny.conf ;; esac
  [ -n "$data" ] || data=data_tiny$sfx
  [ -n "$exp" ] || exp=exp_tiny$sfx$msfx
fi
[ -n "$data" ] || data=data$sfx
[ -n "$exp" ] || exp=exp$sfx$msfx
[ -n "$results" ] || results=$exp/RESULTS$([ $unit = phone ] || echo .$unit)
[ -n "$adapt_dir" ] || adapt_dir=$exp/adapt
[ -n "$plot_dir" ] || plot_dir=$exp/plots
if [ $axis = lang ]; then
  prep_opts="--noise-types '$noise_types' --tgt-langs '$dev_langs $test_langs' $prep_opts"
else
  prep_opts="--noise-types '$noise_types' --tgt-langs '' $axis_prep '$dev_targets $test_targets' $prep_opts"
fi
[ -n "$src_langs" ] && prep_opts="--src-langs '$src_langs' $prep_opts"
for i in $inits; do
  [ "$i" = scratch ] || [ -f conf/meta/$i.conf ] || die "no conf/meta/$i.conf for initialisation '$i'"
done
mkdir -p $exp
echo "$(date -u '+%F %T') $cmdline" >> $exp/cmdlines

# Stages, their settings and progress: stage_run, stage_done, settings_check ...
. utils/lib/stages.sh
# The held-out targets (data/<target>/{adapt,test}): dev ones, test ones.
target_codes() { echo $dev_targets $test_targets; }

if stage_run 1 data; then
  s="seed=$seed $prep_opts"
  if ! settings_check $data "$s"; then
    worked=true
    eval local/prepare_data.sh --nj $nj --cmd "'$cmd'" --seed $seed $prep_opts $data
    settings_save $data "$s"
  else echo "run.sh: $data is up to date" >&2; fi
  stage_done
fi

dirs() { echo $data/train; for l in $(target_codes); do echo $data/$l/adapt $data/$l/test; done; }

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
  # Units (<blk> 0 then the phones or characters) and int32 label archives.
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
  # Meta-training episodes over the source languages: the training tasks (--task-key)
  # and, for inspection or other runs, tasks by dialect, speaker and noise condition.
  # make-tasks keeps the copies of a recording on one side (utt2uniq).
  s="support=$support query=$query num_episodes=$num_episodes seed=$seed data=$data"
  settings_check $exp/tasks "$s" || { rm -f $exp/tasks/episodes.*; settings_save $exp/tasks "$s"; }
  mkdir -p $exp/tasks/log
  for k in $(echo $task_key $episode_keys | tr ' ' '\n' | sort -u); do
    f=$exp/tasks/episodes.${k//,/+}.txt
    [ -s $f ] && continue
    worked=true
    $cmd $exp/tasks/log/make_tasks.${k//,/+}.log \
      make-tasks --task-key=$k --support=$support --query=$query --num-episodes=$num_episodes \
        --seed=$seed --list-tasks=$exp/tasks/tasks.${k//,/+}.txt $data/train $f ||
      die "make-tasks failed (see $exp/tasks/log/make_tasks.${k//,/+}.log)"
  done
  echo "run.sh: $(wc -l < $exp/tasks/tasks.${task_key//,/+}.txt) source tasks by $task_key" >&2
  stage_done
fi

if stage_run 5 init; then
  # One random model per training seed.
  s="$(conf_settings $model_conf) unit=$unit"
  settings_check $exp/init "$s" || { rm -rf $exp/init; settings_save $exp/init "$s"; }
  mkdir -p $exp/init/log
  feat_dim=$(feat-to-dim scp:$data/train/feats_cmvn.scp - 2>/dev/null)
  num_units=$(wc -l < $data/lang_$unit/units.txt)
  for ts in $train_seeds; do
    [ -s $exp/init/s$ts/0.mdl ] && continue
    worked=true
    mkdir -p $exp/init/s$ts
    $cmd $exp/init/log/init.s$ts.log \
      nnet-init --seed=$ts --input-dim=$feat_dim --output-dim=$num_units $model_conf $exp/init/s$ts/0.mdl
  done
  nnet-info $exp/init/s$(echo $train_seeds | cut -d' ' -f1)/0.mdl > $exp/init/info.txt 2>/dev/null
  stage_done
fi

if stage_run 6 train; then
  # Every initialisation of every training seed at equal compute: scratch is the random
  # model; the others start from it after --pretrain-iters shared multitask iterations.
  local/train_inits.sh --cmd "$train_cmd" --inits "$inits" --train-seeds "$train_seeds" \
    --pretrain-iters $pretrain_iters --train-budget $train_budget --train-opts "$train_opts" \
    --support $support --query $query --task-key $task_key --unit $unit --num-threads $num_threads \
    --train-nj $train_nj --feat-conf $feat_conf --decode-conf $decode_conf $data $exp
  wrote_since_stage $exp -name train_time && worked=true
  stage_done
fi

if stage_run 7 adapt; then
  # Every model adapted to each target's draws, decoded and scored; and zero shot.
  local/adapt_all.sh --cmd "$cmd" --nj $nj --inits "$inits" --train-seeds "$train_seeds" \
    --targets "$(target_codes)" --shots "$shots" --draws $draws --test-recs $test_recs --seed $seed \
    --unit $unit --adapt-conf $adapt_conf --adapt-lr $adapt_lr --decode-conf $decode_conf \
    --keep-models $keep_models $data $exp $adapt_dir
  wrote_since_stage $adapt_dir -name wer && worked=true
  stage_done
fi

if stage_run 8 plots; then
  worked=true
  local/plot.sh --unit $unit --inits "$inits" --targets "$test_targets" --adapt-dir $adapt_dir $exp $plot_dir
  stage_done
fi

if stage_run 9 results; then
  worked=true
  local/make_results.sh --unit $unit --inits "$inits" --shots "$shots" --draws $draws \
    --train-seeds "$train_seeds" --dev-targets "$dev_targets" --test-targets "$test_targets" \
    --what "$what" --label $label \
    --replications $replications --train-budget $train_budget --adapt-lr $adapt_lr \
    --adapt-conf $adapt_conf --decode-conf $decode_conf --adapt-dir $adapt_dir \
    --cmdline "$cmdline" $data $exp > $results.tmp || { rm -f $results.tmp; exit 1; }
  mv $results.tmp $results
  cat $results
  stage_done
fi

echo "$(date '+%F %T') run.sh: done" >&2
