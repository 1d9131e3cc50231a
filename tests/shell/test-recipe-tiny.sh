#!/usr/bin/env bash
# The multilingual recipe end to end at its tiny size (egs/multilang/s5/run.sh --tiny true),
# in a copy of the recipe in a scratch directory: every stage runs, RESULTS has every
# cell and agrees with the scores, the plots are PNG images, a second run skips the
# work done, and bad settings fail with a clear message.
. "$(dirname "$0")/lib.sh"
export LC_ALL=C

# A toolkit tree with the programs under test, and a copy of the recipe (not its data).
mkdir -p top/egs/multilang/s5
ln -s "$TOPDIR/${BIN:-bin}" top/bin
ln -s "$TOPDIR/utils" top/utils
[ -d "$TOPDIR/steps" ] && ln -s "$TOPDIR/steps" top/steps
src=$TOPDIR/egs/multilang/s5
cp -r "$src/run.sh" "$src/cmd.sh" "$src/path.sh" "$src/conf" "$src/local" top/egs/multilang/s5/
ln -s ../../../utils top/egs/multilang/s5/utils
ln -s ../../../steps top/egs/multilang/s5/steps
cd top/egs/multilang/s5 || exit 1

inits="scratch multitask fomaml maml reptile maml-lslr"
check "run.sh --tiny true runs every stage" ./run.sh --tiny true --nj 2
cp exp/stage_times stage_times.first 2>/dev/null
check "every stage 1..9 ran" bash -c \
  'for s in 1 2 3 4 5 6 7 8 9; do grep -q "^$s " exp/stage_times || { echo "stage $s missing"; exit 1; }; done'
check "logs under exp/*/log" bash -c \
  'ls exp/make_feats/*/log/make_fbank_*.1.log exp/make_feats/*/log/cmvn_*.log exp/tasks/log/make_tasks.lang.log exp/init/log/init.log \
      exp/maml/log/train.log exp/adapt/log/adapt.1.log'
check "a model per initialisation" bash -c \
  "for i in $inits; do [ -s exp/\$i/final.mdl ] || { echo \"no exp/\$i/final.mdl\"; exit 1; }; done"
check "features with per-speaker CMVN for every data directory" bash -c \
  'for d in data/train data/*/adapt data/*/test; do
     [ -s $d/feats_cmvn.scp ] && [ -s $d/cmvn.scp ] || exit 1
     [ $(wc -l < $d/cmvn.scp) = $(wc -l < $d/spk2utt) ] || { echo "$d: cmvn.scp is not per speaker"; exit 1; }
     [ $(wc -l < $d/feats_cmvn.scp) = $(wc -l < $d/utt2spk) ] || exit 1
   done'
check "episodes by language, dialect, speaker and condition" bash -c \
  'for k in lang dialect spk cond lang+cond; do [ -s exp/tasks/episodes.$k.txt ] || exit 1; done'

# RESULTS: a row per target language and initialisation with a "mean +- sd" cell per
# shot count (2 4 8 at the tiny size).
langs=$(ls -d data/*/adapt | cut -d/ -f2 | tr '\n' ' ')
check "RESULTS has every cell" bash -c "
  for l in $langs; do for i in $inits; do
    grep -Eq \"^\$l +\$i +[0-9.]+ \\+- [0-9.]+ +[0-9.]+ \\+- [0-9.]+ +[0-9.]+ \\+- [0-9.]+\$\" RESULTS ||
      { echo \"no row for \$l \$i\"; exit 1; }
  done; done"
check "RESULTS: a cell is the mean of its draws' scores" bash -c "
  l=\$(echo $langs | cut -d' ' -f1)
  m=\$(cat exp/adapt/maml/\$l/4_1/wer exp/adapt/maml/\$l/4_2/wer | awk '/^%WER/ { s += \$2; n++ } END { printf \"%.1f\", s / n }')
  awk -v l=\$l -v m=\$m '\$1 == l && \$2 == \"maml\" && \$6 == m { ok = 1 } END { exit !ok }' RESULTS"
check "RESULTS: targets, stage times and the command" bash -c \
  'grep -q "^all  *\(met\|NOT MET\)$" RESULTS && grep -q "^stage 6  *train  *[0-9]" RESULTS &&
   grep -q "run.sh --tiny true --nj 2" RESULTS'

png_ok() { # a PNG signature and more than a few kilobytes of image
  [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
    [ $(wc -c < "$1") -gt 5000 ]
}
check "exp/plots/error_rate.png is a PNG" png_ok exp/plots/error_rate.png
check "exp/plots/training.png is a PNG" png_ok exp/plots/training.png
check "training curves parsed for every trained initialisation" bash -c \
  "for i in multitask fomaml maml reptile maml-lslr; do [ \$(wc -l < exp/plots/data/train.\$i.dat) -ge 3 ] || exit 1; done"

# Run again: everything is done, nothing is recomputed.
before=$(ls -l --time-style=+%s.%N exp/adapt/maml/*/2_1/wer exp/maml/final.mdl data/train/feats_cmvn.scp)
check "a second run succeeds" ./run.sh --tiny true --nj 2
check "a second run skips work already done" bash -c \
  "[ \"\$(ls -l --time-style=+%s.%N exp/adapt/maml/*/2_1/wer exp/maml/final.mdl data/train/feats_cmvn.scp)\" = '$before' ]"
