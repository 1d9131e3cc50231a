#!/usr/bin/env perl
# Writes the Kaldi data directories from the utterance plan (make_lists.pl) and the
# synthesis results (synth.sh): wav.scp text text.phone text.char utt2spk spk2utt
# utt2lang utt2dialect utt2cond utt2dur utt2uniq. Every clean utterance also gets <copies>
# noisy copies, "<utt>-<type>-<snr>db", whose wav.scp entry is a wav-add-noise pipe; the
# condition (noise type and SNR) of each copy is drawn with the seed, and babble is
# mixed from the other clean utterances of the same split (<wav-split-dir>/babble.scp).
# utt2uniq (Kaldi's name) maps each copy, and the clean utterance itself, to the clean
# utterance's id: the recording they all derive from.
#
# Phones: espeak-ng's IPA with "_" between phones, split by IpaPhones.pm.
# Chars: the normalised text, one character a token, <space> between words.
use strict;
use warnings;
use utf8;
use Getopt::Long;
use FindBin;
use lib $FindBin::RealBin;
use IpaPhones qw(ipa_to_phones);
binmode(STDERR, ':encoding(UTF-8)');

my $usage = "Usage: make_data_dirs.pl [--noise-types 'white pink babble'] [--snrs '20 10 5'] [--copies 1]\n" .
  "         [--seed 1] <plan.tsv> <synth-out> ...\n" .
  "e.g.: make_data_dirs.pl --copies 1 data/local/plan.tsv data/local/synth/out.*\n";
my ($types, $snrs, $copies, $seed) = ('white pink babble', '20 10 5', 1, 1);
GetOptions('noise-types=s' => \$types, 'snrs=s' => \$snrs, 'copies=i' => \$copies,
           'seed=i' => \$seed) or die $usage;
die $usage if @ARGV < 2;
my @types = split ' ', $types;
my @snrs = split ' ', $snrs;
for (@types) { die "make_data_dirs.pl: unknown noise type '$_' (white, pink or babble)\n" unless /^(white|pink|babble)$/; }
for (@snrs) { die "make_data_dirs.pl: bad SNR '$_'\n" unless /^-?\d+(\.\d+)?$/; }
my @conds;
for my $t (@types) { for my $s (@snrs) { push @conds, [$t, $s]; } }
die "make_data_dirs.pl: --copies $copies but only " . scalar(@conds) . " noise conditions\n"
  if $copies > @conds || $copies < 0;

my $plan = shift @ARGV;
my %synth;
for my $f (@ARGV) {
  open(my $fh, '<:encoding(UTF-8)', $f) or die "make_data_dirs.pl: cannot open $f: $!\n";
  while (<$fh>) {
    chomp;
    my ($utt, $ipa) = split /\t/, $_, 2;
    $synth{$utt} = $ipa // '';
  }
}

# Duration of a PCM WAV file from its header (fmt and data chunks).
sub wav_seconds {
  my $path = shift;
  open(my $fh, '<:raw', $path) or die "make_data_dirs.pl: cannot open $path: $!\n";
  my $riff;
  read($fh, $riff, 12) == 12 && substr($riff, 0, 4) eq 'RIFF' && substr($riff, 8, 4) eq 'WAVE'
    or die "make_data_dirs.pl: $path is not a WAV file\n";
  my $bytes_per_sec;
  my $hdr;
  while (read($fh, $hdr, 8) == 8) {
    my ($id, $size) = unpack('a4 V', $hdr);
    if ($id eq 'fmt ') {
      my $fmt;
      read($fh, $fmt, $size) == $size or last;
      $bytes_per_sec = (unpack('v v V V', $fmt))[3];
    } elsif ($id eq 'data') {
      die "make_data_dirs.pl: $path: data before fmt chunk\n" unless $bytes_per_sec;
      my $have = (-s $path) - tell($fh);
      $size = $have if $size > $have;   # a header written before the length was known
      return sprintf("%.4f", $size / $bytes_per_sec);
    } else {
      seek($fh, $size + ($size & 1), 1) or last;
    }
  }
  die "make_data_dirs.pl: $path: no data chunk\n";
}

