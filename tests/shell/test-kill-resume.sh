#!/usr/bin/env bash
# Kill-and-resume: nnet-train and meta-train are killed with SIGKILL at 4 moments drawn
# from a fixed seed, each time resumed with the same command and --resume, until a run
# completes; the final model must be bit-identical to an uninterrupted run's (same seed
# and threads), and a killed run must never leave the output model behind.
source "$(dirname "$0")/lib.sh"
source "$TOPDIR/tests/shell/nnet-toy-data.sh"

# kill_resume_chain SEED TOTAL WORD OUT CMD...: CMD writes OUT, logs progress lines with
# "WORD N" (an epoch or iteration N of TOTAL) and has --resume. Four points of progress
# (10-89 % of TOTAL, drawn from SEED, sorted) are chosen; each run (the first, then the
# resumed ones) is killed once its log shows it has reached the next point, at a moment
# within the following step. Then a last run completes. Moments depend on progress, not
# on the machine's speed, so every kill hits a running process.
mkfifo never; exec 4<> never # read -t on it: a sleep without a fork
kill_resume_chain() {
  local line seed=$1 total=$2 word=$3 out=$4 hits=0 target n; shift 4
  rm -f "$out"
  for target in $(awk -v s="$seed" -v t="$total" 'BEGIN { srand(s); for (i = 0; i < 4; i++)
                  print int(t * (10 + rand() * 80) / 100) }' | sort -n); do
    : > run.log
    "$@" 2> run.log & local pid=$!
    n=0
    exec 3< run.log
    while [ "$n" -lt "$target" ] && kill -0 "$pid" 2>/dev/null; do # no forks: polls every 2 ms
      while IFS= read -r line <&3; do [[ $line =~ $word\ ([0-9]+) ]] && n=${BASH_REMATCH[1]}; done
      read -r -t 0.002 -u 4 || true
    done
    exec 3<&-
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    local status=$?
    cat run.log >> chain.log
    [ "$status" -eq 0 ] && break # it had finished already
    [ "$status" -eq 137 ] || { echo "exit status $status"; return 1; }
    hits=$((hits + 1))
    echo "killed at $word ${n:-0} (target $target of $total)"
    [ -e "$out" ] && { echo "a killed run left $out behind"; return 1; }
  done
  [ -e "$out" ] || "$@" 2>>chain.log || return 1
  echo "$hits kills hit a running process"
  [ "$hits" -ge 3 ]
}

# ---- nnet-train: 96 toy utterances, 40 epochs of 24 minibatches, a checkpoint after each ----
make_toy_data tr 96 1
printf 'input-dim=5\nsplice context=-1:1\naffine dim=24\nrelu\naffine\nlog-softmax\n' > toy.conf
nnet-init --output-dim=5 --seed=1 toy.conf 0.mdl 2>/dev/null
NT="nnet-train --minibatch-size=4 --optimizer=adam --lr=0.01 --num-epochs=40 --progress-every=24 --seed=3"
$NT 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt full.mdl 2>/dev/null
nnet_chain() {
  kill_resume_chain 11 40 epoch res.mdl $NT --checkpoint=nt.ckpt --checkpoint-every=1 --resume \
    0.mdl ark:tr.feats.ark ark,t:tr.labels.txt res.mdl &&
  grep -q 'resuming from nt.ckpt' chain.log && cmp full.mdl res.mdl
}
check "nnet-train: SIGKILL at 4 seeded moments, --resume each time: bit-identical model" nnet_chain

# ---- meta-train: 24 utterances in 3 tasks, 5 episodes, 5000 iterations, a checkpoint each ----
printf 'affine dim=8\ntanh\naffine\nlog-softmax\n' > dnn.conf
nnet-init --input-dim=4 --output-dim=4 --seed=1 dnn.conf init.mdl 2>/dev/null
awk 'BEGIN { srand(7); for (u = 1; u <= 24; u++) { t = (u - 1) % 3; printf "u%02d  [\n", u;
  for (f = 0; f < 7; f++) { for (c = 0; c < 4; c++) printf " %.3f", (c == (f + t) % 4) + 0.3 * (rand() - 0.5);
  printf (f == 6 ? " ]\n" : "\n") } } }' > feats.txt
awk 'BEGIN { for (u = 1; u <= 24; u++) printf "u%02d %d %d\n", u, 1 + u % 3, 1 + (u + 1) % 3 }' > labels.txt
awk 'BEGIN { for (e = 0; e < 5; e++) { b = e * 4; printf "ep%d task%d support u%02d,u%02d query u%02d,u%02d\n",
  e, e % 3, b + 1, b + 2, b + 3, b + 4 } }' > episodes.txt
MT="meta-train --algo=maml --inner-steps=2 --meta-batch=2 --outer-optimizer=adam --iterations=5000 --progress-every=50 --seed=4"
$MT init.mdl ark:feats.txt ark:labels.txt episodes.txt mfull.mdl 2>/dev/null
meta_chain() {
  kill_resume_chain 12 5000 Iteration mres.mdl $MT --checkpoint=mt.ckpt --checkpoint-every=1 --resume \
    init.mdl ark:feats.txt ark:labels.txt episodes.txt mres.mdl &&
  grep -q 'Resuming from mt.ckpt' chain.log && cmp mfull.mdl mres.mdl
}
check "meta-train: SIGKILL at 4 seeded moments, --resume each time: bit-identical model" meta_chain
