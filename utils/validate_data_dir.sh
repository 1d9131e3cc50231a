#!/usr/bin/env bash
# Checks that a Kaldi data directory is consistent: every per-utterance file (wav.scp,
# text, text.*, utt2*, feats.scp, segments) is sorted, has no duplicate keys and covers
# exactly the utterances of utt2spk; spk2utt agrees with utt2spk; per-speaker files
# (cmvn.scp, spk2gender, spk2warp) cover exactly its speakers; utt2dur holds positive numbers,
# utt2num_frames positive integers, utt2uniq one recording per utterance; wav.scp files that are not pipes exist. With a
# segments file (<utt> <recording> <start> <end>, times in seconds, start < end) wav.scp
# is indexed by recording: it must hold exactly the recordings the segments use; the
# per-recording files reco2file_and_channel (<recording> <file> <A|B>) and reco2dur cover
# exactly the recordings. The first problem found is reported with the file and the
# line or key, and the script exits 1.
no_wav=false
no_text=false
no_feats=false
help_message="Usage: utils/validate_data_dir.sh [--no-wav] [--no-text] [--no-feats] <data-dir>
Checks a data directory (see the top of this script for what is checked).
  --no-wav     wav.scp is not required (unless there is a segments file)
  --no-text    text is not required
  --no-feats   feats.scp is not required (it never is here; accepted as in Kaldi)
