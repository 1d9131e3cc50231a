#!/usr/bin/env bash
# make-ngram-lm as a real program: hand-computed Kneser-Ney values, character
# splitting, --units, pipes, and bad input.
source "$(dirname "$0")/lib.sh"

printf 's1 a b\ns2 a\n' > text
# Hand-computed (see tests/unit/test-decode.c, test_kn_by_hand): p(b|a) = 0.33125,
# p(a|<s>) = 0.765625, bow(<s>) = 0.3, p(</s>) = 0.46875, p(<unk>) = 0.09375.
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; exit !(d < 1e-5 && d > -1e-5) }'; }
field() { # field FILE SECTION NGRAM COLUMN: a column of the line of NGRAM in SECTION
  S="$2" awk -F'\t' -v g="$3" -v c="$4" '/^\\/ { in_s = ($0 == ENVIRON["S"]) } in_s && $2 == g { print $c }' "$1"; }
kn_values() {
  make-ngram-lm --order=2 ark:text lm.arpa || return 1
  grep -q '^ngram 1=5$' lm.arpa && grep -q '^ngram 2=4$' lm.arpa && grep -q '^\\end\\$' lm.arpa &&
  near "$(field lm.arpa '\2-grams:' 'a b' 1)" "$(awk 'BEGIN { print log(0.33125) / log(10) }')" &&
  near "$(field lm.arpa '\2-grams:' '<s> a' 1)" "$(awk 'BEGIN { print log(0.765625) / log(10) }')" &&
  near "$(field lm.arpa '\1-grams:' '<s>' 3)" "$(awk 'BEGIN { print log(0.3) / log(10) }')" &&
  near "$(field lm.arpa '\1-grams:' '</s>' 1)" "$(awk 'BEGIN { print log(0.46875) / log(10) }')" &&
  near "$(field lm.arpa '\1-grams:' '<unk>' 1)" "$(awk 'BEGIN { print log(0.09375) / log(10) }')"
}
check "Kneser-Ney values equal the hand-computed ones" kn_values
counts_match() { # each "ngram N=c" equals the number of lines in the \N-grams: section
  awk '/^ngram / { split($2, a, "="); want[a[1]] = a[2] }
       /^\\[0-9]+-grams:$/ { n = substr($0, 2) + 0; next } /^\\/ { n = 0 }
       n && NF { got[n]++ }
       END { for (k in want) if (want[k] != got[k]) exit 1; exit 0 }' "$1"; }
printf 'u1 héllo wörld\nu2 hello\nu3 world wide\n' > words
check "--word-boundary splits UTF-8 characters, | between words" bash -c '
  make-ngram-lm --order=3 --word-boundary="|" ark:words lm3.arpa &&
  grep -q "	ö$(printf "\t")" lm3.arpa && grep -q "	d | w" lm3.arpa && ! grep -q "hello" lm3.arpa'
check "declared counts equal the sections" counts_match lm3.arpa
check "order 5 from a pipe to stdout" bash -c \
  'cat words | make-ngram-lm --order=5 --word-boundary="|" ark:- - > lm5.arpa && grep -q "^ngram 5=" lm5.arpa'
check "--help names the smoothing" bash -c 'make-ngram-lm --help 2>&1 | grep -q "Kneser-Ney"'
printf '<blk> 0\nh 1\ne 2\nl 3\no 4\n| 5\n' > units.txt
check "--units maps other symbols to <unk> with a warning" bash -c '
  make-ngram-lm --order=2 --units=units.txt --word-boundary="|" ark:words lmu.arpa 2> err &&
  grep -q "are not in units.txt" err && ! grep -q "	w" lmu.arpa && grep -q "	<unk> <unk>" lmu.arpa'

check_fails "empty text" "no transcripts" make-ngram-lm ark:/dev/null out.arpa
check "no output left behind" test ! -e out.arpa
check_fails "order out of range" "out of range" make-ngram-lm --order=11 ark:text out.arpa
check_fails "missing text" "nope" make-ngram-lm ark:nope out.arpa
check_fails "transcript containing <s>" "contains <s>" bash -c 'echo "x a <s> b" | make-ngram-lm ark:- out.arpa'
check_fails "wrong argument count" "Usage:" make-ngram-lm ark:text
