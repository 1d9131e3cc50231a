#!/usr/bin/env bash
# Features of a data directory, in --nj jobs split by speaker: compute-features, per-speaker
# CMVN statistics (compute-cmvn-stats --spk2utt), and the normalised features (apply-cmvn).
# Writes <data>/feats.scp (raw), <data>/cmvn.scp, <data>/feats_cmvn.scp, <data>/utt2num_frames;
# archives go to <feat-dir>, logs to <log-dir>/log. Does nothing when feats_cmvn.scp is
# newer than wav.scp.
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
set -o pipefail
die() { echo "$prog: ERROR: $*" >&2; exit 1; }

[ -f $data/wav.scp ] || die "no $data/wav.scp"
[ -f $feat_conf ] || die "no feature config $feat_conf"
if [ -s $data/feats_cmvn.scp ] && [ $data/feats_cmvn.scp -nt $data/wav.scp ]; then
  echo "$prog: $data/feats_cmvn.scp is up to date" >&2; exit 0
fi
nspk=$(wc -l < $data/spk2utt)
[ $nj -le $nspk ] || nj=$nspk
mkdir -p $logdir/log $featdir || exit 1
featdir=$(cd $featdir && pwd)
name=$(echo $data | tr '/' '_')
utils/split_data.sh $data $nj >&2 || die "cannot split $data into $nj parts"
sdata=$data/split$nj

$cmd JOB=1:$nj $logdir/log/make_feats.JOB.log \
  "compute-features --config=$feat_conf scp:$sdata/JOB/wav.scp \
     ark,scp:$featdir/raw_$name.JOB.ark,$featdir/raw_$name.JOB.scp && \
   compute-cmvn-stats --spk2utt=ark:$sdata/JOB/spk2utt scp:$featdir/raw_$name.JOB.scp \
     ark,scp:$featdir/cmvn_$name.JOB.ark,$featdir/cmvn_$name.JOB.scp && \
   apply-cmvn --utt2spk=ark:$sdata/JOB/utt2spk scp:$featdir/cmvn_$name.JOB.scp \
     scp:$featdir/raw_$name.JOB.scp ark,scp:$featdir/norm_$name.JOB.ark,$featdir/norm_$name.JOB.scp" ||
  die "feature extraction failed for $data (see $logdir/log/make_feats.*.log)"

for j in $(seq $nj); do cat $featdir/raw_$name.$j.scp; done | sort > $data/feats.scp
for j in $(seq $nj); do cat $featdir/cmvn_$name.$j.scp; done | sort > $data/cmvn.scp
for j in $(seq $nj); do cat $featdir/norm_$name.$j.scp; done | sort > $data/feats_cmvn.scp.tmp
feat-to-len scp:$data/feats_cmvn.scp.tmp ark,t:$data/utt2num_frames 2>/dev/null ||
  die "cannot read the features of $data"
mv $data/feats_cmvn.scp.tmp $data/feats_cmvn.scp
n=$(wc -l < $data/utt2spk) m=$(wc -l < $data/feats_cmvn.scp)
[ $m -gt 0 ] || die "no features for $data"
[ $m -eq $n ] || echo "$prog: WARNING: $data: features for $m of $n utterances (see $logdir/log)" >&2
echo "$prog: $data: $m utterances, $(awk '{ s += $2 } END { print s }' $data/utt2num_frames) frames" >&2
