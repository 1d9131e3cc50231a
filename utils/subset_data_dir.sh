#!/usr/bin/env bash
# Makes a data directory holding a subset of another's utterances: a list of utterances
# or speakers, or N utterances (evenly spaced over the sorted list by default, the first
# or last N, or the first N of each speaker). With --uniq true N counts recordings
# (utt2uniq: an utterance and its noisy or perturbed copies are one recording, listed in
# the order of their first utterance), and every copy of a chosen recording is kept.
# Every per-utterance and per-speaker file present is filtered, spk2utt is remade. With a
# segments file, wav.scp, reco2file_and_channel and reco2dur keep the recordings of the
# subset's segments.
utt_list=
spk_list=
first=false
last=false
per_spk=false
uniq=false
help_message="Usage: utils/subset_data_dir.sh [--first true|--last true|--per-spk true] [--uniq true] <src-dir> <num> <dest-dir>
       utils/subset_data_dir.sh --utt-list <file> <src-dir> <dest-dir>
       utils/subset_data_dir.sh --spk-list <file> <src-dir> <dest-dir>
Copies a subset of a data directory: <num> utterances (evenly spaced by default; the first
or last <num>; <num> per speaker with --per-spk), or the utterances (speakers) listed in
the first field of <file>. With --uniq true, <num> recordings of <src-dir>/utt2uniq
(evenly spaced, first or last), each with all its copies.
e.g.: utils/subset_data_dir.sh data/train 500 data/train_500
      utils/subset_data_dir.sh --uniq true data/ca/adapt 100 data/ca/adapt_100rec"
. "$(dirname "$0")/parse_options.sh" || exit 1
export LC_ALL=C
prog=subset_data_dir.sh
utils=$(dirname "$0")
usage() { echo "$help_message" >&2; exit 1; }
die() { echo "$prog: ERROR: $*" >&2; exit 1; }
nmodes=0
for m in "$utt_list" "$spk_list"; do [ -n "$m" ] && nmodes=$((nmodes + 1)); done
for m in $first $last $per_spk; do [ "$m" = true ] && nmodes=$((nmodes + 1)); done
[ $nmodes -le 1 ] || die "give at most one of --utt-list, --spk-list, --first, --last, --per-spk"
! $uniq || { [ -z "$utt_list$spk_list" ] && ! $per_spk; } ||
  die "--uniq true counts <num> in recordings; it does not combine with --utt-list, --spk-list or --per-spk"
if [ -n "$utt_list$spk_list" ]; then
  [ $# -eq 2 ] || usage
  src=$1 dest=$2
  list=${utt_list:-$spk_list}
  [ -f "$list" ] || die "list file '$list' not found"
else
  [ $# -eq 3 ] || usage
  src=$1 num=$2 dest=$3
  [[ "$num" =~ ^[1-9][0-9]*$ ]] || die "bad number of utterances '$num'"
fi
[ -s "$src/utt2spk" ] || die "$src/utt2spk missing or empty"
! $uniq || [ -f "$src/utt2uniq" ] || die "--uniq true: no $src/utt2uniq"
[ "$(cd "$src" && pwd)" != "$(mkdir -p "$dest" && cd "$dest" && pwd)" ] || die "source and destination are the same directory"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

pick() { # <num> lines of a file: the first, the last, or evenly spaced (line i*total/num)
  if $first; then head -n "$num" "$1"
  elif $last; then tail -n "$num" "$1"
  else awk -v n="$num" -v t="$(wc -l < "$1")" 'BEGIN { for (i = 0; i < n; i++) want[int(i * t / n) + 1] = 1 } (NR in want)' "$1"
  fi
}
total=$(wc -l < "$src/utt2spk")
if [ -n "$utt_list" ]; then
  "$utils/filter_scp.pl" "$utt_list" "$src/utt2spk" > "$tmp/utt2spk"
elif [ -n "$spk_list" ]; then
  "$utils/filter_scp.pl" -f 2 "$spk_list" "$src/utt2spk" > "$tmp/utt2spk"
elif $per_spk; then
  awk -v n="$num" '++c[$2] <= n' "$src/utt2spk" > "$tmp/utt2spk"
elif $uniq; then
  awk '!seen[$2]++ { print $2 }' "$src/utt2uniq" > "$tmp/recordings"
  nrec=$(wc -l < "$tmp/recordings")
  [ "$num" -le "$nrec" ] || die "$src/utt2uniq has $nrec recordings ($total utterances), fewer than $num"
  pick "$tmp/recordings" > "$tmp/chosen"
  "$utils/filter_scp.pl" -f 2 "$tmp/chosen" "$src/utt2uniq" > "$tmp/utts"
  "$utils/filter_scp.pl" "$tmp/utts" "$src/utt2spk" > "$tmp/utt2spk"
else
  [ "$num" -le "$total" ] || die "$src has $total utterances, fewer than $num"
  pick "$src/utt2spk" > "$tmp/utt2spk"
fi
[ -s "$tmp/utt2spk" ] || die "the subset of $src is empty"
cp "$tmp/utt2spk" "$dest/utt2spk"
"$utils/utt2spk_to_spk2utt.pl" "$dest/utt2spk" > "$dest/spk2utt"
has_segments=false; [ -f "$src/segments" ] && has_segments=true
for f in $($has_segments && echo segments || echo wav.scp) feats.scp text \
         $(cd "$src" && ls -1 text.* utt2* 2>/dev/null | grep -v '~$'); do
  [ "$f" != utt2spk ] && [ -f "$src/$f" ] && "$utils/filter_scp.pl" "$dest/utt2spk" "$src/$f" > "$dest/$f"
done
for f in cmvn.scp spk2gender spk2warp; do
  [ -f "$src/$f" ] && "$utils/filter_scp.pl" "$dest/spk2utt" "$src/$f" > "$dest/$f"
done
if $has_segments; then awk '{ print $2 }' "$dest/segments" | sort -u > "$tmp/recordings"
else cp "$dest/utt2spk" "$tmp/recordings"; fi
for f in $($has_segments && echo wav.scp) reco2file_and_channel reco2dur; do
  [ -f "$src/$f" ] && "$utils/filter_scp.pl" "$tmp/recordings" "$src/$f" > "$dest/$f"
done
echo "$prog: $dest: $(wc -l < "$dest/utt2spk") of $total utterances of $src$($uniq && echo " ($num recordings)")" >&2
exit 0
