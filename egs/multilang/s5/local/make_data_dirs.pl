#!/usr/bin/env perl
# Writes the Kaldi data directories from the utterance plan (make_lists.pl) and the
# synthesis results (synth.sh): wav.scp text text.phone text.char utt2spk spk2utt
# utt2lang utt2dialect utt2engine utt2cond utt2dur utt2uniq. Each clean utterance also gets
# copies in other conditions, each a pipe in wav.scp over the clean WAV:
#   <copies> noisy ones, "<utt>-<type>-<snr>db" (condition <type>-<snr>db, a wav-add-noise
#     pipe; type and SNR drawn with the seed; babble is mixed from the other clean
#     utterances of the same split, <wav-split-dir>/babble.scp);
#   <reverb-copies> reverberant ones, "<utt>-reverb-<room>" (condition reverb-<room>, sox's
#     reverb in a room drawn from --rooms; see %rooms below);
#   one per --speeds factor f other than 1, "sp<f>-<utt>" said by speaker "sp<f>-<spk>"
#     (condition speed-<f>), as Kaldi's utils/perturb_data_dir_speed.sh makes them: sox's
#     speed effect, durations divided by f;
#   for the utterances of --vtlp-dir (the source languages' training set) only, one per
#   --vtlp factor f other than 1, "vtlp<f>-<utt>" said by speaker "vtlp<f>-<spk>"
#     (condition vtlp-<f>): the same audio, its features computed with vocal tract length
#     warp factor f (the directory's spk2warp, Kaldi's, which steps/make_fbank.sh reads;
#     the other speakers get 1). Task augmentation: with make-tasks --task-key=lang,cond
#     each warp of a language is a meta-training task of its own.
# A plan line with a condition (its cond field not "-") gives that copy only: a held-out
# condition. utt2uniq (Kaldi's name) maps each copy, and the clean utterance itself, to
# the clean utterance's id: the recording they all derive from. sox runs with -R, so a
# copy is the same audio at every reading.
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
  "         [--rooms '<room> ...'] [--reverb-copies 1] [--speeds '<factor> ...'] [--vtlp '<factor> ...' --vtlp-dir <dir>]\n" .
  "         [--seed 1] <plan.tsv> <synth-out> ...\n" .
  "   or: make_data_dirs.pl [those options] --check [--conds '<condition> ...']   (checks them, makes nothing)\n" .
  "e.g.: make_data_dirs.pl --copies 1 --rooms 'small medium' --speeds '0.9 1.1' data/local/plan.tsv data/local/synth/out.*\n";
my ($types, $snrs, $copies, $room_list, $reverb_copies, $speeds, $vtlp, $vtlp_dir, $seed, $check, $check_conds) =
  ('white pink babble', '20 10 5', 1, '', 1, '', '', '', 1, 0, '');
GetOptions('noise-types=s' => \$types, 'snrs=s' => \$snrs, 'copies=i' => \$copies,
           'rooms=s' => \$room_list, 'reverb-copies=i' => \$reverb_copies, 'speeds=s' => \$speeds,
           'vtlp=s' => \$vtlp, 'vtlp-dir=s' => \$vtlp_dir,
           'seed=i' => \$seed, 'check' => \$check, 'conds=s' => \$check_conds) or die $usage;
die $usage if !$check && @ARGV < 2;

# Rooms: sox reverb's reverberance (%), HF damping (%), room scale (%), stereo depth (%),
# pre-delay (ms) and wet gain (dB; the dry signal stays at 0 dB): from a small, mostly
# dry room to a hall where the reverberation is as loud as the direct sound.
my %rooms = (small  => '20 50 20 100 0 -6',   medium => '50 50 50 100 10 -4',
             large  => '80 50 80 100 20 -2',  hall   => '100 30 100 100 40 0');
my $room_names = join(', ', sort keys %rooms);
my @types = split ' ', $types;
my @snrs = split ' ', $snrs;
my @rooms = split ' ', $room_list;
my @speeds = grep { $_ != 1 } map { check_speed($_) } split ' ', $speeds;
my @warps = grep { $_ != 1 } map { check_warp($_) } split ' ', $vtlp;
die "make_data_dirs.pl: --vtlp '$vtlp' needs --vtlp-dir (the directory whose utterances get the copies)\n"
  if @warps && $vtlp_dir eq '';
