#!/usr/bin/env perl
# Makes <num> distinct sentences of one language, one a line, normalised (lower case,
# letters only, single spaces): real sentences from a fortunes directory when given
# (those made only of the language's letters, with <min-words>..<max-words> words of which
# at least half are dictionary words), the rest sequences of random dictionary words.
# The dictionary is a hunspell .dic file (its .aff names the encoding). With --encoding,
# only sentences and words that encoding can write (a festival voice reads its text in
# one, e.g. ISO-8859-2 for Czech, and the dictionaries hold foreign words such as győr).
use strict;
use warnings;
use utf8;
use Encode qw(decode encode);
use Unicode::Normalize qw(NFC);
use Getopt::Long;
binmode(STDOUT, ':encoding(UTF-8)');

my $usage = "Usage: make_sentences.pl --dic <file.dic> [--fortunes <dir>] --num <n> [--seed <s>]\n" .
  "         [--min-words <n>] [--max-words <n>] [--encoding <enc>] > sentences.txt\n" .
  "e.g.: make_sentences.pl --dic /usr/share/hunspell/de_DE.dic --fortunes /usr/share/games/fortunes/de --num 500\n";
my ($dic, $fortunes, $num, $seed, $min_words, $max_words, $out_enc) = (undef, undef, undef, 1, 3, 8, undef);
GetOptions('dic=s' => \$dic, 'fortunes=s' => \$fortunes, 'num=i' => \$num, 'seed=i' => \$seed,
           'min-words=i' => \$min_words, 'max-words=i' => \$max_words, 'encoding=s' => \$out_enc) or die $usage;
die "make_sentences.pl: unknown --encoding '$out_enc'\n" if defined $out_enc && !Encode::find_encoding($out_enc);
sub encodable { !defined $out_enc || defined eval { encode($out_enc, "$_[0]", Encode::FB_CROAK | Encode::LEAVE_SRC) } }
die $usage if @ARGV || !defined $dic || !defined $num || $num < 1 || $min_words < 1 || $max_words < $min_words;

# The dictionary's encoding (SET line of the .aff file; UTF-8 when absent).
my $enc = 'UTF-8';
(my $aff = $dic) =~ s/\.dic$/.aff/;
if (open(my $fa, '<', $aff)) {
  while (<$fa>) { if (/^SET\s+(\S+)/) { $enc = $1; last; } }
  close $fa;
}
$enc = 'iso-8859-7' if $enc =~ /^ISO8859-7$/i;
$enc =~ s/^ISO8859-/iso-8859-/i;

# Words: stems without affix flags, letters only, at most one leading capital (so nouns
# and names come in, abbreviations do not), lower-cased.
open(my $fd, '<:raw', $dic) or die "make_sentences.pl: cannot open dictionary $dic: $!\n";
my $all = do { local $/ = undef; <$fd> };
close $fd;
$all = NFC(decode($enc, $all));
$all =~ s/^[^\n]*\n//;   # the word count
my (%seen, @words, %alphabet);
while ($all =~ /^(\p{Lu}?[\p{Ll}\p{M}]{1,15})(?:[\/\t \r][^\n]*)?$/mg) {
  my $w = lc $1;
  next if $seen{$w}++ || !encodable($w);
  push @words, $w;
}
undef $all;
die "make_sentences.pl: no usable words in $dic\n" if @words < 100;
$alphabet{$_} = 1 for split //, join('', @words[0 .. ($#words < 20000 ? $#words : 20000)]);
$alphabet{$_} = 1 for map { split //, $words[int($_ * @words / 2000)] } 0 .. 1999;

srand($seed);
sub shuffle { my @a = @_; for (my $i = @a - 1; $i > 0; $i--) { my $j = int(rand($i + 1)); @a[$i, $j] = @a[$j, $i]; } return @a; }

my @out;
my %used;
if (defined $fortunes && -d $fortunes) {
  my @cand;
  opendir(my $dh, $fortunes) or die "make_sentences.pl: cannot read $fortunes: $!\n";
  for my $f (sort readdir $dh) {
    my $path = "$fortunes/$f";
    next if $f =~ /^\./ || $f =~ /\.(dat|u8)$/ || -l $path || !-f $path;
    open(my $fh, '<:raw', $path) or next;
    local $/ = undef;
    my $all = <$fh>;
    close $fh;
    $all = decode('UTF-8', $all);    # invalid bytes become U+FFFD and fail the letter test
    for my $entry (split /^%\s*$/m, $all) {
      $entry =~ s/\s+/ /g;
      for my $s (split /[.!?;:\x{2026}]+/, $entry) {
        next if $s =~ /\d|[<>=\/\\@#_|~*]/;   # numbers, code, art
        $s = lc NFC($s);
        $s =~ s/[^\p{L}\p{M}]+/ /g;
        $s =~ s/^ +| +$//g;
        my @w = split / /, $s;
        next if @w < $min_words || @w > $max_words;
        next if grep { !$alphabet{$_} } split //, join('', @w);
        my $known = grep { $seen{$_} } @w;
        next if $known * 2 < @w || !encodable($s);
        push @cand, $s;
      }
    }
  }
  closedir $dh;
  for my $s (shuffle(@cand)) {
    last if @out >= $num;
    push @out, $s unless $used{$s}++;
  }
}
my $n_real = @out;
while (@out < $num) {
  my $n = $min_words + int(rand($max_words - $min_words + 1));
  my $s = join(' ', map { $words[int(rand(@words))] } 1 .. $n);
  push @out, $s unless $used{$s}++;
}
print "$_\n" for shuffle(@out);
printf STDERR "make_sentences.pl: %s: %d sentences (%d from %s, %d of random words from %d words)\n",
  $dic, scalar @out, $n_real, $fortunes // "no fortunes", @out - $n_real, scalar @words;
