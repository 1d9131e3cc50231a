#!/usr/bin/env bash
# Writes the RESULTS of a run to stdout: the error rate per target language x
# initialisation x shot count (mean and standard deviation over the draws, from
# exp/adapt/<init>/<lang>/<N>_<d>/wer), the average over languages, whether the run meets
# the recipe's targets, the time each stage and each training took, and the command.
# Fails naming the first missing cell.
unit=phone
inits="scratch multitask fomaml maml reptile maml-lslr"
shots="5 10 20 50 100"
draws=3
cmdline="./run.sh"
adapt_conf=conf/adapt.conf
decode_conf=conf/decode.conf
adapt_lr=0.05
train_opts=
adapt_dir=            # the adaptation results [<exp>/adapt]
target_shots=20       # meta-learned < multitask < scratch at this many utterances
reference_shots=100   # and meta-learned at target_shots <= scratch at this many
help_message="Usage: local/make_results.sh [options] <data> <exp> > RESULTS
  --unit phone|char --inits '<names>' --shots '<N ...>' --draws D --cmdline '<command>'
  --adapt-conf FILE --decode-conf FILE --adapt-lr R --train-opts '<opts>'   the setup
  --adapt-dir DIR                        the adaptation results [<exp>/adapt]
  --target-shots N --reference-shots M   targets: meta < multitask < scratch at N
                                         utterances, meta at N <= scratch at M [$target_shots, $reference_shots]
