#!/usr/bin/env bash
# Adds utt2dur (each utterance's duration in seconds) to a data directory if it is not
# already there with a line per utterance, as Kaldi's utils/data/get_utt2dur.sh: from
# segments (end - start); else from frame_shift and utt2num_frames; else from the WAVs
# of wav.scp (wav-to-duration in --nj jobs through --cmd, logs in <data>/log/: the
# headers, or the whole files with --read-entire-file true, which is used when wav.scp
# speed-perturbs with sox, whose headers give no length); else from feats.scp.
frame_shift=0.01
cmd=run.pl
nj=4
read_entire_file=false
help_message="Usage: $0 [options] <datadir>
e.g.:
 $0 data/train
 Options:
 --frame-shift      # frame shift in seconds. Only relevant when we are
                    # getting duration from feats.scp, and only if the
                    # file frame_shift does not exist (default: 0.01).
 --nj, --cmd        # jobs for wav-to-duration, and how to run them [$nj, $cmd]
 --read-entire-file # read the WAVs, not only their headers [$read_entire_file]"
utils=$(dirname "$0")/..
. "$utils/parse_options.sh" || exit 1
[ -f ./path.sh ] && . ./path.sh
if [ $# -ne 1 ]; then echo "$help_message" >&2; exit 1; fi
export LC_ALL=C
data=$1
prog=get_utt2dur.sh
die() { echo "$prog: ERROR: $*" >&2; exit 1; }
[ -f "$data/utt2spk" ] || die "no such file $data/utt2spk"

if [ -s "$data/utt2dur" ] && [ "$(wc -l < "$data/utt2spk")" -eq "$(wc -l < "$data/utt2dur")" ]; then
  echo "$prog: $data/utt2dur already exists with the expected length.  We won't recompute it." >&2
  exit 0
fi
out=$data/utt2dur.tmp
trap 'rm -f "$out"' EXIT # a failed run leaves no utt2dur
if [ -s "$data/segments" ]; then
  echo "$prog: working out $data/utt2dur from $data/segments" >&2
  awk '{ len = $4 - $3; print $1, len }' "$data/segments" > "$out" || exit 1
elif [[ -s $data/frame_shift && -f $data/utt2num_frames ]]; then
  echo "$prog: computing $data/utt2dur from $data/{frame_shift,utt2num_frames}." >&2
  frame_shift=$(cat "$data/frame_shift") || exit 1
  # The 1.5 correction is the typical value of (frame_length-frame_shift)/frame_shift.
  awk -v fs="$frame_shift" '{ $2 = ($2 + 1.5) * fs; print }' "$data/utt2num_frames" > "$out" || exit 1
elif [ -f "$data/wav.scp" ]; then
  echo "$prog: segments file does not exist so getting durations from wave files" >&2
  command -v wav-to-duration >/dev/null || die "wav-to-duration is not on your path"
  if grep -q 'sox.*speed' "$data/wav.scp"; then
    read_entire_file=true
    echo "$prog: reading from the entire wav file to fix the problem caused by sox commands with speed perturbation. It is going to be slow." >&2
  fi
  num_utts=$(wc -l < "$data/utt2spk")
  [ "$nj" -le "$num_utts" ] || nj=$num_utts
  "$utils/split_data.sh" --per-utt "$data" "$nj" || exit 1
  sdata=$data/split${nj}utt
  if ! $cmd JOB=1:$nj "$data/log/get_durations.JOB.log" \
       wav-to-duration --read-entire-file=$read_entire_file scp:$sdata/JOB/wav.scp ark,t:$sdata/JOB/utt2dur; then
    first_error=$(grep -h -m1 '^ERROR' "$data"/log/get_durations.*.log 2>/dev/null | head -n 1)
    die "there was a problem getting the durations (logs $data/log/get_durations.*.log)${first_error:+: $first_error}"
  fi
  for n in $(seq "$nj"); do cat "$sdata/$n/utt2dur" || exit 1; done > "$out"
elif [ -f "$data/feats.scp" ]; then
  echo "$prog: wave file does not exist so getting durations from feats files" >&2
  if [[ -s $data/frame_shift ]]; then
    frame_shift=$(cat "$data/frame_shift") || exit 1
    echo "$prog: using frame_shift=$frame_shift from file $data/frame_shift" >&2
  fi
  set -o pipefail
  feat-to-len scp:"$data/feats.scp" ark,t:- |
    awk -v frame_shift="$frame_shift" '{ print $1, ($2 + 1.5) * frame_shift }' > "$out" || exit 1
else
  die "Expected $data/wav.scp, $data/segments or $data/feats.scp to exist"
fi
mv "$out" "$data/utt2dur"

len1=$(wc -l < "$data/utt2spk")
len2=$(wc -l < "$data/utt2dur")
if [ "$len1" != "$len2" ]; then
  echo "$prog: warning: length of utt2dur does not equal that of utt2spk, $len2 != $len1" >&2
  if [ "$len1" -gt $((len2 * 2)) ]; then
    echo "$prog: less than half of utterances got a duration: failing." >&2
    exit 1
  fi
fi
echo "$prog: computed $data/utt2dur" >&2
