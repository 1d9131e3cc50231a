#!/usr/bin/env bash
# compute-wer as a real program in pipes: Kaldi's exact lines on hand-computed cases,
# each mode, CER, groups, details, bad input; and agreement with NIST sclite.
source "$(dirname "$0")/lib.sh"

printf 'utt1 a b c d e f g h\nutt2 one two three four five six seven eight\nutt3 p q r s t u v w\nutt4 never decoded\n' > ref.txt
# utt1: 3 insertions; utt2: 2 substitutions; utt3: 3 insertions, r and w deleted, u->x
printf 'utt1 a b c d e f g h x y z\nutt3 k k k p q s t x v\nutt2 one 2 three four 5 six seven eight\n' > hyp.txt

expect() { # expect FILE-WITH-EXPECTED-OUTPUT CMD...: stdout equals the file byte for byte
  local want=$1; shift
  "$@" > got.txt && cmp got.txt "$want" || { echo "got:"; cat got.txt; echo "want:"; cat "$want"; return 1; }
}

printf '%%WER 45.83 [ 11 / 24, 6 ins, 2 del, 3 sub ] [PARTIAL]\n%%SER 100.00 [ 3 / 3 ]\nScored 3 sentences, 1 not present in hyp.\n' > want.present
check "present: Kaldi's lines byte for byte" expect want.present compute-wer --text --mode=present ark:ref.txt ark:hyp.txt
# all: utt4 scores as empty, 2 more deletions
printf '%%WER 50.00 [ 13 / 26, 6 ins, 4 del, 3 sub ] [PARTIAL]\n%%SER 100.00 [ 4 / 4 ]\nScored 4 sentences, 1 not present in hyp.\n' > want.all
check "all: absent hypotheses count as empty" expect want.all compute-wer --mode=all ark:ref.txt ark:hyp.txt
check_fails "strict (the default) fails on a missing hypothesis" \
  "No hypothesis for key utt4 and strict mode specifier." compute-wer --text ark:ref.txt ark:hyp.txt
check "pipes and stdin" expect want.present \
  bash -c 'cat hyp.txt | compute-wer --mode=present "ark:cat ref.txt |" ark:-'
check "gzip reference" expect want.present \
  bash -c 'gzip -c ref.txt > ref.txt.gz && compute-wer --mode=present ark:ref.txt.gz ark:hyp.txt'

printf 'utt1 the cat sat\nutt2 on the mat\n' > r2.txt
printf 'utt2 on the mat\nutt1 the cat sat\nutt9 unknown key\n' > h2.txt
printf '%%WER 0.00 [ 0 / 6, 0 ins, 0 del, 0 sub ]\n%%SER 0.00 [ 0 / 2 ]\nScored 2 sentences, 0 not present in hyp.\n' > want.perfect
check "strict, all present: no [PARTIAL]; unknown hyp keys ignored" expect want.perfect compute-wer ark:r2.txt ark:h2.txt
check "unknown hypothesis keys are reported" bash -c 'compute-wer ark:r2.txt ark:h2.txt 2>&1 >/dev/null | grep -q "1 hypotheses have no reference.*utt9"'

# Empty references: Kaldi divides 0 by 0 (prints -nan) or n by 0 (inf).
printf 'e1\n' > r3.txt
printf 'e1\n' > h3.txt
printf 'e1 oops\n' > h4.txt
printf '%%WER -nan [ 0 / 0, 0 ins, 0 del, 0 sub ]\n%%SER 0.00 [ 0 / 1 ]\nScored 1 sentences, 0 not present in hyp.\n' > want.empty
printf '%%WER inf [ 1 / 0, 1 ins, 0 del, 0 sub ]\n%%SER 100.00 [ 1 / 1 ]\nScored 1 sentences, 0 not present in hyp.\n' > want.inf
check "empty reference and hypothesis" expect want.empty compute-wer ark:r3.txt ark:h3.txt
check "empty reference, one insertion" expect want.inf compute-wer ark:r3.txt ark:h4.txt
# Nothing scored is not a result (no "%WER -nan" and exit 0): an error saying why.
check_fails "no references at all: an error" "ERROR.*no sentence scored: no reference in ark:/dev/null" \
  compute-wer ark:/dev/null ark:h3.txt
check_fails "no hypothesis for any reference (--mode=present): an error" \
  "ERROR.*no sentence scored: none of the 2 references in ark:r2.txt has a hypothesis in ark:h3.txt (--mode=present)" \
  compute-wer --mode=present ark:r2.txt ark:h3.txt
check "... and nothing on stdout" bash -c '! compute-wer --mode=present ark:r2.txt ark:h3.txt 2>/dev/null | grep -q .'

# Characters: UTF-8 aware, spaces not counted. 10 characters, é -> e substituted;
# "ab cd" vs "abcd" is no error at the character level.
printf 'c1 héllo wörld\nc2 ab cd\n' > r5.txt
printf 'c1 hello wörld\nc2 abcd\n' > h5.txt
printf '%%CER 7.14 [ 1 / 14, 0 ins, 0 del, 1 sub ]\n%%SER 50.00 [ 1 / 2 ]\nScored 2 sentences, 0 not present in hyp.\n' > want.cer
check "--level=char: UTF-8 characters, spaces not counted" expect want.cer compute-wer --level=char ark:r5.txt ark:h5.txt

