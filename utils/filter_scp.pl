#!/usr/bin/env perl
# Keeps (or with --exclude drops) the lines of a file whose key is in an id list.
use strict; use warnings;
my $usage = "Usage: filter_scp.pl [--exclude] [-f <field>] <id-list> [<input>] > output\n" .
  "Prints the lines of <input> (or stdin) whose field <field> (default 1) is the first\n" .
  "field of a line of <id-list>; --exclude prints the others. Input order is kept.\n" .
  "e.g.: filter_scp.pl data/test/utt2spk data/all/wav.scp > data/test/wav.scp\n";
my ($exclude, $field) = (0, 1);
while (@ARGV && $ARGV[0] =~ /^-./) {
  my $o = shift @ARGV;
  if ($o eq "--exclude") { $exclude = 1; }
  elsif ($o eq "-f") {
    $field = shift @ARGV;
    die "filter_scp.pl: ERROR: -f needs a positive field number\n$usage" unless defined $field && $field =~ /^[1-9]\d*$/;
  } else { die "filter_scp.pl: ERROR: unknown option $o\n$usage"; }
}
die $usage if @ARGV < 1 || @ARGV > 2;
my $list = shift @ARGV;
open(my $fh, '<', $list) or die "filter_scp.pl: ERROR: cannot open id list $list: $!\n";
my %keep;
while (<$fh>) { my @f = split; $keep{$f[0]} = 1 if @f; }
close $fh;
if (@ARGV) { open(STDIN, '<', $ARGV[0]) or die "filter_scp.pl: ERROR: cannot open $ARGV[0]: $!\n"; }
while (<STDIN>) {
  my @f = split;
  my $in = @f >= $field && exists $keep{$f[$field - 1]};
  print if $in xor $exclude;
}
