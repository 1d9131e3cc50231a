#!/usr/bin/env bash
# Cepstral mean and variance statistics per speaker (through spk2utt) of a data
# directory's features, as Kaldi's steps/compute_cmvn_stats.sh: one job, writing
# <cmvn-dir>/cmvn_<name>.{ark,scp} (<name> the data directory's basename), the log
# <log-dir>/cmvn_<name>.log, and <data>/cmvn.scp. --fake writes statistics that do not
# normalise (zero sums, unit squares, count 1). Kaldi's --fake-dims and --two-channel are
# not supported.
echo "$0 $*" >&2 # the command line, for the log
fake=false
if [ "${1-}" = --fake ]; then fake=true; shift; fi
case ${1-} in --*) echo "$0: ERROR: unknown option $1 (only --fake is supported)" >&2; exit 1 ;; esac
if [ $# -lt 1 ] || [ $# -gt 3 ]; then
  cat >&2 <<EOF
Usage: $0 [options] <data-dir> [<log-dir> [<cmvn-dir>] ]
e.g.: $0 data/train exp/make_fbank/train fbank
Note: <log-dir> defaults to <data-dir>/log, and <cmvn-dir> defaults to <data-dir>/data
Options:
 --fake          gives you fake cmvn stats that do no normalization.
EOF
  exit 1
fi
[ -f path.sh ] && . ./path.sh
data=$1 logdir=${2:-$1/log} cmvndir=${3:-$1/data}
[[ $cmvndir = /* ]] || cmvndir=$PWD/$cmvndir # the scp file points here
name=$(basename "$data")
die() { echo "$0: ERROR: $*" >&2; exit 1; }
for f in "$data/feats.scp" "$data/spk2utt"; do [ -f "$f" ] || die "no such file $f"; done
mkdir -p "$cmvndir" "$logdir" || exit 1
log=$logdir/cmvn_$name.log
out=ark,scp:$cmvndir/cmvn_$name.ark,$cmvndir/cmvn_$name.scp

if $fake; then
  dim=$(feat-to-dim scp:"$data/feats.scp" - 2> "$log") || die "cannot read $data/feats.scp (see $log)"
  awk -v dim="$dim" '{ printf "%s [\n", $1; for (n = 0; n < dim; n++) printf "0 "; print "1";
                       for (n = 0; n < dim; n++) printf "1 "; print "0 ]" }' "$data/spk2utt" |
    copy-feats ark:- "$out" 2>> "$log" || die "Error creating fake CMVN stats. See $log."
else
  compute-cmvn-stats --spk2utt=ark:"$data/spk2utt" scp:"$data/feats.scp" "$out" 2> "$log" ||
    die "Error computing CMVN stats. See $log"
fi
cp "$cmvndir/cmvn_$name.scp" "$data/cmvn.scp" || exit 1

nc=$(wc -l < "$data/cmvn.scp")
nu=$(wc -l < "$data/spk2utt")
if [ "$nc" -ne "$nu" ]; then
  echo "$0: warning: it seems not all of the speakers got cmvn stats ($nc != $nu);" >&2
  [ "$nc" -eq 0 ] && exit 1
fi
echo "Succeeded creating CMVN stats for $name" >&2
