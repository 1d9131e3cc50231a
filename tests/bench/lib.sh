# Sourced by the benchmarks (and make bench) that compare against PyTorch in the same run.

# bench_need_torch [WHO]: stops with the package to install when Debian's PyTorch is missing.
bench_need_torch() {
  /usr/bin/python3 -c "import torch" 2>/dev/null && return 0
  echo "${1:-${0##*/}}: the benchmarks compare against PyTorch, which /usr/bin/python3 cannot import:" \
    "install Debian's python3-torch (as root: make deps BENCH=1, or apt-get install python3-torch)" >&2
  exit 1
}
