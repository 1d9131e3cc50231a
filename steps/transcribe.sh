#!/usr/bin/env bash
# Audio in, text out: prints "utt-id text" for each audio file (or each line of a
# wav.scp) with the model of a model directory (steps/make_model_dir.sh writes one next to
# every model the recipes train), applying the features and normalisation it was trained
# with: compute-features with its feats.conf, then
#   - by default, sliding-window CMN (apply-cmvn-sliding with its cmvn_sliding.conf), for
#     audio without speaker statistics;
#   - with --utt2spk, per-speaker CMVN as in training (compute-cmvn-stats over each
#     speaker's utterances, apply-cmvn with its cmvn_opts);
# and decode with its decode.conf and units.txt. Audio files may be in any format and at
# any sample rate sox reads (WAV, mp3, flac ...): sox converts them to the rate of
# feats.conf, mono, 16 bits; the utterance id is the file name without its extension.
# A single argument ending in .scp is a wav.scp. Results go to stdout, logs to stderr; a
# file that cannot be read or decoded is named in an error at the end (exit status 1),
# after the lines of the others.
utt2spk=
help_message="Usage: steps/transcribe.sh [options] <model-dir> <wav.scp | audio-file ...>
Prints one line 'utt-id text' per utterance (see the top of this script).
  --utt2spk FILE   per-speaker CMVN as in training, with these speakers
                   [default: sliding-window CMN, each utterance on its own]
e.g.: steps/transcribe.sh exp/maml hello.wav
      steps/transcribe.sh --utt2spk data/ca/test/utt2spk exp/maml data/ca/test/wav.scp"
. "$(dirname "$0")/../utils/parse_options.sh" || exit 1
[ $# -ge 2 ] || { echo "$help_message" >&2; exit 1; }
dir=$1; shift
prog=transcribe.sh
export LC_ALL=C
die() { echo "$prog: ERROR: $*" >&2; exit 1; }
set -o pipefail

for f in final.mdl feats.conf cmvn_opts cmvn_sliding.conf units.txt decode.conf; do
  [ -f $dir/$f ] || die "$dir/$f is missing: $dir is not a model directory (steps/make_model_dir.sh writes one)"
done
for p in compute-features apply-cmvn-sliding compute-cmvn-stats apply-cmvn decode sox; do
  command -v $p >/dev/null || die "$p is not on PATH (source the recipe's path.sh)"
done
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# The utterances: a wav.scp as given, or one sox pipe per audio file.
if [ $# -eq 1 ] && [[ "$1" == *.scp ]]; then
  [ -s "$1" ] || die "no such wav.scp or empty: $1"
  awk 'NF < 2 { print "line " NR " has no audio"; exit 1 } seen[$1]++ { print "key " $1 " appears twice"; exit 1 }' "$1" > $tmp/err ||
    die "$1: $(cat $tmp/err)"
  cp "$1" $tmp/wav.scp
else
  rate=$(sed -n 's/^--sample-frequency=//p' $dir/feats.conf | tail -n 1)
  for f in "$@"; do
    [ -f "$f" ] || die "no such audio file: $f"
    [[ "$f" != *[[:space:]]* ]] || die "white space in a file name (a wav.scp cannot hold it): '$f'"
    id=$(basename "$f"); id=${id%.*}
    echo "$id sox -R -V1 --ignore-length $f -t wav -r ${rate:-16000} -b 16 -c 1 - |"
  done > $tmp/wav.scp
  dup=$(cut -d' ' -f1 $tmp/wav.scp | sort | uniq -d | head -n 1)
  [ -z "$dup" ] || die "two files are named $dup (utterance ids come from the file names)"
fi

if [ -z "$utt2spk" ]; then
  sliding="apply-cmvn-sliding --config=$dir/cmvn_sliding.conf ark:- ark:-"
  norm="ark:compute-features --config=$dir/feats.conf scp:$tmp/wav.scp ark:- | $sliding |"
else
  [ -s "$utt2spk" ] || die "no such utt2spk: $utt2spk"
  compute-features --config=$dir/feats.conf scp:$tmp/wav.scp ark,scp:$tmp/feats.ark,$tmp/feats.scp &&
    "$(dirname "$0")/../utils/utt2spk_to_spk2utt.pl" "$utt2spk" > $tmp/spk2utt &&
    compute-cmvn-stats --spk2utt=ark:$tmp/spk2utt scp:$tmp/feats.scp ark:$tmp/cmvn.ark ||
    die "features or CMVN statistics failed (see the log above)"
  norm="ark:apply-cmvn $(cat $dir/cmvn_opts) --utt2spk=ark:$utt2spk ark:$tmp/cmvn.ark scp:$tmp/feats.scp ark:- |"
fi
decode --config=$dir/decode.conf --units=$dir/units.txt $dir/final.mdl "$norm" ark,t:$tmp/hyp ||
  die "decoding failed (see the log above)"
sed 's/ *$//' $tmp/hyp
missing=$(cut -d' ' -f1 $tmp/hyp | sort | comm -13 - <(cut -d' ' -f1 $tmp/wav.scp | sort) | head -n 5 | tr '\n' ' ')
[ -z "$missing" ] || die "no transcript for ${missing}(see the warnings above)"
