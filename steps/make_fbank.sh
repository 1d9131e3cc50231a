#!/usr/bin/env bash
# Filterbank (make_fbank.sh) or MFCC (make_mfcc.sh, a link to this script: the name
# chooses the type) features of a data directory, as Kaldi's steps/make_fbank.sh and
# steps/make_mfcc.sh: wav.scp (or segments, cut by extract-segments) split by lines into
# --nj jobs run through --cmd, each compute-features --type=fbank|mfcc into
# <feat-dir>/raw_<type>_<name>.JOB.{ark,scp} (<name> the data directory's basename), logs
# <log-dir>/make_<type>_<name>.JOB.log. Writes <data>/feats.scp, utt2num_frames, utt2dur,
# frame_shift and conf/<type>.conf; a feats.scp already there is moved to <data>/.backup.
# As in Kaldi, the features are stored compressed unless --compress false, and a
# <data>/spk2warp (or utt2warp) gives each speaker's (utterance's) VTLN warp factor.
# Unlike Kaldi (scp,p: reading), a WAV that cannot be read (a failing wav.scp command, a
# missing file) or a bad segment fails the job: then no feats.scp is written and this
# run's archives are removed.
type=$(basename "$0" .sh); type=${type#make_}
case $type in fbank|mfcc) ;; *) echo "$0: ERROR: run as steps/make_fbank.sh or steps/make_mfcc.sh" >&2; exit 1 ;; esac
nj=4
cmd=run.pl
printf -v "${type}_config" '%s' "conf/$type.conf"
write_utt2num_frames=true
write_utt2dur=true
compress=true
help_message="Usage: $0 [options] <data-dir> [<log-dir> [<$type-dir>] ]
 e.g.: $0 data/train
Note: <log-dir> defaults to <data-dir>/log, and
      <$type-dir> defaults to <data-dir>/data
Options:
  --$type-config <config-file>         # config passed to compute-features --type=$type [conf/$type.conf]
  --nj <nj>                            # number of parallel jobs [$nj]
  --cmd <run.pl|queue.pl <queue opts>> # how to run jobs [$cmd]
  --write-utt2num-frames <true|false>  # If true, write utt2num_frames file [$write_utt2num_frames]
  --write-utt2dur <true|false>         # If true, write utt2dur file [$write_utt2dur]
  --compress <true|false>              # If true, write compressed matrices (Kaldi's CM) [$compress]"

