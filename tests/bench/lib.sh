# Sourced by the benchmarks (and make bench) that compare against PyTorch in the same run.

# bench_need_torch [WHO]: stops with the package to install when Debian's PyTorch is missing.
bench_need_torch() {
  /usr/bin/python3 -c "import torch" 2>/dev/null && return 0
  echo "${1:-${0##*/}}: the benchmarks compare against PyTorch, which /usr/bin/python3 cannot import:" \
    "install Debian's python3-torch (as root: make deps BENCH=1, or apt-get install python3-torch)" >&2
  exit 1
}

# bench_same_blas_kernels: exports OPENBLAS_CORETYPE as the kernels our programs run, so
# that PyTorch's OpenBLAS runs the same ones (on a CPU newer than the installed OpenBLAS
# knows, ours choose by the CPU's instruction sets and PyTorch's would fall back to its
# slowest), and prints them. After `make all`, from the top directory.
bench_same_blas_kernels() {
  mkdir -p build/bench
  cc -std=c11 -Isrc tests/bench/blas-kernels.c build/libmatrix.a build/libbase.a \
    $(pkg-config --libs openblas) -lm -pthread -o build/bench/blas-kernels
  OPENBLAS_CORETYPE=$(build/bench/blas-kernels)
  export OPENBLAS_CORETYPE
  echo "OpenBLAS kernels (ours and PyTorch's): $OPENBLAS_CORETYPE"
}
