#!/usr/bin/env bash
# apply-cmvn-sliding: every case of tests/reference/cmvn_sliding.txt (Kaldi's
# SlidingWindowCmnInternal in numpy) through the program and its tables, Kaldi's options
# and log line, a centred window as long as the utterance equals per-utterance CMVN, and
# bad input.
. "$(dirname "$0")/lib.sh"
ref=$TOPDIR/tests/reference/cmvn_sliding.txt

# The reference's inputs and expected outputs as Kaldi text archives, and each case's options.
awk 'function flush() { if (f != "") { print "  ]" > f; close(f) } }
     /^input / { flush(); f = "in." $2 ".txt"; print $2 "  [" > f; next }
     /^case /  { flush(); c = $2; f = "ref." c ".txt"; print $3 "  [" > f; print $3 > ("input." c); next }
     /^opts /  { sub(/^opts /, ""); print > ("opts." c); next }
     { print "  " $0 > f }
     END { flush() }' "$ref"
cases=$(awk '/^case / { print $2 }' "$ref")

same() { # a.txt b.txt: the same keys and shapes, numbers within 2e-6 relative (text has 7 digits)
  paste -d'\n' <(tr -s ' ' '\n' < "$1") <(tr -s ' ' '\n' < "$2") | awk '
    NR % 2 { a = $0; next }
    { if (a ~ /^-?[0-9.]/ || $0 ~ /^-?[0-9.]/) { d = a - $0; if (d < 0) d = -d; m = ($0 < 0 ? -$0 : $0);
        if (d > 2e-6 * m + 1e-6) { print "differ: " a " vs " $0; bad = 1; exit 1 } }
      else if (a != $0) { print "differ: " a " vs " $0; bad = 1; exit 1 } }
    END { exit bad }'
}
for c in $cases; do
  check "reference case $c ($(cat opts.$c))" bash -c \
    "apply-cmvn-sliding $(cat opts.$c) ark,t:in.$(cat input.$c).txt ark,t:out.$c.txt &&
     grep -q . out.$c.txt && $(declare -f same); same out.$c.txt ref.$c.txt"
done
check "the defaults are Kaldi's: --cmn-window=600 --min-cmn-window=100 --norm-vars=false --center=false" bash -c \
  'apply-cmvn-sliding ark,t:in.long.txt ark,t:def.txt && cmp def.txt out.default.txt &&
   apply-cmvn-sliding --help 2>&1 | grep -q "cmn-window .*default = 600" &&
   apply-cmvn-sliding --help 2>&1 | grep -q "min-cmn-window .*default = 100" &&
   apply-cmvn-sliding --help 2>&1 | grep -q "max-warnings .*default = 5"'
check "Kaldi's log line; binary archives through pipes" bash -c \
  'copy-feats ark,t:in.small.txt ark:- | apply-cmvn-sliding --norm-vars=true ark:- ark:- 2>log |
     copy-feats ark:- ark,t:b.txt &&
   grep -q "Applied sliding-window cepstral mean and variance normalization to 1 utterances, 0 had errors." log &&
   apply-cmvn-sliding --norm-vars=true ark,t:in.small.txt ark,t:t.txt && cmp b.txt t.txt'

# A centred window of 600 frames covers a shorter utterance whole: per-utterance CMVN
# (means on "small"; variances too on "short", whose variances are not floored).
for x in small:--norm-vars=false short:--norm-vars=true; do
  in=${x%%:*} nv=${x#*:}
  check "--center=true on an utterance shorter than the window = per-utterance apply-cmvn ($in $nv)" bash -c \
    "compute-cmvn-stats ark,t:in.$in.txt ark:stats.ark &&
     apply-cmvn $nv ark:stats.ark ark,t:in.$in.txt ark,t:utt.txt &&
     apply-cmvn-sliding --center=true $nv ark,t:in.$in.txt ark,t:sl.txt &&
     $(declare -f same); same utt.txt sl.txt"
done

printf 'empty  [ ]\n' > empty.txt
check_fails "an empty matrix is skipped with a warning naming it; nothing done is a failure" \
  "Empty feature matrix for utterance empty" apply-cmvn-sliding ark,t:empty.txt ark,t:e.txt
check "... and others are still normalised" bash -c \
  'cat empty.txt in.short.txt > two.txt && apply-cmvn-sliding ark,t:two.txt ark,t:two.out 2>log &&
   grep -q "to 1 utterances, 1 had errors" log && [ "$(grep -c "\[" two.out)" = 1 ]'
check_fails "--cmn-window=0 is refused" "cmn-window=0 must be in \[1, 1000000000\]" \
  apply-cmvn-sliding --cmn-window=0 ark,t:in.short.txt ark,t:x.txt
check_fails "--center with --min-cmn-window above --cmn-window is refused" "min-cmn-window=700" \
  apply-cmvn-sliding --center=true --min-cmn-window=700 ark,t:in.short.txt ark,t:x.txt
check "... leaving no output" bash -c '! ls x.txt 2>/dev/null'
check_fails "an unknown option is refused" "norm-var" apply-cmvn-sliding --norm-var=true ark,t:in.short.txt ark,t:x.txt
