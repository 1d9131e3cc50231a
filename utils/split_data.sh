#!/usr/bin/env bash
# Splits a data directory into N parts <data>/splitN/1 .. <data>/splitN/N for N parallel
# jobs. By default a speaker's utterances stay in one part (so per-speaker CMVN works);
# with --per-utt true parts are made of utterances (<data>/splitNutt/JOB). Parts are
# contiguous in sorted order and balanced by the number of utterances: part i ends where
# the cumulative count reaches i/N of the total (a speaker goes where its midpoint falls).
# Every per-utterance and per-speaker file present is split; with a segments file,
# wav.scp, reco2file_and_channel and reco2dur are indexed by recording and each part
# keeps the recordings its segments use.
per_utt=false
help_message="Usage: utils/split_data.sh [--per-utt] <data-dir> <num-parts>
Splits a data directory into <data-dir>/split<num-parts>/{1..num-parts}.
e.g.: utils/split_data.sh data/train 4   # then use data/train/split4/JOB"
. "$(dirname "$0")/parse_options.sh" || exit 1
if [ $# -ne 2 ]; then echo "$help_message" >&2; exit 1; fi
data=$1 n=$2
export LC_ALL=C
prog=split_data.sh
utils=$(dirname "$0")
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "$prog: ERROR: bad number of parts '$n'" >&2; exit 1; }
[ -s "$data/utt2spk" ] || { echo "$prog: ERROR: $data/utt2spk missing or empty" >&2; exit 1; }
[ -s "$data/spk2utt" ] || { echo "$prog: ERROR: $data/spk2utt missing or empty" >&2; exit 1; }
if $per_utt; then out=$data/split${n}utt; units=$(wc -l < "$data/utt2spk"); what=utterances
else out=$data/split$n; units=$(wc -l < "$data/spk2utt"); what=speakers; fi
[ "$n" -le "$units" ] || { echo "$prog: ERROR: $data has $units $what, cannot split it into $n parts" >&2; exit 1; }

rm -rf "$out"; mkdir -p "$out" || exit 1
# Assign each speaker (or utterance) to a part: part boundaries where the cumulative
# number of utterances passes i*total/n, keeping every part non-empty.
perl -e '
  my ($n, $per_utt, $list) = @ARGV;
  my @items;   # [name, number of utterances]
  open(my $f, "<", $list) or die "cannot open $list\n";
  while (<$f>) { my @w = split; push @items, [$w[0], $per_utt ? 1 : @w - 1] if @w; }
  my $total = 0; $total += $_->[1] for @items;
  my ($part, $in_part, $cum) = (1, 0, 0);
  for my $i (0 .. $#items) {
    my $left = @items - $i;
    if ($in_part > 0 && $part < $n &&
        ($cum + $items[$i][1] / 2 > $part * $total / $n || $left <= $n - $part)) {
      $part++; $in_part = 0;
    }
    print "$items[$i][0] $part\n";
    $cum += $items[$i][1]; $in_part++;
  }
' "$n" "$($per_utt && echo 1 || echo 0)" "$($per_utt && echo "$data/utt2spk" || echo "$data/spk2utt")" > "$out/assign" || exit 1

has_segments=false; [ -f "$data/segments" ] && has_segments=true
utt_files="" reco_files=""
for f in $($has_segments && echo segments || echo wav.scp) feats.scp text \
         $(cd "$data" && ls -1 text.* utt2* 2>/dev/null | grep -v '~$'); do
  [ -f "$data/$f" ] && utt_files="$utt_files $f"
done
for f in $($has_segments && echo wav.scp) reco2file_and_channel reco2dur; do
  [ -f "$data/$f" ] && reco_files="$reco_files $f"
done
for i in $(seq "$n"); do
  d=$out/$i
  mkdir -p "$d"
  awk -v i="$i" '$2 == i { print $1 }' "$out/assign" > "$out/list.$i"
  if $per_utt; then "$utils/filter_scp.pl" "$out/list.$i" "$data/utt2spk" > "$d/utt2spk"
  else "$utils/filter_scp.pl" -f 2 "$out/list.$i" "$data/utt2spk" > "$d/utt2spk"; fi
  "$utils/utt2spk_to_spk2utt.pl" "$d/utt2spk" > "$d/spk2utt"
  for f in $utt_files; do
    [ "$f" = utt2spk ] || "$utils/filter_scp.pl" "$d/utt2spk" "$data/$f" > "$d/$f"
  done
  for f in cmvn.scp spk2gender spk2warp; do
    [ -f "$data/$f" ] && "$utils/filter_scp.pl" "$d/spk2utt" "$data/$f" > "$d/$f"
  done
  if $has_segments; then awk '{ print $2 }' "$d/segments" | sort -u > "$out/list.$i"
  else cp "$d/utt2spk" "$out/list.$i"; fi
  for f in $reco_files; do "$utils/filter_scp.pl" "$out/list.$i" "$data/$f" > "$d/$f"; done
  rm -f "$out/list.$i"
done
rm -f "$out/assign"
exit 0
