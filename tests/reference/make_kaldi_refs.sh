#!/usr/bin/env bash
# Makes tests/reference/kaldi/: what Kaldi's own programs write for compressed matrices
# and CMVN, which tests/shell/test-kaldi-exact.sh compares with ours byte for byte.
#
# Run from the top of the source tree after `make`, with Kaldi's copy-feats,
# compute-cmvn-stats and apply-cmvn (built from kaldi-asr/kaldi, src/featbin) first on PATH:
#   PATH=/path/to/kaldi/src/featbin:$PATH tests/reference/make_kaldi_refs.sh
# (The committed files were made with Kaldi at commit f40076610, July 2025.)
# The inputs are features of tests/reference/features/*.wav computed by this toolkit's
# compute-features (Kaldi reads them as any float matrix archive) and small hand-written
# matrices for the corner cases of compression: few rows; a range, 16.0625, whose step
# differs when computed in float; constant; integer and [0, 1] ranges with values outside
# them; a signed zero at the minimum; lopsided and degenerate columns; and
# values (in "rounding") whose byte or uint16 code differs when Kaldi's double rounding
# steps are done in float.
set -euo pipefail
out=tests/reference/kaldi
wavs=tests/reference/features
ours=bin/compute-features
for p in copy-feats compute-cmvn-stats apply-cmvn; do
  case $(command -v $p || true) in
    "" | "$PWD"/bin/*) echo "$0: Kaldi's $p must come first on PATH" >&2; exit 1 ;;
  esac
done
[ -x $ours ] || { echo "$0: run make first ($ours is missing)" >&2; exit 1; }
mkdir -p $out
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# features KEY WAV RATE [OPTIONS...]: one utterance's features, as a binary archive on stdout.
features() {
  echo "$1 $wavs/$2" >"$tmp/wav.scp"
  $ours --dither=0 --sample-frequency="$3" "${@:4}" scp:"$tmp/wav.scp" ark:-
}

# ---- CMVN: MFCC of five utterances by two speakers ----
{
  features a-speech speech16k.wav 16000
  features a-espeak espeak22k.wav 22050
  features b-cards cards8k.wav 8000
  features b-left stereo8k.wav 8000 --channel=0
  features b-right stereo8k.wav 8000 --channel=1
} >$out/cmvn-feats.ark
printf 'a-speech a\na-espeak a\nb-cards b\nb-left b\nb-right b\n' >$out/utt2spk
printf 'a a-speech a-espeak\nb b-cards b-left b-right\n' >$out/spk2utt
feats=ark:$out/cmvn-feats.ark
compute-cmvn-stats $feats ark:$out/cmvn-utt.ark
compute-cmvn-stats --spk2utt=ark:$out/spk2utt $feats ark:$out/cmvn-spk.ark
compute-cmvn-stats $feats $out/cmvn-global.mat
compute-cmvn-stats --binary=false $feats $out/cmvn-global.txt
apply-cmvn --utt2spk=ark:$out/utt2spk ark:$out/cmvn-spk.ark $feats ark:$out/cmvn-spk-mean.ark
apply-cmvn --norm-vars=true --utt2spk=ark:$out/utt2spk ark:$out/cmvn-spk.ark $feats \
  ark:$out/cmvn-spk-meanvar.ark
apply-cmvn $out/cmvn-global.mat $feats ark:$out/cmvn-global-mean.ark
apply-cmvn --norm-vars=true ark:$out/cmvn-utt.ark $feats ark:$out/cmvn-utt-meanvar.ark
# Normalised features, compressed (for apply-cmvn --compress=true).
apply-cmvn --utt2spk=ark:$out/utt2spk ark:$out/cmvn-spk.ark $feats ark:- |
  copy-feats --compress=true ark:- ark:$out/cmvn-spk-mean.cm.ark

# ---- Compression: 23 log-mel energies of speech, 13 MFCC, and hand-written matrices ----
cat >"$tmp/small.txt" <<'EOF'
rows3 [
  0.5 -1.25 3 7.75
  2 2.5 -3 0.125
  -0.75 1 1.5 4 ]
row1 [
  1 -2 3 -4 5 ]
range16 [
  0 16.0625 5
  3.5 8 12.25
  1 2 16 ]
rows6 [
  0.1 -3.7 12.5
  0.3 -2.9 11
  -0.4 -3.1 10.25
  0.9 -4.4 13.5
  0.2 -3.3 9.75
  0.6 -3.8 12 ]
constant [
  2.5 2.5 2.5
  2.5 2.5 2.5
  2.5 2.5 2.5
  2.5 2.5 2.5
  2.5 2.5 2.5
  2.5 2.5 2.5
  2.5 2.5 2.5
  2.5 2.5 2.5
  2.5 2.5 2.5
  2.5 2.5 2.5 ]
integers [
  -40000 0 255 17
  -32768 1 256 -3
  -1 2 300 254
  0 3 -7 100
  1 4 128 12
  255 5 127 0
  256 6 64 255
  32767 7 1000 1
  40000 8 -1000 2
  100 9 0 3 ]
unit [
  -0.25 0 0.5
  0 0.1 0.6
  0.2 0.2 0.7
  0.4 0.3 0.8
  0.6 0.4 0.9
  0.8 0.5 1
  1 0.6 0.333
  1.25 0.7 0.667
  0.5 0.8 0.001
  0.75 0.9 0.999 ]
signed-zeros [
  0 -0
  -0 0
  1 2
  2 1
  0 3
  3 -0
  4 5
  5 4
  6 0
  7 -0 ]
constant-large [
  16777218 16777218
  16777218 16777218
  16777218 16777218
  16777218 16777218
  16777218 16777218
  16777218 16777218
  16777218 16777218
  16777218 16777218
  16777218 16777218
  16777218 16777218 ]
rounding [
  0 0
  7.81249952 65535
  1000 0.500999987
  1000 16.5009995
  1000 27.5009995
  1000 0.498046875
  2000 100.498055
  2000 200.498062
  2000 5
  3000 6 ]
lopsided [
  1 -5
  1 1
  1 1
  1 1
  1 1
  1 1
  1 1
  1 1
  1 1
  1000 1
  1 1
  1 1
  1 1
  1 1
  1 1
  1 1
  1 1
  1 1
  1 1
  1 1 ]
degenerate [
  100000008 100000000
  100000008 100000000
  100000008 100000000
  100000008 100000000
  100000008 100000000
  100000008 100000000
  100000008 100000000
  100000008 100000000
  100000008 100000000
  100000008 100000000 ]
EOF
{
  features speech speech16k.wav 16000 --type=fbank
  features cards cards8k.wav 8000
  copy-feats ark:"$tmp/small.txt" ark:-
} >$out/compress-feats.ark
for method in 1 2 3 4 5 6 7; do
  copy-feats --compress=true --compression-method=$method ark:$out/compress-feats.ark \
    ark:$out/compressed-$method.ark
  copy-feats ark:$out/compressed-$method.ark ark:$out/compressed-$method-read.ark
done
ls -l $out