sub check_snr { $_[0] =~ /^-?\d+(\.\d+)?$/ or die "make_data_dirs.pl: bad SNR '$_[0]'\n"; $_[0] }
sub check_type { $_[0] =~ /^(white|pink|babble)$/ or die "make_data_dirs.pl: unknown noise type '$_[0]' (white, pink or babble)\n"; $_[0] }
sub check_room { $rooms{$_[0]} or die "make_data_dirs.pl: unknown room '$_[0]' ($room_names)\n"; $_[0] }
# Kaldi's VTLN warps are near 1 (its factors span 0.8 to 1.2).
sub check_warp { my $f = shift; $f =~ /^\d*\.?\d+$/ && $f >= 0.5 && $f <= 2 or die "make_data_dirs.pl: bad VTLP warp factor '$f' (e.g. 0.9; 0.5 to 2)\n"; $f }
sub check_speed { my $f = shift; $f =~ /^\d*\.?\d+$/ && $f > 0 or die "make_data_dirs.pl: bad speed factor '$f' (e.g. 0.9)\n"; $f }
check_type($_) for @types;
check_snr($_) for @snrs;
check_room($_) for @rooms;
my @conds;
for my $t (@types) { for my $s (@snrs) { push @conds, [$t, $s]; } }
die "make_data_dirs.pl: --copies $copies but only " . scalar(@conds) . " noise conditions\n"
  if $copies > @conds || $copies < 0;
die "make_data_dirs.pl: --reverb-copies $reverb_copies but only " . scalar(@rooms) . " rooms (--rooms)\n"
  if @rooms && ($reverb_copies > @rooms || $reverb_copies < 0);

sub snr_name { my $s = shift; sprintf("%sdb", $s < 0 ? "m" . -$s : $s); }
# A condition's name as its parts: [noise, type, snr], [reverb, room] or [speed, factor];
# dies naming it when it is none of these.
sub parse_cond {
  my $c = shift;
  if ($c =~ /^(white|pink|babble)-(m?)(\d+(?:\.\d+)?)db$/) { return ['noise', $1, ($2 ? -$3 : $3)]; }
  if ($c =~ /^reverb-(.+)$/) { my $r = $1; return ['reverb', check_room($r)]; }
  if ($c =~ /^speed-(.+)$/) { my $f = check_speed("$1");
    $f != 1 or die "make_data_dirs.pl: speed-$f is the clean audio\n"; return ['speed', $f]; }
  die "make_data_dirs.pl: unknown condition '$c' (<white|pink|babble>-<snr>db, e.g. babble-0db; reverb-<room>, rooms $room_names; speed-<factor>)\n";
}
# The training conditions a held-out one must differ from: its noise type, room, speed.
my %seen_cond = ((map { ("noise $_" => 1) } @types), (map { ("reverb $_" => 1) } @rooms), (map { ("speed " . (0 + $_) => 1) } @speeds));
for my $c (split ' ', $check_conds) {
  my $p = parse_cond($c);
  my $what = $p->[0] eq 'noise' ? "noise $p->[1]" : $p->[0] eq 'speed' ? "speed " . (0 + $p->[1]) : "reverb $p->[1]";
  die "make_data_dirs.pl: held-out condition $c: its $what is also a condition of the copies (--noise-types, --rooms, --speeds)\n"
    if $seen_cond{$what};
}
exit 0 if $check;

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
my %spk_warp;   # dir -> speaker -> VTLN warp factor (1: none)
# A copy of clean utterance <utt> (speaker <spk>, <wav>, <dur> seconds) in condition <c>:
# [id, speaker, condition, wav.scp entry, duration]. Draws the noise seed.
sub copy_of {
  my ($utt, $spk, $wav, $dur, $split_wav, $c) = @_;
  my $p = parse_cond($c);
  if ($p->[0] eq 'noise') {
    my ($t, $s) = @$p[1, 2];
    my $nseed = 1 + int(rand(2147483646));
    my $bl = $t eq 'babble' ? " --babble-list=$split_wav/babble.scp" : '';
    return ["$utt-$c", $spk, $c, "wav-add-noise --snr=$s --noise-type=$t$bl --seed=$nseed $wav - |", $dur];
  }
  if ($p->[0] eq 'reverb') {
    return ["$utt-$c", $spk, $c, "sox -R $wav -t wav - reverb $rooms{$p->[1]} gain -n -6 |", $dur];
  }
  my $f = $p->[1];
  return ["sp$f-$utt", "sp$f-$spk", $c, "sox -R -t wav $wav -t wav - speed $f |", sprintf("%.4f", $dur / $f)];
}
sub shuffled { my @a = @_; for (my $i = @a - 1; $i > 0; $i--) { my $j = int(rand($i + 1)); @a[$i, $j] = @a[$j, $i]; } @a; }

