#!/usr/bin/env perl
# Plans the utterances of one language: speakers, each in one split only (unless a split
# names its voice, as a one-voice target's adaptation and test splits do), and which
# sentence each speaker says. Prints tab-separated lines:
#   data-dir utt spk lang dialect engine voice pitch rate cond wav text
# One split per --split name:data-dir:num-utts:num-speakers[:dialects[:voices[:cond]]]:
#   num-speakers  espeak-ng voice variants, each with its own pitch and rate, on the
#                 split's dialects in turn (default: --dialects)
#   voices        more speakers, comma-separated: festival/<voice>/<dialect>,
#                 flite/<voice>/<dialect> (an engine voice at its own pitch and rate;
#                 <dialect> is the espeak-ng voice whose phones label its speech), or
#                 espeak/<dialect>+<variant> (one espeak-ng speaker)
#   cond          the condition of every utterance of the split (e.g. babble-0db), or -
#                 (clean, with the copies make_data_dirs.pl adds)
# Utterances go to the split's speakers in turn. Sentences are used in order, so splits
# get different sentences. Speaker ids: <dialect>-<variant> for espeak-ng,
# <dialect>-<engine>-<name> for an engine voice, <name> being the voice's own name
# without its kind (kal_diphone: kal; cmu_us_slt_arctic_hts: slt).
use strict;
use warnings;
use Getopt::Long;
binmode(STDOUT, ':encoding(UTF-8)');
binmode(STDIN, ':encoding(UTF-8)');

my $usage = "Usage: make_lists.pl --lang <code> --dialects '<voice> ...' --sentences <file> --variants <file>\n" .
  "         --wavdir <dir> [--seed <n>] [--exclude-variants <v>,...]\n" .
  "         --split <name>:<data-dir>:<num-utts>:<num-speakers>[:<dialects>[:<voices>[:<cond>]]] ...\n" .
  "   or: make_lists.pl --speaker-ids < voices    (prints \"id<TAB>voice\" for each voice)\n" .
  "e.g.: make_lists.pl --lang ca --dialects ca --sentences s/ca.txt --variants v.txt --wavdir wav \\\n" .
  "         --split ca_adapt:data/ca/adapt:150:5 --split ca_test:data/ca/test:100:3\n";
my ($lang, $dialects, $sentences, $variants, $wavdir, $seed, $exclude, $ids, @splits) =
  (undef, undef, undef, undef, undef, 1, '', 0);
GetOptions('lang=s' => \$lang, 'dialects=s' => \$dialects, 'sentences=s' => \$sentences,
           'variants=s' => \$variants, 'wavdir=s' => \$wavdir, 'seed=i' => \$seed,
           'exclude-variants=s' => \$exclude, 'speaker-ids' => \$ids, 'split=s' => \@splits) or die $usage;
if ($ids) {  # the speaker id of each voice on stdin: "id<TAB>voice" lines
  while (my $v = <STDIN>) { chomp $v; print speaker($v, 'stdin')->{id}, "\t$v\n"; }
  exit 0;
}
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
my %excluded = map { $_ => 1 } split /,/, $exclude;
@var = grep { !$excluded{$_} } @var;

sub variant_id { (my $v = lc shift) =~ s/[^a-z0-9]//g; return $v; }
sub espeak_speaker { my ($d, $v) = @_;
  return { id => "$d-" . variant_id($v), engine => 'espeak', voice => "$d+$v", dialect => $d,
           pitch => 25 + int(rand(51)), rate => 130 + int(rand(61)) }; }
sub engine_speaker { my ($engine, $voice, $d) = @_;
  (my $name = lc $voice) =~ s/_(diphone|clunits|hts|arctic|ldom)(?=_|$)//g;
  $name =~ s/.*_//;
  return { id => "$d-$engine-$name", engine => $engine, voice => $voice, dialect => $d,
           pitch => '-', rate => '-' }; }

sub speaker { my ($v, $where) = @_;
  return espeak_speaker($1, $2) if $v =~ m{^espeak/([^+/]+)\+([^/]+)$};
  return engine_speaker($1, $2, $3) if $v =~ m{^(festival|flite)/([^/]+)/([^/]+)$};
  die "make_lists.pl: bad voice '$v' in $where (espeak/<dialect>+<variant>, festival/<voice>/<dialect>, flite/<voice>/<dialect>)\n"; }

my ($next_sent, $next_var) = (0, 0);
my %said;   # utterances of each speaker id so far (a voice may speak in two splits)
for my $spec (@splits) {
  my ($name, $dir, $nutt, $nspk, $sdial, $voices, $cond) = split /:/, $spec, -1;
  die "make_lists.pl: bad --split '$spec'\n$usage"
    unless defined $nspk && $nutt =~ /^\d+$/ && $nspk =~ /^\d+$/;
  my @sd = defined $sdial && $sdial ne '' ? split(/,/, $sdial) : @dialects;
  my @voices = defined $voices && $voices ne '' ? split(/,/, $voices) : ();
  $cond = '-' if !defined $cond || $cond eq '';
  die "make_lists.pl: $lang: split $name has no speakers\n" if $nspk + @voices == 0;
  $nspk = $nutt if $nspk > $nutt && !@voices;
  die "make_lists.pl: $lang: $nspk more speakers wanted but only " . (@var - $next_var) .
      " voice variants are left (espeak-ng --voices=variant)\n" if $next_var + $nspk > @var;
  die "make_lists.pl: $lang: $sentences has " . scalar(@sent) . " sentences, too few for the splits\n"
    if $next_sent + $nutt > @sent;
  my @spk;
  push @spk, espeak_speaker($sd[$_ % @sd], $var[$next_var++]) for 0 .. $nspk - 1;
  push @spk, speaker($_, "--split '$spec'") for @voices;
  for my $u (0 .. $nutt - 1) {
    my $s = $spk[$u % @spk];
    my $utt = sprintf("%s-%04d", $s->{id}, ++$said{$s->{id}});
    print join("\t", $dir, $utt, $s->{id}, $lang, $s->{dialect}, $s->{engine}, $s->{voice},
               $s->{pitch}, $s->{rate}, $cond, "$wavdir/$name/$s->{id}/$utt.wav", $sent[$next_sent++]), "\n";
  }
}
