# Helpers for shell tests: source it, call check "name" command..., end with nothing.
# Each check prints PASS:/FAIL: lines for tests/run-tests.sh. Runs in a scratch dir.
set -u
TOPDIR=${TOPDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export TOPDIR
# run-tests.sh puts the programs under test first on PATH (bin/, or the sanitizer build).
case ":$PATH:" in *":$TOPDIR/${BIN:-bin}:"*) ;; *) export PATH="$TOPDIR/${BIN:-bin}:$TOPDIR/utils:$PATH" ;; esac
TESTDIR=$(mktemp -d)
trap 'rm -rf "$TESTDIR"' EXIT
cd "$TESTDIR" || exit 1

# check NAME CMD...: passes when CMD succeeds.
check() {
  local name=$1; shift
  if ( "$@" ) >"$TESTDIR/.out" 2>&1; then echo "PASS: $name"
  else echo "FAIL: $name"; sed 's/^/    /' "$TESTDIR/.out" | tail -n 20 >&2; fi
}
# check_fails NAME PATTERN CMD...: passes when CMD fails and its output matches PATTERN.
check_fails() {
  local name=$1 pattern=$2; shift 2
  if ( "$@" ) >"$TESTDIR/.out" 2>&1; then echo "FAIL: $name (succeeded)"; return; fi
  if grep -q -- "$pattern" "$TESTDIR/.out"; then echo "PASS: $name"
  else echo "FAIL: $name (no '$pattern' in output)"; sed 's/^/    /' "$TESTDIR/.out" | tail -n 20 >&2; fi
}
# episode_leaks UTT2REC EPISODES: how many episodes have a recording (the value UTT2REC,
# e.g. utt2uniq, gives an utterance) in both their support and their query set.
episode_leaks() {
  awk 'NR == FNR { r[$1] = $2; next }
    { split("", s); n = split($4, u, ","); for (i = 1; i <= n; i++) s[r[u[i]]] = 1
      m = $6 == "-" ? 0 : split($6, u, ","); for (i = 1; i <= m; i++) if (r[u[i]] in s) { bad++; break } }
    END { print bad + 0 }' "$1" "$2"
}
export -f episode_leaks

# copy_recipe: a toolkit tree top/ with the programs under test (bin, utils, steps linked)
# and a copy of egs/multilang/s5 (scripts and configs, not its data), for recipe tests.
copy_recipe() {
  local src=$TOPDIR/egs/multilang/s5
  mkdir -p top/egs/multilang/s5
  ln -s "$TOPDIR/${BIN:-bin}" top/bin
  ln -s "$TOPDIR/utils" top/utils
  ln -s "$TOPDIR/steps" top/steps
  cp -r "$src/run.sh" "$src/cmd.sh" "$src/path.sh" "$src/conf" "$src/local" "$src/RESULTS" top/egs/multilang/s5/
  ln -s ../../../utils top/egs/multilang/s5/utils
  ln -s ../../../steps top/egs/multilang/s5/steps
}
