#!/usr/bin/env bash
# compute-wer-bootci: the interval and the probability of improvement against the exact
# bootstrap values of an independent reference (tests/reference/bootci_reference.py),
# Kaldi's lines byte for byte on cases whose answer is known by hand, modes, bad input.
source "$(dirname "$0")/lib.sh"
REF=$TOPDIR/tests/reference

# near CASE ARGS...: every line agrees with tests/reference/bootci.txt within the Monte
# Carlo error of 200000 replications (standard errors about 0.02 for rates and 0.1 for
# the probability, in percent).
near() {
  local case=$1; shift
  compute-wer-bootci --replications=200000 "$@" > out || return 1
  cat out
  awk -v c="$case" 'NR == FNR { if ($1 == c) { want[$2] = $0; n++ }; next }
    function off(a, b, tol) { if (a - b > tol || b - a > tol) { print "off: " a " vs " b; bad = 1 } }
    /^Set[12]: %WER / { split(want["set" substr($1, 4, 1)], w, " "); off($3, w[3], 0.15); off($8 + 0, w[4], 0.15); off($9, w[5], 0.15); seen++ }
    /^Probability of Set2 improving Set1: / { split(want["improve"], w, " "); off($6, w[3], 0.6); seen++ }
    END { exit bad || seen != n }' "$REF/bootci.txt" out
}
P=$REF/bootci
check "two systems: intervals and probability of improvement are the exact bootstrap's" \
  near pair ark:$P/pair.ref ark:$P/pair.hyp1 ark:$P/pair.hyp2
check "the same with another seed" near pair --seed=7 ark:$P/pair.ref ark:$P/pair.hyp1 ark:$P/pair.hyp2
check "a draw of only empty references is drawn again (83.33 [ 37.14, 129.53 ] by hand)" \
  near empty ark:$P/empty.ref ark:$P/empty.hyp1

expect() { # expect "LINES" CMD...: stdout is LINES byte for byte
  local want=$1; shift
  printf "$want" > want.txt
  "$@" > got.txt && cmp got.txt want.txt || { echo "got:"; cat got.txt; echo "want:"; cat want.txt; return 1; }
}
# One error in every 4 words: every draw has 25%; the second system makes none.
printf 'u1 a b c d\nu2 e f g h\nu3 i j k l\n' > ref.txt
printf 'u1 a b c x\nu2 e f x h\nu3 i j k\n' > hyp.txt
printf 'u1 a b c d\nu2 e f g h\nu3 i j k l\n' > perfect.txt
check "Kaldi's lines: a constant rate has a zero-width interval" \
  expect 'Set1: %%WER 25.00 95%% Conf Interval [ 25.00, 25.00 ]\n' compute-wer-bootci ark:ref.txt ark:hyp.txt
check "a system better on every utterance improves with probability 100" \
  expect 'Set1: %%WER 25.00 95%% Conf Interval [ 25.00, 25.00 ]\nSet2: %%WER 0.00 95%% Conf Interval [ 0.00, 0.00 ]\nProbability of Set2 improving Set1: 100.00\n' \
  compute-wer-bootci ark:ref.txt ark:hyp.txt ark:perfect.txt
check "identical systems: the same lines, probability 0 (fewer errors, strictly)" bash -c "
  compute-wer-bootci ark:$P/pair.ref ark:$P/pair.hyp1 ark:$P/pair.hyp1 > out && sed -n 1p out | cut -d' ' -f2- > a && sed -n 2p out | cut -d' ' -f2- > b &&
  cmp a b && grep -qx 'Probability of Set2 improving Set1: 0.00' out"
check "the same seed, the same output; the first system's line with or without a second" bash -c "
  compute-wer-bootci --seed=3 ark:$P/pair.ref ark:$P/pair.hyp1 > a && compute-wer-bootci --seed=3 ark:$P/pair.ref ark:$P/pair.hyp1 > b &&
  compute-wer-bootci --seed=4 ark:$P/pair.ref ark:$P/pair.hyp1 > c && compute-wer-bootci --seed=3 ark:$P/pair.ref ark:$P/pair.hyp1 ark:$P/pair.hyp2 > d &&
  cmp a b && ! cmp -s a c && head -1 d | cmp - a"
