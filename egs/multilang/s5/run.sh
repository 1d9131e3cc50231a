#!/usr/bin/env bash
# Multilingual meta-learning recipe: a corpus synthesised with espeak-ng (source and
# held-out target languages, dialects, speakers, noise), filterbank features with
# per-speaker CMVN, a CTC phone recogniser initialised six ways (scratch, multitask,
# first-order MAML, MAML, Reptile, MAML with learned per-layer inner rates) on the
# source languages, then adapted to each target language from 5..100 utterances
# (several random draws each), decoded and scored. Writes RESULTS and exp/plots/*.png.
#
#   ./run.sh                      the default run (about 30 minutes on 2 cores)
#   ./run.sh --tiny true          a few utterances everywhere (a few minutes; make test)
#   ./run.sh --stage 6 --stop-stage 6 --inits "maml"   one stage, one initialisation
# Every stage skips work already done; remove its outputs (or exp/) to redo it.

stage=1
stop_stage=100
nj=2                  # parallel jobs (features, adaptation)
num_threads=2         # threads of a training job
train_nj=0            # 0: one meta-train process per initialisation; N: steps/meta_train.sh
                      # with N jobs per outer step (for a cluster: see cmd.sh)
tiny=false            # a tiny corpus and short training (for tests)
unit=phone            # phone (IPA, PER) or char (graphemes, CER)
data=data
exp=exp
feat_conf=conf/fbank.conf
model_conf=conf/dnn.conf
adapt_conf=conf/adapt.conf
adapt_lr=0.05         # fast-adapt's rate for models without learned inner rates
decode_conf=conf/decode.conf
src_langs=            # source languages (espeak-ng voices); default: local/prepare_data.sh's
tgt_langs=            # held-out target languages; default: local/prepare_data.sh's
noise_types="white pink babble"  # noisy copies' conditions
prep_opts=            # more options for local/prepare_data.sh, e.g. "--train-utts 400"
inits="scratch multitask fomaml maml reptile maml-lslr"   # conf/meta/<init>.conf each
task_key=lang         # what a meta-training task is: lang, dialect, spk, cond, lang,cond ...
episode_keys="lang dialect spk cond lang,cond"            # episode files also written
support=10            # utterances of a training episode's support set
query=10              # and of its query set
num_episodes=4000
pretrain_iters=150    # multitask iterations every trained initialisation starts from
                      # (exp/pretrain); 0: all start from the random model
train_opts=           # more meta-train options for every initialisation, e.g. "--iterations=50"
shots="5 10 20 50 100"   # adaptation utterances
target_shots=20       # RESULTS checks: meta-learned < multitask < scratch at this many,
reference_shots=100   # and meta-learned at target_shots <= scratch at this many
draws=3               # random draws of the adaptation utterances per shot count
seed=1
results=              # the results file [RESULTS; RESULTS.char with --unit char]
test_utts=100         # utterances of each target test set decoded (evenly spaced; 0: all)
keep_models=false     # keep every adapted model (<adapt-dir>/.../final.mdl)
adapt_dir=            # stage 7's draws and results [exp/adapt]; another directory (with
                      # another --adapt-conf) compares adaptation setups on the same models
plot_dir=             # stage 8's plots [exp/plots]

help_message="Usage: ./run.sh [options]
The multilingual meta-learning recipe (see the top of run.sh). Options [defaults]:
  --stage N --stop-stage N   run stages N..M only [$stage, $stop_stage]:
        1 data  2 features  3 labels  4 episodes  5 initial model  6 training
        7 adaptation, decoding, scoring  8 plots  9 RESULTS
  --nj N                     parallel jobs [$nj]
  --num-threads N            threads of each training job [$num_threads]
  --train-nj N               0: one meta-train process per initialisation; N > 0:
                             steps/meta_train.sh with N jobs per outer step [$train_nj]
  --tiny true                tiny corpus and short runs, for tests [$tiny]
  --unit phone|char          recognition units: phones (PER) or characters (CER) [$unit]
  --inits '<names>'          initialisations, conf/meta/<name>.conf each [$inits]
  --task-key KEY             meta-training tasks by lang, dialect, spk, cond, lang,cond [$task_key]
  --shots '<N ...>'          adaptation utterances [$shots]
  --draws N                  random draws per shot count [$draws]
  --src-langs, --tgt-langs '<voices>', --prep-opts '<opts>'   corpus (local/prepare_data.sh)
  --noise-types '<types>'    noise of the noisy copies: white pink babble [$noise_types]
  --pretrain-iters N         multitask iterations the trained initialisations start from [$pretrain_iters]
  --train-opts '<opts>'      extra meta-train options, e.g. '--iterations=50'
  --test-utts N              test utterances decoded per target language (0: all) [$test_utts]
  --feat-conf, --model-conf, --adapt-conf, --decode-conf FILE   [$feat_conf, $model_conf, $adapt_conf, $decode_conf]
  --adapt-lr R               fast-adapt rate (models without learned rates) [$adapt_lr]
  --results FILE             where the results table goes [RESULTS, RESULTS.char]
  --adapt-dir DIR            adaptation draws and results [exp/adapt]
  --plot-dir DIR             plots [exp/plots]
  --seed N                   [$seed]
