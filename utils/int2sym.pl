#!/usr/bin/env perl
# Maps integers to symbols with a symbol table ("symbol integer" lines), Kaldi style.
use strict; use warnings;
my $usage = "Usage: int2sym.pl [--map-oov <sym>] [-f <fields>] <symtab> [<input>] > output\n" .
  "Replaces the integers in fields <fields> (e.g. 2-, 1-3, 2,4; default all) of each line by\n" .
  "their symbols in <symtab>. An unknown integer is an error unless --map-oov names a symbol\n" .
  "to use instead.\ne.g.: int2sym.pl -f 2- data/lang_phone/units.txt hyp.int > hyp.txt\n";
my ($oov, $fields) = (undef, "1-");
while (@ARGV && $ARGV[0] =~ /^-./) {
  my $o = shift @ARGV;
  if ($o eq "--map-oov") { $oov = shift @ARGV; die $usage unless defined $oov; }
  elsif ($o eq "-f") { $fields = shift @ARGV; die $usage unless defined $fields; }
  else { die "int2sym.pl: ERROR: unknown option $o\n$usage"; }
}
die $usage if @ARGV < 1 || @ARGV > 2;
my @ranges;
for my $r (split /,/, $fields) {
  if ($r =~ /^(\d+)$/) { push @ranges, [$1, $1]; }
  elsif ($r =~ /^(\d*)-(\d*)$/) { push @ranges, [$1 eq "" ? 1 : $1, $2 eq "" ? 1e9 : $2]; }
  else { die "int2sym.pl: ERROR: bad field specification '$fields'\n$usage"; }
}
my $symtab = shift @ARGV;
open(my $fh, '<', $symtab) or die "int2sym.pl: ERROR: cannot open symbol table $symtab: $!\n";
my (%map, %sym);
while (<$fh>) {
  my @f = split;
  next unless @f;
  die "int2sym.pl: ERROR: $symtab line $.: expected 'symbol integer', got: $_" if @f != 2 || $f[1] !~ /^-?\d+$/;
  die "int2sym.pl: ERROR: $symtab line $.: integer $f[1] appears twice\n" if exists $map{$f[1]};
  $map{$f[1]} = $f[0];
  $sym{$f[0]} = 1;
}
close $fh;
die "int2sym.pl: ERROR: --map-oov symbol '$oov' is not in $symtab\n" if defined $oov && !exists $sym{$oov};
my $name = @ARGV ? $ARGV[0] : "stdin";
if (@ARGV) { open(STDIN, '<', $ARGV[0]) or die "int2sym.pl: ERROR: cannot open $ARGV[0]: $!\n"; }
my $num_oov = 0;
while (<STDIN>) {
  my @f = split;
  for my $i (0 .. $#f) {
    my $n = $i + 1;
    next unless grep { $n >= $_->[0] && $n <= $_->[1] } @ranges;
    if (exists $map{$f[$i]}) { $f[$i] = $map{$f[$i]}; }
    elsif (defined $oov) { $f[$i] = $oov; $num_oov++; }
    else { die "int2sym.pl: ERROR: $name line $.: integer '$f[$i]' is not in $symtab\n"; }
  }
  print join(" ", @f), "\n";
}
print STDERR "int2sym.pl: replaced $num_oov unknown symbols by $oov\n" if $num_oov;
