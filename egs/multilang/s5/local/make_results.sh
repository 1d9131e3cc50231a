#!/usr/bin/env bash
# Writes the RESULTS of a run to stdout, from <adapt-dir>/<init>/s<seed>/<target>/<cell>/
# {wer,steps,hyp.txt} (local/adapt_decode.sh): per test target (a language, or a held-out
# dialect, speaker, condition ... of an axis), initialisation and shot count (N=0: no
# adaptation) the error rate's mean and standard deviation over training seeds x draws,
# and whether it differs from multitask's at 95% (compute-wer-bootci on the same test
# utterances, every seed and draw pooled); the mean over the test targets; the goals;
# the adaptation steps each cell took; the dev targets' table (where settings are chosen); each initialisation's compute; the exact setup; the time
# of each stage and the commands. Fails naming the first missing cell.
unit=phone
inits="multitask reptile-sq-mb2"
shots="5 10 20 100"
draws=2
train_seeds="1 2 3"
dev_targets=
test_targets=
what=languages        # what a target is, plural (languages, dialects, speakers ...)
label=lang            # the targets' column heading
replications=1000
train_budget=
cmdline="./run.sh"
adapt_conf=conf/adapt.conf
decode_conf=conf/decode.conf
adapt_lr=0.05
adapt_dir=            # the adaptation results [<exp>/adapt]
help_message="Usage: local/make_results.sh [options] <data> <exp> > RESULTS
  --unit phone|char --inits '<names>' --shots '<N ...>' --draws D --train-seeds '<seeds>'
  --dev-targets '<targets>' --test-targets '<targets>'   held-out targets (tuning, reported):
                                 languages, or an axis's dialects, speakers, conditions ...
  --what '<plural>' --label '<heading>'   what the targets are [$what, $label]
  --replications N                               bootstrap replications [$replications]
  --train-budget N --adapt-conf FILE --decode-conf FILE --adapt-lr R --cmdline '<command>'
  --adapt-dir DIR                                the adaptation results [<exp>/adapt]
