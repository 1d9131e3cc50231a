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

check "--vtlp: warped copies of the training utterances only, speakers vtlp<f>-<spk> with their factor in spk2warp" bash -c "
  cd $S5 && local/make_data_dirs.pl --copies 0 --vtlp '0.9 1.1' --vtlp-dir $E/train $E/local/plan.tsv $E/local/synth/out.* 2>/dev/null &&
  u=\$(head -n 1 $E/train/utt2spk | cut -d' ' -f1) s=\$(head -n 1 $E/train/utt2spk | cut -d' ' -f2) &&
  grep -qx \"vtlp0.9-\$u vtlp0.9-\$s\" $E/train/utt2spk && grep -qx \"vtlp1.1-\$u \$u\" $E/train/utt2uniq &&
  grep -qx \"vtlp0.9-\$u vtlp-0.9\" $E/train/utt2cond && grep -qx \"vtlp0.9-\$s 0.9\" $E/train/spk2warp &&
  grep -qx \"\$s 1\" $E/train/spk2warp && [ \$(wc -l < $E/train/spk2warp) = 6 ] &&
  [ \"\$(grep \"^vtlp1.1-\$u \" $E/train/wav.scp | cut -d' ' -f2-)\" = \"\$(grep \"^\$u \" $E/train/wav.scp | cut -d' ' -f2-)\" ] &&
  [ ! -e $E/pt/adapt/spk2warp ] && ! grep -q vtlp $E/pt/adapt/utt2spk $E/pt/test/utt2spk &&
  validate_data_dir.sh $E/train"
check "steps/make_fbank.sh computes each speaker's features with its spk2warp factor" bash -c "
  cd $S5 && steps/make_fbank.sh --nj 1 --compress false --fbank-config conf/fbank.conf $E/train $TESTDIR/fb_log $TESTDIR/fb 2> $TESTDIR/fb.log &&
  grep -q 'using VTLN warp factors from $E/train/spk2warp' $TESTDIR/fb.log &&
  u=\$(head -n 1 $E/train/utt2spk | cut -d' ' -f1) &&
  grep \"^\$u \" $E/train/wav.scp | sed \"s/^[^ ]* /vtlp0.9-\$u /\" > $TESTDIR/one.scp &&
  compute-features --config=conf/fbank.conf --type=fbank --vtln-warp=0.9 scp:$TESTDIR/one.scp ark,t:- 2>/dev/null | sed 1d > $TESTDIR/want &&
  copy-feats \"scp:grep '^vtlp0.9-\$u ' $E/train/feats.scp |\" ark,t:- 2>/dev/null | sed 1d > $TESTDIR/got && cmp $TESTDIR/want $TESTDIR/got &&
  copy-feats \"scp:grep '^\$u ' $E/train/feats.scp |\" ark,t:- 2>/dev/null | sed 1d > $TESTDIR/clean && ! cmp -s $TESTDIR/clean $TESTDIR/got"
check "steps/make_fbank.sh: a utt2warp (per utterance) gives the same features as the spk2warp" bash -c "
  cd $S5 && cp -r $E/train $TESTDIR/uw && rm $TESTDIR/uw/spk2warp $TESTDIR/uw/feats.scp &&
  awk 'NR == FNR { w[\$1] = \$2; next } { print \$1, w[\$2] }' $E/train/spk2warp $E/train/utt2spk > $TESTDIR/uw/utt2warp &&
  steps/make_fbank.sh --nj 1 --compress false --fbank-config conf/fbank.conf $TESTDIR/uw $TESTDIR/uw_log $TESTDIR/uw_fb 2> $TESTDIR/uw.log &&
  grep -q 'using VTLN warp factors from $TESTDIR/uw/utt2warp' $TESTDIR/uw.log &&
  cmp <(copy-feats scp:$E/train/feats.scp ark,t:- 2>/dev/null) <(copy-feats scp:$TESTDIR/uw/feats.scp ark,t:- 2>/dev/null)"
check_fails "--vtlp-warps: a bad factor stops before any synthesis" "bad VTLP warp factor '3'" \
  prep --tiny true --src-langs en-us --tgt-langs pt --vtlp-warps 3 "$TESTDIR/bad_vtlp"
check "... and makes nothing" bash -c "[ ! -e $TESTDIR/bad_vtlp ]"
check_fails "make_data_dirs.pl --vtlp without --vtlp-dir" "needs --vtlp-dir" \
  bash -c "cd $S5 && local/make_data_dirs.pl --vtlp 0.9 --check"

# Bad input.
check_fails "a language espeak-ng does not know" "espeak-ng does not know the language 'xx'" prep --tiny true --tgt-langs xx "$TESTDIR/bad"
mkdir nodict
check_fails "a missing dictionary names its package" "no hunspell dictionary for language 'en' in .*; install the Debian package hunspell-en-us" \
  prep --tiny true --src-langs en-us --tgt-langs pt --dict-dir "$TESTDIR/nodict" "$TESTDIR/bad"
check_fails "a bad size" "train-utts must be a non-negative integer" prep --train-utts x "$TESTDIR/bad"
check_fails "a language given twice" "language en is given twice" prep --src-langs "en-us en-gb" --tgt-langs pt "$TESTDIR/bad"
check_fails "an unknown noise type" "unknown noise type 'brown'" prep --tiny true --src-langs en-us --tgt-langs pt --noise-types brown "$TESTDIR/bad"

# Corpus 3: voices from recordings (festival, flite), more conditions (rooms, speeds), and
# every kind of held-out target.
engine_opts=(--tiny true --nj 2 --src-langs "en-us cs" --tgt-langs "" --seed 3
  --festival-voices "cs:czech_dita cs:czech_krb ca:upc_ca_ona_hts" --flite-voices "en-us:slt en-gb-scotland:awb"
  --heldout-engines ca-festival --heldout-speakers "cs-festival-krb en-us-m3" --heldout-dialects en-us-nyc
  --noise-types white --rooms "small medium" --speeds "0.9 1.1" --heldout-conds "babble-0db reverb-hall speed-1.2"
  --cond-langs en-us)
check "engines, conditions and held-out targets corpus builds" prep "${engine_opts[@]}" --wavdir "$TESTDIR/w4" "$TESTDIR/d4"
F=$TESTDIR/d4
targets="ca-festival cs-festival-krb en-us-m3 en-us-nyc babble-0db reverb-hall speed-1.2"
check "every target has adapt and test sets that validate" bash -c "for t in $targets; do
  validate_data_dir.sh --no-feats $F/\$t/adapt && validate_data_dir.sh --no-feats $F/\$t/test || exit 1; done"
check "utt2engine: espeak, festival and flite speakers in training; the speaker id names the engine and voice" bash -c "
  [ \"\$(cut -d' ' -f2 $F/train/utt2engine | sort -u | tr '\n' ' ')\" = 'espeak festival flite ' ] &&
  cut -d' ' -f1 $F/train/spk2utt | grep -qx cs-festival-dita && cut -d' ' -f1 $F/train/spk2utt | grep -qx en-us-flite-slt &&
  cut -d' ' -f1 $F/train/spk2utt | grep -qx en-gb-scotland-flite-awb &&
  paste -d' ' $F/train/utt2spk $F/train/utt2engine | awk '(\$2 ~ /-festival-/) != (\$4 == \"festival\") || (\$2 ~ /-flite-/) != (\$4 == \"flite\") { exit 1 }'"
check "festival and flite audio: 16 kHz 16-bit mono, peak at -6 dBFS" bash -c "for s in cs-festival-dita en-us-flite-slt ca-festival-ona; do
  f=\$(grep -h \"^\$s-0001 \" $F/train/wav.scp $F/ca-festival/adapt/wav.scp | cut -d' ' -f2) && [ \"\$(soxi -r \$f) \$(soxi -b \$f) \$(soxi -c \$f)\" = '16000 16 1' ] &&
  sox \$f -n stat 2>&1 | awk '/^Maximum amplitude/ { found = 1; if (\$3 < 0.45 || \$3 > 0.52) exit 1 } END { exit !found }' || exit 1; done"
# The phones of what festival or flite said are espeak-ng's IPA of the same text.
same_phones() { # data-dir utt dialect
  local text ipa
  text=$(grep "^$2 " "$1/text" | cut -d' ' -f2-)
  ipa=$(espeak-ng -q -v "$3" --ipa --sep=_ -- "$text" | sed 's/ˈ//g; s/ˌ//g; s/[_ -]//g' | tr -d '\n')
  [ -n "$ipa" ] && [ "$(grep "^$2 " "$1/text.phone" | cut -d' ' -f2- | tr -d ' ')" = "$ipa" ]
}
export -f same_phones
check "labels are the text's phones whoever spoke it (festival cs and ca, flite en-gb-scotland)" bash -c "
  same_phones $F/train cs-festival-dita-0001 cs && same_phones $F/cs-festival-krb/test cs-festival-krb-0010 cs &&
  same_phones $F/ca-festival/test ca-festival-ona-0009 ca && same_phones $F/train en-gb-scotland-flite-awb-0001 en-gb-scotland"
check "a one-voice engine target: the voice says other sentences in adapt and test" bash -c "
  [ \"\$(cat $F/ca-festival/*/utt2spk | filter_scp.pl <(grep -h ' clean\$' $F/ca-festival/*/utt2cond) | cut -d' ' -f2 | sort -u)\" = ca-festival-ona ] &&
  [ -z \"\$(comm -12 <(cut -d' ' -f2- $F/ca-festival/adapt/text | sort -u) <(cut -d' ' -f2- $F/ca-festival/test/text | sort -u))\" ]"
check "held out of training: the speakers (and variant m3 everywhere), the dialect, the engine's language, the conditions" bash -c "
  ! cut -d' ' -f2 $F/train/utt2spk | grep -q -- '-krb\$\|-m3\$' && ! grep -q ' en-us-nyc\$' $F/train/utt2dialect &&
  ! grep -q ' ca\$' $F/train/utt2lang && ! grep -q 'babble\|hall\|1\.2' $F/train/utt2cond &&
  [ \"\$(cut -d' ' -f2 $F/en-us-nyc/*/utt2dialect | sort -u)\" = en-us-nyc ] &&
  for k in babble-0db reverb-hall speed-1.2; do [ \"\$(cut -d' ' -f2 $F/\$k/*/utt2cond | sort -u)\" = \$k ] || exit 1; done"
check "conditions of the copies: white noise, two rooms, speeds 0.9 and 1.1" bash -c "
  [ \"\$(cut -d' ' -f2 $F/train/utt2cond | sed 's/-[0-9]*db\$//' | sort -u | tr '\n' ' ')\" = 'clean reverb-medium reverb-small speed-0.9 speed-1.1 white ' ] &&
  [ \$(grep -c ' clean\$' $F/train/utt2cond) = \$(grep -c ' speed-0.9\$' $F/train/utt2cond) ]"
check "reverberant copies: sox reverb pipes, 16 kHz, as long as the clean audio, the same at every reading" bash -c "
  read u cmd < <(grep -- '-reverb-' $F/train/wav.scp | head -n 1); clean=\$(grep \"^\${u%-reverb-*} \" $F/train/wav.scp | cut -d' ' -f2)
  [[ \"\$cmd\" == 'sox -R '*' reverb '*' |' ]] && eval \"\${cmd% |}\" > r1.wav && eval \"\${cmd% |}\" > r2.wav && cmp r1.wav r2.wav &&
  [ \$(soxi -r r1.wav) = 16000 ] && [ \$(soxi -s r1.wav) = \$(soxi -s \$clean) ] && ! cmp -s r1.wav \$clean"
check "speed copies as Kaldi's perturb_data_dir_speed.sh: sp0.9- utterance and speaker, utt2uniq, durations / 0.9" bash -c "
  u=\$(grep -m1 ' clean\$' $F/train/utt2cond | cut -d' ' -f1) && s=\$(grep \"^\$u \" $F/train/utt2spk | cut -d' ' -f2) &&
  grep -qx \"sp0.9-\$u \$u\" $F/train/utt2uniq && grep -qx \"sp0.9-\$u sp0.9-\$s\" $F/train/utt2spk &&
  cmd=\$(grep \"^sp0.9-\$u \" $F/train/wav.scp | cut -d' ' -f2-) && [[ \"\$cmd\" == 'sox -R -t wav '*' -t wav - speed 0.9 |' ]] &&
  eval \"\${cmd% |}\" > s1.wav && eval \"\${cmd% |}\" > s2.wav && cmp s1.wav s2.wav &&
  awk -v a=\$(grep \"^sp0.9-\$u \" $F/train/utt2dur | cut -d' ' -f2) -v b=\$(soxi -D s1.wav) -v c=\$(grep \"^\$u \" $F/train/utt2dur | cut -d' ' -f2) \
    'BEGIN { exit !(a - b < 0.01 && b - a < 0.01 && a - c / 0.9 < 0.001 && c / 0.9 - a < 0.001) }'"
check "the same options and --seed build the same corpus, festival's and flite's audio included" bash -c "
  cd $S5 && local/prepare_data.sh ${engine_opts[*]@Q} --wavdir $TESTDIR/w5 $TESTDIR/d5 &&
  for f in \$(cd $TESTDIR/w4 && find . -name '*.wav'); do cmp $TESTDIR/w4/\$f $TESTDIR/w5/\$f || exit 1; done &&
  [ \$(cd $TESTDIR/w5 && find . -name '*.wav' | wc -l) = \$(cd $TESTDIR/w4 && find . -name '*.wav' | wc -l) ] &&
  find $TESTDIR/w5 -name '*festival*.wav' | grep -q . && find $TESTDIR/w5 -name '*flite*.wav' | grep -q . &&
  for d in train ca-festival/test reverb-hall/adapt; do diff <(sed 's#/d4/\|/w4/#/X/#g' $F/\$d/wav.scp) <(sed 's#/d5/\|/w5/#/X/#g' $TESTDIR/d5/\$d/wav.scp) || exit 1; done"

# Bad voices and targets: errors naming them, before any synthesis.
check_fails "a festival voice that is not installed names it and its package" \
  "festival has no voice 'czech_foo' (it has: .*czech_dita.*); install its Debian package festvox-czech-foo" \
  prep --tiny true --src-langs cs --tgt-langs "" --festival-voices cs:czech_foo "$TESTDIR/bad2"
check "... before any synthesis" bash -c "[ ! -e $TESTDIR/bad2 ]"
check_fails "a flite voice that is not installed" "flite has no voice 'bob' (flite -lv: .*slt" \
  prep --tiny true --src-langs en-us --tgt-langs "" --flite-voices en-us:bob "$TESTDIR/bad2"
check_fails "an engine voice of a language not in the corpus" "festival voice 'upc_ca_ona_hts': its language ca is no source or target language" \
  prep --tiny true --src-langs en-us --tgt-langs "" --festival-voices ca:upc_ca_ona_hts "$TESTDIR/bad2"
check_fails "a held-out engine target without voices" "held-out engine target 'cs-festival' has no voices" \
  prep --tiny true --src-langs cs --tgt-langs "" --heldout-engines cs-festival "$TESTDIR/bad2"
check_fails "a held-out speaker the corpus cannot have" "held-out speaker 'en-us-nobody' is no speaker of a source language" \
  prep --tiny true --src-langs en-us --tgt-langs "" --heldout-speakers en-us-nobody "$TESTDIR/bad2"
check_fails "a held-out dialect of no source language" "held-out dialect 'pt-br' is no dialect of a source language" \
  prep --tiny true --src-langs en-us --tgt-langs "" --heldout-dialects pt-br "$TESTDIR/bad2"
check_fails "a held-out room the copies have" "held-out condition reverb-hall: its reverb hall is also a condition of the copies" \
  prep --tiny true --src-langs en-us --tgt-langs "" --rooms "small hall" --heldout-conds reverb-hall "$TESTDIR/bad2"
check_fails "an unknown room" "unknown room 'attic' (hall, large, medium, small)" \
  prep --tiny true --src-langs en-us --tgt-langs pt --rooms attic "$TESTDIR/bad2"
check_fails "an unknown condition" "unknown condition 'loud'" \
  prep --tiny true --src-langs en-us --tgt-langs "" --heldout-conds loud "$TESTDIR/bad2"
check_fails "a target given twice" "target cs-festival-krb is given twice" \
  prep --tiny true --src-langs cs --tgt-langs "" --festival-voices cs:czech_krb --heldout-speakers "cs-festival-krb cs-festival-krb" "$TESTDIR/bad2"
