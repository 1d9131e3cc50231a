#!/usr/bin/env bash
# Checks that a Kaldi data directory is consistent: every per-utterance file (wav.scp,
# text, text.*, utt2*, feats.scp) is sorted, has no duplicate keys and covers exactly the
# utterances of utt2spk; spk2utt agrees with utt2spk; per-speaker files (cmvn.scp,
# spk2gender) cover exactly its speakers; utt2dur holds positive numbers, utt2num_frames
# positive integers; wav.scp files that are not pipes exist. The first problem found is
# reported with the file and the utterance, and the script exits 1.
no_wav=false
no_text=false
help_message="Usage: utils/validate_data_dir.sh [--no-wav true] [--no-text true] <data-dir>
Checks a data directory (see the top of this script for what is checked).
  --no-wav true    wav.scp is not required
  --no-text true   text is not required
e.g.: utils/validate_data_dir.sh data/train"
. "$(dirname "$0")/parse_options.sh" || exit 1
if [ $# -ne 1 ]; then echo "$help_message" >&2; exit 1; fi
data=$1
export LC_ALL=C
prog=validate_data_dir.sh
fail() { echo "$prog: ERROR: $data: $*" >&2; exit 1; }
[ -d "$data" ] || fail "no such directory"
for f in utt2spk spk2utt; do [ -s "$data/$f" ] || fail "missing or empty file $f"; done
$no_wav || [ -s "$data/wav.scp" ] || fail "missing or empty file wav.scp"
$no_text || [ -s "$data/text" ] || fail "missing or empty file text"

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# check_keys FILE MINFIELDS: well-formed lines, keys sorted and unique; keys into $tmp/FILE.keys
check_keys() {
  local f=$1 min=$2
  awk -v min="$min" -v out="$tmp/msg" '
    NF < min { printf "line %d (key %s) has %d fields, expected at least %d\n", NR, ($1 == "" ? "(empty line)" : $1), NF, min > out; exit 1 }
    /\r/ { printf "line %d (key %s) has a carriage return (DOS line ending)\n", NR, $1 > out; exit 1 }
    { print $1 }' "$data/$f" > "$tmp/$f.keys" || fail "$f: $(cat "$tmp/msg")"
  local bad
  bad=$(awk 'NR > 1 && ($1 "") <= (prev "") { print $1; exit } { prev = $1 }' "$tmp/$f.keys")
  if [ -n "$bad" ]; then
    if grep -qx -- "$bad" <(uniq -d "$tmp/$f.keys"); then fail "$f: key $bad appears more than once"
    else fail "$f: not sorted (LC_ALL=C sort) at key $bad; utils/fix_data_dir.sh sorts it"; fi
  fi
}
# same_keys FILE REF WHAT: the keys of FILE are those of REF
same_keys() {
  local f=$1 ref=$2 what=$3 d
  d=$(comm -23 "$tmp/$ref.keys" "$tmp/$f.keys" | head -n 1)
  [ -z "$d" ] || fail "$what $d is in $ref but not in $f"
  d=$(comm -13 "$tmp/$ref.keys" "$tmp/$f.keys" | head -n 1)
  [ -z "$d" ] || fail "$what $d is in $f but not in $ref"
}

check_keys utt2spk 2
awk 'NF != 2 { printf "line %d (utterance %s) has %d fields, expected 2\n", NR, $1, NF; exit 1 }' "$data/utt2spk" > "$tmp/msg" ||
  fail "utt2spk: $(cat "$tmp/msg")"
check_keys spk2utt 2
"$(dirname "$0")/spk2utt_to_utt2spk.pl" "$data/spk2utt" > "$tmp/u2s" 2>"$tmp/msg" || fail "spk2utt: $(cat "$tmp/msg")"
if ! cmp -s "$tmp/u2s" <(awk '{print $1, $2}' "$data/utt2spk"); then
  l=$(diff <(awk '{print $1, $2}' "$data/utt2spk") "$tmp/u2s" | grep -m1 '^[<>]' | cut -c3-)
  fail "spk2utt disagrees with utt2spk (first difference at: $l); make spk2utt with utils/utt2spk_to_spk2utt.pl, and name utterances with their speaker as prefix so both sort the same way"
fi

for f in wav.scp feats.scp text $(cd "$data" && ls -1 text.* utt2* 2>/dev/null | grep -v '~$\|\.backup$'); do
  [ "$f" = utt2spk ] && continue
  [ -f "$data/$f" ] || continue
  case $f in text|text.*) min=1 ;; *) min=2 ;; esac
  check_keys "$f" $min
  same_keys "$f" utt2spk utterance
done
for f in cmvn.scp spk2gender; do
  [ -f "$data/$f" ] || continue
  check_keys "$f" 2
  same_keys "$f" spk2utt speaker
done

if [ -f "$data/utt2dur" ]; then
  awk '$2 !~ /^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$/ || $2 <= 0 { print "utterance " $1 " has duration \"" $2 "\", expected a positive number"; exit 1 }' \
    "$data/utt2dur" > "$tmp/msg" || fail "utt2dur: $(cat "$tmp/msg")"
fi
if [ -f "$data/utt2num_frames" ]; then
  awk '$2 !~ /^[1-9][0-9]*$/ { print "utterance " $1 " has \"" $2 "\" frames, expected a positive integer"; exit 1 }' \
    "$data/utt2num_frames" > "$tmp/msg" || fail "utt2num_frames: $(cat "$tmp/msg")"
fi
if [ -f "$data/text" ]; then
  awk 'NF < 2 { n++; if (!u) u = $1 } END { if (n) print n " utterance(s) with an empty transcript, e.g. " u }' "$data/text" > "$tmp/msg"
  [ -s "$tmp/msg" ] && echo "$prog: WARNING: $data: text: $(cat "$tmp/msg")" >&2
fi
if [ -f "$data/wav.scp" ]; then
  perl -ne 'my @f = split; next if $f[-1] eq "|";
    if (@f != 2) { print "utterance $f[0]: expected \"utt path\" or a command ending in |\n"; exit 1 }
    if (! -f $f[1]) { print "utterance $f[0]: no such file $f[1]\n"; exit 1 }' "$data/wav.scp" > "$tmp/msg" ||
    fail "wav.scp: $(cat "$tmp/msg")"
fi
echo "$prog: $data: OK ($(wc -l < "$data/utt2spk") utterances, $(wc -l < "$data/spk2utt") speakers)" >&2
exit 0
