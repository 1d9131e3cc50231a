#!/usr/bin/env bash
# Synthesises the utterances of a list, one job of prepare_data.sh. List lines
# (tab-separated): utt engine voice dialect pitch rate wav-path text, the engine being
#   espeak    espeak-ng -v <voice> -p <pitch> -s <rate>
#   festival  festival's voice_<voice>, one festival process for all the utterances of
#             a voice (loading a voice takes longer than saying a sentence); the text is
#             given in the voice's encoding (ISO-8859-2 for Czech, UTF-8 for Russian,
#             ISO-8859-1 for the others)
#   flite     flite -voice <voice>
# Each utterance is written as 16 kHz 16-bit mono WAV (resampled by sox), peak-normalised
# to -6 dBFS so that added noise has headroom before clipping. Its phones go to <out>,
# "utt<TAB>ipa" lines: espeak-ng's IPA of the text in <dialect> (phones separated by "_",
# words by spaces), whichever engine spoke it, so labels are the text's phones. sox runs
# with -R: its dither would otherwise draw a new random seed each run, and the same
# --seed would not give the same corpus.
# The encoding festival's voices of a language read.
festival_encoding() {
  case ${1%%-*} in cs|sk) echo ISO-8859-2 ;; ru) echo UTF-8 ;; *) echo ISO-8859-1 ;; esac
}
if [ $# -eq 2 ] && [ "$1" = --festival-encoding ]; then festival_encoding "$2"; exit 0; fi
if [ $# -ne 2 ]; then
  echo "Usage: $0 <list> <out>" >&2
  echo "   or: $0 --festival-encoding <language>    (prints the encoding festival reads it in)" >&2
  echo "e.g.: $0 data/local/synth/list.1 data/local/synth/out.1" >&2
  exit 1
fi
list=$1 out=$2
prog=synth.sh
set -o pipefail
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
die() { echo "$prog: ERROR: $*" >&2; exit 1; }

# to_16k <in> <utt> <wav>: the engine's output as the corpus's audio.
to_16k() {
  mkdir -p "$(dirname "$3")"
  sox -R "$1" -r 16000 -b 16 -c 1 "$3" gain -n -6 || die "sox failed on utterance $2"
}
# said <utt> <ipa>: an utterance and its phones go to <out>.
said() { printf '%s\t%s\n' "$1" "$2" >> "$out.tmp"; n=$((n + 1)); }
# ipa_of <utt> <dialect> <text>: espeak-ng's phones of a text another engine said.
ipa_of() {
  espeak-ng -q -v "$2" --ipa --sep=_ -- "$3" | tr '\n' ' ' || die "espeak-ng failed on the text of utterance $1 (voice $2)"
}
n=0
: > "$out.tmp"
mkdir -p "$tmp/festival"
while IFS=$'\t' read -r utt engine voice dialect pitch rate wav text; do
  case $engine in
    espeak)
      ipa=$(espeak-ng -v "$voice" -p "$pitch" -s "$rate" --ipa --sep=_ -w "$tmp/a.wav" -- "$text" | tr '\n' ' ') ||
        die "espeak-ng failed on utterance $utt (voice $voice)"
      to_16k "$tmp/a.wav" "$utt" "$wav"
      said "$utt" "$ipa"
      continue ;;
    flite)
      flite -voice "$voice" -t "$text" -o "$tmp/a.wav" || die "flite failed on utterance $utt (voice $voice)"
      to_16k "$tmp/a.wav" "$utt" "$wav" ;;
    festival)
      # Said below, all the utterances of a voice by one process.
      printf '%s\t%s\t%s\t%s\n' "$utt" "$dialect" "$wav" "$text" >> "$tmp/festival/$voice"
      continue ;;
    *) die "unknown engine '$engine' for utterance $utt" ;;
  esac
  ipa=$(ipa_of "$utt" "$dialect" "$text") || exit 1
  said "$utt" "$ipa"
done < "$list" || exit 1

for f in "$tmp"/festival/*; do
  [ -f "$f" ] || continue
  voice=${f##*/}
  enc=$(festival_encoding "$(head -n 1 "$f" | cut -f2)")
  # One utterance a form; a sentence festival cannot say leaves no file (checked below).
  awk -F'\t' -v v="$voice" -v d="$tmp/festival" 'NR == 1 { print "(voice_" v ")" }
    { gsub(/[\\"]/, "", $4); printf "(unwind-protect (utt.save.wave (SynthText \"%s\") \"%s/%s.wav\" (quote riff)) nil)\n", $4, d, $1 }' \
    "$f" > "$tmp/say.scm"
  if ! iconv -f UTF-8 -t "$enc" "$tmp/say.scm" > "$tmp/say.$enc.scm" 2>/dev/null; then
    while IFS=$'\t' read -r utt dialect wav text; do
      iconv -f UTF-8 -t "$enc" <<< "$text" >/dev/null 2>&1 ||
        die "utterance $utt: festival voice $voice reads $enc, which cannot write '$text'"
    done < "$f"
  fi
  festival --batch "$tmp/say.$enc.scm" > "$tmp/festival.log" 2>&1
  while IFS=$'\t' read -r utt dialect wav text; do
    [ -s "$tmp/festival/$utt.wav" ] ||
      die "festival (voice $voice) said nothing for utterance $utt ('$text'): $(tail -n 3 "$tmp/festival.log")"
    to_16k "$tmp/festival/$utt.wav" "$utt" "$wav"
    ipa=$(ipa_of "$utt" "$dialect" "$text") || exit 1
    said "$utt" "$ipa"
  done < "$f"
done
mv "$out.tmp" "$out"
echo "$0: synthesised $n utterances of $list" >&2