check "--stage/--stop-stage run only the chosen stages" bash -c \
  'rm exp/stage_times && ./run.sh --tiny true --stage 8 --stop-stage 8 &&
   [ "$(cut -d" " -f1 exp/stage_times)" = 8 ]'
check "--adapt-dir: another adaptation setup on the same models, results and plots apart" bash -c \
  './run.sh --tiny true --stage 7 --adapt-conf conf/adapt_1step.conf --adapt-dir exp/adapt_1step \
     --plot-dir exp/plots_1step --results RESULTS.1step &&
   grep -q -- "fast-adapt --steps=1 --batch=0" RESULTS.1step && ls exp/adapt_1step/maml/*/4_2/wer &&
   [ -s exp/plots_1step/error_rate.png ] && ! cmp -s RESULTS RESULTS.1step'
check "every conf/adapt*.conf holds valid fast-adapt options" bash -c \
  'd=exp/adapt_1step/maml/$(ls exp/adapt_1step/maml | head -1)/4_1 &&
   for c in conf/adapt*.conf; do
     fast-adapt --config=$c --steps=2 --lr=0.05 exp/scratch/final.mdl scp:$d/feats.scp scp:$d/labels.scp c.mdl ||
       { echo "$c failed"; exit 1; }
   done'
check_fails "plots of an --adapt-dir without results are refused" "no adaptation results under exp/nothing" \
  ./run.sh --tiny true --stage 8 --stop-stage 8 --adapt-dir exp/nothing --plot-dir exp/plots_nothing
check_fails "RESULTS of an --adapt-dir without results are refused" "missing result exp/nothing/scratch/" \
  ./run.sh --tiny true --stage 9 --adapt-dir exp/nothing --results RESULTS.nothing
check "... and leave no RESULTS file" bash -c '! ls RESULTS.nothing* 2>/dev/null | grep -q .'
check "--adapt-dir leaves exp/adapt as it was" bash -c \
  "[ \"\$(ls -l --time-style=+%s.%N exp/adapt/maml/*/2_1/wer exp/maml/final.mdl data/train/feats_cmvn.scp)\" = '$before' ]"

if [ -x "$TOPDIR/steps/meta_train.sh" ]; then
  check "--train-nj 2: training through steps/meta_train.sh, 2 jobs per outer step" bash -c \
    'mkdir -p exp2 && cp -r exp/init exp/tasks exp2/ &&
     ./run.sh --tiny true --exp exp2 --stage 6 --stop-stage 6 --inits reptile --train-nj 2 &&
     [ -s exp2/reptile/final.mdl ] && grep -q "Iteration 6: query loss" exp2/reptile/log/train.log &&
     ! cmp -s exp2/reptile/final.mdl exp2/init/0.mdl'
else
  echo "SKIP: --train-nj 2 (no steps/meta_train.sh in this tree)" >&2
fi
# The character system: character units and labels, its own models, CER in RESULTS.char.
check "--unit char: a character recogniser, scored by character error rate" bash -c \
  './run.sh --tiny true --unit char --exp exp_char --stage 3 --inits "scratch multitask maml" &&
   [ -s data/train/labels_char.scp ] && [ -s exp_char/maml/final.mdl ] &&
   grep -q "^# Character error rate" RESULTS.char && grep -Eq "^[a-z]+ +maml +[0-9.]+ \+-" RESULTS.char &&
   ! cmp -s exp/init/0.mdl exp_char/init/0.mdl'
check "--unit char: references and hypotheses are character units" bash -c \
  'cat exp_char/adapt/test/*/text | grep -q "<space>" &&
   cat exp_char/adapt/multitask/*/8_*/hyp.txt | cut -s -d" " -f2- | tr " " "\n" | sed /^$/d | sort -u > hyp_units &&
   cut -d" " -f1 data/lang_char/units.txt | sort > char_units && [ -z "$(comm -23 hyp_units char_units)" ]'
check_fails "an unknown initialisation is refused" "conf/meta/foo.conf" ./run.sh --tiny true --inits "scratch foo"
check_fails "a bad --unit is refused" "must be phone or char" ./run.sh --tiny true --unit word
check_fails "cmd.sh: an unknown CLUSTER is refused" "unknown CLUSTER='xyz'" env CLUSTER=xyz ./run.sh --tiny true
check_fails "an unknown option is refused" "xyz" ./run.sh --xyz 1
check_fails "path.sh: unbuilt programs are reported" "run 'make'" bash -c \
  'mkdir -p ../../../empty && rm ../../../bin && ln -s empty ../../../bin && PATH=/usr/bin:/bin && . ./path.sh'
