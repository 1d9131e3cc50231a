#!/usr/bin/env bash
# Draws the adaptation utterances: for draw d (1..D) a random order of the utterances of
# <data-dir> (seeded by --seed and d), and for each shot count N its first N utterances,
# written to <out-dir>/<N>_<d>.list (one utterance id a line, sorted). Sets are nested:
# the N=5 set of a draw is inside its N=10 set, so shot counts are compared on the same
# utterances.
seed=1
draws=3
shots="5 10 20 50 100"
help_message="Usage: local/make_draws.sh [--seed N] [--draws D] [--shots '5 10 20'] <data-dir> <out-dir>
e.g.: local/make_draws.sh --draws 3 data/ca/adapt exp/adapt/draws/ca"
[ -f ./path.sh ] && . ./path.sh
. utils/parse_options.sh || exit 1
[ $# -eq 2 ] || { echo "$help_message" >&2; exit 1; }
data=$1 dir=$2
prog=make_draws.sh
[ -s $data/feats_cmvn.scp ] || { echo "$prog: ERROR: no $data/feats_cmvn.scp (run the features stage)" >&2; exit 1; }
[[ "$draws" =~ ^[1-9][0-9]*$ ]] || { echo "$prog: ERROR: bad --draws '$draws'" >&2; exit 1; }
total=$(wc -l < $data/feats_cmvn.scp)
for n in $shots; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "$prog: ERROR: bad shot count '$n'" >&2; exit 1; }
  [ $n -le $total ] || { echo "$prog: ERROR: $n adaptation utterances asked for, $data has $total" >&2; exit 1; }
done
mkdir -p $dir || exit 1
for d in $(seq $draws); do
  # A seeded Fisher-Yates shuffle (same order on every machine: perl's own generator).
  awk '{ print $1 }' $data/feats_cmvn.scp |
    perl -e 'srand($ARGV[0]); my @u = <STDIN>;
             for (my $i = $#u; $i > 0; $i--) { my $j = int(rand($i + 1)); @u[$i, $j] = @u[$j, $i]; }
             print @u;' $((seed * 1000 + d)) > $dir/order_$d
  for n in $shots; do head -n $n $dir/order_$d | sort > $dir/${n}_$d.list; done
done
echo "$prog: $draws draws of $shots utterances from $data in $dir" >&2
