#!/usr/bin/env bash
# Draws the adaptation data: for draw d (1..D) a random order of the recordings of
# <data-dir> (seeded by --seed and d), written to <out-dir>/order_<d>, and for each shot
# count N its first N recordings with every copy of each, written to <out-dir>/<N>_<d>.list
# (one utterance id a line, sorted). A recording is a value of <data-dir>/utt2uniq (an
# utterance and its noisy copies; without utt2uniq each utterance is its own), so N counts
# recordings: with one noisy copy per utterance, N=5 adapts on 10 utterances of 5
# sentences, the copies being augmentation of those 5. Only utterances with features
# (feats_cmvn.scp) are drawn. Sets are nested: the N=5 set of a draw is inside its N=10
# set, so shot counts are compared on the same recordings.
seed=1
draws=3
shots="5 10 20 50 100"
help_message="Usage: local/make_draws.sh [--seed N] [--draws D] [--shots '5 10 20'] <data-dir> <out-dir>
Draws <shots> recordings (utt2uniq), all copies of each, <draws> times.
e.g.: local/make_draws.sh --draws 3 data/ca/adapt exp/adapt/draws/ca"
[ -f ./path.sh ] && . ./path.sh
. utils/parse_options.sh || exit 1
[ $# -eq 2 ] || { echo "$help_message" >&2; exit 1; }
data=$1 dir=$2
prog=make_draws.sh
export LC_ALL=C
die() { echo "$prog: ERROR: $*" >&2; exit 1; }
feats=$data/feats_cmvn.scp
[ -s $feats ] || die "no $feats (run the features stage)"
[[ "$draws" =~ ^[1-9][0-9]*$ ]] || die "bad --draws '$draws'"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# The recording of each utterance with features, and the recordings in the order of
# their first utterance.
nutts=$(wc -l < $feats)
if [ -f $data/utt2uniq ]; then
  utils/filter_scp.pl $feats $data/utt2uniq > $tmp/utt2uniq
  n=$(wc -l < $tmp/utt2uniq)
  [ $n -eq $nutts ] || die "$data/utt2uniq has $n of the $nutts utterances of $feats"
  counted="$data/utt2uniq has"
else
  awk '{ print $1, $1 }' $feats > $tmp/utt2uniq
  counted="$feats (no utt2uniq: one recording per utterance) has"
fi
awk '!seen[$2]++ { print $2 }' $tmp/utt2uniq > $tmp/recordings
total=$(wc -l < $tmp/recordings)
for n in $shots; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "bad shot count '$n'"
  [ $n -le $total ] || die "$n recordings asked for, $counted $total ($nutts utterances with features)"
done

mkdir -p $dir || exit 1
for d in $(seq $draws); do
  # A seeded Fisher-Yates shuffle (same order on every machine: perl's own generator).
  perl -e 'srand($ARGV[0]); my @u = <STDIN>;
           for (my $i = $#u; $i > 0; $i--) { my $j = int(rand($i + 1)); @u[$i, $j] = @u[$j, $i]; }
           print @u;' $((seed * 1000 + d)) < $tmp/recordings > $dir/order_$d
  for n in $shots; do
    head -n $n $dir/order_$d > $tmp/chosen
    utils/filter_scp.pl -f 2 $tmp/chosen $tmp/utt2uniq | cut -d' ' -f1 | sort > $dir/${n}_$d.list
  done
done
echo "$prog: $draws draws of $shots recordings (every copy of each) from $data in $dir" >&2