e.g.: local/make_results.sh --test-targets 'ca is' --dev-targets af data exp > RESULTS"
[ -f ./path.sh ] && . ./path.sh
. utils/parse_options.sh || exit 1
[ $# -eq 2 ] || { echo "$help_message" >&2; exit 1; }
data=$1 exp=$2
[ -n "$adapt_dir" ] || adapt_dir=$exp/adapt
[ -n "$test_targets" ] || { echo "make_results.sh: ERROR: no --test-targets" >&2; exit 1; }

UNIT=$unit INITS="$inits" SHOTS="$shots" DRAWS=$draws SEEDS="$train_seeds" DEV="$dev_targets" \
TEST="$test_targets" WHAT="$what" LABEL="$label" ADAPT=$adapt_dir REPS=$replications perl -e '
use strict; use warnings;
my ($adapt, $draws, $reps) = ($ENV{ADAPT}, $ENV{DRAWS}, $ENV{REPS});
my @inits = split " ", $ENV{INITS};
my @shots = (0, split " ", $ENV{SHOTS});
my @seeds = split " ", $ENV{SEEDS};
my @test = split " ", $ENV{TEST};
my @dev = split " ", $ENV{DEV};
my $what = $ENV{UNIT} eq "char" ? "Character" : "Phone";
my ($targets, $label) = ($ENV{WHAT}, $ENV{LABEL});
(my $target = $targets) =~ s/s$//;
my $lw = 6; for (@test, @dev, $label) { $lw = length if length > $lw; }
my $tmp = "$adapt/bootci"; mkdir $tmp;

# The cells of (init, lang, N): one per seed and draw (one per seed at N=0).
sub cells { my ($i, $l, $n) = @_;
  map { my $s = $_; map { "$adapt/$i/s$s/$l/" . ($n ? "${n}_$_" : "0") } ($n ? 1 .. $draws : 1) } @seeds; }
sub read1 { my ($f, $re) = @_;
  open(my $fh, "<", $f) or die "make_results.sh: ERROR: missing result $f\n";
  my ($v) = map { /$re/ ? $1 : () } <$fh>;
  defined $v or die "make_results.sh: ERROR: nothing to read in $f\n"; $v; }
my (%m, %sd, %steps, %sig);
sub stats { my $m = 0; $m += $_ / @_ for @_; my $s = 0;
  if (@_ > 1) { $s += ($_ - $m) ** 2 for @_; $s = sqrt($s / (@_ - 1)); } ($m, $s); }
for my $l (@test, @dev) { for my $i (@inits) { for my $n (@shots) {
  my @c = cells($i, $l, $n);
  ($m{$l}{$i}{$n}, $sd{$l}{$i}{$n}) = stats(map { read1("$_/wer", qr/^%WER\s+([\d.]+|nan|inf)/i) } @c);
  $steps{$i}{$n} += $_ / (@c * (@test + @dev)) for map { read1("$_/steps", qr/^(\d+)/) } @c;
}}}
# Pooled hypotheses of (init, langs, N) over seeds and draws, keys prefixed by the cell,
# and the matching references: what compute-wer-bootci compares.
sub pooled { my ($i, $langs, $n, $f) = @_;
  open(my $h, ">", "$f.hyp") or die; open(my $r, ">", "$f.ref") or die;
  for my $l (@$langs) { for my $c (cells($i, $l, $n)) {
    (my $p = $c) =~ s{^\Q$adapt\E/[^/]+/}{}; $p =~ tr{/}{_};
    open(my $t, "<", "$adapt/test/$l/text") or die "make_results.sh: ERROR: no $adapt/test/$l/text\n";
    print $r "$p-$_" while <$t>;
    open(my $y, "<", "$c/hyp.txt") or die "make_results.sh: ERROR: no $c/hyp.txt\n";
    print $h "$p-$_" while <$y>;
  }}
}
# 1 / -1: init is better / worse than multitask at 95%; 0: not significant; then the
# pooled error rates and intervals of multitask and init (intervals below). Each direction
# is the bootstrap probability that one system has fewer errors than the other (ties count
# for neither), so identical systems are not significant either way.
sub bootci { my ($f, $x, $y) = @_;
  my $out = `compute-wer-bootci --mode=strict --replications=$reps ark:$f.a.ref ark:$f.$x.hyp ark:$f.$y.hyp 2>$f.log`;
  $? == 0 or die "make_results.sh: ERROR: compute-wer-bootci failed (see $f.log)\n";
  my ($p) = $out =~ /Probability of Set2 improving Set1:\s+([\d.]+)/
    or die "make_results.sh: ERROR: no probability of improvement in compute-wer-bootci output ($f.log)\n";
  ($p, $out); }
# The pooled error rate of each set and its 95% bootstrap interval, "29.88 [28.88, 30.88]".
sub intervals { my @ci = $_[0] =~ /Set[12]: %WER\s+([\d.]+)\s+95% Conf Interval \[\s*([\d.]+),\s*([\d.]+)\s*\]/g;
  map { sprintf("%.1f [%.1f, %.1f]", @ci[3 * $_ .. 3 * $_ + 2]) } 0 .. @ci / 3 - 1; }
my %pooled;   # init -> N -> pooled error rate and interval over all test targets
sub significance { my ($i, $langs, $n) = @_;
  my $f = "$tmp/" . join("+", @$langs) . ".$n";
  pooled("multitask", $langs, $n, "$f.a"); pooled($i, $langs, $n, "$f.b");
  # The references of both sets are the same texts under the same keys.
  system("cmp -s $f.a.ref $f.b.ref") == 0 or die "make_results.sh: ERROR: $f: different references\n";
  my ($p, $out) = bootci($f, "a", "b");
  my @ci = intervals($out);
  return (1, @ci) if $p >= 95;
  return ((bootci($f, "b", "a"))[0] >= 95 ? -1 : 0, @ci);
}
my $has_mt = grep { $_ eq "multitask" } @inits;
my @meta = grep { $_ ne "scratch" && $_ ne "multitask" } @inits;
my $w = 9; for (@inits) { $w = length if length > $w; }
sub head { sprintf("%-${lw}s %-${w}s", @_) . join("", map { sprintf " %14s", "N=$_" } @shots) . "\n"; }
sub cell { my ($m, $s, $g) = @_; sprintf " %14s", sprintf("%.1f +- %.1f", $m, $s) . ($g > 0 ? "+" : $g < 0 ? "-" : " "); }
sub table { my ($langs, $with_sig) = @_;
  my $out = head($label, "init");
  for my $l (@$langs, "mean") { for my $i (@inits) {
    my $row = sprintf("%-${lw}s %-${w}s", $l, $i);
    for my $n (@shots) {
      my ($g, @ci) = $with_sig && $has_mt && $i ne "multitask" ? significance($i, $l eq "mean" ? $langs : [$l], $n) : (0);
      ($pooled{multitask}{$n}, $pooled{$i}{$n}) = @ci if $l eq "mean" && @ci;
      $sig{$l}{$i}{$n} = $g if $with_sig;
      if ($l eq "mean") {
        my @v = map { $m{$_}{$i}{$n} } @$langs; my ($mm) = stats(@v);
        $m{mean}{$i}{$n} = $mm if $with_sig;
        $row .= sprintf " %14s", sprintf("%.1f", $mm) . ($g > 0 ? "+" : $g < 0 ? "-" : " ");
      } else { $row .= cell($m{$l}{$i}{$n}, $sd{$l}{$i}{$n}, $g); }
    }
    $out .= "$row\n";
  } $out .= "\n"; }
  $out;
}
my $nrep = @seeds * $draws;
print "# $what error rate (%) on the test $targets (@test): each ${target}'"'"'s test set after\n";
print "# fast-adapt to N recordings of its adaptation set (N=0: the model as trained), mean +-\n";
print "# standard deviation over ", scalar(@seeds), " training seeds x $draws draws of the recordings ($nrep runs; N=0: seeds).\n";
print "# + / -: better / worse than multitask at 95% (compute-wer-bootci, $reps replications, on\n";
print "# the same test utterances of every seed and draw pooled).\n\n";
print table(\@test, 1);
if (%pooled) {
  print "# Pooled over the test $targets (every seed and draw): error rate with its 95% bootstrap\n";
  print "# interval (compute-wer-bootci; the mean rows above weigh each $target alike).\n";
  my @pi = grep { $pooled{$_} } @inits;
  print sprintf("%-6s", "N") . join("", map { sprintf " %-20s", $_ } @pi) . "\n";
  for my $n (@shots) { print sprintf("%-6s", "N=$n") . join("", map { sprintf " %-20s", $pooled{$_}{$n} } @pi) . "\n"; }
  print "\n";
}

if ($has_mt && @meta) {
  print "# Targets (test $targets): at N=10 and N=20 a meta-learned initialisation at least 10%\n";
  print "# relative below multitask on every $target, significant at 95%; none worse than\n";
  print "# multitask at N=100 (significant).\n";
  my $all = 1;
  my @tn = grep { $_ == 10 || $_ == 20 } @shots;
  $all = 0 unless @tn;
  print "not measured: no N=10 or N=20 in this run\n" unless @tn;
  for my $n (@tn) {
    for my $l (@test) {
      my ($best) = sort { $m{$l}{$a}{$n} <=> $m{$l}{$b}{$n} } @meta;
      my $rel = $m{$l}{multitask}{$n} > 0 ? 100 * (1 - $m{$l}{$best}{$n} / $m{$l}{multitask}{$n}) : 0;
      my $ok = $rel >= 10 && $sig{$l}{$best}{$n} > 0; $all &&= $ok;
      printf "N=%-4d %-${lw}s %s: best %s %.1f vs multitask %.1f (%.1f%% relative%s)\n", $n, $l,
        $ok ? "met" : "NOT MET", $best, $m{$l}{$best}{$n}, $m{$l}{multitask}{$n}, $rel,
        $sig{$l}{$best}{$n} > 0 ? ", significantly better" : $sig{$l}{$best}{$n} < 0 ? ", significantly worse" : ", not significant";
    }
  }
  if (grep { $_ == 100 } @shots) {
    for my $i (@meta) { for my $l (@test) {
      next unless $sig{$l}{$i}{100} < 0; $all = 0;
      printf "N=100  %-${lw}s NOT MET: %s %.1f is worse than multitask %.1f\n", $l, $i, $m{$l}{$i}{100}, $m{$l}{multitask}{100};
    }}
  }
  print "all    ", ($all ? "met" : "NOT MET"), "\n\n";
}

print "# Adaptation steps each cell kept (mean over $targets, seeds and draws; early stopping\n";
print "# keeps the step with the best held-out loss)\n";
print sprintf("%-${w}s", "init") . join("", map { sprintf " %8s", "N=$_" } @shots) . "\n";
for my $i (@inits) { print sprintf("%-${w}s", $i) . join("", map { sprintf " %8.1f", $steps{$i}{$_} } @shots) . "\n"; }
print "\n";
if (@dev) {
  print "# Dev $targets (@dev): where settings are chosen; not a result.\n";
  print table(\@dev, 0);
}
' || exit 1

echo "# Compute of each initialisation (per training seed; mean seconds over the seeds on this"
echo "# machine). Gradient evaluations are utterance forward+backward passes (local/step_cost.sh)."
printf "# %-15s %10s %12s %14s %10s\n" init iterations "evals/iter" "evaluations" seconds
for i in pretrain $inits; do
  [ $i = scratch ] && { printf "# %-15s %10s %12s %14s %10s\n" scratch 0 0 0 0; continue; }
  cat $exp/$i/s*/train_time 2>/dev/null | awk -v i=$i '
    { t += $2; n++; it = $3; c = $4 }
    END { if (n) printf "# %-15s %10d %12d %14d %10.0f\n", i, it, c, it * c, t / n }'
done
[ -n "$train_budget" ] && echo "# (every initialisation but scratch: pretrain, then --train-budget=$train_budget evaluations)"
echo
echo "# Setup: the commands each initialisation was trained with (training seed s; the first"
echo "# seed's command, from its log):"
for i in pretrain $inits; do
  if [ $i = scratch ]; then echo "#   scratch: the random model (nnet-init --seed=s), no training"; continue; fi
  log=$(ls $exp/$i/s*/log/train.log 2>/dev/null | head -n 1)
  [ -n "$log" ] || continue
  echo "#   $i: $(sed -n '1s/^# //p' $log | sed 's/--seed=[0-9]*/--seed=s/; s/\/s[0-9]*\//\/s\//g')"
done
echo "# Adaptation (every initialisation): fast-adapt $(grep -v '^#' $adapt_conf | tr '\n' ' ')and --lr=$adapt_lr"
echo "# unless the model has learned inner rates; decoding: decode $(grep -v '^#' $decode_conf | tr '\n' ' ')"
echo
echo "# Time per stage (seconds), of the last run of each stage that did work"
[ -f $exp/stage_times ] && awk '{ printf "stage %-2s %-10s %6d\n", $1, $2, $3 }' $exp/stage_times
echo
[ -f $exp/init/info.txt ] && awk '/^num-params/ { p = $2 } /^layer/ { sub(/^layer [0-9]+: /, ""); sub(/ in-dim.*/, ""); l = l (l ? ", " : "") $0 }
  END { printf "# Model: %s (%d parameters)\n", l, p }' $exp/init/info.txt
echo "# Produced by (cd ${PWD#$TOPDIR/} and, in turn):"
if [ -s $exp/cmdlines ]; then sed 's/^/#   /' $exp/cmdlines; else echo "#   $cmdline"; fi
echo "# Finished on $(date -u '+%F %H:%M UTC') on $(nproc) cores."
