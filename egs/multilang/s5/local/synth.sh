#!/usr/bin/env bash
# Synthesises the utterances of a list with espeak-ng, one job of prepare_data.sh.
# List lines (tab-separated): utt voice pitch rate wav-path text. Each utterance is
# written as 16 kHz 16-bit mono WAV (espeak-ng's 22050 Hz output resampled by sox),
# peak-normalised to -6 dBFS so that added noise has headroom before clipping;
# espeak-ng's IPA for what it spoke (phones separated by "_", words by spaces) goes to
# <out>: "utt<TAB>ipa" lines. sox runs with -R: its dither would otherwise draw a new
# random seed each run, and the same --seed would not give the same corpus.
if [ $# -ne 2 ]; then
  echo "Usage: $0 <list> <out>" >&2
  echo "e.g.: $0 data/local/synth/list.1 data/local/synth/out.1" >&2
  exit 1
fi
list=$1 out=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
n=0
while IFS=$'\t' read -r utt voice pitch rate wav text; do
  mkdir -p "$(dirname "$wav")"
  ipa=$(espeak-ng -v "$voice" -p "$pitch" -s "$rate" --ipa --sep=_ -w "$tmp/a.wav" -- "$text" | tr '\n' ' ') ||
    { echo "$0: ERROR: espeak-ng failed on utterance $utt (voice $voice)" >&2; exit 1; }
  sox -R "$tmp/a.wav" -r 16000 -b 16 -c 1 "$wav" gain -n -6 ||
    { echo "$0: ERROR: sox failed on utterance $utt" >&2; exit 1; }
  printf '%s\t%s\n' "$utt" "$ipa"
  n=$((n + 1))
done < "$list" > "$out.tmp" || exit 1
mv "$out.tmp" "$out"
echo "$0: synthesised $n utterances of $list" >&2
