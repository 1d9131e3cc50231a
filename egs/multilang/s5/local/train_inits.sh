#!/usr/bin/env bash
# The recipes' training stage: each initialisation of --inits, once per training seed, at
# equal compute. Scratch is the seed's random model <exp>/init/s<seed>/0.mdl itself; the
# others start from it, or from it after --pretrain-iters multitask iterations
# (<exp>/pretrain/s<seed>), and meta-train with conf/meta/<init>.conf on the episodes
# <exp>/tasks/episodes.<task-key>.txt for --train-budget utterance gradient evaluations
# (local/step_cost.sh gives the iterations). <exp>/<init>/s<seed> gets final.mdl, log/,
# train_time ("<init> <seconds> <iterations> <evaluations per iteration>"), .settings (a
# rerun with other settings stops; with the same ones and no final.mdl it resumes from the
# checkpoint) and what decoding new audio needs (steps/make_model_dir.sh).
# An initialisation <init>:<opt>[,<opt>...] is a variant: conf/meta/<init>.conf with those
# meta-train options added, in <models>/<init><opts> (local/tune_dev.sh trains its variants
# here, from the run's own start and with its budget).
cmd=run.pl            # how a training job runs (cmd.sh's $train_cmd)
inits="multitask reptile-sq-mb2"
train_seeds="1 2 3"
pretrain_iters=500
train_budget=30000
train_opts=           # more meta-train options for every training
support=10
query=10
task_key=lang
unit=phone
num_threads=2
train_nj=0            # 0: one meta-train process; N: steps/meta_train.sh, N jobs per outer step
feat_conf=conf/fbank.conf
decode_conf=conf/decode.conf
models=               # where the initialisations go [<exp>]
help_message="Usage: local/train_inits.sh [options] <data> <exp>
  --cmd CMD [$cmd]  --inits '<names>' [$inits]  --train-seeds '<seeds>' [$train_seeds]
  --pretrain-iters N [$pretrain_iters]  --train-budget N [$train_budget]  --train-opts '<opts>' [$train_opts]
  --support S [$support]  --query Q [$query]  --task-key KEY [$task_key]  --unit phone|char [$unit]
  --num-threads N [$num_threads]  --train-nj N [$train_nj]  --feat-conf FILE [$feat_conf]  --decode-conf FILE [$decode_conf]
  --models DIR               where the initialisations go [<exp>]