printf 'utt1 en\nutt2 de\nutt3 en\nutt4 de\n' > utt2lang
{ cat want.all
  echo 'group=de %WER 40.00 [ 4 / 10, 0 ins, 2 del, 2 sub ] [PARTIAL] %SER 100.00 [ 2 / 2 ]'
  echo 'group=en %WER 56.25 [ 9 / 16, 6 ins, 2 del, 1 sub ] %SER 100.00 [ 2 / 2 ]'; } > want.groups
check "--utt2group: one line per group, sorted" expect want.groups compute-wer --mode=all --utt2group=ark:utt2lang ark:ref.txt ark:hyp.txt

cat > want.details <<'EOT'
utt1 a a ; b b ; c c ; d d ; e e ; f f ; g g ; h h ; <eps> x ; <eps> y ; <eps> z
utt2 one one ; two 2 ; three three ; four four ; five 5 ; six six ; seven seven ; eight eight
utt3 <eps> k ; <eps> k ; <eps> k ; p p ; q q ; r <eps> ; s s ; t t ; u x ; v v ; w <eps>
utt4 never <eps> ; decoded <eps>
EOT
check "--details: align-text style alignments" \
  bash -c 'compute-wer --mode=all --details=det.txt ark:ref.txt ark:hyp.txt >/dev/null && cmp det.txt want.details'

printf 'utt1 a\nutt1 b\n' > dup.txt
check_fails "duplicate hypothesis key" "duplicate key utt1" compute-wer ark:ref.txt ark:dup.txt
check_fails "duplicate reference key, as for the hypothesis" "duplicate key utt1 in ark:dup.txt" \
  compute-wer --mode=present ark:dup.txt ark:hyp.txt
check_fails "missing reference file" "nope.txt" compute-wer ark:nope.txt ark:hyp.txt
check_fails "bad mode" "mode" compute-wer --mode=partial ark:ref.txt ark:hyp.txt
check_fails "wrong argument count" "Usage:" compute-wer ark:ref.txt

# ---- Agreement with NIST sclite on random sentences with random edits ----
SCLITE=$(command -v sclite || ls /usr/lib/sctk/bin/sclite 2>/dev/null)
if [ -z "$SCLITE" ]; then
  echo "NOTE: sclite (Debian package sctk) not installed; sclite agreement not checked"
else
  gen() { # gen SEED ERROR-RATE: rr.txt and hh.txt, 200 random sentences with edits
  awk -v seed="$1" -v e="$2" 'BEGIN { srand(seed);
    for (u = 1; u <= 200; u++) {
      n = int(rand() * 12); r = ""; h = "";
      for (i = 0; i < n; i++) {
        w = "w" int(rand() * 30); r = r " " w; x = rand();
        if (x < e) continue;                                   # deletion
        if (x < 2 * e) w = "w" int(rand() * 30);               # substitution
        h = h " " w;
        if (rand() < e) h = h " w" int(rand() * 30);           # insertion
      }
      printf "s%03d%s\n", u, r > "rr.txt"; printf "s%03d%s\n", u, h > "hh.txt";
    } }'
  }
  to_trn() { awk '{ k = $1; $1 = ""; sub(/^ /, ""); print $0 " (spk-" k ")" }' "$1"; }
  sclite_vs_kaldi() {
    to_trn rr.txt > rr.trn && to_trn hh.txt > hh.trn
    # Sum line: | Sum | #snt #wrd | corr sub del ins err s.err |
    local s k
    local sopt=() kopt=()
    if [ "${2:-}" = char ]; then sopt=(-c -e utf-8); kopt=(--level=char); fi
    s=$("$SCLITE" -r rr.trn trn -h hh.trn trn -i spu_id -s "${sopt[@]}" -o rsum stdout | awk '$2 == "Sum" { print $5, $8, $9, $10, $11, $12 }')
    k=$(compute-wer "${kopt[@]}" ark:rr.txt ark:hh.txt | sed -n 's/^%[WC]ER [^ ]* \[ \([0-9]*\) \/ \([0-9]*\), \([0-9]*\) ins, \([0-9]*\) del, \([0-9]*\) sub.*/\2 \5 \4 \3 \1/p')
    k="$k $(compute-wer "${kopt[@]}" ark:rr.txt ark:hh.txt | sed -n 's/^%SER [^ ]* \[ \([0-9]*\) .*/\1/p')"
    echo "sclite: $s"; echo "kaldi:  $k"
    [ -n "$s" ] || return 1
    if [ "${1:-}" = totals ]; then # words, errors, sentence errors, ins - del
      s=$(echo $s | awk '{ print $1, $5, $6, $4 - $3 }'); k=$(echo $k | awk '{ print $1, $5, $6, $4 - $3 }')
    fi
    [ "$s" = "$k" ]
  }
  gen 7 0.08
  check "error counts agree with sclite (words, sub, del, ins, errors, sentence errors)" sclite_vs_kaldi
  # With many errors, equal-cost alignments abound; sclite weighs sub 4, ins/del 3 and
  # Kaldi counts edits, so the split between sub and ins+del can differ; the totals not.
  gen 11 0.3
  check "total errors agree with sclite at a 60% error rate" sclite_vs_kaldi totals
  # Characters: words made of multi-byte UTF-8 characters; sclite -c aligns characters.
  gen 5 0.1
  for f in rr.txt hh.txt; do
    awk '{ for (i = 2; i <= NF; i++) { gsub(/w/, "", $i); gsub(/0/, "é", $i); gsub(/1/, "日", $i);
           gsub(/2/, "ö", $i); gsub(/3/, "語", $i) } print }' $f > tmp && mv tmp $f
  done
  check "character error counts agree with sclite -c" sclite_vs_kaldi totals char
fi
