#!/usr/bin/env bash
# Chooses settings on the dev targets, never on the test ones: adapts trained
# initialisations to the dev targets' draws with each adaptation rate of --lrs, and
# prints each (model, rate)'s mean error rate over dev targets x training seeds x draws
# for each shot count, with its standard deviation, then the best rate.
#
# The models are run.sh's (exp/<init>/s<seed>/final.mdl, after stage 6) and variants of
# them: --variants "maml:--inner-steps=1" trains conf/meta/maml.conf with that meta-train
# option as stage 6 trains (local/train_inits.sh: the same start, exp/pretrain/s<seed>,
# and budget of gradient evaluations; the same settings, or it stops), into
# <dir>/models/maml--inner-steps=1/s<seed>. Each rate adapts as stage 7 does
# (local/adapt_all.sh, into <dir>/lr<rate>), so the dev cells of a tuning and of the run
# agree. Every result stays in <dir>; rerunning skips cells already scored.
targets="af bg"       # dev targets (never the test ones)
inits="multitask reptile-sq-mb2"
variants=             # <init>:<meta-train option>[,<option>...] ...
lrs=0.05
shots="5 10 20"
draws=2
train_seeds="1 2 3"
test_recs=50
seed=1
nj=2
num_threads=2
unit=phone
pretrain_iters=500
train_budget=30000
support=10
query=10
task_key=lang
train_opts=           # more meta-train options for every variant (as run.sh's)
adapt_conf=conf/adapt.conf
decode_conf=conf/decode.conf
help_message="Usage: local/tune_dev.sh [options] <data> <exp> <dir>
Adapts the trained initialisations (and --variants, trained here) to the dev targets with
each rate of --lrs; prints the mean dev error rate of each and the best rate.
  --targets '<codes>'        dev targets, data/<code>/{adapt,test} [$targets]
  --inits '<names>'          run.sh's trained initialisations, <exp>/<init>/s<seed> [$inits]
  --variants '<init>:<opts> ...'   also these, trained from <exp>/pretrain/s<seed> with the
                             meta-train options (comma-separated; a value may be a list, as in
                             --adapt-layers=2,4) added to conf/meta/<init>.conf
  --lrs '<rates>'            adaptation rates (fast-adapt --lr) [$lrs]
  --shots '<N ...>' --draws D --train-seeds '<seeds>' --test-recs N --seed N   [$shots; $draws;
                             $train_seeds; $test_recs; $seed]: as run.sh's
  --pretrain-iters N --train-budget N --support S --query Q --task-key KEY --train-opts '<opts>'
                             the variants' training (local/train_inits.sh), as run.sh's
                             [$pretrain_iters, $train_budget, $support, $query, $task_key]
  --nj N --num-threads N --unit phone|char --adapt-conf FILE --decode-conf FILE
e.g.: local/tune_dev.sh --lrs '0.02 0.05 0.1' data exp exp/tune
      local/tune_dev.sh --inits '' --variants 'maml:--inner-steps=1 maml:--inner-steps=5' data exp exp/tune"
. ./cmd.sh || exit 1
. ./path.sh || exit 1
. utils/parse_options.sh || exit 1
[ $# -eq 3 ] || { echo "$help_message" >&2; exit 1; }
data=$1 exp=$2 dir=$3
prog=tune_dev.sh
set -e -o pipefail
die() { echo "$prog: ERROR: $*" >&2; exit 1; }
[ -n "$targets" ] || die "no --targets"
[ -n "$inits$variants" ] || die "nothing to tune: no --inits and no --variants"
for l in $targets; do [ -s $data/$l/adapt/feats_cmvn.scp ] || die "no dev target $data/$l/adapt (run stages 1-3)"; done
mkdir -p $dir/models $dir/log

# The models: run.sh's initialisations (linked) and the variants (trained here).
names=
for i in $inits; do
  for ts in $train_seeds; do [ -s $exp/$i/s$ts/final.mdl ] || die "no $exp/$i/s$ts/final.mdl (run stage 6)"; done
  ln -sfn "$(cd $exp/$i && pwd)" $dir/models/$i
  names="$names $i"
done
for v in $variants; do [[ $v == *:?* ]] || die "bad variant '$v' (expected <init>:<options>)"; done
if [ -n "$variants" ]; then
  local/train_inits.sh --cmd "$train_cmd" --inits "$variants" --train-seeds "$train_seeds" \
    --pretrain-iters $pretrain_iters --train-budget $train_budget --train-opts "$train_opts" \
    --support $support --query $query --task-key $task_key --unit $unit --num-threads $num_threads \
    --models $dir/models $data $exp
  for v in $variants; do names="$names ${v%%:*}${v#*:}"; done
fi

# Every model adapted with every rate: stage 7's draws and test lists, in one adapt
# directory per rate.
for r in $lrs; do
  local/adapt_all.sh --cmd "$cmd" --nj $nj --inits "$names" --train-seeds "$train_seeds" \
    --targets "$targets" --shots "$shots" --draws $draws --test-recs $test_recs --seed $seed \
    --unit $unit --adapt-conf $adapt_conf --adapt-lr $r --decode-conf $decode_conf $data $dir/models $dir/lr$r
done

# The table: rate, model, mean (sd) per shot count and over all shot counts.
LRS="$lrs" NAMES="$names" SHOTS="$shots" SEEDS="$train_seeds" TARGETS="$targets" DRAWS=$draws \
DIR=$dir perl -e '
use strict; use warnings;
my @shots = split " ", $ENV{SHOTS};
sub er { my $f = shift; open(my $h, "<", $f) or die "tune_dev.sh: ERROR: no $f\n";
  while (<$h>) { return $1 if /^%WER\s+(\S+)/; } die "tune_dev.sh: ERROR: no %WER line in $f\n"; }
sub ms { my $n = @_; my $m = 0; $m += $_ / $n for @_; my $v = 0; $v += ($_ - $m) ** 2 for @_;
  return sprintf("%.1f (%.1f)", $m, $n > 1 ? sqrt($v / ($n - 1)) : 0), $m; }
printf "%-6s %-28s %s %s\n", "rate", "model", join(" ", map { sprintf "%-11s", "N=$_" } @shots), "all";
my ($best, $bestr) = (1e9, "");
my %byrate;
for my $r (split " ", $ENV{LRS}) {
  for my $n (split " ", $ENV{NAMES}) {
    my (@row, @all);
    for my $s (@shots) {
      my @v = map { my $ts = $_; map { my $l = $_; map { er("$ENV{DIR}/lr$r/$n/s$ts/$l/${s}_$_/wer") }
        1 .. $ENV{DRAWS} } split " ", $ENV{TARGETS} } split " ", $ENV{SEEDS};
      push @row, sprintf "%-11s", (ms(@v))[0]; push @all, @v;
    }
    my ($txt, $m) = ms(@all);
    push @{$byrate{$r}}, @all;
    printf "%-6s %-28s %s %s\n", $r, $n, join(" ", @row), $txt;
  }
}
for my $r (split " ", $ENV{LRS}) { my $m = (ms(@{$byrate{$r}}))[1]; ($best, $bestr) = ($m, $r) if $m < $best; }
printf "best rate over every model, dev target, seed, draw and shot count: %s (mean %.1f)\n", $bestr, $best;
'
