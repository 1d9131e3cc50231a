#!/usr/bin/env bash
# Features of a data directory with Kaldi's steps: steps/make_fbank.sh (or make_mfcc.sh,
# by the config's --type) in --nj jobs, steps/compute_cmvn_stats.sh (per speaker), then
# the normalised features (apply-cmvn, in --nj jobs split by speaker).
# Writes <data>/feats.scp (raw), <data>/cmvn.scp, <data>/feats_cmvn.scp, <data>/utt2num_frames
# (and the steps' frame_shift, conf/); archives go to <feat-dir>/<data-dir with / as _>/,
# logs to <log-dir>/log (the steps' messages in make_feats.log). Does nothing when
# feats_cmvn.scp is newer than wav.scp.
nj=2
cmd=run.pl
feat_conf=conf/fbank.conf
help_message="Usage: local/make_feats.sh [--nj N] [--cmd run.pl] [--feat-conf conf/fbank.conf] <data-dir> <log-dir> <feat-dir>
e.g.: local/make_feats.sh --nj 2 data/train exp/make_feats/train feats"
[ -f ./path.sh ] && . ./path.sh
. utils/parse_options.sh || exit 1
[ $# -eq 3 ] || { echo "$help_message" >&2; exit 1; }
data=$1 logdir=$2 featdir=$3
prog=make_feats.sh
die() { echo "$prog: ERROR: $*" >&2; exit 1; }

[ -f $data/wav.scp ] || die "no $data/wav.scp"
[ -f $feat_conf ] || die "no feature config $feat_conf"
if [ -s $data/feats_cmvn.scp ] && [ $data/feats_cmvn.scp -nt $data/wav.scp ]; then
  echo "$prog: $data/feats_cmvn.scp is up to date" >&2; exit 0
fi
type=$(sed -n 's/^[[:space:]]*--type=\([a-z]*\).*/\1/p' $feat_conf | tail -n 1)
case ${type:-mfcc} in
  fbank) make=steps/make_fbank.sh conf_opt=--fbank-config ;;
  mfcc) make=steps/make_mfcc.sh conf_opt=--mfcc-config ;;
  *) die "$feat_conf: --type=$type has no steps/make_$type.sh (use fbank or mfcc)" ;;
esac
nspk=$(wc -l < $data/spk2utt)
[ $nj -le $nspk ] || nj=$nspk
mkdir -p $logdir/log $featdir/$(echo $data | tr '/' '_') || exit 1
dir=$(cd $featdir/$(echo $data | tr '/' '_') && pwd)
log=$logdir/log/make_feats.log
rm -f $data/feats_cmvn.scp
# The recipe's utt2dur (from the synthesis) is kept; features stay uncompressed (exact).
$make --nj $nj --cmd "$cmd" $conf_opt $feat_conf --write-utt2dur false --compress false $data $logdir/log $dir 2> $log ||
  die "$make failed for $data: $(tail -n 1 $log)"
steps/compute_cmvn_stats.sh $data $logdir/log $dir 2>> $log ||
  die "steps/compute_cmvn_stats.sh failed for $data: $(tail -n 1 $log)"

utils/split_data.sh $data $nj >&2 || die "cannot split $data into $nj parts"
sdata=$data/split$nj norm=$dir/norm_$(basename $data)
$cmd JOB=1:$nj $logdir/log/apply_cmvn.JOB.log \
  apply-cmvn --utt2spk=ark:$sdata/JOB/utt2spk scp:$sdata/JOB/cmvn.scp scp:$sdata/JOB/feats.scp \
    ark,scp:$norm.JOB.ark,$norm.JOB.scp ||
  die "apply-cmvn failed for $data (see $logdir/log/apply_cmvn.*.log)"
for j in $(seq $nj); do cat $norm.$j.scp; done | sort > $data/feats_cmvn.scp.tmp
mv $data/feats_cmvn.scp.tmp $data/feats_cmvn.scp
n=$(wc -l < $data/utt2spk) m=$(wc -l < $data/feats_cmvn.scp)
[ $m -gt 0 ] || die "no features for $data"
[ $m -eq $n ] || echo "$prog: WARNING: $data: features for $m of $n utterances (see $logdir/log)" >&2
echo "$prog: $data: $m utterances, $(awk '{ s += $2 } END { print s }' $data/utt2num_frames) frames" >&2
