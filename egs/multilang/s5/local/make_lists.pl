#!/usr/bin/env perl
# Plans the utterances of one language: speakers (espeak-ng voice variants with their own
# pitch and rate, each in one split only, dialects taken in turn), and which sentence each
# speaker says. Prints tab-separated lines:
#   data-dir utt spk lang dialect voice pitch rate wav text
# One split per --split name:data-dir:num-utts:num-speakers; sentences are used in order,
# so splits get different sentences.
use strict;
use warnings;
use Getopt::Long;
binmode(STDOUT, ':encoding(UTF-8)');
binmode(STDIN, ':encoding(UTF-8)');

my $usage = "Usage: make_lists.pl --lang <code> --dialects '<voice> ...' --sentences <file> --variants <file>\n" .
  "         --wavdir <dir> [--seed <n>] --split <name>:<data-dir>:<num-utts>:<num-speakers> ...\n" .
  "e.g.: make_lists.pl --lang ca --dialects ca --sentences s/ca.txt --variants v.txt --wavdir wav \\\n" .
  "         --split ca_adapt:data/ca/adapt:150:5 --split ca_test:data/ca/test:100:3\n";
my ($lang, $dialects, $sentences, $variants, $wavdir, $seed, @splits) = (undef, undef, undef, undef, undef, 1);
GetOptions('lang=s' => \$lang, 'dialects=s' => \$dialects, 'sentences=s' => \$sentences,
           'variants=s' => \$variants, 'wavdir=s' => \$wavdir, 'seed=i' => \$seed,
           'split=s' => \@splits) or die $usage;
die $usage if @ARGV || grep { !defined } ($lang, $dialects, $sentences, $variants, $wavdir);
die $usage unless @splits;
my @dialects = split ' ', $dialects;

open(my $fs, '<:encoding(UTF-8)', $sentences) or die "make_lists.pl: cannot open $sentences: $!\n";
chomp(my @sent = <$fs>);
close $fs;
open(my $fv, '<', $variants) or die "make_lists.pl: cannot open $variants: $!\n";
chomp(my @var = <$fv>);
close $fv;

# A seed per language, so adding a language does not change the others.
my $h = $seed;
$h = ($h * 31 + ord($_)) % 2147483647 for split //, $lang;
srand($h);
for (my $i = @var - 1; $i > 0; $i--) { my $j = int(rand($i + 1)); @var[$i, $j] = @var[$j, $i]; }

my ($next_sent, $next_var) = (0, 0);
for my $spec (@splits) {
  my ($name, $dir, $nutt, $nspk) = split /:/, $spec;
  die "make_lists.pl: bad --split '$spec'\n$usage"
    unless defined $nspk && $nutt =~ /^\d+$/ && $nspk =~ /^[1-9]\d*$/;
  $nspk = $nutt if $nspk > $nutt;
  die "make_lists.pl: $lang: $nspk more speakers wanted but only " . (@var - $next_var) .
      " voice variants are left (espeak-ng --voices=variant)\n" if $next_var + $nspk > @var;
  die "make_lists.pl: $lang: $sentences has " . scalar(@sent) . " sentences, too few for the splits\n"
    if $next_sent + $nutt > @sent;
  my @spk;
  for my $s (0 .. $nspk - 1) {
    my $v = $var[$next_var++];
    my $d = $dialects[$s % @dialects];
    (my $vid = lc $v) =~ s/[^a-z0-9]//g;
    push @spk, { id => "$d-$vid", voice => "$d+$v", dialect => $d,
                 pitch => 25 + int(rand(51)), rate => 130 + int(rand(61)), n => 0 };
  }
  for my $u (0 .. $nutt - 1) {
    my $s = $spk[$u % $nspk];
    my $utt = sprintf("%s-%04d", $s->{id}, ++$s->{n});
    print join("\t", $dir, $utt, $s->{id}, $lang, $s->{dialect}, $s->{voice}, $s->{pitch},
               $s->{rate}, "$wavdir/$name/$s->{id}/$utt.wav", $sent[$next_sent++]), "\n";
  }
}