while (<$fp>) {
  chomp;
  my ($dir, $utt, $spk, $lang, $dialect, $engine, $voice, $pitch, $rate, $cond, $wav, $text) = split /\t/;
  defined $text or die "make_data_dirs.pl: $plan: line $.: expected 12 tab-separated fields\n";
  if (!exists $synth{$utt}) { $nmiss++; next; }
  my $ipa = $synth{$utt};
  my $dur = wav_seconds($wav);
  my $ph = ipa_to_phones($ipa);
  if ($ph eq '') { print STDERR "make_data_dirs.pl: WARNING: no phones for $utt ($text); left out\n"; next; }
  (my $split_wav = $wav) =~ s{/[^/]+/[^/]+$}{};
  push @{$babble{$split_wav}}, "$utt $wav";
  my @versions;
  if ($cond ne '-') {
    @versions = (copy_of($utt, $spk, $wav, $dur, $split_wav, $cond));
  } else {
    @versions = ([$utt, $spk, 'clean', $wav, $dur]);
    push @versions, copy_of($utt, $spk, $wav, $dur, $split_wav, sprintf("%s-%s", $_->[0], snr_name($_->[1])))
      for (shuffled(@conds))[0 .. $copies - 1];
    if (@rooms) { push @versions, copy_of($utt, $spk, $wav, $dur, $split_wav, "reverb-$_")
                    for (shuffled(@rooms))[0 .. $reverb_copies - 1]; }
    push @versions, copy_of($utt, $spk, $wav, $dur, $split_wav, "speed-$_") for @speeds;
    push @versions, ["vtlp$_-$utt", "vtlp$_-$spk", "vtlp-$_", $wav, $dur, $_] for $dir eq $vtlp_dir ? @warps : ();
  }
  for my $v (@versions) {
    my ($id, $vspk, $vcond, $wavspec, $vdur, $warp) = @$v;
    my $d = ($dirs{$dir} //= {});
    $spk_warp{$dir}{$vspk} = $warp // 1;
    push @{$d->{'wav.scp'}}, "$id $wavspec";
    push @{$d->{'text'}}, "$id $text";
    push @{$d->{'text.phone'}}, "$id $ph";
    push @{$d->{'text.char'}}, "$id " . chars($text);
    push @{$d->{'utt2spk'}}, "$id $vspk";
    push @{$d->{'utt2lang'}}, "$id $lang";
    push @{$d->{'utt2dialect'}}, "$id $dialect";
    push @{$d->{'utt2engine'}}, "$id $engine";
    push @{$d->{'utt2cond'}}, "$id $vcond";
    push @{$d->{'utt2dur'}}, "$id $vdur";
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
  if (grep { $_ != 1 } values %{$spk_warp{$dir}}) {
    open($fh, '>', "$dir/spk2warp") or die "make_data_dirs.pl: cannot write $dir/spk2warp: $!\n";
    print $fh "$_ $spk_warp{$dir}{$_}\n" for sort @spk;
    close $fh;
  }
  printf STDERR "make_data_dirs.pl: %s: %d utterances, %d speakers\n", $dir, scalar @{$d->{utt2spk}}, scalar @spk;
}