echo "$0 $*" >&2 # the command line, for the log
utils=$(dirname "$0")/../utils
[ -f path.sh ] && . ./path.sh
. "$utils/parse_options.sh" || exit 1
if [ $# -lt 1 ] || [ $# -gt 3 ]; then printf '%s\n' "$help_message" >&2; exit 1; fi
config_var=${type}_config; config=${!config_var}
data=$1 logdir=${2:-$1/log} featdir=${3:-$1/data}
[[ $featdir = /* ]] || featdir=$PWD/$featdir # the scp files point here
name=$(basename "$data")
die() { echo "$0: ERROR: $*" >&2; exit 1; }
[[ "$nj" =~ ^[1-9][0-9]*$ ]] || die "--nj must be a positive integer (got '$nj')"
for f in "$data/wav.scp" "$config"; do [ -f "$f" ] || die "no such file $f"; done
conf_type=$(sed -n 's/^[[:space:]]*--type=\([a-z]*\).*/\1/p' "$config" | tail -n 1)
[ -z "$conf_type" ] || [ "$conf_type" = "$type" ] || die "$config says --type=$conf_type, but $0 computes $type"
if [ -f "$data/segments" ]; then
  list=$data/segments part=$logdir/segments.JOB
  input="ark:extract-segments scp:$data/wav.scp $part ark:- |"
else
  list=$data/wav.scp part=$logdir/wav_$name.JOB.scp
  input=scp:$part
fi
total=$(wc -l < "$list")
[ "$nj" -le "$total" ] || die "cannot split the $total lines of $list into $nj jobs (use a smaller --nj)"
mkdir -p "$featdir" "$logdir" || exit 1
if [ -f "$data/feats.scp" ]; then
  mkdir -p "$data/.backup"
  echo "$0: moving $data/feats.scp to $data/.backup" >&2
  mv "$data/feats.scp" "$data/.backup"
fi
"$utils/validate_data_dir.sh" --no-text --no-feats "$data" || exit 1
vtln_opts=
if [ -f "$data/spk2warp" ]; then
  echo "$0 [info]: using VTLN warp factors from $data/spk2warp" >&2
  vtln_opts="--vtln-map=ark:$data/spk2warp --utt2spk=ark:$data/utt2spk"
elif [ -f "$data/utt2warp" ]; then
  echo "$0 [info]: using VTLN warp factors from $data/utt2warp" >&2
  vtln_opts="--vtln-map=ark:$data/utt2warp"
fi

# Contiguous parts of wav.scp (or segments), one a job.
if [ -f "$data/segments" ]; then echo "$0 [info]: segments file exists: using that." >&2
else echo "$0: [info]: no segments file exists: assuming wav.scp indexed by utterance." >&2; fi
awk -v n="$nj" -v total="$total" -v part="$part" \
  '{ f = part; sub(/JOB/, int((NR - 1) * n / total) + 1, f); print > f }' "$list" || exit 1

raw=$featdir/raw_${type}_$name
opts="--compress=$compress $vtln_opts"
$write_utt2dur && opts="$opts --write-utt2dur=ark,t:$logdir/utt2dur.JOB"
num_frames=true
$write_utt2num_frames && num_frames="feat-to-len scp:$raw.JOB.scp ark,t:$logdir/utt2num_frames.JOB"
if ! $cmd JOB=1:$nj "$logdir/make_${type}_$name.JOB.log" \
     "compute-features --type=$type --verbose=2 --config=$config $opts '$input' ark,scp:$raw.JOB.ark,$raw.JOB.scp &&
      $num_frames"; then
  rm -f "$raw".*.ark "$raw".*.scp
  first_error=$(grep -h -m1 '^ERROR' "$logdir/make_${type}_$name".*.log 2>/dev/null | head -n 1)
  if [[ $first_error =~ /segments\.([0-9]+):([0-9]+): ]]; then # a line of a job's part: its line in segments
    before=$(seq -f "$logdir/segments.%g" 1 $((BASH_REMATCH[1] - 1)) | xargs -r cat | wc -l)
    first_error+=" (line $((before + BASH_REMATCH[2])) of $data/segments)"
  fi
  die "computing $type features for $data failed (logs $logdir/make_${type}_$name.*.log)${first_error:+: $first_error}"
fi

for n in $(seq "$nj"); do cat "$raw.$n.scp" || exit 1; done > "$data/feats.scp" || exit 1
if $write_utt2num_frames; then
  for n in $(seq "$nj"); do cat "$logdir/utt2num_frames.$n" || exit 1; done > "$data/utt2num_frames" || exit 1
fi
if $write_utt2dur; then
  for n in $(seq "$nj"); do cat "$logdir/utt2dur.$n" || exit 1; done > "$data/utt2dur" || exit 1
fi
# The frame shift and the config, stored with the features.
frame_shift=$(perl -ne 'if (/^--frame-shift=(\d+)/) { printf "%.3f", 0.001 * $1; exit; }' "$config")
echo "${frame_shift:-0.01}" > "$data/frame_shift"
mkdir -p "$data/conf" && cp "$config" "$data/conf/$type.conf" || exit 1
rm -f "$logdir/wav_$name".*.scp "$logdir"/segments.* "$logdir"/utt2num_frames.* "$logdir"/utt2dur.*

nf=$(wc -l < "$data/feats.scp")
nu=$(wc -l < "$data/utt2spk")
if [ "$nf" -ne "$nu" ]; then
  echo "$0: It seems not all of the feature files were successfully procesed ($nf != $nu);" \
       "consider using utils/fix_data_dir.sh $data" >&2
fi
if (( nf < nu - nu / 20 )); then
  die "Less than 95% the features were successfully generated. Probably a serious error."
fi
echo "$0: Succeeded creating $([ "$type" = fbank ] && echo filterbank || echo MFCC) features for $name" >&2
