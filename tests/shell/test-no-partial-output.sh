#!/usr/bin/env bash
# No partial output: every program that writes, pointed at a full disk (/dev/full) or a
# pipe whose reader has gone (| head -c 10), fails with a "write error" naming the
# output and a non-zero exit; a run that fails midway leaves no file (nor temporary).
source "$(dirname "$0")/lib.sh"

# Inputs: a WAV, features, labels, a model, episodes, a data dir, text, units.
sox -n -r 16000 -b 16 -c 1 a.wav synth 0.6 sine 300 2>/dev/null
printf 'u1 a.wav\nu2 a.wav\n' > wav.scp
printf 'affine dim=8\ntanh\naffine\nlog-softmax\n' > dnn.conf
nnet-init --input-dim=4 --output-dim=4 --seed=1 dnn.conf m.mdl 2>/dev/null
awk 'BEGIN { srand(3); for (u = 1; u <= 8; u++) { printf "u%d  [\n", u;
  for (f = 0; f < 9; f++) { for (c = 0; c < 4; c++) printf " %.3f", (c == f % 4) + 0.3 * rand();
  printf (f == 8 ? " ]\n" : "\n") } } }' > feats.txt
copy-feats ark:feats.txt ark:feats.ark 2>/dev/null
awk 'BEGIN { for (u = 1; u <= 8; u++) printf "u%d %d %d\n", u, 1 + u % 3, 1 + (u + 1) % 3 }' > labels.txt
printf 'ep0 t0 support u1,u2 query u3,u4\nep1 t1 support u5,u6 query u7,u8\n' > episodes.txt
mkdir -p data
for u in 1 2 3 4 5 6 7 8; do echo "u$u s$u"; done > data/utt2spk
for u in 1 2 3 4 5 6 7 8; do echo "u$u l$((u % 2))"; done > data/utt2lang
printf 'u1 a b a\nu2 b a\n' > text
printf '<blk> 0\na 1\nb 2\nc 3\n' > units.txt
F="ark:feats.ark"; L="ark,t:labels.txt"

# full_disk NAME CMD...: CMD must fail with a write error.
full_disk() { local name=$1; shift; check_fails "$name: /dev/full is a write error" "write error" "$@"; }
full_disk compute-features compute-features scp:wav.scp ark:/dev/full
full_disk apply-cmvn bash -c "compute-cmvn-stats $F ark:cmvn.ark && apply-cmvn ark:cmvn.ark $F ark:/dev/full"
full_disk add-deltas add-deltas $F ark:/dev/full
full_disk splice-feats splice-feats $F ark:/dev/full
full_disk compute-cmvn-stats compute-cmvn-stats $F ark:/dev/full
full_disk "compute-cmvn-stats (global)" compute-cmvn-stats $F /dev/full
full_disk copy-feats copy-feats $F ark,t:/dev/full
full_disk "copy-feats (scp side)" copy-feats $F ark,scp:x.ark,/dev/full
full_disk copy-int-vector copy-int-vector $L ark:/dev/full
full_disk feat-to-len feat-to-len $F ark,t:/dev/full
full_disk "feat-to-len (total)" bash -c "feat-to-len $F > /dev/full"
full_disk feat-to-dim feat-to-dim $F /dev/full
full_disk nnet-init nnet-init --input-dim=4 --output-dim=4 dnn.conf /dev/full
full_disk nnet-copy nnet-copy --binary=false m.mdl /dev/full
full_disk nnet-average nnet-average m.mdl m.mdl /dev/full
full_disk nnet-info bash -c "nnet-info m.mdl > /dev/full"
full_disk nnet-train nnet-train --num-epochs=1 m.mdl $F $L /dev/full
full_disk "nnet-train (checkpoint)" nnet-train --num-epochs=1 --checkpoint=/dev/full m.mdl $F $L nt.mdl
full_disk meta-train meta-train --iterations=2 --meta-batch=1 m.mdl $F $L episodes.txt /dev/full
full_disk "meta-train (checkpoint)" meta-train --iterations=2 --meta-batch=1 --checkpoint-every=1 --checkpoint=/dev/full m.mdl $F $L episodes.txt mt.mdl
full_disk fast-adapt fast-adapt --steps=1 m.mdl $F $L /dev/full
full_disk decode decode --units=units.txt m.mdl $F ark,t:/dev/full
full_disk "decode --write-posteriors" decode --write-posteriors m.mdl $F ark:/dev/full
full_disk make-ngram-lm make-ngram-lm ark:text /dev/full
full_disk make-tasks make-tasks --task-key=lang --support=1 --query=1 --num-episodes=3 data /dev/full
full_disk wav-add-noise wav-add-noise --snr=10 a.wav /dev/full
full_disk "wav-add-noise (stdout)" bash -c "wav-add-noise --snr=10 a.wav - > /dev/full"
full_disk compute-wer bash -c "compute-wer ark:text ark:text > /dev/full"
full_disk compute-wer-bootci bash -c "compute-wer-bootci ark:text ark:text > /dev/full"
check "nothing was left behind (no model, no checkpoint, no temporary)" \
  bash -c '! ls nt.mdl mt.mdl x.ark *.tmp.* 2>/dev/null | grep -q .'

# closed_pipe NAME CMD...: CMD writes much more than a pipe holds to stdout, read by head -c 10.
closed_pipe() {
  local name=$1; shift
  check "$name: a closed pipe is a write error, non-zero exit" bash -c \
    "set -o pipefail; { $* 2> pipe.err | head -c 10 > /dev/null; } ; s=\${PIPESTATUS[0]}; [ \$s -ne 0 ] && [ \$s -lt 128 ] && grep -q 'write error' pipe.err"
}
for i in $(seq 60); do sed "s/^u\([0-9]\)/r${i}u\1/" feats.txt; done > big.txt # ~100 kB of text
copy-feats ark:big.txt ark:big.ark 2>/dev/null
closed_pipe copy-feats "copy-feats ark:big.ark ark,t:-"
closed_pipe add-deltas "add-deltas ark:big.ark ark,t:-"
closed_pipe splice-feats "splice-feats ark:big.ark ark,t:-"
for i in $(seq 30); do echo "w$i a.wav"; done > wav30.scp
closed_pipe compute-features "compute-features scp:wav30.scp ark,t:-"
closed_pipe decode "decode --write-posteriors m.mdl ark:big.ark ark,t:-"
printf 'affine dim=256\nrelu\naffine\nlog-softmax\n' > big.conf
nnet-init --input-dim=40 --output-dim=40 --seed=1 big.conf big.mdl 2>/dev/null # ~20k parameters
closed_pipe nnet-copy "nnet-copy --binary=false big.mdl -"

# A run that fails midway (a truncated archive) leaves neither output nor temporary.
head -c 900 big.ark > trunc.ark
check_fails "copy-feats on a truncated archive fails" "truncated\|expected" copy-feats ark:trunc.ark ark,scp:part.ark,part.scp
check "... and leaves no part.ark, part.scp or temporary" bash -c '! ls part.ark part.scp part.*.tmp.* 2>/dev/null | grep -q .'
