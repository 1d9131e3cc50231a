# Sourced by the parallel meta-training tests. same_model A B: the two models have the
# same structure and every number agrees to 1e-5 relative (or 1e-6 absolute): parallel
# sums differ from a single process's only in float rounding.
same_model() {
  nnet-copy --binary=false "$1" "$TESTDIR/.a.txt" 2>/dev/null &&
    nnet-copy --binary=false "$2" "$TESTDIR/.b.txt" 2>/dev/null || return 1
  paste -d ' ' <(tr -s ' \n' '\n\n' <"$TESTDIR/.a.txt") <(tr -s ' \n' '\n\n' <"$TESTDIR/.b.txt") | awk '
    function abs(x) { return x < 0 ? -x : x }
    NF != 2 { bad = "different lengths"; exit }
    $1 ~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/ {
      d = abs($1 - $2); if (d > max) max = d
      if (d > 1e-6 && d > 1e-5 * abs($1)) { bad = "value " $1 " vs " $2; exit }
      next }
    $1 != $2 { bad = "token " $1 " vs " $2; exit }
    END { if (bad != "") { print "models differ: " bad > "/dev/stderr"; exit 1 }
          printf "models agree (largest difference %g)\n", max > "/dev/stderr" }'
}
