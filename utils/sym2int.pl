#!/usr/bin/env perl
# Maps symbols to integers with a symbol table ("symbol integer" lines), Kaldi style.
use strict; use warnings;
my $usage = "Usage: sym2int.pl [--map-oov <sym>] [-f <fields>] <symtab> [<input>] > output\n" .
  "Replaces the symbols in fields <fields> (e.g. 2-, 1-3, 2,4; default all) of each line by\n" .
  "their integers in <symtab>. An unknown symbol is an error unless --map-oov names a symbol\n" .
  "to use instead.\ne.g.: sym2int.pl -f 2- data/lang_phone/units.txt data/train/text.phone > labels.txt\n";
my ($oov, $fields) = (undef, "1-");
while (@ARGV && $ARGV[0] =~ /^-./) {
  my $o = shift @ARGV;
  if ($o eq "--map-oov") { $oov = shift @ARGV; die $usage unless defined $oov; }
  elsif ($o eq "-f") { $fields = shift @ARGV; die $usage unless defined $fields; }
  else { die "sym2int.pl: ERROR: unknown option $o\n$usage"; }
}
die $usage if @ARGV < 1 || @ARGV > 2;
my @ranges;
for my $r (split /,/, $fields) {
  if ($r =~ /^(\d+)$/) { push @ranges, [$1, $1]; }
  elsif ($r =~ /^(\d*)-(\d*)$/) { push @ranges, [$1 eq "" ? 1 : $1, $2 eq "" ? 1e9 : $2]; }
  else { die "sym2int.pl: ERROR: bad field specification '$fields'\n$usage"; }
}
my $symtab = shift @ARGV;
open(my $fh, '<', $symtab) or die "sym2int.pl: ERROR: cannot open symbol table $symtab: $!\n";
my %map;
while (<$fh>) {
  my @f = split;
  next unless @f;
  die "sym2int.pl: ERROR: $symtab line $.: expected 'symbol integer', got: $_" if @f != 2 || $f[1] !~ /^-?\d+$/;
  $map{$f[0]} = $f[1];
}
close $fh;
die "sym2int.pl: ERROR: --map-oov symbol '$oov' is not in $symtab\n" if defined $oov && !exists $map{$oov};
my $name = @ARGV ? $ARGV[0] : "stdin";
if (@ARGV) { open(STDIN, '<', $ARGV[0]) or die "sym2int.pl: ERROR: cannot open $ARGV[0]: $!\n"; }
my $num_oov = 0;
while (<STDIN>) {
  my @f = split;
  for my $i (0 .. $#f) {
    my $n = $i + 1;
    next unless grep { $n >= $_->[0] && $n <= $_->[1] } @ranges;
    if (exists $map{$f[$i]}) { $f[$i] = $map{$f[$i]}; }
    elsif (defined $oov) { $f[$i] = $map{$oov}; $num_oov++; }
    else { die "sym2int.pl: ERROR: $name line $.: symbol '$f[$i]' is not in $symtab\n"; }
  }
  print join(" ", @f), "\n";
}
print STDERR "sym2int.pl: replaced $num_oov unknown symbols by $oov\n" if $num_oov;
