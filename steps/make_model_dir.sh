#!/usr/bin/env bash
# Writes, next to a model (<model-dir>/final.mdl), what decoding new audio with it needs,
# so that steps/transcribe.sh takes the directory alone:
#   feats.conf         compute-features options of the features it was trained on
#   cmvn_opts          apply-cmvn options of its training features, which were normalised
#                      with per-speaker statistics (compute-cmvn-stats --spk2utt)
#   cmvn_sliding.conf  apply-cmvn-sliding options for audio without speaker statistics:
#                      by default a centred 600-frame window, which for an utterance of up
#                      to 6 s is that utterance's own mean - what per-speaker statistics
#                      give a speaker with one utterance - and a 6 s moving mean beyond
#   units.txt          its output units ("symbol id", <blk> 0)
#   decode.conf        decode options (plus --word-boundary=<space> for character units,
#                      so that the output is words)
# With --from <dir>, the files are copied from another model directory (a model adapted
# from that directory's model has its features and units).
feat_conf=conf/fbank.conf
cmvn_opts="--norm-vars=false"
sliding_opts="--center=true --cmn-window=600"
decode_conf=conf/decode.conf
from=
help_message="Usage: steps/make_model_dir.sh [options] <units.txt> <model-dir>
       steps/make_model_dir.sh --from <model-dir> <model-dir>
Writes next to <model-dir>/final.mdl what decoding new audio needs (see the top of this script).
  --feat-conf FILE          compute-features config of the training features [$feat_conf]
  --cmvn-opts 'OPTS'        apply-cmvn options of the training features [$cmvn_opts]
  --sliding-opts 'OPTS'     apply-cmvn-sliding options for audio without speakers [$sliding_opts]
  --decode-conf FILE        decode config [$decode_conf]
  --from DIR                copy all of these from the model directory DIR
e.g.: steps/make_model_dir.sh --feat-conf conf/fbank.conf data/lang_char/units.txt exp/maml"
. "$(dirname "$0")/../utils/parse_options.sh" || exit 1
prog=make_model_dir.sh
die() { echo "$prog: ERROR: $*" >&2; exit 1; }
files="feats.conf cmvn_opts cmvn_sliding.conf units.txt decode.conf"

if [ -n "$from" ]; then
  [ $# -eq 1 ] || { echo "$help_message" >&2; exit 1; }
  dir=$1
  for f in $files; do [ -f $from/$f ] || die "$from/$f is missing (make $from a model directory first)"; done
else
  [ $# -eq 2 ] || { echo "$help_message" >&2; exit 1; }
  units=$1 dir=$2
  for f in $units $feat_conf $decode_conf; do [ -f $f ] || die "no such file $f"; done
fi
[ -s $dir/final.mdl ] || die "no model $dir/final.mdl"
num_units=$(wc -l < ${units:-$from/units.txt})
outputs=$(nnet-info $dir/final.mdl 2>/dev/null | awk '$1 == "output-dim" { print $2 }')
[ -n "$outputs" ] || die "cannot read the model $dir/final.mdl (nnet-info failed)"
[ "$outputs" -eq "$num_units" ] ||
  die "$dir/final.mdl has $outputs outputs but ${units:-$from/units.txt} has $num_units units"

write() { # <name>: stdin to <dir>/<name>, complete or not at all
  cat > $dir/$1.tmp && mv $dir/$1.tmp $dir/$1 || { rm -f $dir/$1.tmp; die "cannot write $dir/$1"; }
}
if [ -n "$from" ]; then
  for f in $files; do write $f < $from/$f; done
else
  write feats.conf < $feat_conf
  echo "$cmvn_opts" | write cmvn_opts
  echo "$sliding_opts" | tr ' ' '\n' | grep -v '^$' | write cmvn_sliding.conf
  write units.txt < $units
  { cat $decode_conf
    if grep -q '^<space> ' $units && ! grep -q -- '--word-boundary' $decode_conf; then
      echo "# character units: words are the units between <space>s"
      echo "--word-boundary=<space>"
    fi; } | write decode.conf
fi
echo "$prog: $dir: final.mdl with $(echo $files)" >&2
