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
full_disk nnet-insert bash -c "echo 'adapter dim=2' > ad.conf && nnet-insert --insert-at=1 m.mdl ad.conf /dev/full"
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
# As in Kaldi, a reader that goes away ends the program quietly: killed by SIGPIPE (status
# 141), no ERROR line, and no LOG line claiming it was done.
closed_pipe() {
  local name=$1; shift
  check "$name: a closed pipe on stdout ends it quietly (SIGPIPE, no ERROR)" bash -c \
    "{ $* 2> pipe.err | head -c 10 > /dev/null; } ; s=\${PIPESTATUS[0]}; [ \$s -eq 141 ] && ! grep -q 'ERROR\|WARNING\|LOG' pipe.err"
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
# Results printed with printf (not through a table writer): the same quiet end.
check "nnet-info, compute-wer: a stdout whose reader has gone ends them quietly" bash -c '
  for c in "nnet-info m.mdl" "compute-wer ark:text ark:text"; do
    { sleep 0.3; $c 2> pipe.err; } | true; s=${PIPESTATUS[0]}
    [ $s -eq 141 ] && ! grep -q "ERROR" pipe.err || exit 1
  done'

# A run that produced nothing fails and leaves no (empty) output file.
: > empty.scp; : > empty.ark
printf 'short a.wav\n' > short.scp
nothing_written() { # name pattern output cmd...
  local name=$1 pattern=$2 out=$3; shift 3
  check_fails "$name: an error" "$pattern" "$@"
  check "$name: no output file" bash -c "! ls $out $out.tmp.* 2>/dev/null | grep -q ."
}
nothing_written "compute-features on an empty scp" "no utterance could be processed (0 read from scp:empty.scp)" \
  e1.ark compute-features scp:empty.scp ark:e1.ark
nothing_written "compute-features, every utterance skipped" "no utterance could be processed (1 read from scp:short.scp)" \
  e2.ark compute-features --min-duration=5 scp:short.scp ark,scp:e2.ark,e2.scp
nothing_written "copy-feats on an empty archive" "no feature matrix in ark:empty.ark" e3.ark copy-feats ark:empty.ark ark:e3.ark
nothing_written "add-deltas on an empty archive" "no utterance could be processed" e4.ark add-deltas ark:empty.ark ark:e4.ark
nothing_written "splice-feats on an empty archive" "no utterance could be processed" e5.ark splice-feats ark:empty.ark ark:e5.ark
nothing_written "compute-cmvn-stats on an empty archive" "no statistics accumulated" e6.ark compute-cmvn-stats ark:empty.ark ark:e6.ark
nothing_written "apply-cmvn, no statistics for any utterance" "no utterance could be processed (8 read from $F)" \
  e7.ark bash -c "compute-cmvn-stats $F ark:cmvn.ark && echo 'u1 zz' > u2s && apply-cmvn --utt2spk=ark:u2s ark:cmvn.ark $F ark:e7.ark"
nnet-init --input-dim=5 --output-dim=4 --seed=1 dnn.conf m5.mdl 2>/dev/null
nothing_written "decode --skip-bad, every utterance of the wrong dimension" "no utterance decoded (0 out of 8 in $F)" \
  e8.txt decode --skip-bad --units=units.txt m5.mdl $F ark,t:e8.txt

# Errors name the output the user gave, never the temporary file written first.
check_fails "cannot create: the error names the user's file" "cannot create /nonexistent/x.ark: No such file" \
  copy-feats $F ark:/nonexistent/x.ark
check "... not the temporary" bash -c "! copy-feats $F ark:/nonexistent/x.ark 2>&1 | grep -q 'tmp\.'"
