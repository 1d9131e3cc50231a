#!/usr/bin/env bash
# One adaptation job of run.sh's stage 7: line <job> of <jobs> names an initialisation, a
# training seed and a target language ("maml 2 ca"). The directory of <jobs> (exp/adapt,
# or run.sh's --adapt-dir) holds the draws and test lists and gets the results, in
# <dir>/<init>/s<seed>/<lang>/<cell>/ for each cell:
#   0        the model as it is (zero shot): decode and score
#   <N>_<d>  for the draw list <dir>/draws/<lang>/<N>_<d>.list: fast-adapt
#            exp/<init>/s<seed>/final.mdl to those utterances of data/<lang>/adapt
#            (held-out recordings for early stopping through data/<lang>/adapt/utt2uniq),
#            decode the test utterances <dir>/test/<lang>/feats.scp, score against
#            <dir>/test/<lang>/text
# Each cell gets hyp.txt, wer (compute-wer's output), steps (the adaptation steps kept)
# and its logs; a cell whose wer exists is skipped. <dir>/<init>/s<seed>/<lang>/model.md5
# is the model's checksum: a job whose model has changed since stops.
# With --keep-models true, each adapted final.mdl stays, with steps/make_model_dir.sh's files (its initialisation's).
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
  --lr R                  fast-adapt --lr, unless the model has learned inner rates [$lr]
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
read -r init seed lang < <(sed -n "${job}p" $jobs)
[ -n "$lang" ] || die "no line $job in $jobs (expected: <init> <seed> <lang>)"
model=$exp/$init/s$seed/final.mdl
[ -s $model ] || die "no model $model (run the training stage)"
units=$data/lang_$unit/units.txt
adapt=$data/$lang/adapt test=$adapt_dir/test/$lang
for f in $adapt/feats_cmvn.scp $adapt/labels_$unit.scp $test/feats.scp $test/text $units; do
  [ -s $f ] || die "missing $f"
done
# Models meta-trained with learned inner rates adapt with them.
lr_opt="--lr=$lr"
nnet-info $model 2>/dev/null | grep -q 'meta-inner-lr' && lr_opt=
uniq_opt=
[ -s $adapt/utt2uniq ] && uniq_opt="--utt2uniq=ark:$adapt/utt2uniq"
ls $adapt_dir/draws/$lang/*_*.list >/dev/null 2>&1 || die "no draws in $adapt_dir/draws/$lang"
out=$adapt_dir/$init/s$seed/$lang
# The cells record the model they were adapted from: a model trained again since (with
# other settings) is not scored beside cells of the old one.
sum=$(md5sum < $model | cut -d' ' -f1)
if [ -s $out/model.md5 ]; then
  [ "$(cat $out/model.md5)" = "$sum" ] ||
    die "$out was adapted from another $model (it was trained again since): remove $out (or give another --adapt-dir)"
else mkdir -p $out && echo $sum > $out/model.md5; fi

decode_score() { # model dir: decode the test set with model, score into dir/wer
  decode --config=$decode_conf --units=$units $1 scp:$test/feats.scp ark,t:$2/hyp.txt 2> $2/decode.log &&
    compute-wer --mode=all ark:$test/text ark:$2/hyp.txt > $2/wer.tmp 2> $2/score.log &&
    mv $2/wer.tmp $2/wer
}

n=0 failed=0
for cell in 0 $(ls $adapt_dir/draws/$lang/ | sed -n 's/^\([0-9]*_[0-9]*\)\.list$/\1/p' | sort -t_ -k1,1n -k2,2n); do
  dir=$out/$cell
  [ -s $dir/wer ] && continue
  mkdir -p $dir
  start=$SECONDS
  if [ $cell = 0 ]; then
    echo 0 > $dir/steps
    decode_score $model $dir && ok=true || ok=false
  else
    list=$adapt_dir/draws/$lang/$cell.list
    utils/filter_scp.pl $list $adapt/feats_cmvn.scp > $dir/feats.scp
    utils/filter_scp.pl $list $adapt/labels_$unit.scp > $dir/labels.scp
    if fast-adapt --config=$adapt_conf $lr_opt $uniq_opt $model scp:$dir/feats.scp \
         scp:$dir/labels.scp $dir/final.mdl 2> $dir/adapt.log; then
      # The steps whose parameters were kept (the best held-out step with early stopping).
      sed -n 's/.*Done: [0-9]* utterances, \([0-9]*\) steps.*/\1/p' $dir/adapt.log > $dir/steps
      decode_score $dir/final.mdl $dir && ok=true || ok=false
    else ok=false; fi
  fi
  if $ok; then
    echo "$init seed $seed $lang $cell: $(grep '^%WER' $dir/wer), $(cat $dir/steps) steps ($((SECONDS - start)) s)"
    n=$((n + 1))
  else
    echo "$prog: WARNING: $init seed $seed $lang $cell failed; see $dir/*.log" >&2
    tail -n 3 $dir/*.log >&2
    failed=$((failed + 1))
  fi
  if ! $keep_models; then rm -f $dir/final.mdl
  elif [ -s $dir/final.mdl ]; then steps/make_model_dir.sh --from $(dirname $model) $dir || failed=$((failed + 1)); fi
done
echo "$prog: $init seed $seed $lang: $n cells adapted, decoded and scored; $failed failed"
[ $failed -eq 0 ]