check "--replications" bash -c "compute-wer-bootci --replications=1 ark:$P/pair.ref ark:$P/pair.hyp1 > a &&
  compute-wer-bootci --replications=1 --seed=1 ark:$P/pair.ref ark:$P/pair.hyp1 > b && ! cmp -s a b && grep -q '\[ \(.*\), \1 \]' a"

# Modes: u4 has no hypothesis.
printf 'u1 a b c d\nu2 e f g h\nu3 i j k l\nu4 m n\n' > ref4.txt
printf 'u1 a b c x\nu2 e f x h\nu3 i j k\nu4\n' > hyp4empty.txt
check "--mode=present skips an absent hypothesis" \
  expect 'Set1: %%WER 25.00 95%% Conf Interval [ 25.00, 25.00 ]\n' compute-wer-bootci --mode=present ark:ref4.txt ark:hyp.txt
check "--mode=all scores it as empty" bash -c "compute-wer-bootci --mode=all ark:ref4.txt ark:hyp.txt > a &&
  compute-wer-bootci ark:ref4.txt ark:hyp4empty.txt > b && cmp a b && ! grep -q '25.00, 25.00' a"
check_fails "--mode=strict (the default) fails on it" "No hypothesis for key u4 and strict mode specifier." \
  compute-wer-bootci ark:ref4.txt ark:hyp.txt
check "pipes and stdin" expect 'Set1: %%WER 25.00 95%% Conf Interval [ 25.00, 25.00 ]\n' \
  bash -c 'cat hyp.txt | compute-wer-bootci "ark:cat ref.txt |" ark:-'
printf 'c1 héllo\n' > rc.txt; printf 'c1 hello\n' > hc.txt
check "--level=char: UTF-8 characters" expect 'Set1: %%CER 20.00 95%% Conf Interval [ 20.00, 20.00 ]\n' \
  compute-wer-bootci --level=char ark:rc.txt ark:hc.txt

# Bad input.
printf 'u1 a b c d\nu3 i j k\n' > h13.txt
check_fails "hypothesis sets with different keys: the first key that differs" \
  "the hypothesis sets have different keys: u2 is in ark:hyp.txt but not in ark:h13.txt" compute-wer-bootci ark:ref.txt ark:hyp.txt ark:h13.txt
check_fails "... in either direction" "u2 is in ark:hyp.txt but not in ark:h13.txt" \
  compute-wer-bootci --mode=present ark:ref.txt ark:h13.txt ark:hyp.txt
: > empty.txt
check_fails "no reference" "no utterance to score in ark:empty.txt" compute-wer-bootci ark:empty.txt ark:hyp.txt
check_fails "no hypothesis present" "no utterance to score in ark:ref.txt (3 without a hypothesis, --mode=present)" \
  compute-wer-bootci --mode=present ark:ref.txt ark:empty.txt
printf 'e1\ne2\n' > noword.txt
check_fails "references without words" "the 2 references scored in ark:noword.txt have no words" \
  compute-wer-bootci ark:noword.txt ark:noword.txt
check_fails "a duplicate hypothesis" "duplicate key u1" bash -c "cat hyp.txt hyp.txt | compute-wer-bootci ark:ref.txt ark:-"
check_fails "--replications=0" "replications must be at least 1" compute-wer-bootci --replications=0 ark:ref.txt ark:hyp.txt
check_fails "one argument" "Usage: compute-wer-bootci" compute-wer-bootci ark:ref.txt
check_fails "four arguments" "Usage: compute-wer-bootci" compute-wer-bootci ark:ref.txt ark:hyp.txt ark:hyp.txt ark:hyp.txt
check_fails "a bad mode" "mode" compute-wer-bootci --mode=some ark:ref.txt ark:hyp.txt
