#!/usr/bin/env perl
# Converts utt2spk ("utt spk" lines) to spk2utt ("spk utt1 utt2 ..."), speakers in order
# of first appearance (sorted input gives sorted output).
use strict; use warnings;
my $usage = "Usage: utt2spk_to_spk2utt.pl [<utt2spk>] > spk2utt\n" .
  "Converts an utt2spk file (or stdin) to spk2utt.\ne.g.: utt2spk_to_spk2utt.pl data/train/utt2spk > data/train/spk2utt\n";
die $usage if @ARGV > 1 || (@ARGV && $ARGV[0] =~ /^-./);
my (%s2u, @order);
my $name = @ARGV ? $ARGV[0] : "stdin";
while (<>) {
  my @f = split;
  next unless @f;
  die "utt2spk_to_spk2utt.pl: ERROR: $name line $.: expected 'utt spk', got: $_" if @f != 2;
  push @order, $f[1] unless exists $s2u{$f[1]};
  push @{$s2u{$f[1]}}, $f[0];
}
print "$_ @{$s2u{$_}}\n" for @order;