e.g.: ./run.sh --nj 2            (then see RESULTS and exp/plots/)"

cmdline=$0; [ $# -gt 0 ] && cmdline="$0$(printf " %q" "$@")"
. ./cmd.sh || exit 1
. ./path.sh || exit 1
. utils/parse_options.sh || exit 1
[ $# -eq 0 ] || { echo "$help_message" >&2; exit 1; }
set -e -o pipefail

if $tiny; then
  # A few utterances per split: 2 speakers x 4 utterances (and noisy copies) per source
  # language; adaptation sets of 8 utterances; a few training iterations.
  [ -n "$src_langs" ] || src_langs="en-us de fr-fr es"
  [ -n "$tgt_langs" ] || tgt_langs="ca sk"
  prep_opts="--tiny true $prep_opts"
  shots="2 4 8"; draws=2; target_shots=4; reference_shots=8; support=2; query=2; num_episodes=200
  train_opts="--iterations=6 --progress-every=1 --meta-batch=2 $train_opts"
  pretrain_iters=4; test_utts=0
  model_conf=conf/dnn_tiny.conf
fi
prep_opts="--noise-types '$noise_types' $prep_opts"
[ -n "$src_langs" ] && prep_opts="--src-langs '$src_langs' $prep_opts"
[ -n "$tgt_langs" ] && prep_opts="--tgt-langs '$tgt_langs' $prep_opts"
[ -n "$adapt_dir" ] || adapt_dir=$exp/adapt
[ -n "$plot_dir" ] || plot_dir=$exp/plots
[ -n "$results" ] || results=$([ $unit = phone ] && echo RESULTS || echo RESULTS.$unit)
case $unit in phone|char) ;; *) echo "run.sh: ERROR: --unit must be phone or char, got '$unit'" >&2; exit 1 ;; esac
for i in $inits; do
  [ "$i" = scratch ] || [ -f conf/meta/$i.conf ] ||
    { echo "run.sh: ERROR: no conf/meta/$i.conf for initialisation '$i'" >&2; exit 1; }
done
mkdir -p $exp
echo "$(date -u '+%F %T') $cmdline" >> $exp/cmdlines

