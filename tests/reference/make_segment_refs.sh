#!/usr/bin/env bash
# Makes the references of Kaldi's extract-segments and wav-to-duration for
# tests/shell/test-segments.sh: the segments of tests/reference/segments.txt cut by Kaldi's
# extract-segments out of the reference WAVs (16-bit only: Kaldi reads no other), and the
# durations Kaldi's wav-to-duration gives for them. The archive itself is not committed:
# tests/reference/segments.ref holds its md5sum, then the durations (text, as written).
# Run from the top of the source tree with the directory of the two Kaldi programs
# (built from kaldi-asr/kaldi src/featbin with src/feat/wave-reader.cc, outside this tree):
#   tests/reference/make_segment_refs.sh /path/to/kaldi/bin
set -e
K=${1:?usage: $0 <directory of the Kaldi programs>}
W=$PWD/tests/reference/features
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf "cards $W/cards8k.wav\nespeak $W/espeak22k.wav\nspeech $W/speech16k.wav\nstereo $W/stereo8k.wav\n" > "$tmp/wav.scp"
"$K/extract-segments" scp:"$tmp/wav.scp" tests/reference/segments.txt ark:"$tmp/seg.ark"
{ md5sum < "$tmp/seg.ark" | cut -d' ' -f1
  "$K/wav-to-duration" --read-entire-file=true ark:"$tmp/seg.ark" ark,t:-; } > tests/reference/segments.ref
