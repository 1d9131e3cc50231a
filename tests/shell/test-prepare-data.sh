#!/usr/bin/env bash
# Tests of the multilang recipe's data preparation (espeak-ng corpus) on tiny settings,
# and make-tasks over the corpus it builds.
. "$(dirname "$0")/lib.sh"
export LC_ALL=C
S5=$TOPDIR/egs/multilang/s5
prep() { (cd "$S5" && local/prepare_data.sh "$@"); }
export -f prep; export S5

# Corpus 1: --tiny with dialects, two source languages and one target.
check "tiny corpus builds" prep --tiny true --nj 2 --src-langs "en-us es" --tgt-langs pt "$TESTDIR/data"
D=$TESTDIR/data
check "every split validates" bash -c "for d in $D/train $D/pt/adapt $D/pt/test; do validate_data_dir.sh \$d || exit 1; done"
check "split sizes: 4 clean + 4 noisy per source language, 8 + 8 adaptation" bash -c "[ \$(grep -c ' clean\$' $D/train/utt2cond) = 8 ] &&
  [ \$(wc -l < $D/train/utt2spk) = 16 ] && [ \$(grep -c ' clean\$' $D/pt/adapt/utt2cond) = 8 ] && [ \$(grep -c ' clean\$' $D/pt/test/utt2cond) = 3 ]"
