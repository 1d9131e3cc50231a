#!/usr/bin/env perl
# Converts spk2utt ("spk utt1 utt2 ...") to utt2spk ("utt spk" lines).
use strict; use warnings;
my $usage = "Usage: spk2utt_to_utt2spk.pl [<spk2utt>] > utt2spk\n" .
  "Converts a spk2utt file (or stdin) to utt2spk.\ne.g.: spk2utt_to_utt2spk.pl data/train/spk2utt > data/train/utt2spk\n";
die $usage if @ARGV > 1 || (@ARGV && $ARGV[0] =~ /^-./);
my $name = @ARGV ? $ARGV[0] : "stdin";
while (<>) {
  my @f = split;
  next unless @f;
  die "spk2utt_to_utt2spk.pl: ERROR: $name line $.: speaker $f[0] has no utterances\n" if @f < 2;
  my $spk = shift @f;
  print "$_ $spk\n" for @f;
}
