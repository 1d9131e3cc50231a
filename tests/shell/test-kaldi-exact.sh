#!/usr/bin/env bash
# Kaldi, bit for bit: compressed matrices (written with --compress by every method, and
# read) and CMVN statistics and normalisation, byte-compared with what Kaldi's own
# copy-feats, compute-cmvn-stats and apply-cmvn wrote from the same inputs
# (tests/reference/kaldi, made by tests/reference/make_kaldi_refs.sh); then --compress
# on every program that writes features, and its errors.
source "$(dirname "$0")/lib.sh"
K=$TOPDIR/tests/reference/kaldi
export K

for m in 1 2 3 4 5 6 7; do
  check "copy-feats --compress=true --compression-method=$m writes Kaldi's bytes" bash -c "
    copy-feats --compress=true --compression-method=$m ark:\$K/compress-feats.ark ark:c$m.ark &&
    cmp c$m.ark \$K/compressed-$m.ark"
  check "Kaldi's method-$m archive reads as Kaldi reads it" bash -c "
    copy-feats ark:\$K/compressed-$m.ark ark:r$m.ark && cmp r$m.ark \$K/compressed-$m-read.ark"
done

feats=ark:$K/cmvn-feats.ark
check "compute-cmvn-stats per utterance: Kaldi's bytes" bash -c "
  compute-cmvn-stats $feats ark:utt.ark && cmp utt.ark \$K/cmvn-utt.ark"
check "compute-cmvn-stats per speaker: Kaldi's bytes" bash -c "
  compute-cmvn-stats --spk2utt=ark:\$K/spk2utt $feats ark:spk.ark && cmp spk.ark \$K/cmvn-spk.ark"
check "compute-cmvn-stats global: a float matrix, Kaldi's bytes (binary and text)" bash -c "
  compute-cmvn-stats $feats global.mat && cmp global.mat \$K/cmvn-global.mat &&
  compute-cmvn-stats --binary=false $feats global.txt && cmp global.txt \$K/cmvn-global.txt"
check "apply-cmvn means per speaker: Kaldi's bytes" bash -c "
  apply-cmvn --utt2spk=ark:\$K/utt2spk ark:\$K/cmvn-spk.ark $feats ark:o.ark &&
  cmp o.ark \$K/cmvn-spk-mean.ark"
check "apply-cmvn means and variances per speaker: Kaldi's bytes" bash -c "
  apply-cmvn --norm-vars=true --utt2spk=ark:\$K/utt2spk ark:\$K/cmvn-spk.ark $feats ark:o.ark &&
  cmp o.ark \$K/cmvn-spk-meanvar.ark"
check "apply-cmvn means and variances per utterance: Kaldi's bytes" bash -c "
  apply-cmvn --norm-vars=true ark:\$K/cmvn-utt.ark $feats ark:o.ark && cmp o.ark \$K/cmvn-utt-meanvar.ark"
check "apply-cmvn with Kaldi's global stats file: Kaldi's bytes" bash -c "
  apply-cmvn \$K/cmvn-global.mat $feats ark:o.ark && cmp o.ark \$K/cmvn-global-mean.ark"
check "apply-cmvn --compress=true: Kaldi's apply-cmvn | copy-feats --compress=true" bash -c "
  apply-cmvn --compress=true --utt2spk=ark:\$K/utt2spk ark:\$K/cmvn-spk.ark $feats ark:o.ark &&
  cmp o.ark \$K/cmvn-spk-mean.cm.ark"

# --compress on the other programs that write features: the same bytes as compressing
# their uncompressed output with copy-feats.
echo "u $TOPDIR/tests/reference/features/speech16k.wav" > wav.scp
same_as_copy_feats() { # method program [options] inputs...: the program writes ark:OUT
  local m=$1 prog=$2; shift 2
  $prog "$@" ark:plain.ark && $prog --compress=true --compression-method="$m" "$@" ark:c.ark &&
    copy-feats --compress=true --compression-method="$m" ark:plain.ark ark:ref.ark && cmp c.ark ref.ark
}
check "compute-features --compress=true" same_as_copy_feats 1 compute-features --type=fbank scp:wav.scp
check "add-deltas --compress=true --compression-method=5" same_as_copy_feats 5 add-deltas "$feats"
check "splice-feats --compress=true --compression-method=3" same_as_copy_feats 3 splice-feats "$feats"
check "apply-cmvn --norm-means=false --compress=true" same_as_copy_feats 2 \
  apply-cmvn --norm-means=false ark:/dev/null "$feats"
check "compressed archive with an scp: offsets read back as the archive" bash -c "
  copy-feats --compress=true ark:\$K/compress-feats.ark ark,scp:c.ark,c.scp &&
  copy-feats scp:c.scp ark:s.ark && cmp s.ark \$K/compressed-1-read.ark"
check "--compress=true with text output: the values read back, as Kaldi's" bash -c "
  copy-feats --compress=true --compression-method=5 ark:\$K/compress-feats.ark ark,t:t1 &&
  copy-feats ark:\$K/compressed-5.ark ark,t:t2 && cmp t1 t2"

check_fails "--compression-method out of range" "expected 1 to 7" \
  copy-feats --compress=true --compression-method=8 "$feats" ark:o.ark
printf 'ok [ 1 2 ]\nbad [ 1 nan\n 2 3 ]\n' > nan.txt
check_fails "a NaN cannot be compressed: the key is named, no output" "key bad: cannot compress a matrix with a NaN" \
  bash -c 'copy-feats --compress=true ark:nan.txt ark:o.ark; s=$?; test ! -e o.ark && exit $s'
printf 'inf [ 1 inf\n 2 3 ]\n' > inf.txt
check_fails "an infinity cannot be compressed to the matrix's range" "key inf: cannot compress a matrix with infinities" \
  copy-feats --compress=true --compression-method=3 ark:inf.txt ark:o.ark
check "an infinity clamps to a fixed range (method 7), as Kaldi" bash -c "
  copy-feats --compress=true --compression-method=7 ark:inf.txt ark,t:- | tr -d '\n' | grep -q '\[  1 1   1 1 \]'"
