#!/usr/bin/env bash
# One adaptation job of run.sh's stage 7: line <job> of <jobs> names an initialisation and
# a target language ("maml ca"). The directory of <jobs> (exp/adapt, or run.sh's
# --adapt-dir) holds the draws and test lists and gets the results. For every draw list
# <dir>/draws/<lang>/<N>_<d>.list: fast-adapt exp/<init>/final.mdl to those utterances of
# data/<lang>/adapt, decode the test utterances <dir>/test/<lang>/feats.scp, score against
# <dir>/test/<lang>/text. Writes, in <dir>/<init>/<lang>/<N>_<d>/, hyp.txt, wer
# (compute-wer's output) and adapt.log/decode.log; skips a directory whose wer exists.
# With --keep-models true, final.mdl stays, with steps/make_model_dir.sh's files.
adapt_conf=conf/adapt.conf
decode_conf=conf/decode.conf
unit=phone
job=1
keep_models=false
lr=0.05               # adaptation learning rate of models without learned inner rates
help_message="Usage: local/adapt_decode.sh [options] <jobs> <data> <exp>
  --job N                 the line of <jobs> to run [$job]
  --adapt-conf FILE       fast-adapt options [$adapt_conf]
  --decode-conf FILE      decode options [$decode_conf]
  --unit phone|char       [$unit]
  --lr R                  fast-adapt --lr, unless conf/meta/<init>.conf learns the rates [$lr]
  --keep-models true      keep the adapted models [$keep_models]
e.g.: local/adapt_decode.sh --job 3 exp/adapt/jobs data exp"
[ -f ./path.sh ] && . ./path.sh
. utils/parse_options.sh || exit 1
[ $# -eq 3 ] || { echo "$help_message" >&2; exit 1; }
jobs=$1 data=$2 exp=$3
adapt_dir=$(dirname $jobs)
prog=adapt_decode.sh
set -o pipefail
die() { echo "$prog: ERROR: $*" >&2; exit 1; }

[ -s $jobs ] || die "no jobs file $jobs (run.sh's stage 7 writes it)"
read -r init lang < <(sed -n "${job}p" $jobs)
[ -n "$lang" ] || die "no line $job in $jobs"
model=$exp/$init/final.mdl
[ -s $model ] || die "no model $model (run the training stage)"
units=$data/lang_$unit/units.txt
adapt=$data/$lang/adapt test=$adapt_dir/test/$lang
for f in $adapt/feats_cmvn.scp $adapt/labels_$unit.scp $test/feats.scp $test/text $units; do
  [ -s $f ] || die "missing $f"
done
# Models meta-trained with learned inner rates adapt with them.
lr_opt="--lr=$lr"
grep -qs -- '--learn-inner-lr=per-layer' conf/meta/$init.conf && lr_opt=
ls $adapt_dir/draws/$lang/*_*.list >/dev/null 2>&1 || die "no draws in $adapt_dir/draws/$lang"

n=0 failed=0
for list in $adapt_dir/draws/$lang/*_*.list; do
  name=$(basename $list .list)
  dir=$adapt_dir/$init/$lang/$name
  [ -s $dir/wer ] && continue
  mkdir -p $dir
  utils/filter_scp.pl $list $adapt/feats_cmvn.scp > $dir/feats.scp
  utils/filter_scp.pl $list $adapt/labels_$unit.scp > $dir/labels.scp
  start=$SECONDS
  if fast-adapt --config=$adapt_conf $lr_opt $model scp:$dir/feats.scp scp:$dir/labels.scp \
       $dir/final.mdl 2> $dir/adapt.log &&
     decode --config=$decode_conf --units=$units $dir/final.mdl scp:$test/feats.scp \
       ark,t:$dir/hyp.txt 2> $dir/decode.log &&
     compute-wer --mode=all ark:$test/text ark:$dir/hyp.txt > $dir/wer.tmp 2> $dir/score.log; then
    mv $dir/wer.tmp $dir/wer
    echo "$init $lang $name: $(grep '^%WER' $dir/wer) ($((SECONDS - start)) s)"
    n=$((n + 1))
  else
    echo "$prog: WARNING: $init $lang $name failed; see $dir/{adapt,decode,score}.log" >&2
    tail -n 3 $dir/*.log >&2
    failed=$((failed + 1))
  fi
  # A kept model is a model directory: what transcribing with it needs comes from its init's.
  if ! $keep_models; then rm -f $dir/final.mdl
  elif [ -s $dir/final.mdl ]; then steps/make_model_dir.sh --from $exp/$init $dir || failed=$((failed + 1)); fi
done
echo "$prog: $init $lang: $n adapted, decoded and scored; $failed failed"
[ $failed -eq 0 ]