e.g.: local/train_inits.sh --cmd run.pl --inits 'multitask maml' --train-seeds '1 2' data exp"
. ./path.sh || exit 1
. utils/parse_options.sh || exit 1
[ $# -eq 2 ] || { echo "$help_message" >&2; exit 1; }
data=$1 exp=$2
[ -n "$models" ] || models=$exp
prog=train_inits.sh
set -e -o pipefail
die() { echo "$prog: ERROR: $*" >&2; exit 1; }
. utils/lib/stages.sh   # settings_check, settings_save, conf_settings, wait_with_progress
for v in pretrain_iters train_budget support query num_threads train_nj; do [[ "${!v}" =~ ^[0-9]+$ ]] || die "--${v//_/-} must be a non-negative integer, got '${!v}'"; done
episodes=$exp/tasks/episodes.${task_key//,/+}.txt
for f in $data/train/feats_cmvn.scp $data/train/labels_$unit.scp $episodes $(printf "$exp/init/s%s/0.mdl " $train_seeds); do
  [ -s $f ] || die "missing $f (run the stages before training)"
done

train_one() { # <name> <config> <model-in> <model-out-dir> <iterations> <label> [<options>]
  local name=$1 conf=$2 in=$3 dir=$4 iters=$5 label=$6 opts="$train_opts${7:+ $7}"
  local s="$(conf_settings $conf) iterations=$iters $opts from=$in"
  if settings_check $dir "$s"; then
    [ -s $dir/final.mdl ] && { echo "$prog: $dir/final.mdl is up to date" >&2; return 0; }
  else  # (a directory with these settings but no final model resumes from its checkpoint)
    rm -rf $dir; settings_save $dir "$s"
  fi
  mkdir -p $dir/log
  local start=$SECONDS ts=${dir##*/s}
  echo "$prog: training $label: $iters iterations of $name (log: $dir/log/train.log)" >&2
  if [ $train_nj -eq 0 ]; then
    # One meta-train process (threads over the tasks of a meta-batch).
    $cmd --num-threads $num_threads $dir/log/train.log \
      meta-train --config=$conf --num-threads=$num_threads --seed=$ts \
        --checkpoint-every=20 --resume $opts --iterations=$iters \
        $in scp:$data/train/feats_cmvn.scp scp:$data/train/labels_$unit.scp $episodes $dir/final.mdl &
  else
    # --train-nj jobs per outer step (a cluster): steps/meta_train.sh.
    [ -x steps/meta_train.sh ] || die "--train-nj $train_nj needs steps/meta_train.sh, which this tree lacks"
    steps/meta_train.sh --cmd "$cmd" --nj $train_nj --iterations $iters \
      --train-opts "--config=$conf --seed=$ts $opts --iterations=$iters" \
      $in scp:$PWD/$data/train/feats_cmvn.scp scp:$PWD/$data/train/labels_$unit.scp \
      $episodes $dir > $dir/log/train.log 2>&1 &
  fi
  wait_with_progress $! train_status "$label" $dir/log/train.log ||
    die "training $label failed (see $dir/log/train.log)"
  echo "$name $((SECONDS - start)) $iters $(local/step_cost.sh --support $support --query $query \
    $conf $opts)" > $dir/train_time
  echo "$prog: trained $label in $((SECONDS - start)) s" >&2
}
train_status() { # label log: the last progress line of a training log
  echo "training $1: $(grep -o 'Iteration [0-9]*/[0-9]*:.*' $2 2>/dev/null | tail -n 1 || true) (log: $2)"
}

model_name() { echo "${1%%:*}$([[ $1 == *:* ]] && echo "${1#*:}")"; }   # maml:--x=1 -> maml--x=1
# maml:--a=1,--b=2,4 -> --a=1 --b=2,4: a comma starts a new option only before '--', so a
# value may be a list (--adapt-layers=2,4)
variant_opts() { [[ $1 == *:* ]] && echo "${1#*:}" | sed 's/,--/ --/g' || true; }
for i in $inits; do
  [[ $i != *:* ]] || [ -n "$(variant_opts $i)" ] || die "bad variant '$i' (expected <init>:<options>)"
  [ $i = scratch ] || [ -f conf/meta/${i%%:*}.conf ] || die "no conf/meta/${i%%:*}.conf for '$i'"
done
trained=$(echo $inits | tr ' ' '\n' | grep -vcx scratch || true)
n=0 total=$(( $(echo $train_seeds | wc -w) * (trained + (trained > 0 && pretrain_iters > 0)) ))
for ts in $train_seeds; do
  start_mdl=$exp/init/s$ts/0.mdl
  if [ $pretrain_iters -gt 0 ] && [ $trained -gt 0 ]; then
    n=$((n + 1))
    train_one pretrain conf/meta/multitask.conf $start_mdl $exp/pretrain/s$ts $pretrain_iters \
      "pretrain seed $ts ($n of $total)"
    start_mdl=$exp/pretrain/s$ts/final.mdl
  fi
  for i in $inits; do
    if [ $i = scratch ]; then
      mkdir -p $models/scratch/s$ts
      cmp -s $exp/init/s$ts/0.mdl $models/scratch/s$ts/final.mdl || cp $exp/init/s$ts/0.mdl $models/scratch/s$ts/final.mdl
      continue
    fi
    n=$((n + 1))
    name=$(model_name $i) base=${i%%:*} opts=$(variant_opts $i)
    cost=$(local/step_cost.sh --support $support --query $query conf/meta/$base.conf $train_opts $opts)
    iters=$(( (train_budget + cost / 2) / cost )); [ $iters -ge 1 ] || iters=1
    train_one $name conf/meta/$base.conf $start_mdl $models/$name/s$ts $iters "$name seed $ts ($n of $total)" "$opts"
  done
done
for i in $inits; do for ts in $train_seeds; do   # next to each model, what decoding new audio needs
  steps/make_model_dir.sh --feat-conf $feat_conf --decode-conf $decode_conf $data/lang_$unit/units.txt $models/$(model_name $i)/s$ts
done; done
