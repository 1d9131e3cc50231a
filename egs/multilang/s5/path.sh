# Sourced by run.sh and the scripts under local/: puts the toolkit's programs (bin/) and
# helpers (utils/) on PATH, relative to this recipe, and checks that they are there.
TOPDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
export TOPDIR
export PATH=$TOPDIR/bin:$TOPDIR/utils:$PATH
export LC_ALL=C
# One BLAS thread per job: $cmd runs --nj jobs side by side.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}

path_missing=""
for p in compute-features compute-cmvn-stats apply-cmvn copy-int-vector feat-to-dim make-tasks \
         nnet-init nnet-info meta-train fast-adapt decode compute-wer compute-wer-bootci apply-cmvn-sliding; do
  command -v $p >/dev/null 2>&1 || path_missing="$path_missing $p"
done
if [ -n "$path_missing" ]; then
  echo "path.sh: ERROR: the toolkit's programs are not built (not in $TOPDIR/bin nor on PATH:$path_missing)." >&2
  echo "path.sh: run 'make' in $TOPDIR first." >&2
  return 1 2>/dev/null || exit 1
fi
for p in espeak-ng sox gnuplot; do
  command -v $p >/dev/null 2>&1 || path_missing="$path_missing $p"
done
if [ -n "$path_missing" ]; then
  echo "path.sh: ERROR: missing program(s):$path_missing (Debian packages espeak-ng, sox, gnuplot-nox)." >&2
  echo "path.sh: run 'make deps' (as root) in $TOPDIR." >&2
  return 1 2>/dev/null || exit 1
fi
unset path_missing p
