#!/usr/bin/env perl
# A Kaldi data directory from one TSV of a Common Voice release as downloaded:
# <lang-dir>/<set>.tsv (columns by header name: client_id, path, sentence, accents - or
# accent in older releases - and the others, unused) and its clips <lang-dir>/clips/*.mp3.
# Writes, in <out-dir>: wav.scp (sox decodes each clip to 16-bit mono WAV at --rate; its
# --ignore-length header is read to the end of the stream, so the mp3's estimated length
# draws no warning), text (normalised, see below), text.char (one character a token,
# <space> between words), utt2spk and spk2utt (a speaker per client_id, the utterance id
# starting with it), utt2lang, utt2dialect (<lang>-<first accent>, <lang>-unknown when
# none is given), utt2uniq (each clip is its own recording).
#
# Text normalisation, per language: Unicode NFC; Turkish and Azerbaijani dotted and
# dotless I lower-cased as those languages do; lower case; apostrophes (’ ʼ ‘ ` ´ ')
# kept as ' between letters (l'home, don't), every other punctuation or symbol
# character a space; spaces collapsed.
#
# Bad input stops before anything is written: a header without a needed column, a line
# whose field count differs from the header's (both name the file and line). A clip that
# is not in clips/ (releases have a few) or is empty is skipped with a WARNING naming the
# TSV line, as is a sentence that normalises to nothing.
use strict;
use warnings;
use utf8;
use Getopt::Long;
use Cwd qw(abs_path);
use Unicode::Normalize qw(NFC);
binmode(STDERR, ':encoding(UTF-8)');

my $prog = 'cv_data_dir.pl';
my $usage = "Usage: $prog [--max-utts N] [--rate 16000] <lang-dir> <set> <lang> <out-dir>\n" .
  "  reads <lang-dir>/<set>.tsv and <lang-dir>/clips/; --max-utts keeps N utterances evenly\n" .
  "  spaced over the TSV's usable lines (0: all)\n" .
  "e.g.: $prog --max-utts 2000 /data/cv-corpus-17.0/ca train ca data/ca/adapt\n";
my ($max_utts, $rate) = (0, 16000);
GetOptions('max-utts=i' => \$max_utts, 'rate=i' => \$rate) or die $usage;
@ARGV == 4 or die $usage;
my ($dir, $set, $lang, $out) = @ARGV;
sub fail { die "$prog: ERROR: @_\n"; }
$lang =~ /^[A-Za-z0-9][A-Za-z0-9_-]*$/ or fail("bad language code '$lang'");
$max_utts >= 0 or fail("--max-utts must be >= 0");