e.g.: local/make_results.sh --inits 'scratch maml' data exp > RESULTS"
[ -f ./path.sh ] && . ./path.sh
. utils/parse_options.sh || exit 1
[ $# -eq 2 ] || { echo "$help_message" >&2; exit 1; }
data=$1 exp=$2
[ -n "$adapt_dir" ] || adapt_dir=$exp/adapt
langs=$(ls -d $data/*/adapt 2>/dev/null | awk -F/ '{print $(NF-1)}' | sort | tr '\n' ' ')
[ -n "$langs" ] || { echo "make_results.sh: ERROR: no target languages in $data" >&2; exit 1; }

UNIT=$unit INITS="$inits" SHOTS="$shots" DRAWS=$draws LANGS="$langs" ADAPT=$adapt_dir \
CMDLINE="$cmdline" TSHOTS=$target_shots RSHOTS=$reference_shots perl -e '
use strict; use warnings;
my ($adapt, $draws) = ($ENV{ADAPT}, $ENV{DRAWS});
my @inits = split " ", $ENV{INITS};
my @shots = split " ", $ENV{SHOTS};
my @langs = split " ", $ENV{LANGS};
my $what = $ENV{UNIT} eq "char" ? "Character" : "Phone";
my (%mean, %sd, %pooled);
for my $l (@langs) { for my $i (@inits) { for my $n (@shots) {
  my @v;
  for my $d (1 .. $draws) {
    my $f = "$adapt/$i/$l/${n}_$d/wer";
    open(my $fh, "<", $f) or die "make_results.sh: ERROR: missing result $f (language $l, $i, $n utterances, draw $d)\n";
    my ($w) = map { /^%WER\s+([\d.]+|nan|inf)/i ? $1 : () } <$fh>;
    defined $w or die "make_results.sh: ERROR: no %WER line in $f\n";
    push @v, $w;
  }
  my $m = 0; $m += $_ / @v for @v;
  my $s = 0; if (@v > 1) { $s += ($_ - $m) ** 2 for @v; $s = sqrt($s / (@v - 1)); }
  $mean{$l}{$i}{$n} = $m; $sd{$l}{$i}{$n} = $s;
  push @{$pooled{$i}{$n}}, $m;
}}}
my $w = 6; for (@inits) { $w = length if length > $w; }
sub table_head { sprintf("%-6s %-${w}s", @_) . join("", map { sprintf " %13s", "N=$_" } @shots) . "\n"; }
print "# $what error rate (%) on each target language'"'"'s test set after fast-adapt to N of its\n";
print "# utterances, mean +- standard deviation over $draws random draws of the N utterances.\n";
print "# Initialisations: scratch (random), multitask (pooled training on the source\n";
print "# languages) and meta-learned ones (conf/meta/<name>.conf).\n\n";
print table_head("lang", "init");
for my $l (@langs, "mean") { for my $i (@inits) {
  my $row = sprintf("%-6s %-${w}s", $l, $i);
  for my $n (@shots) {
    if ($l eq "mean") { my $m = 0; $m += $_ / @langs for @{$pooled{$i}{$n}}; $mean{mean}{$i}{$n} = $m;
                        $row .= sprintf " %13.1f", $m; }
    else { $row .= sprintf " %13s", sprintf("%.1f +- %.1f", $mean{$l}{$i}{$n}, $sd{$l}{$i}{$n}); }
  }
  print "$row\n";
} print "\n"; }

# The targets the toolkit exists for.
my ($t, $r) = ($ENV{TSHOTS}, $ENV{RSHOTS});
my %has = map { $_ => 1 } @inits;
my @meta = grep { $_ ne "scratch" && $_ ne "multitask" } @inits;
if ($has{scratch} && $has{multitask} && @meta && grep({ $_ == $t } @shots)) {
  print "# Targets, per language: with $t utterances every meta-learned initialisation beats\n";
  print "# multitask, multitask beats scratch; meta-learned with $t matches scratch with $r.\n";
  my $all = 1;
  for my $l (@langs) {
    my $e = $mean{$l}; my @bad;
    for my $i (@meta) { push @bad, sprintf("%s %.1f >= multitask %.1f", $i, $e->{$i}{$t}, $e->{multitask}{$t})
                          unless $e->{$i}{$t} < $e->{multitask}{$t}; }
    push @bad, sprintf("multitask %.1f >= scratch %.1f", $e->{multitask}{$t}, $e->{scratch}{$t})
      unless $e->{multitask}{$t} < $e->{scratch}{$t};
    if (grep { $_ == $r } @shots) {
      for my $i (@meta) { push @bad, sprintf("%s\@%d %.1f > scratch\@%d %.1f", $i, $t, $e->{$i}{$t}, $r, $e->{scratch}{$r})
                            unless $e->{$i}{$t} <= $e->{scratch}{$r}; }
    }
    $all &&= !@bad;
    printf "%-6s %s\n", $l, @bad ? "NOT MET: " . join("; ", @bad) : "met";
  }
  print "all    " . ($all ? "met" : "NOT MET") . "\n\n";
}
' || exit 1

echo "# Setup: every trained initialisation starts from the random model (exp/init/0.mdl)"
if [ -s $exp/pretrain/final.mdl ]; then
  echo "# after $(sed -n 's/.*--iterations=\([0-9]*\) exp\/init.*/\1/p' $exp/pretrain/log/train.log | head -n 1) multitask iterations (exp/pretrain), then runs its own:"
else
  echo "# and runs:"
fi
for i in $inits; do
  if [ $i = scratch ]; then echo "#   scratch    the random model, no training"; continue; fi
  printf "#   %-10s %s\n" $i "$(grep -v '^#' conf/meta/$i.conf 2>/dev/null | tr '\n' ' ')"
done
[ -n "$train_opts" ] && echo "# and, for all of them: $train_opts"
echo "# Adaptation (every initialisation): fast-adapt $(grep -v '^#' $adapt_conf | tr '\n' ' ')and --lr=$adapt_lr"
echo "# unless the model has learned inner rates; decoding: decode $(grep -v '^#' $decode_conf | tr '\n' ' ')"
echo
echo "# Time per stage (seconds), of the last run of each stage"
[ -f $exp/stage_times ] && awk '{ printf "stage %-2s %-10s %6d\n", $1, $2, $3 }' $exp/stage_times
for i in pretrain $inits; do
  [ -f $exp/$i/train_time ] && awk '{ printf "train    %-10s %6d\n", $1, $2 }' $exp/$i/train_time
done
echo
[ -f $exp/init/info.txt ] && awk '/^num-params/ { p = $2 } /^layer/ { sub(/^layer [0-9]+: /, ""); sub(/ in-dim.*/, ""); l = l (l ? ", " : "") $0 }
  END { printf "# Model: %s (%d parameters)\n", l, p }' $exp/init/info.txt
echo "# Produced by (cd egs/multilang/s5 and, in turn):"
if [ -s $exp/cmdlines ]; then sed 's/^/#   /' $exp/cmdlines; else echo "#   $cmdline"; fi
echo "# Finished on $(date -u '+%F %H:%M UTC') on $(nproc) cores."
