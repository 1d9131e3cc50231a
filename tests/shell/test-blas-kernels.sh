#!/usr/bin/env bash
# The OpenBLAS kernels a program runs: on a CPU with AVX2 and FMA, kernels that use them,
# even where the installed OpenBLAS does not know the CPU; OPENBLAS_CORETYPE set by the
# user is kept; a program that restarts itself for them reads its input once, as before.
source "$(dirname "$0")/lib.sh"

printf 'input-dim=5\nsplice context=-1:1\naffine dim=8\nrelu\naffine\nlog-softmax\n' > tiny.conf
nnet-init --output-dim=5 --seed=1 tiny.conf a.mdl 2>/dev/null
awk 'BEGIN { srand(5); for (u = 1; u <= 3; u++) { printf "u%d  [\n", u;
  for (f = 0; f < 7; f++) { for (c = 0; c < 5; c++) printf " %.3f", rand() - 0.5; printf (f == 6 ? " ]\n" : "\n") } } }' > feats.txt
# kernels [ENV-ARGS...]: the kernels decode says (--verbose=1) it ran, under env ENV-ARGS.
kernels() {
  env "$@" decode --verbose=1 --write-posteriors a.mdl ark:feats.txt ark:/dev/null 2>&1 |
    sed -n 's/.*OpenBLAS kernels: \([A-Za-z0-9]*\).*/\1/p'
}
avx2_kernels() {
  local k; k=$(kernels -u OPENBLAS_CORETYPE); echo "kernels: $k"
  case $k in Haswell | Zen | SkylakeX | Cooperlake | SapphireRapids) ;; *) return 1 ;; esac
}
user_kernels_kept() { local k; k=$(kernels OPENBLAS_CORETYPE=Prescott); echo "kernels: $k"; [ "$k" = Prescott ]; }
input_read_once() {
  env OPENBLAS_CORETYPE="$(kernels -u OPENBLAS_CORETYPE)" decode --write-posteriors a.mdl ark:feats.txt ark,t:ref.txt &&
    env -u OPENBLAS_CORETYPE decode --write-posteriors a.mdl ark:- ark,t:- < feats.txt > out.txt &&
    [ "$(grep -c '\[' out.txt)" = 3 ] && cmp ref.txt out.txt
}
# The process keeps its name (for ps, top, pgrep) when it restarts itself: it waits on a
# fifo for its input, restarted (OPENBLAS_CORETYPE in its environment) or not.
keeps_its_name() {
  mkfifo in.fifo
  env -u OPENBLAS_CORETYPE decode --write-posteriors a.mdl ark:in.fifo ark:/dev/null &
  local pid=$! i
  for i in $(seq 20); do grep -qa OPENBLAS_CORETYPE= /proc/$pid/environ && break; sleep 0.1; done
  local name; name=$(cat /proc/$pid/comm)
  timeout 10 bash -c 'cat feats.txt > in.fifo' # (a decode that died never opens it)
  wait $pid; echo "name: $name"; [ "$name" = decode ]
}

if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
  check "a CPU with AVX2 and FMA gets OpenBLAS kernels that use them" avx2_kernels
fi
check "OPENBLAS_CORETYPE set by the user is kept" user_kernels_kept
check "a program that chooses its kernels keeps its name" keeps_its_name
check "a program that chooses its kernels reads standard input once, with every argument" input_read_once
