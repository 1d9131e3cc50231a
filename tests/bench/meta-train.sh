#!/usr/bin/env bash
# Speed of meta-train's meta-batch on THREADS threads (default 2): the tasks of a
# meta-batch in parallel, one BLAS thread each (--thread-mode=tasks), against one task
# at a time on threaded BLAS and CTC (--thread-mode=blas), and one thread as the
# reference; for a DNN and a 2 x 256 LSTM, MAML with 2 inner steps. Then fast-adapt of
# the 2 x 256 LSTM to 50 utterances: the last layer, or all layers in batches of 5 or of
# all 50 (the target of the last: 100 steps in under 30 s on 2 threads).
#   tests/bench/meta-train.sh [threads] [iterations]
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=${1:-2} iters=${2:-2}
D=40 K=48 T=200
make -s all >/dev/null
export PATH="$PWD/bin:$PATH"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
# 64 utterances of T frames (random features, 20 random labels each), 16 episodes of
# 2 support + 2 query utterances.
awk -v D=$D -v T=$T 'BEGIN { srand(3); for (u = 0; u < 64; u++) { printf "u%03d  [\n", u;
  for (t = 0; t < T; t++) { for (c = 0; c < D; c++) printf " %.3f", rand() - 0.5; printf (t == T - 1 ? " ]\n" : "\n") } } }' > feats.txt
awk -v K=$K 'BEGIN { srand(4); for (u = 0; u < 64; u++) { printf "u%03d", u; for (i = 0; i < 20; i++) printf " %d", 1 + int(rand() * (K - 1)); printf "\n" } }' > labels.txt
awk 'BEGIN { for (e = 0; e < 16; e++) printf "ep%02d t%d support u%03d,u%03d query u%03d,u%03d\n", e, e % 4, 4*e, 4*e+1, 4*e+2, 4*e+3 }' > episodes.txt
copy-feats ark:feats.txt ark:feats.ark 2>/dev/null
printf 'splice context=-3:3\naffine dim=512\nrelu\naffine dim=512\nrelu\naffine\nlog-softmax\n' > dnn.conf
printf 'lstm dim=256\nlstm dim=256\naffine\nlog-softmax\n' > lstm.conf

# "wall cpu" seconds of a command (cpu: user + sys of all its threads)
timed() {
  local TIMEFORMAT='%R %U %S'
  { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ printf "%.2f %.2f", $1, $2 + $3 }'
}
mt() {
  meta-train --algo=maml --inner-steps=2 --meta-batch=4 --iterations="$iters" --progress-every=0 \
    "$@" model.mdl ark:feats.ark ark:labels.txt episodes.txt out.mdl
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for net in dnn lstm; do
  nnet-init --input-dim=$D --output-dim=$K $net.conf model.mdl 2>/dev/null
  t1=$(timed mt --num-threads=1)
  tt=$(timed mt --num-threads="$threads" --thread-mode=tasks)
  tb=$(timed mt --num-threads="$threads" --thread-mode=blas)
  frames=$((iters * 4 * 4 * T))
  echo "meta-train MAML, $net ($(nnet-info model.mdl 2>/dev/null | grep -o 'params=[0-9]*' | awk -F= '{ s += $2 } END { print s }') params), meta-batch 4 x (2+2 utts x $T frames), 2 inner steps, $iters iterations:"
  echo "$t1 $tt $tb" | awk -v f=$frames -v th="$threads" '{
    printf "  1 thread:                      wall %6.2f s (%6.0f frames/s), cpu %6.2f s\n", $1, f / $1, $2;
    printf "  %d threads, tasks in parallel:  wall %6.2f s (%6.0f frames/s), cpu %6.2f s, speed-up x%.2f\n", th, $3, f / $3, $4, $1 / $3;
    printf "  %d threads, threaded BLAS+CTC:  wall %6.2f s (%6.0f frames/s), cpu %6.2f s, speed-up x%.2f\n", th, $5, f / $5, $6, $1 / $5;
    printf "  tasks-parallel / threaded-BLAS speed: %.2f\n", $5 / $3 }'
done

# fast-adapt: 2 x 256 LSTM, 50 utterances of T frames, 100 steps.
nnet-init --input-dim=$D --output-dim=$K lstm.conf lstm.mdl 2>/dev/null
head -n 50 labels.txt > labels50.txt
fa() { fast-adapt --lr=0.01 --num-threads="$threads" "$@" lstm.mdl ark:feats.ark ark:labels50.txt a.mdl; }
for opts in "--steps=100 --adapt-layers=last" "--steps=10 --adapt-layers=last --cache-frozen=false" \
            "--steps=100 --batch=5" "--steps=100"; do
  echo "$(timed fa $opts) $opts" | awk -v T=$T -v th="$threads" '{ o = $0; sub(/^[^ ]* [^ ]* /, "", o);
    printf "fast-adapt 2x256 LSTM, 50 utts x %d frames, %d threads, %s: wall %.1f s, cpu %.1f s\n", T, th, o, $1, $2 }'
done
echo "  (target: all layers, all 50 utterances a step, 100 steps (the last line) in under 30 s wall on 2 threads)"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