sub chars {
  return join(' <space> ', map { join(' ', split //, $_) } split ' ', shift);
}

my %dirs;   # dir -> file -> [lines]
open(my $fp, '<:encoding(UTF-8)', $plan) or die "make_data_dirs.pl: cannot open $plan: $!\n";
srand($seed);
my $nmiss = 0;
my %babble;
while (<$fp>) {
  chomp;
  my ($dir, $utt, $spk, $lang, $dialect, $voice, $pitch, $rate, $wav, $text) = split /\t/;
  if (!exists $synth{$utt}) { $nmiss++; next; }
  my $ipa = $synth{$utt};
  my $dur = wav_seconds($wav);
  my $ph = ipa_to_phones($ipa);
  if ($ph eq '') { print STDERR "make_data_dirs.pl: WARNING: no phones for $utt ($text); left out\n"; next; }
  (my $split_wav = $wav) =~ s{/[^/]+/[^/]+$}{};
  push @{$babble{$split_wav}}, "$utt $wav";
  my @versions = ([$utt, 'clean', "$wav"]);
  my @order = @conds;
  for (my $i = @order - 1; $i > 0; $i--) { my $j = int(rand($i + 1)); @order[$i, $j] = @order[$j, $i]; }
  for my $c (@order[0 .. $copies - 1]) {
    my ($t, $s) = @$c;
    my $cond = sprintf("%s-%sdb", $t, $s < 0 ? "m" . -$s : $s);
    my $nseed = 1 + int(rand(2147483646));
    my $bl = $t eq 'babble' ? " --babble-list=$split_wav/babble.scp" : '';
    push @versions, ["$utt-$cond", $cond,
                     "wav-add-noise --snr=$s --noise-type=$t$bl --seed=$nseed $wav - |"];
  }
  for my $v (@versions) {
    my ($id, $cond, $wavspec) = @$v;
    my $d = ($dirs{$dir} //= {});
    push @{$d->{'wav.scp'}}, "$id $wavspec";
    push @{$d->{'text'}}, "$id $text";
    push @{$d->{'text.phone'}}, "$id $ph";
    push @{$d->{'text.char'}}, "$id " . chars($text);
    push @{$d->{'utt2spk'}}, "$id $spk";
    push @{$d->{'utt2lang'}}, "$id $lang";
    push @{$d->{'utt2dialect'}}, "$id $dialect";
    push @{$d->{'utt2cond'}}, "$id $cond";
    push @{$d->{'utt2dur'}}, "$id $dur";
    push @{$d->{'utt2uniq'}}, "$id $utt";
  }
}
die "make_data_dirs.pl: $nmiss utterances of $plan were not synthesised\n" if $nmiss;
for my $b (sort keys %babble) {
  open(my $fh, '>', "$b/babble.scp") or die "make_data_dirs.pl: cannot write $b/babble.scp: $!\n";
  print $fh "$_\n" for sort @{$babble{$b}};
  close $fh;
}
for my $dir (sort keys %dirs) {
  system('mkdir', '-p', $dir) == 0 or die "make_data_dirs.pl: cannot make $dir\n";
  my $d = $dirs{$dir};
  for my $f (sort keys %$d) {
    open(my $fh, '>:encoding(UTF-8)', "$dir/$f") or die "make_data_dirs.pl: cannot write $dir/$f: $!\n";
    print $fh "$_\n" for sort { (split / /, $a)[0] cmp (split / /, $b)[0] } @{$d->{$f}};
    close $fh or die "make_data_dirs.pl: error writing $dir/$f\n";
  }
  my (%s2u, @spk);
  for (sort @{$d->{utt2spk}}) {
    my ($u, $s) = split;
    push @spk, $s unless $s2u{$s};
    push @{$s2u{$s}}, $u;
  }
  open(my $fh, '>', "$dir/spk2utt") or die "make_data_dirs.pl: cannot write $dir/spk2utt: $!\n";
  print $fh "$_ @{$s2u{$_}}\n" for sort @spk;
  close $fh;
  printf STDERR "make_data_dirs.pl: %s: %d utterances, %d speakers\n", $dir, scalar @{$d->{utt2spk}}, scalar @spk;
}
