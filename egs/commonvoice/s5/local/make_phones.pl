#!/usr/bin/env perl
# Writes <data-dir>/text.phone from <data-dir>/text: espeak-ng's IPA of each sentence
# (voice --voice), one phone a token (IpaPhones.pm, as the multilingual recipe's).
# espeak-ng runs once over the distinct sentences, one a line; should its output not
# have one line per input line, each sentence is spoken on its own instead. An utterance
# whose sentence gives no phones is left out with a warning (utils/fix_data_dir.sh then
# drops it from the other files).
use strict;
use warnings;
use utf8;
use FindBin;
use lib $FindBin::RealBin;
use IpaPhones qw(ipa_to_phones);
use IPC::Open2;
binmode(STDERR, ':encoding(UTF-8)');

my $prog = 'make_phones.pl';
@ARGV == 3 && $ARGV[0] eq '--voice' or
  die "Usage: $prog --voice <espeak-ng-voice> <data-dir>\ne.g.: $prog --voice ca data/ca/test\n";
my (undef, $voice, $data) = @ARGV;
sub fail { die "$prog: ERROR: @_\n"; }

open(my $in, '<:encoding(UTF-8)', "$data/text") or fail("cannot open $data/text: $!");
my (@utts, %text, %seen, @sentences);
while (<$in>) {
  chomp;
  my ($utt, $s) = split / /, $_, 2;
  push @utts, $utt;
  $text{$utt} = $s // '';
  push @sentences, $text{$utt} unless $seen{$text{$utt}}++;
}
close $in;

# espeak-ng's output lines for a list of sentences, in one process.
sub espeak_lines {
  my @s = @_;
  my $pid = open2(my $from, my $to, 'espeak-ng', '-q', '--ipa', '--sep=_', '-v', $voice)
    or fail("cannot run espeak-ng");
  binmode($to, ':encoding(UTF-8)');
  binmode($from, ':encoding(UTF-8)');
  # A writer child, so that a large input cannot fill both pipes.
  my $w = fork() // fail("fork: $!");
  if ($w == 0) { close $from; print $to "$_\n" for @s; close $to; exit 0; }
  close $to;
  my @out = <$from>;
  waitpid($w, 0);
  waitpid($pid, 0);
  $? == 0 or fail("espeak-ng -v $voice failed (exit status " . ($? >> 8) . ")");
  chomp @out;
  return \@out;
}
my $ipa = espeak_lines(@sentences);
if (@$ipa != @sentences) {
  print STDERR "$prog: WARNING: espeak-ng's output is not one line per sentence; speaking them one by one\n";
  $ipa = [map { join(' ', @{espeak_lines($_)}) } @sentences];
}
my %phones;
@phones{@sentences} = map { ipa_to_phones($_) } @$ipa;

open(my $out, '>:encoding(UTF-8)', "$data/text.phone.tmp") or fail("cannot write $data/text.phone.tmp: $!");
my $n = 0;
for my $u (@utts) {
  my $p = $phones{$text{$u}};
  if ($p eq '') { print STDERR "$prog: WARNING: $data: no phones for $u ($text{$u}); left out\n"; next; }
  print $out "$u $p\n";
  $n++;
}
close $out or fail("error writing $data/text.phone.tmp: $!");
rename("$data/text.phone.tmp", "$data/text.phone") or fail("cannot rename $data/text.phone.tmp: $!");
print STDERR "$prog: $data/text.phone: $n utterances, espeak-ng voice $voice\n";
