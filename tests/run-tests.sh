#!/usr/bin/env bash
# Runs every unit test binary and every shell test; prints "N passed, N failed".
# Each test prints "PASS: name" / "FAIL: name" lines; a test program that exits
# non-zero without printing a FAIL line counts as one failure (a crash, say).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=${BIN:-bin}
export PATH="$PWD/$BIN:$PWD/utils:$PATH"
export TOPDIR="$PWD"
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
passed=0 failed=0
run_one() { # name command...
  local name=$1; shift
  local log="$logdir/$(echo "$name" | tr '/' '_').log"
  local start=$SECONDS
  "$@" >"$log" 2>"$log.err" </dev/null
  local rc=$?
  local p f
  p=$(grep -c '^PASS: ' "$log")
  f=$(grep -c '^FAIL: ' "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAIL: $name (exit $rc)" >>"$log"; fi
  if [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAIL: $name (ran no checks)" >>"$log"; fi
  passed=$((passed + p)); failed=$((failed + f))
  printf '%-45s %3d passed, %d failed (%ds)\n' "$name" "$p" "$f" $((SECONDS - start))
  if [ "$f" -gt 0 ]; then
    grep '^FAIL: ' "$log" | sed 's/^/    /'
    tail -n 25 "$log.err" | sed 's/^/    | /'
  fi
}
for t in "$BUILD"/tests/test-*; do
  [ -x "$t" ] && case "$t" in *.o|*.d) ;; *) run_one "unit/$(basename "$t")" "$t" ;; esac
done
for t in tests/shell/test-*.sh; do
  [ -f "$t" ] && run_one "shell/$(basename "$t" .sh)" bash "$t"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
