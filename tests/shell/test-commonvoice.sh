#!/usr/bin/env bash
# The Common Voice recipe (egs/commonvoice/s5) end to end on a small release built here in
# the downloaded layout - <lang>/clips/*.mp3 (espeak-ng speech encoded by sox) and
# train/dev/test/validated.tsv with the real header - with several languages and
# speakers, accents, a missing and an empty clip, and sentences with punctuation and mixed
# case; then transcription of new audio with its models (steps/transcribe.sh), and bad
# input: a TSV without a needed column or with a short line, a model directory without
# its feature config.
. "$(dirname "$0")/lib.sh"
export LC_ALL=C

# A toolkit tree with the programs under test, and copies of both recipes (the Common
# Voice recipe links to the multilingual recipe's local scripts and configs).
copy_recipe
cp -r "$TOPDIR/egs/commonvoice" top/egs/

# The release: "<lang> <voice> <tsv> <speaker> <variant> <gender> <accents>|<sentence>" lines
# (accents: "_" for a space, "," between accents, "-" for none).
cv=$TESTDIR/cv-corpus-test
header=$'client_id\tpath\tsentence\tup_votes\tdown_votes\tage\tgender\taccents\tlocale\tsegment'
n=0
while IFS='|' read -r spec sentence; do
  read -r lang voice tsv spk variant gender accent <<< "$spec"
  [ "$accent" = - ] && accent=
  mkdir -p $cv/$lang/clips
  for t in train dev test; do [ -f $cv/$lang/$t.tsv ] || echo "$header" > $cv/$lang/$t.tsv; done
  n=$((n + 1)) clip=common_voice_${lang}_$((1000 + n)).mp3
  espeak-ng -v $voice+$variant -w tmp.wav -- "$sentence" && sox -R -V1 tmp.wav -r 48000 $cv/$lang/clips/$clip || exit 1
  accent=${accent//_/ }
  printf '%s\t%s\t%s\t2\t0\ttwenties\t%s\t%s\t%s\t\n' "$(echo -n $spk | sha512sum | cut -c1-128)" \
    $clip "$sentence" $gender "${accent//,/|}" $lang >> $cv/$lang/$tsv.tsv
done <<'EOF'
en en train en1 m3 male United_States_English|Hello, World! It's John's DOG.
en en train en1 m3 male United_States_English|The quick brown fox jumps over the lazy dog
en en train en1 m3 male United_States_English|She sells sea shells by the sea shore
en en train en2 f2 female England_English,Scottish_English|A cup of tea would be lovely now
en en train en2 f2 female England_English,Scottish_English|We walked along the river at night
en en train en2 f2 female England_English,Scottish_English|Please close the window before you leave
en en dev en3 m1 male -|Good morning to everyone here
en en test en4 f1 female -|The weather is cold today
de de train de1 m1 male Deutschland_Deutsch|Guten Morgen, wie geht es Ihnen?
de de train de1 m1 male Deutschland_Deutsch|Das Wetter ist heute sehr schön.
de de train de1 m1 male Deutschland_Deutsch|Ich trinke gern einen Kaffee.
de de train de2 f3 female -|Wir fahren morgen nach Berlin.
de de train de2 f3 female -|Der Hund spielt im Garten.
de de train de2 f3 female -|Die Kinder lesen ein Buch.
de de dev de3 m2 male -|Heute ist ein guter Tag.
de de test de4 f1 female -|Wo ist der Bahnhof?
es es train es1 m2 male España|¿Dónde está la estación de tren?
es es train es1 m2 male España|Me gusta mucho la música.
es es train es1 m2 male España|El perro corre en el parque.
es es train es2 f1 female México|Vamos a la playa mañana.
es es train es2 f1 female México|La casa es muy grande.
es es train es2 f1 female México|Hoy hace mucho calor.
es es dev es3 m3 male -|Buenas noches a todos.
es es test es4 f2 female -|El tren llega tarde.
ca ca train ca1 m3 male -|Bon dia, com estàs?
ca ca train ca1 m3 male -|L'home camina pel carrer.
ca ca train ca1 m3 male -|M'agrada molt la platja.
ca ca train ca2 f2 female -|El gat dorm a la cadira.
ca ca train ca2 f2 female -|Avui fa molt de sol.
ca ca train ca2 f2 female -|Anem a sopar a casa.
ca ca dev ca3 m1 male -|Bona nit a tothom.
ca ca test ca4 f1 female -|La nena llegeix un llibre.
ca ca test ca4 f1 female -|Demà plourà a Barcelona.
sv-SE sv train sv1 m1 male -|God morgon, hur mår du?
sv-SE sv train sv1 m1 male -|Jag tycker om att läsa.
sv-SE sv train sv1 m1 male -|Vi åker till Stockholm imorgon.
sv-SE sv train sv2 f3 female -|Katten sover i soffan.
sv-SE sv train sv2 f3 female -|Det regnar ute idag.
sv-SE sv train sv2 f3 female -|Han dricker kaffe varje dag.
sv-SE sv dev sv3 m2 male -|Barnen leker i parken.
sv-SE sv test sv4 f1 female -|Solen skiner över sjön.
sv-SE sv test sv4 f1 female -|Vi ses snart igen.
EOF
# Real releases have a few clips that are not there (line 8 of en/train.tsv) or empty
# (line 8 of de/train.tsv); validated.tsv holds every validated line.
printf '%s\t%s\t%s\t2\t0\t\t\t\ten\t\n' "$(echo -n en5 | sha512sum | cut -c1-128)" common_voice_en_9999.mp3 \
  "This clip was never downloaded" >> $cv/en/train.tsv
printf '%s\t%s\t%s\t3\t1\t\t\t\tde\t\n' "$(echo -n de5 | sha512sum | cut -c1-128)" common_voice_de_9998.mp3 \
  "Diese Datei ist leer" >> $cv/de/train.tsv
: > $cv/de/clips/common_voice_de_9998.mp3
for l in en de es ca sv-SE; do
  { echo "$header"; for t in train dev test; do tail -n +2 $cv/$l/$t.tsv; done; } > $cv/$l/validated.tsv
done
rm -f tmp.wav

cd top/egs/commonvoice/s5 || exit 1
langs=(--src-langs "en de es" --dev-langs ca --test-langs sv-SE)
inits="scratch multitask maml"
stage1() { ./run.sh --stage 1 --stop-stage 1 --corpus $cv "${langs[@]}" 2> stage1.log; }
check "stage 1 builds the data directories from the release" stage1
check "data dirs validate: sources combined, each target's adapt and test" bash -c \
  'for d in data/train data/ca/adapt data/ca/test data/sv-SE/adapt data/sv-SE/test; do
     utils/validate_data_dir.sh $d || exit 1; done'
check "utterance counts: the missing and the empty clip skipped" bash -c \
  '[ $(wc -l < data/train/utt2spk) = 18 ] && [ $(wc -l < data/ca/adapt/utt2spk) = 6 ] &&
   [ $(wc -l < data/sv-SE/test/utt2spk) = 2 ] && ! grep -q 9999 data/train/wav.scp && ! grep -q 9998 data/train/wav.scp'
check "... each with a warning naming the TSV line" bash -c \
  "grep -q 'WARNING: .*/en/train.tsv: line 8: clip .*common_voice_en_9999.mp3 is missing; skipped' stage1.log &&
   grep -q 'WARNING: .*/de/train.tsv: line 8: clip .*common_voice_de_9998.mp3 is empty; skipped' stage1.log"
check "speakers from client_id, the utterance id starting with the speaker" bash -c \
  'spk=$(echo -n en1 | sha512sum | cut -c1-16) &&
   [ $(grep -c "^en-$spk-common_voice_en_[0-9]* en-$spk\$" data/train/utt2spk) = 3 ] &&
   [ $(cut -d" " -f1 data/train/spk2utt | wc -l) = 6 ]'
check "text: lower case, punctuation stripped, apostrophes inside words kept (Unicode)" bash -c \
  "grep -q \" hello world it's john's dog\$\" data/train/text && grep -q ' dónde está la estación de tren\$' data/train/text &&
   grep -q \" l'home camina pel carrer\$\" data/ca/adapt/text && grep -q ' god morgon hur mår du\$' data/sv-SE/adapt/text &&
   cut -d' ' -f2- data/*/*/text data/train/text | perl -CSD -ne 'exit 1 if /\\p{Lu}|[^\\P{P}\x27]/'"
check "dialects from the first accent; unknown when none" bash -c \
  'cut -d" " -f2 data/train/utt2dialect | sort -u | tr "\n" " " | grep -qx "de-deutschland_deutsch de-unknown en-england_english en-united_states_english es-españa es-méxico "'
check "wav.scp decodes each mp3 with sox to 16 kHz 16-bit mono" bash -c \
  'read u cmd < <(head -n 1 data/ca/test/wav.scp) && [[ "$cmd" == "sox -R -V1 --ignore-length /"*.mp3" -t wav -r 16000 -b 16 -c 1 - |" ]] &&
   eval "${cmd%|}" > a.wav && [ "$(soxi -r a.wav) $(soxi -b a.wav) $(soxi -c a.wav)" = "16000 16 1" ]'
check "graphemes and espeak-ng phones, units for both" bash -c \
  "grep -q \" l ' h o m e <space> c a m i n a\" data/ca/adapt/text.char &&
   [ \$(wc -l < data/sv-SE/test/text.phone) = 2 ] && grep -q '^<blk> 0\$' data/lang_char/units.txt &&
   grep -q '^<space> ' data/lang_char/units.txt && grep -qx 'øː [0-9]*' data/lang_phone/units.txt"

touch -d '2000-01-01' data/train/text
check "a rerun of stage 1 with the same settings leaves the corpus as it is" stage1
check "... and says so" bash -c "grep -q 'data is up to date' stage1.log && [ \$(date -r data/train/text +%Y) = 2000 ]"
check_fails "a rerun of stage 1 with other languages stops instead of reusing the corpus" \
  "data was made with other settings" ./run.sh --stage 1 --stop-stage 1 --corpus $cv --src-langs "en de" --test-langs sv-SE

# Training, adaptation, results.
tiny=(./run.sh --tiny true --nj 2 --corpus $cv "${langs[@]}" --inits "$inits" --keep-models true)
tiny_run() { "${tiny[@]}" "$@" 2> run.log; }
check "run.sh --tiny true runs stages 2 to 8" tiny_run --stage 2 --stop-stage 8
check "progress: which training of how many, the adaptation jobs, where the logs are" bash -c \
  "grep -q 'training maml seed 1 (3 of 3): .* iterations of maml (log: exp/maml/s1/log/train.log)' run.log &&
   grep -q '6 adaptation jobs of 5 cells (logs: exp/adapt/log/adapt' run.log"
check "tasks are the source languages" bash -c \
  '[ "$(cut -d" " -f2 exp/tasks/episodes.lang.txt | sort -u | tr "\n" " ")" = "de en es " ]'
check "adaptation: zero shot and every draw, for every initialisation and held-out language" bash -c \
  "for i in $inits; do for l in ca sv-SE; do for c in 0 2_1 2_2 4_1 4_2; do
     grep -q '^%WER' exp/adapt/\$i/s1/\$l/\$c/wer || { echo \"no exp/adapt/\$i/s1/\$l/\$c/wer\"; exit 1; }
   done; done; done && [ -s exp/plots/error_rate.png ]"
if command -v compute-wer-bootci >/dev/null; then
  check "exp/RESULTS: character error rates of the test language, the dev language's apart" bash -c \
    "${tiny[*]@Q} --stage 9 && grep -q '^# Character error rate' exp/RESULTS && grep -q '^sv-SE  *maml ' exp/RESULTS &&
     grep -q 'Dev languages (ca)' exp/RESULTS && grep -q 'cd egs/commonvoice/s5 and' exp/RESULTS && [ ! -e RESULTS ]"
else
  echo "SKIP: stage 9 (RESULTS): no compute-wer-bootci in this tree" >&2
fi
check "every trained model is a model directory" bash -c \
  "for i in $inits; do for f in final.mdl feats.conf cmvn_opts cmvn_sliding.conf units.txt decode.conf; do
     [ -s exp/\$i/s1/\$f ] || { echo \"no exp/\$i/s1/\$f\"; exit 1; }; done; done &&
   cmp exp/maml/s1/feats.conf conf/fbank.conf && grep -qx -- '--word-boundary=<space>' exp/maml/s1/decode.conf"
check "so is every kept adapted model (--keep-models true)" bash -c \
  'for f in final.mdl feats.conf units.txt decode.conf; do [ -s exp/adapt/maml/s1/ca/4_2/$f ] || exit 1; done &&
   ! cmp -s exp/adapt/maml/s1/ca/4_2/final.mdl exp/maml/s1/final.mdl'
check "a rerun of stages 2-4 with the same settings has nothing to do" bash -c \
  "feats=\$(ls -l --time-style=+%s.%N data/train/feats_cmvn.scp exp/tasks/episodes.lang.txt) &&
   ${tiny[*]@Q} --stage 2 --stop-stage 4 2> rerun.log &&
   [ \$(grep -c 'nothing to do' rerun.log) = 3 ] &&
   [ \"\$(ls -l --time-style=+%s.%N data/train/feats_cmvn.scp exp/tasks/episodes.lang.txt)\" = \"\$feats\" ]"
check_fails "a rerun with other episode settings stops instead of mixing them" \
  "exp/tasks was made with other settings" "${tiny[@]}" --stage 4 --stop-stage 4 --seed 5
models=$(ls -l --time-style=+%s.%N exp/*/s1/final.mdl)
check_fails "a rerun with other training settings stops instead of reusing the models" \
  "exp/pretrain/s1 was made with other settings" "${tiny[@]}" --stage 6 --stop-stage 6 --train-opts --meta-batch=1
check "... and leaves them as they were" bash -c "[ \"\$(ls -l --time-style=+%s.%N exp/*/s1/final.mdl)\" = '$models' ]"
check "--test-recs 1 --adapt-dir: one test utterance per language, results and plots apart" bash -c \
  "${tiny[*]@Q} --stage 7 --stop-stage 8 --test-recs 1 --adapt-dir exp/adapt_1 --plot-dir exp/plots_1 &&
   [ \$(wc -l < exp/adapt_1/test/sv-SE/text) = 1 ] && [ \$(wc -l < exp/adapt/test/sv-SE/text) = 2 ] &&
   ls exp/adapt_1/maml/s1/ca/4_2/wer exp/plots_1/error_rate.png"

# Transcription of new audio with the recipe's models: a kept adapted model, and the
# random model (scratch), whose outputs vary with every feature value (a tiny trained
# model outputs blanks), for the checks of the normalisation.
mdl=exp/adapt/multitask/s1/ca/4_1
espeak-ng -v ca -w hola.wav "Bon dia a tothom"                     # 22050 Hz WAV
sox -R hola.wav -r 48000 bondia.mp3
check "transcribe.sh: one 'utt-id text' line per audio file (any rate, WAV or mp3), logs on stderr" bash -c \
  "steps/transcribe.sh $mdl hola.wav bondia.mp3 > out 2> log && [ \$(wc -l < out) = 2 ] &&
   [ \"\$(cut -d' ' -f1 out | tr '\n' ' ')\" = 'hola bondia ' ] && grep -q 'LOG (decode' log && ! grep -q LOG out"
check "... words made of the model's units" bash -c \
  "steps/transcribe.sh exp/scratch/s1 hola.wav bondia.mp3 > out && awk 'NF < 2 { exit 1 }' out &&
   perl -CSD -ne 'chomp; s/^\\S+ ?//; s/ //g; print \"\$_\\n\" for split //' out | sort -u > chars &&
   cut -d' ' -f1 exp/scratch/s1/units.txt | sort > units && [ -z \"\$(comm -23 chars units)\" ]"
check "... with --utt2spk: per-speaker CMVN as in training, the recipe's own features" bash -c \
  "steps/transcribe.sh --utt2spk data/ca/test/utt2spk exp/scratch/s1 data/ca/test/wav.scp > t.txt &&
   decode --config=exp/scratch/s1/decode.conf --units=exp/scratch/s1/units.txt exp/scratch/s1/final.mdl \
     scp:data/ca/test/feats_cmvn.scp ark,t:- | sed 's/ *\$//' > r.txt && awk 'NF < 2 { exit 1 }' t.txt && diff t.txt r.txt"
check "... the default sliding CMN of a short utterance = that utterance as its own speaker" bash -c \
  "steps/transcribe.sh exp/scratch/s1 hola.wav > a.txt && echo 'hola hola' > u2s &&
   steps/transcribe.sh --utt2spk u2s exp/scratch/s1 hola.wav > b.txt && awk 'NF < 2 { exit 1 }' a.txt && diff a.txt b.txt"
check "transcribe.sh: a wav.scp gives its keys" bash -c \
  "steps/transcribe.sh $mdl data/sv-SE/test/wav.scp > s.txt && [ \"\$(cut -d' ' -f1 s.txt)\" = \"\$(cut -d' ' -f1 data/sv-SE/test/wav.scp)\" ]"

cp -r $mdl nofeats && rm nofeats/feats.conf
check_fails "a model directory without its feature config is refused, naming the file" \
  "nofeats/feats.conf is missing" steps/transcribe.sh nofeats hola.wav
echo "not audio" > broken.wav
check_fails "an unreadable file: the others are transcribed, then an error names it" \
  "no transcript for broken" bash -c "steps/transcribe.sh $mdl hola.wav broken.wav > o"
check "... and the others' lines are printed" bash -c "[ \"\$(cut -d' ' -f1 o)\" = hola ]"
check_fails "a missing audio file is refused, naming it" "no such audio file: nothere.wav" \
  steps/transcribe.sh $mdl hola.wav nothere.wav
check_fails "make_model_dir.sh: units that do not fit the model are refused" "has 3 units" bash -c \
  'head -n 3 data/lang_char/units.txt > u3 && steps/make_model_dir.sh u3 exp/maml/s1'
check "... leaving the model directory as it was" cmp exp/maml/s1/units.txt data/lang_char/units.txt

# Bad releases: each stops naming the file and line, and leaves no data directory.
bad() { # <name>: a copy of the release to break
  rm -rf $TESTDIR/$1; mkdir -p $TESTDIR/$1
  for l in en de es ca sv-SE; do mkdir -p $TESTDIR/$1/$l; ln -s $cv/$l/clips $TESTDIR/$1/$l/clips; cp $cv/$l/*.tsv $TESTDIR/$1/$l/; done
}
prep() { local/prepare_data.sh --src-langs "en de es" --tgt-langs "ca sv-SE" "$@"; }
bad nosentence; cut -f1,2,4- $cv/ca/test.tsv > $TESTDIR/nosentence/ca/test.tsv
check_fails "a TSV without the sentence column is refused (file and line)" \
  "nosentence/ca/test.tsv: line 1: no column 'sentence' in the header" prep $TESTDIR/nosentence data_bad
check "... leaving no data directory" bash -c '! ls -d data_bad data_bad.tmp 2>/dev/null | grep -q .'
bad shortline; sed -i '3s/\t[^\t]*$//' $TESTDIR/shortline/de/train.tsv
check_fails "a TSV line with a missing field is refused (file and line)" \
  "shortline/de/train.tsv: line 3: 9 fields, the header has 10" prep $TESTDIR/shortline data_bad
check "... leaving no data directory" bash -c '! ls -d data_bad data_bad.tmp 2>/dev/null | grep -q .'
check_fails "a language missing from the release is refused" "no $TESTDIR/nofr/fr/train.tsv" bash -c \
  "mkdir -p $TESTDIR/nofr && local/prepare_data.sh --src-langs fr --tgt-langs ca $TESTDIR/nofr data_bad"
mkdir -p $TESTDIR/fy/fy-NL && cp -r $cv/de/* $TESTDIR/fy/fy-NL/ && cp -r $cv/ca $TESTDIR/fy/
check "a language without an espeak-ng voice: graphemes only, with a warning" bash -c \
  "./run.sh --stage 1 --stop-stage 1 --corpus $TESTDIR/fy --src-langs fy-NL --test-langs ca --data data_fy 2> fy.log &&
   grep -q 'espeak-ng has no voice for fy-NL: graphemes only' fy.log && [ -s data_fy/lang_char/units.txt ] &&
   [ -s data_fy/ca/test/text.phone ] && ! [ -e data_fy/lang_phone ]"
check_fails "... and --unit phone is refused at the labels stage" "no data_fy/lang_phone/units.txt" \
  ./run.sh --stage 3 --stop-stage 3 --test-langs ca --data data_fy --unit phone