sub normalise_text {
  my ($text, $lang) = @_;
  $text = NFC($text);
  if ($lang =~ /^(tr|az)\b/) { $text =~ tr/I\x{130}/\x{131}i/; }   # I -> ı, İ -> i
  $text = lc $text;
  $text =~ s/[\x{2019}\x{2BC}\x{2018}\x{60}\x{B4}]/'/g;
  $text =~ s/(?<=\p{L})'(?=\p{L})/\x{0}/g;                 # apostrophes inside words
  $text =~ s/[\p{P}\p{S}]/ /g;
  $text =~ s/\x{0}/'/g;
  $text =~ s/\s+/ /g;
  $text =~ s/^ | $//g;
  return $text;
}
# An accent label as one token: lower case, runs of other than letters and digits as "_".
sub dialect_of {
  my ($accents, $lang) = @_;
  my ($first) = split /[|,;]/, $accents // '';
  $first = lc NFC($first // '');
  $first =~ s/[^\p{L}\p{N}]+/_/g;
  $first =~ s/^_+|_+$//g;
  return "$lang-" . ($first eq '' ? 'unknown' : $first);
}

my $tsv = "$dir/$set.tsv";
-d "$dir/clips" or fail("no clips directory $dir/clips");
my $clips = abs_path("$dir/clips");
$clips !~ /\s/ or fail("$clips has white space in its path, which wav.scp cannot hold");
open(my $fh, '<:encoding(UTF-8)', $tsv) or fail("cannot open $tsv: $!");
my $header = <$fh>;
defined $header or fail("$tsv: empty file (no header line)");
$header =~ s/\r?\n$//;
$header =~ s/^\x{FEFF}//;                                   # a byte-order mark
my @cols = split /\t/, $header, -1;
my %col;
@col{@cols} = (0 .. $#cols);
$col{accents} //= $col{accent};
for my $c (qw(client_id path sentence accents)) {
  defined $col{$c} or fail("$tsv: line 1: no column '$c' in the header (columns: @cols)");
}

# Every line is read and checked before anything is written.
my (@rows, %short_of, %client_of);
while (my $line = <$fh>) {
  $line =~ s/\r?\n$//;
  my @f = split /\t/, $line, -1;
  @f == @cols or fail("$tsv: line $.: " . scalar(@f) . " fields, the header has " . scalar(@cols));
  my ($client, $path, $sentence) = @f[@col{qw(client_id path sentence)}];
  $client =~ /^[A-Za-z0-9_-]+$/ or fail("$tsv: line $.: bad client_id '$client'");
  $path =~ /^[^\s\/]+$/ or fail("$tsv: line $.: bad clip name '$path'");
  my $clip = "$clips/$path";
  if (!-s $clip) {
    print STDERR "$prog: WARNING: $tsv: line $.: clip $clip is " . (-e $clip ? 'empty' : 'missing') . "; skipped\n";
    next;
  }
  my $text = normalise_text($sentence, $lang);
  if ($text eq '') {
    print STDERR "$prog: WARNING: $tsv: line $.: sentence '$sentence' has no words; skipped\n";
    next;
  }
  # Speaker: the language and the client_id's first 16 characters (client_ids are hashes).
  my $spk = "$lang-" . substr($client, 0, 16);
  $client_of{$spk} //= $client;
  $client_of{$spk} eq $client or fail("$tsv: line $.: client_ids $client and $client_of{$spk} share their first 16 characters");
  (my $base = $path) =~ s/\.[^.]*$//;
  # One string a line (a release's train.tsv has a million lines): split after selection.
  push @rows, join("\t", "$spk-$base", $spk, $clip, $text, dialect_of($f[$col{accents}], $lang), $.);
}
close $fh;
@rows or fail("$tsv: no usable utterances");
if ($max_utts && @rows > $max_utts) {
  my $n = @rows;
  @rows = map { $rows[int($_ * $n / $max_utts)] } 0 .. $max_utts - 1;
}
@rows = map { my %r; @r{qw(utt spk clip text dialect line)} = split /\t/; \%r } @rows;
my %seen;
for (@rows) { $seen{$_->{utt}}++ and fail("$tsv: line $_->{line}: utterance $_->{utt} appears twice"); }

# Kaldi's sort order: bytes (LC_ALL=C).
@rows = sort { $a->{utt} cmp $b->{utt} } @rows;
my %files = (
  'wav.scp' => [map { "$_->{utt} sox -R -V1 --ignore-length $_->{clip}" .
                      " -t wav -r $rate -b 16 -c 1 - |" } @rows],
  'text' => [map { "$_->{utt} $_->{text}" } @rows],
  'text.char' => [map { "$_->{utt} " . join(' <space> ', map { join(' ', split //) } split / /, $_->{text}) } @rows],
  'utt2spk' => [map { "$_->{utt} $_->{spk}" } @rows],
  'utt2lang' => [map { "$_->{utt} $lang" } @rows],
  'utt2uniq' => [map { "$_->{utt} $_->{utt}" } @rows],
  'utt2dialect' => [map { "$_->{utt} $_->{dialect}" } @rows],
);
my %s2u;
push @{$s2u{$_->{spk}}}, $_->{utt} for @rows;
$files{spk2utt} = [map { "$_ @{$s2u{$_}}" } sort keys %s2u];
system('mkdir', '-p', $out) == 0 or fail("cannot make $out");
for my $f (sort keys %files) {
  open(my $o, '>:encoding(UTF-8)', "$out/$f") or fail("cannot write $out/$f: $!");
  print $o "$_\n" for @{$files{$f}};
  close $o or fail("error writing $out/$f: $!");
}
printf STDERR "%s: %s: %d utterances, %d speakers from %s\n", $prog, $out, scalar @rows, scalar keys %s2u, $tsv;