check "languages in utt2lang" bash -c "[ \"\$(cut -d' ' -f2 $D/train/utt2lang | sort -u | tr '\n' ' ')\" = 'en es ' ] &&
  [ \"\$(cut -d' ' -f2 $D/pt/test/utt2lang | sort -u)\" = pt ]"
check "dialects are regional voices" bash -c "cut -d' ' -f2 $D/train/utt2dialect | sort -u | grep -qx en-gb &&
  cut -d' ' -f2 $D/train/utt2dialect | sort -u | grep -qx es-419"
check "no speaker in two splits" bash -c "cat $D/train/spk2utt $D/pt/adapt/spk2utt $D/pt/test/spk2utt | cut -d' ' -f1 | sort | uniq -d | grep -q . && exit 1 || true"
check "speakers are voice variants" bash -c "grep -q '^en-[a-z-]*-[a-z0-9]* ' $D/train/spk2utt"
check "sentences differ between splits" bash -c "cut -d' ' -f2- $D/pt/adapt/text | sort -u > a; cut -d' ' -f2- $D/pt/test/text | sort -u > b; [ -z \"\$(comm -12 a b)\" ]"
check "audio is 16 kHz 16-bit mono WAV, peak at -6 dBFS" bash -c "f=\$(head -1 $D/train/wav.scp | cut -d' ' -f2) && [ \"\$(soxi -r \$f) \$(soxi -b \$f) \$(soxi -c \$f)\" = '16000 16 1' ] &&
  sox \$f -n stat 2>&1 | awk '/^Maximum amplitude/ { found = 1; if (\$3 < 0.45 || \$3 > 0.52) exit 1 } END { exit !found }'"
check "utt2dur matches the audio" bash -c "read u f < <(head -1 $D/pt/test/wav.scp) && d=\$(grep \"^\$u \" $D/pt/test/utt2dur | cut -d' ' -f2) &&
  awk -v a=\$d -v b=\$(soxi -D \$f) 'BEGIN { exit !(a - b < 0.001 && b - a < 0.001) }'"
check "noisy copies are wav-add-noise pipes" bash -c "grep -- 'db wav-add-noise --snr=' $D/train/wav.scp | grep -q -- '--seed=[0-9]* .*\\.wav - |\$' &&
  ! grep ' clean\$' $D/train/utt2cond | grep -q db"
check "noisy wav.scp pipes run and give 16 kHz audio of the same length" bash -c "for t in white pink babble; do
  read u cmd < <(grep -- \"--noise-type=\$t\" $D/train/wav.scp $D/pt/*/wav.scp | cut -d: -f2- | head -1); [ -n \"\$cmd\" ] || continue;
  eval \"\${cmd% |}\" > n.wav 2>/dev/null && [ \$(soxi -r n.wav) = 16000 ] && [ \$(soxi -s n.wav) = \$(soxi -s \$(echo \$cmd | awk '{print \$(NF-2)}')) ] || exit 1; done"
check "units: <blk> is 0, every label symbol is a unit" bash -c "head -1 $D/lang_phone/units.txt | grep -qx '<blk> 0' &&
  head -1 $D/lang_char/units.txt | grep -qx '<blk> 0' && grep -q '^<space> ' $D/lang_char/units.txt &&
  for d in $D/train $D/pt/adapt $D/pt/test; do sym2int.pl -f 2- $D/lang_phone/units.txt \$d/text.phone >/dev/null &&
  sym2int.pl -f 2- $D/lang_char/units.txt \$d/text.char >/dev/null || exit 1; done"
check "phones: no stress marks, length kept" bash -c "! grep -q \$'\\xcb\\x88' $D/train/text.phone && grep -q 'ː' $D/lang_phone/units.txt"
check "text.char spells text" bash -c "paste -d'|' <(cut -d' ' -f2- $D/train/text | tr -d ' ') <(cut -d' ' -f2- $D/train/text.char | sed 's/ <space> //g; s/ //g') | awk -F'|' '\$1 != \$2 { exit 1 }'"
check "utt2uniq: a clean utterance is its own recording, a noisy copy its clean one's" bash -c "for d in $D/train $D/pt/adapt $D/pt/test; do
  paste -d' ' \$d/utt2uniq \$d/utt2cond | awk '\$1 != \$3 || (\$4 == \"clean\") != (\$1 == \$2) || (\$1 != \$2 && \$1 != \$2 \"-\" \$4) { exit 1 }' || exit 1
  [ \$(cut -d' ' -f2 \$d/utt2uniq | sort -u | wc -l) = \$(grep -c ' clean\$' \$d/utt2cond) ] || exit 1; done"
check "no recording in both the adapt and the test set" bash -c "cut -d' ' -f2 $D/pt/adapt/utt2uniq | sort -u > a; cut -d' ' -f2 $D/pt/test/utt2uniq | sort -u > b;
  [ -s a ] && [ -s b ] && [ -z \"\$(comm -12 a b)\" ]"
check "make-tasks: no recording on both sides of an episode (utt2uniq by default)" bash -c "for k in lang spk; do
  make-tasks --task-key=\$k --support=2 --query=2 --num-episodes=200 $D/train ep 2>err && grep -q 'Grouping the copies' err &&
  [ \$(episode_leaks $D/train/utt2uniq ep) = 0 ] || exit 1; done && make-tasks --group-key= --task-key=lang --support=3 --query=2 \
  --num-episodes=200 $D/train ep && [ \$(episode_leaks $D/train/utt2uniq ep) -gt 0 ]"
# Adaptation draws (local/make_draws.sh) count recordings, take every copy, and never meet
# the test set. pt/adapt has 8 recordings of 2 copies; make_draws.sh needs feats_cmvn.scp.
cp -r $D/pt/adapt adapt; awk '{ print $1, "feats.ark:0" }' adapt/utt2spk > adapt/feats_cmvn.scp
cut -d' ' -f2 $D/pt/test/utt2uniq | sort -u > test.recs
draw() { (cd "$S5" && local/make_draws.sh "$@"); }
check_draw() { # list N: N recordings, both copies of each, none of them in the test set
  filter_scp.pl "$1" adapt/utt2uniq | cut -d' ' -f2 | sort -u > recs
  [ $(wc -l < recs) = $2 ] && [ $(wc -l < "$1") = $((2 * $2)) ] && [ -z "$(comm -12 recs test.recs)" ]
}
export -f draw check_draw
check "draws: N recordings, every copy of each, nested, none in the test set" bash -c "draw --draws 2 --shots '1 2 4' $TESTDIR/adapt $TESTDIR/draws &&
  for d in 1 2; do for n in 1 2 4; do check_draw draws/\${n}_\$d.list \$n || exit 1; done
    [ -z \"\$(comm -23 draws/1_\$d.list draws/2_\$d.list)\$(comm -23 draws/2_\$d.list draws/4_\$d.list)\" ] || exit 1
  done && ! cmp -s draws/order_1 draws/order_2"
check_fails "draws: more recordings than the adaptation set has" "9 recordings asked for, .*adapt/utt2uniq has 8 (16 utterances with features)" \
  draw --shots '2 9' $TESTDIR/adapt $TESTDIR/draws2
check "make-tasks: languages" bash -c "make-tasks --task-key=lang --support=2 --query=2 --num-episodes=20 $D/train ep && [ \"\$(cut -d' ' -f2 ep | sort -u | tr '\n' ' ')\" = 'en es ' ]"
check "make-tasks: dialects" bash -c "make-tasks --task-key=dialect --support=1 --query=1 --num-episodes=100 $D/train ep && cut -d' ' -f2 ep | grep -qx en-gb"
check "make-tasks: speakers" bash -c "make-tasks --task-key=spk --support=2 --query=2 --num-episodes=20 $D/train ep && [ \$(cut -d' ' -f2 ep | sort -u | wc -l) -ge 3 ]"
check "make-tasks: noise conditions" bash -c "make-tasks --task-key=lang,cond --support=1 --query=0 --num-episodes=50 $D/train ep && cut -d' ' -f2 ep | grep -q '^en+clean\$' && cut -d' ' -f2 ep | grep -q 'db\$'"
check "make-tasks: seconds" bash -c "make-tasks --support-seconds=3 --query=1 --num-episodes=5 $D/pt/adapt ep"

# Corpus 2: the other options, without --tiny (one utterance per speaker, few words).
check "options corpus builds" prep --nj 1 --src-langs en-us --tgt-langs pt --dialects false --train-utts 2 --train-spk 2 \
  --adapt-utts 2 --adapt-spk 1 --test-utts 1 --test-spk 1 --min-words 2 --max-words 2 --noise-types white \
  --snrs -3 --noisy-copies 0 --use-fortunes false --seed 5 --wavdir "$TESTDIR/w2" "$TESTDIR/d2"
E=$TESTDIR/d2
check "sizes, speakers and --dialects false" bash -c "[ \$(wc -l < $E/train/utt2spk) = 2 ] && [ \$(wc -l < $E/train/spk2utt) = 2 ] &&
  [ \$(wc -l < $E/pt/adapt/utt2spk) = 2 ] && [ \$(wc -l < $E/pt/adapt/spk2utt) = 1 ] && [ \$(wc -l < $E/pt/test/utt2spk) = 1 ] &&
  [ \"\$(cut -d' ' -f2 $E/train/utt2dialect | sort -u)\" = en-us ]"
check "--min-words/--max-words" bash -c "awk 'NF != 3 { exit 1 }' $E/train/text $E/pt/test/text"
check "--noisy-copies 0 and --wavdir" bash -c "! grep -v ' clean\$' $E/train/utt2cond && grep -q '$TESTDIR/w2/train/' $E/train/wav.scp"
check "the same options and --seed build the same corpus, audio included" bash -c "cd $S5 && local/prepare_data.sh --nj 1 \
  --src-langs en-us --tgt-langs pt --dialects false --train-utts 2 --train-spk 2 --adapt-utts 2 --adapt-spk 1 --test-utts 1 \
  --test-spk 1 --min-words 2 --max-words 2 --noise-types white --snrs -3 --noisy-copies 0 --use-fortunes false --seed 5 \
  --wavdir $TESTDIR/w3 $TESTDIR/d3 && for f in \$(cd $TESTDIR/w2 && find . -name '*.wav'); do cmp $TESTDIR/w2/\$f $TESTDIR/w3/\$f || exit 1; done &&
  cmp $E/train/text.phone $TESTDIR/d3/train/text.phone && [ \$(find $TESTDIR/w3 -name '*.wav' | wc -l) = 5 ]"
check "--noise-types, --snrs, --noisy-copies, --seed" bash -c "cd $S5 && local/make_data_dirs.pl --noise-types white --snrs -3 --copies 1 --seed 5 \
  $E/local/plan.tsv $E/local/synth/out.* 2>/dev/null && grep -q 'white-m3db wav-add-noise --snr=-3 --noise-type=white --seed=' $E/train/wav.scp"

# Bad input.
check_fails "a language espeak-ng does not know" "espeak-ng does not know the language 'xx'" prep --tiny true --tgt-langs xx "$TESTDIR/bad"
mkdir nodict
check_fails "a missing dictionary names its package" "no hunspell dictionary for language 'en' in .*; install the Debian package hunspell-en-us" \
  prep --tiny true --src-langs en-us --tgt-langs pt --dict-dir "$TESTDIR/nodict" "$TESTDIR/bad"
check_fails "a bad size" "train-utts must be a non-negative integer" prep --train-utts x "$TESTDIR/bad"
check_fails "a language given twice" "language en is given twice" prep --src-langs "en-us en-gb" --tgt-langs pt "$TESTDIR/bad"
check_fails "an unknown noise type" "unknown noise type 'brown'" prep --tiny true --src-langs en-us --tgt-langs pt --noise-types brown "$TESTDIR/bad"