e.g.: utils/validate_data_dir.sh data/train"
. "$(dirname "$0")/parse_options.sh" || exit 1
if [ $# -ne 1 ]; then echo "$help_message" >&2; exit 1; fi
data=$1
# All checks in one perl process (this runs on every split of every recipe).
exec perl -e '
use strict; use warnings;
my ($data, $no_wav, $no_text) = @ARGV;
my $prog = "validate_data_dir.sh";
sub fail { print STDERR "$prog: ERROR: $data: @_\n"; exit 1; }
-d $data or fail("no such directory");
my $has_segments = -f "$data/segments";
fail("segments file exists but there is no wav.scp") if $has_segments && !-f "$data/wav.scp";
for my $f ("utt2spk", "spk2utt", ($no_wav eq "true" ? () : "wav.scp"), ($no_text eq "true" ? () : "text")) {
  -s "$data/$f" or fail("missing or empty file $f");
}
# Reads a file: keys in order and values; checks fields, line endings, order, duplicates.
sub read_file {
  my ($f, $min) = @_;
  open(my $fh, "<", "$data/$f") or fail("cannot open $f: $!");
  my (@keys, %val, $prev);
  while (my $line = <$fh>) {
    fail("$f: line $. has a carriage return (DOS line ending)") if $line =~ /\r/;
    my @w = split " ", $line;
    my $k = @w ? $w[0] : "(empty line)";
    fail("$f: line $. (key $k) has " . scalar(@w) . " fields, expected at least $min") if @w < $min;
    fail("$f: key $k appears more than once") if exists $val{$k};
    fail("$f: not sorted (LC_ALL=C sort) at key $k; utils/fix_data_dir.sh sorts it")
      if defined $prev && ($prev cmp $k) > 0;
    $prev = $k;
    push @keys, $k;
    $val{$k} = [@w[1 .. $#w]];
  }
  return (\@keys, \%val);
}
sub same_keys {
  my ($f, $ref, $refkeys, $keys, $what) = @_;
  my %in = map { $_ => 1 } @$keys;
  for (@$refkeys) { fail("$what $_ is in $ref but not in $f") unless $in{$_}; }
  my %rin = map { $_ => 1 } @$refkeys;
  for (@$keys) { fail("$what $_ is in $f but not in $ref") unless $rin{$_}; }
}
my ($ukeys, $u2s) = read_file("utt2spk", 2);
for (@$ukeys) { fail("utt2spk: utterance $_ has " . (1 + @{$u2s->{$_}}) . " fields, expected 2") if @{$u2s->{$_}} != 1; }
my ($skeys, $s2u) = read_file("spk2utt", 2);
my @expect = map { my $u = $_; "$u $u2s->{$u}[0]" } @$ukeys;
my @got;
for my $s (@$skeys) { push @got, "$_ $s" for @{$s2u->{$s}}; }
for my $i (0 .. ($#expect > $#got ? $#expect : $#got)) {
  my ($e, $g) = ($expect[$i] // "(nothing)", $got[$i] // "(nothing)");
  next if $e eq $g;
  fail("spk2utt disagrees with utt2spk (utt2spk has \"$e\" where spk2utt gives \"$g\"); make spk2utt " .
       "with utils/utt2spk_to_spk2utt.pl, and name utterances with their speaker as prefix so both sort the same way");
}
opendir(my $dh, $data) or fail("cannot read directory");
my @files = grep { -f "$data/$_" && !/~$/ && (($_ eq "wav.scp" && !$has_segments) || $_ eq "segments" ||
                   $_ eq "feats.scp" || $_ eq "text" || /^text\./ || /^utt2/) } sort readdir $dh;
closedir $dh;
my (%vals, %keys);
for my $f (@files) {
  next if $f eq "utt2spk";
  my ($k, $v) = read_file($f, ($f eq "text" || $f =~ /^text\./) ? 1 : 2);
  same_keys($f, "utt2spk", $ukeys, $k, "utterance");
  ($keys{$f}, $vals{$f}) = ($k, $v);
}
my $number = qr/^\d*\.?\d+([eE][-+]?\d+)?$/;
# Recordings: the keys of wav.scp, which with segments holds exactly the recordings used.
my ($rkeys, $wav) = $has_segments ? read_file("wav.scp", 2) : ($ukeys, $vals{"wav.scp"});
if ($has_segments) {
  my ($n, %used) = (0);
  for my $u (@{$keys{"segments"}}) {
    my @f = @{$vals{"segments"}{$u}};
    my $where = "segments: line " . ++$n . " (segment $u)";
    fail("$where has " . (@f + 1) . " fields, expected 4: <segment-id> <recording-id> <start-time> <end-time>") if @f != 3;
    fail("$where: start time \"$f[1]\" is not a number >= 0") unless $f[1] =~ $number;
    fail("$where: end time \"$f[2]\" is not a number > 0") unless $f[2] =~ $number;
    fail("$where: start time $f[1] is not before end time $f[2]") unless $f[1] < $f[2];
    fail("$where: recording $f[0] is not in wav.scp") unless exists $wav->{$f[0]};
    $used{$f[0]} = 1;
  }
  for (@$rkeys) { fail("wav.scp: recording $_ is used by no segment; utils/fix_data_dir.sh removes it") unless $used{$_}; }
}
my $recs_from = $has_segments ? "wav.scp" : "utt2spk";
if (-f "$data/reco2file_and_channel") {
  my ($k, $v) = read_file("reco2file_and_channel", 3);
  same_keys("reco2file_and_channel", $recs_from, $rkeys, $k, "recording");
  my @one;
  for (@$k) {
    my @f = @{$v->{$_}};
    push @one, $_ if @f == 2 && $f[1] eq "1";
    fail("reco2file_and_channel: recording $_: expected <recording-id> <file-id> <channel A or B>")
      unless @f == 2 && ($f[1] eq "A" || $f[1] eq "B" || $f[1] eq "1");
  }
  print STDERR "$prog: WARNING: $data: reco2file_and_channel: the channel should be A or B, not 1 (recording $one[0])\n" if @one;
}
if (-f "$data/reco2dur") {
  my ($k, $v) = read_file("reco2dur", 2);
  same_keys("reco2dur", $recs_from, $rkeys, $k, "recording");
  for (@$k) { fail("reco2dur: recording $_ has duration \"$v->{$_}[0]\", expected a positive number") unless $v->{$_}[0] =~ $number && $v->{$_}[0] > 0; }
}
for my $f ("cmvn.scp", "spk2gender", "spk2warp") {
  next unless -f "$data/$f";
  my ($k) = read_file($f, 2);
  same_keys($f, "spk2utt", $skeys, $k, "speaker");
}
if (my $d = $vals{"utt2dur"}) {
  for (@$ukeys) {
    my $x = $d->{$_}[0];
    fail("utt2dur: utterance $_ has duration \"$x\", expected a positive number")
      unless $x =~ $number && $x > 0;
  }
}
if (my $d = $vals{"utt2num_frames"}) {
  for (@$ukeys) {
    fail("utt2num_frames: utterance $_ has \"$d->{$_}[0]\" frames, expected a positive integer")
      unless $d->{$_}[0] =~ /^[1-9]\d*$/;
  }
}
if (my $d = $vals{"utt2uniq"}) {
  for (@$ukeys) {
    fail("utt2uniq: utterance $_ has " . (1 + @{$d->{$_}}) . " fields, expected 2 (the utterance and its recording)")
      if @{$d->{$_}} != 1;
  }
}
if (my $t = $vals{"text"}) {
  my @empty = grep { !@{$t->{$_}} } @$ukeys;
  printf STDERR "$prog: WARNING: $data: text: %d utterance(s) with an empty transcript, e.g. %s\n", scalar @empty, $empty[0] if @empty;
}
if ($wav) {
  my $what = $has_segments ? "recording" : "utterance";
  for my $u (@$rkeys) {
    my @f = @{$wav->{$u}};
    next if $f[-1] eq "|";
    fail("wav.scp: $what $u: expected \"$what path\" or a command ending in |") if @f != 1;
    fail("wav.scp: $what $u: no such file $f[0]") unless -f $f[0];
  }
}
printf STDERR "$prog: $data: OK (%d utterances, %d speakers)\n", scalar @$ukeys, scalar @$skeys;
' "$data" "$no_wav" "$no_text"