# Stage bookkeeping: exp/stage_times holds "<stage> <name> <seconds>" of the last run of
# each stage (RESULTS reports them).
stage_run() { # N name: true when stage N is selected; starts its clock
  [ $1 -ge $stage ] && [ $1 -le $stop_stage ] || return 1
  cur_stage=$1 cur_name=$2 cur_start=$SECONDS
  echo "$(date '+%F %T') run.sh: stage $1: $2" >&2
}
stage_done() {
  local t=$((SECONDS - cur_start))
  { grep -v "^$cur_stage " $exp/stage_times 2>/dev/null || true; echo "$cur_stage $cur_name $t"; } |
    sort -n > $exp/stage_times.tmp && mv $exp/stage_times.tmp $exp/stage_times
  echo "$(date '+%F %T') run.sh: stage $cur_stage ($cur_name) took $t s" >&2
}
# The target languages' codes (data/<code>/{adapt,test}), once the corpus exists.
target_codes() { ls -d $data/*/adapt 2>/dev/null | awk -F/ '{print $(NF-1)}' | sort; }

if stage_run 1 data; then
  if [ -f $data/.done ]; then echo "run.sh: $data exists (remove $data/.done to remake it)" >&2
  else
    eval local/prepare_data.sh --nj $nj --cmd "'$cmd'" --seed $seed $prep_opts $data
    touch $data/.done
  fi
  stage_done
fi

dirs() { echo $data/train; for l in $(target_codes); do echo $data/$l/adapt $data/$l/test; done; }

if stage_run 2 features; then
  # Filterbanks, per-speaker CMVN statistics, normalised features (feats_cmvn.scp).
  for d in $(dirs); do
    local/make_feats.sh --nj $nj --cmd "$cmd" --feat-conf $feat_conf $d $exp/make_feats/${d//\//_} feats
  done
  stage_done
fi

if stage_run 3 labels; then
  # Units (<blk> 0 then the phones or characters) and int32 label archives.
  for d in $(dirs); do
    [ -s $d/labels_$unit.scp ] && [ $d/labels_$unit.scp -nt $data/lang_$unit/units.txt ] && continue
    utils/sym2int.pl -f 2- $data/lang_$unit/units.txt $d/text.$unit |
      copy-int-vector ark,t:- ark,scp:$PWD/$d/labels_$unit.ark,$d/labels_$unit.scp 2>$d/labels_$unit.log ||
      { echo "run.sh: ERROR: making labels for $d failed (see $d/labels_$unit.log)" >&2; exit 1; }
  done
  echo "run.sh: $(($(wc -l < $data/lang_$unit/units.txt) - 1)) $unit units and <blk>" >&2
  stage_done
fi

if stage_run 4 episodes; then
  # Meta-training episodes over the source languages: the training tasks (--task-key)
  # and, for inspection or other runs, tasks by dialect, speaker and noise condition.
  mkdir -p $exp/tasks/log
  for k in $(echo $task_key $episode_keys | tr ' ' '\n' | sort -u); do
    f=$exp/tasks/episodes.${k//,/+}.txt
    [ -s $f ] && continue
    $cmd $exp/tasks/log/make_tasks.${k//,/+}.log \
      make-tasks --task-key=$k --support=$support --query=$query --num-episodes=$num_episodes \
        --seed=$seed --list-tasks=$exp/tasks/tasks.${k//,/+}.txt $data/train $f
  done
  echo "run.sh: $(wc -l < $exp/tasks/tasks.${task_key//,/+}.txt) source tasks by $task_key" >&2
  stage_done
fi

if stage_run 5 init; then
  mkdir -p $exp/init/log
  if [ ! -s $exp/init/0.mdl ]; then
    feat_dim=$(feat-to-dim scp:$data/train/feats_cmvn.scp - 2>/dev/null)
    num_units=$(wc -l < $data/lang_$unit/units.txt)
    $cmd $exp/init/log/init.log \
      nnet-init --seed=$seed --input-dim=$feat_dim --output-dim=$num_units $model_conf $exp/init/0.mdl
  fi
  nnet-info $exp/init/0.mdl > $exp/init/info.txt 2>/dev/null
  stage_done
fi

if stage_run 6 train; then
  # scratch is the random model itself (no training on the source languages). The others
  # start from the same model: the random one, or (--pretrain-iters N) that model after N
  # multitask iterations; then each runs conf/meta/<init>.conf's iterations on the same
  # episodes (multitask continues multitask: every trained initialisation has had the
  # same number of outer steps).
  train_one() { # <name> <config> <model-in> <model-out-dir> [meta-train options]
    local name=$1 conf=$2 in=$3 dir=$4; shift 4
    mkdir -p $dir/log
    if [ -s $dir/final.mdl ]; then echo "run.sh: $dir/final.mdl exists" >&2; return 0; fi
    local start=$SECONDS
    if [ $train_nj -eq 0 ]; then
      # One meta-train process (threads over the tasks of a meta-batch).
      $train_cmd --num-threads $num_threads $dir/log/train.log \
        meta-train --config=$conf --num-threads=$num_threads --seed=$seed \
          --checkpoint-every=20 --resume $train_opts "$@" \
          $in scp:$data/train/feats_cmvn.scp scp:$data/train/labels_$unit.scp \
          $exp/tasks/episodes.${task_key//,/+}.txt $dir/final.mdl
    else
      # --train-nj jobs per outer step (a cluster): steps/meta_train.sh.
      [ -x steps/meta_train.sh ] ||
        { echo "run.sh: ERROR: --train-nj $train_nj needs steps/meta_train.sh, which this tree lacks" >&2; return 1; }
      local iters=$(echo $(cat $conf) $train_opts "$@" | tr ' ' '\n' | sed -n 's/^--iterations=//p' | tail -n 1)
      steps/meta_train.sh --cmd "$train_cmd" --nj $train_nj --iterations ${iters:-100} \
        --train-opts "--config=$conf --seed=$seed $train_opts $*" \
        $in scp:$PWD/$data/train/feats_cmvn.scp scp:$PWD/$data/train/labels_$unit.scp \
        $exp/tasks/episodes.${task_key//,/+}.txt $dir > $dir/log/train.log 2>&1 ||
        { echo "run.sh: ERROR: training $name failed (see $dir/log/train.log)" >&2; return 1; }
    fi
    echo "$name $((SECONDS - start))" > $dir/train_time
    echo "run.sh: trained $name in $((SECONDS - start)) s" >&2
  }
  start_mdl=$exp/init/0.mdl
  if [ $pretrain_iters -gt 0 ]; then
    train_one pretrain conf/meta/multitask.conf $exp/init/0.mdl $exp/pretrain --iterations=$pretrain_iters
    start_mdl=$exp/pretrain/final.mdl
  fi
  for i in $inits; do
    if [ $i = scratch ]; then mkdir -p $exp/scratch; cp $exp/init/0.mdl $exp/scratch/final.mdl
    else train_one $i conf/meta/$i.conf $start_mdl $exp/$i; fi
    steps/make_model_dir.sh --feat-conf $feat_conf --decode-conf $decode_conf $data/lang_$unit/units.txt $exp/$i
  done
  stage_done
fi

if stage_run 7 adapt; then
  # For each target language, shot count and draw: adapt every initialisation to the
  # drawn utterances, decode the test set, score. Draw d of N utterances is the first N
  # of the d-th random order of the adaptation set, so the sets are nested across N.
  mkdir -p $adapt_dir/log
  for l in $(target_codes); do
    # The test utterances decoded: --test-utts of them, evenly spaced, or all.
    t=$adapt_dir/test/$l; mkdir -p $t
    n=$(wc -l < $data/$l/test/feats_cmvn.scp) k=$test_utts
    [ $k -gt 0 ] && [ $k -lt $n ] || k=$n
    awk -v n=$n -v k=$k 'BEGIN { for (i = 0; i < k; i++) keep[int(i * n / k) + 1] = 1 }
      keep[NR] { print $1 }' $data/$l/test/feats_cmvn.scp > $t/utts
    utils/filter_scp.pl $t/utts $data/$l/test/feats_cmvn.scp > $t/feats.scp
    utils/filter_scp.pl $t/utts $data/$l/test/text.$unit > $t/text
    local/make_draws.sh --seed $seed --draws $draws --shots "$shots" $data/$l/adapt $adapt_dir/draws/$l
  done
  for i in $inits; do for l in $(target_codes); do echo "$i $l"; done; done > $adapt_dir/jobs
  njobs=$(wc -l < $adapt_dir/jobs)
  $cmd --max-jobs-run $nj JOB=1:$njobs $adapt_dir/log/adapt.JOB.log \
    local/adapt_decode.sh --adapt-conf $adapt_conf --decode-conf $decode_conf --unit $unit \
      --lr $adapt_lr --keep-models $keep_models --job JOB $adapt_dir/jobs $data $exp
  stage_done
fi

if stage_run 8 plots; then
  local/plot.sh --unit $unit --inits "$inits" --adapt-dir $adapt_dir $exp $plot_dir
  stage_done
fi
if stage_run 9 results; then
  local/make_results.sh --unit $unit --inits "$inits" --shots "$shots" --draws $draws \
    --target-shots $target_shots --reference-shots $reference_shots \
    --adapt-conf $adapt_conf --decode-conf $decode_conf --adapt-lr $adapt_lr \
    --train-opts "$train_opts" --adapt-dir $adapt_dir --cmdline "$cmdline" $data $exp > $results.tmp ||
    { rm -f $results.tmp; exit 1; }
  mv $results.tmp $results
  cat $results
  stage_done
fi

echo "$(date '+%F %T') run.sh: done" >&2
