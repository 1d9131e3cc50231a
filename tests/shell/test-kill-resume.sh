#!/usr/bin/env bash
# Kill-and-resume: nnet-train and meta-train are killed with SIGKILL at several moments
# (drawn from a fixed seed as fractions of an uninterrupted run's duration), each time
# resumed with the same command and --resume, until a run completes; the final model
# must be bit-identical to the uninterrupted run's (same seed and threads), and a killed
# run must never leave the output model behind.
source "$(dirname "$0")/lib.sh"
source "$TOPDIR/tests/shell/nnet-toy-data.sh"
now() { date +%s.%N; }
# kill_resume_chain SEED OUT CMD...: runs CMD (which writes OUT and has --resume) and kills
# it with SIGKILL at 4 moments, fractions (10-89 %, drawn from SEED) of the uninterrupted
# duration $dur, resuming each time; then lets it complete. Fails if a killed run left OUT.
kill_resume_chain() {
  local seed=$1 out=$2 hits=0 frac; shift 2
  rm -f "$out"
  for frac in $(awk -v s="$seed" 'BEGIN { srand(s); for (i = 0; i < 4; i++) print 10 + int(rand() * 80) }'); do
    "$@" 2>>chain.log & local pid=$!
    sleep "$(awk -v d="$dur" -v f="$frac" 'BEGIN { printf "%.3f", d * f / 100 }')"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    local status=$?
    [ "$status" -eq 0 ] && break # it had finished already
    [ "$status" -eq 137 ] || { echo "exit status $status"; return 1; }
    hits=$((hits + 1))
    echo "killed at $frac % of ${dur}s"
    [ -e "$out" ] && { echo "a killed run left $out behind"; return 1; }
  done
  [ -e "$out" ] || "$@" 2>>chain.log || return 1
  echo "$hits kills hit a running process"
  [ "$hits" -ge 2 ]
}

# ---- nnet-train: 48 toy utterances, 60 epochs, a checkpoint after every minibatch ----
make_toy_data tr 48 1
printf 'input-dim=5\nsplice context=-1:1\naffine dim=24\nrelu\naffine\nlog-softmax\n' > toy.conf
nnet-init --output-dim=5 --seed=1 toy.conf 0.mdl 2>/dev/null
NT="nnet-train --minibatch-size=4 --optimizer=adam --lr=0.01 --num-epochs=60 --progress-every=0 --seed=3"
t0=$(now); $NT 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt full.mdl 2>/dev/null; dur=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
nnet_chain() {
  kill_resume_chain 11 res.mdl $NT --checkpoint=nt.ckpt --checkpoint-every=1 --resume \
    0.mdl ark:tr.feats.ark ark,t:tr.labels.txt res.mdl &&
  grep -q 'resuming from nt.ckpt' chain.log && cmp full.mdl res.mdl
}
check "nnet-train: SIGKILL at 4 seeded moments, --resume each time: bit-identical model" nnet_chain

# ---- meta-train: 24 utterances in 3 tasks, 5 episodes, a checkpoint every iteration ----
printf 'affine dim=8\ntanh\naffine\nlog-softmax\n' > dnn.conf
nnet-init --input-dim=4 --output-dim=4 --seed=1 dnn.conf init.mdl 2>/dev/null
awk 'BEGIN { srand(7); for (u = 1; u <= 24; u++) { t = (u - 1) % 3; printf "u%02d  [\n", u;
  for (f = 0; f < 7; f++) { for (c = 0; c < 4; c++) printf " %.3f", (c == (f + t) % 4) + 0.3 * (rand() - 0.5);
  printf (f == 6 ? " ]\n" : "\n") } } }' > feats.txt
awk 'BEGIN { for (u = 1; u <= 24; u++) printf "u%02d %d %d\n", u, 1 + u % 3, 1 + (u + 1) % 3 }' > labels.txt
awk 'BEGIN { for (e = 0; e < 5; e++) { b = e * 4; printf "ep%d task%d support u%02d,u%02d query u%02d,u%02d\n",
  e, e % 3, b + 1, b + 2, b + 3, b + 4 } }' > episodes.txt
MT="meta-train --algo=maml --inner-steps=2 --meta-batch=2 --outer-optimizer=adam --iterations=5000 --progress-every=0 --seed=4"
t0=$(now); $MT init.mdl ark:feats.txt ark:labels.txt episodes.txt mfull.mdl 2>/dev/null; dur=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
meta_chain() {
  kill_resume_chain 12 mres.mdl $MT --checkpoint=mt.ckpt --checkpoint-every=1 --resume \
    init.mdl ark:feats.txt ark:labels.txt episodes.txt mres.mdl &&
  grep -q 'Resuming from mt.ckpt' chain.log && cmp mfull.mdl mres.mdl
}
check "meta-train: SIGKILL at 4 seeded moments, --resume each time: bit-identical model" meta_chain
