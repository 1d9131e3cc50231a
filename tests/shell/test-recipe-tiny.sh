#!/usr/bin/env bash
# The multilingual recipe end to end at its tiny size (egs/multilang/s5/run.sh --tiny true),
# in a copy of the recipe in a scratch directory: every stage runs into data_tiny/,
# exp_tiny/ and exp_tiny/RESULTS (never the committed RESULTS), with several training seeds,
# a zero-shot column, dev and test languages, bootstrap significance and no recording on
# both sides of an episode or of a draw and its test set; RESULTS agrees with the scores;
# the plots are PNG images; a rerun skips the work done and keeps the stage times; a rerun
# with other settings stops; bad settings fail with a clear message.
. "$(dirname "$0")/lib.sh"
export LC_ALL=C

copy_recipe
cd top/egs/multilang/s5 || exit 1
cp RESULTS RESULTS.committed

inits="multitask maml reptile-sq-mb2" # the defaults (multitask reptile-sq-mb2) and MAML
check "run.sh --tiny true runs every stage" bash -c "./run.sh --tiny true --nj 2 --inits '$inits' 2> run.log"
E=exp_tiny D=data_tiny
check "a tiny run leaves the committed RESULTS, data/ and exp/ alone" bash -c \
  "cmp RESULTS RESULTS.committed && [ ! -e data ] && [ ! -e exp ] && [ -s $E/RESULTS ]"
check "every stage 1..9 ran" bash -c \
  "for s in 1 2 3 4 5 6 7 8 9; do grep -q \"^\$s \" $E/stage_times || { echo \"stage \$s missing\"; exit 1; }; done"
check "logs under $E/*/log" bash -c \
  "ls $E/make_feats/*/log/make_fbank_*.1.log $E/make_feats/*/log/cmvn_*.log $E/tasks/log/make_tasks.lang.log $E/init/log/init.s1.log \
      $E/maml/s1/log/train.log $E/adapt/log/adapt.1.log"
check "progress on the terminal: which training of how many, which adaptation jobs, where the logs are" bash -c \
  "grep -q 'training maml seed 2 (.* of 8): .* iterations of maml (log: $E/maml/s2/log/train.log)' run.log &&
   grep -q 'adaptation jobs of .* cells (logs: $E/adapt/log/adapt' run.log"
check "a model per initialisation and training seed; seeds give different models" bash -c \
  "for i in $inits; do for s in 1 2; do [ -s $E/\$i/s\$s/final.mdl ] || { echo \"no $E/\$i/s\$s/final.mdl\"; exit 1; }; done
     ! cmp -s $E/\$i/s1/final.mdl $E/\$i/s2/final.mdl || exit 1; done"
check "each model is a model directory (steps/make_model_dir.sh) that steps/transcribe.sh takes" bash -c \
  "for i in $inits; do for f in feats.conf cmvn_opts cmvn_sliding.conf units.txt decode.conf; do
     [ -s $E/\$i/s1/\$f ] || { echo \"no $E/\$i/s1/\$f\"; exit 1; }; done; done &&
   steps/transcribe.sh $E/maml/s1 \$(awk 'NR == 1 { print \$2 }' $D/train/wav.scp) > hyp && [ \$(wc -l < hyp) = 1 ]"
check "equal compute: iterations x evaluations per iteration within one iteration of the budget" bash -c \
  "for i in $inits; do awk '{ if (\$3 * \$4 > 200 + \$4 / 2 || \$3 * \$4 < 200 - \$4 / 2) exit 1 }' $E/\$i/s1/train_time || exit 1; done"
check "features with per-speaker CMVN for every data directory" bash -c \
  "for d in $D/train $D/*/adapt $D/*/test; do
     [ -s \$d/feats_cmvn.scp ] && [ -s \$d/cmvn.scp ] || exit 1
     [ \$(wc -l < \$d/cmvn.scp) = \$(wc -l < \$d/spk2utt) ] || { echo \"\$d: cmvn.scp is not per speaker\"; exit 1; }
     [ \$(wc -l < \$d/feats_cmvn.scp) = \$(wc -l < \$d/utt2spk) ] || exit 1
   done"
check "episodes by language, dialect, speaker and condition" bash -c \
  "for k in lang dialect spk cond lang+cond; do [ -s $E/tasks/episodes.\$k.txt ] || exit 1; done"
# No recording (utt2uniq) on both sides of an episode, or of a draw and the test set.
check "no recording in both the support and the query set of any episode" bash -c \
  "[ -s $D/train/utt2uniq ] && awk 'NR == FNR { rec[\$1] = \$2; next }
     { delete s; n = split(\$4, a, \",\"); for (i = 1; i <= n; i++) s[rec[a[i]]] = 1
       n = split(\$6, a, \",\"); for (i = 1; i <= n; i++) if (rec[a[i]] in s) { print \"episode\", \$1, a[i]; bad = 1 } }
     END { exit bad }' $D/train/utt2uniq $E/tasks/episodes.lang.txt"
check "no recording of a draw in its language's test set" bash -c \
  "for l in af ca sk; do comm -12 <(cut -d' ' -f2 $D/\$l/adapt/utt2uniq | sort -u) <(cut -d' ' -f2 $D/\$l/test/utt2uniq | sort -u) | grep . && exit 1
     awk 'NR == FNR { rec[\$1] = \$2; next } { print rec[\$1] }' $D/\$l/adapt/utt2uniq $E/adapt/draws/\$l/4_*.list |
       grep -qx '' && exit 1; done; true"
check "a draw of N recordings takes every copy of N recordings" bash -c \
  "awk 'NR == FNR { rec[\$1] = \$2; next } { print rec[\$1] }' $D/ca/adapt/utt2uniq $E/adapt/draws/ca/4_1.list |
     sort -u | wc -l | grep -qx 4"

# RESULTS: a row per test language and initialisation, "mean +- sd" cells for N = 0 2 4,
# the dev language in its own table.
check "$E/RESULTS has every test-language cell, N=0 included" bash -c "
  grep -Eq '^lang +init +N=0 +N=2 +N=4\$' $E/RESULTS &&
  for l in ca sk; do for i in $inits; do
    grep -Eq \"^\$l +\$i +[0-9.]+ \\+- [0-9.]+[-+ ] +[0-9.]+ \\+- [0-9.]+[-+ ] +[0-9.]+ \\+- [0-9.]+[-+ ]?\$\" $E/RESULTS ||
      { echo \"no row for \$l \$i\"; exit 1; }
  done; done"
check "$E/RESULTS: a cell is the mean over seeds x draws" bash -c "
  m=\$(cat $E/adapt/maml/s[12]/ca/4_[12]/wer | awk '/^%WER/ { s += \$2; n++ } END { if (n == 4) printf \"%.1f\", s / n }')
  awk -v m=\$m '\$1 == \"ca\" && \$2 == \"maml\" && \$9 == m { ok = 1 } END { exit !ok }' $E/RESULTS"
check "$E/RESULTS: the zero-shot cell is the mean over seeds of the unadapted models" bash -c "
  m=\$(cat $E/adapt/reptile-sq-mb2/s[12]/sk/0/wer | awk '/^%WER/ { s += \$2; n++ } END { if (n == 2) printf \"%.1f\", s / n }')
  awk -v m=\$m '\$1 == \"sk\" && \$2 == \"reptile-sq-mb2\" && \$3 == m { ok = 1 } END { exit !ok }' $E/RESULTS"
check "$E/RESULTS: dev languages apart, targets, steps, compute, exact commands, stage times" bash -c "
  grep -q '^# Dev languages (af)' $E/RESULTS && grep -Eq '^af +maml ' $E/RESULTS &&
  ! sed -n '1,/^# Dev languages/p' $E/RESULTS | grep -Eq '^af ' &&
  grep -q '^all  *\(met\|NOT MET\)$' $E/RESULTS && grep -q '^# Adaptation steps' $E/RESULTS &&
  grep -Eq '^# maml +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+\$' $E/RESULTS &&
  grep -q \"^#   maml: meta-train --config=conf/meta/maml.conf .*--iterations=\$(cut -d' ' -f3 $E/maml/s1/train_time) \" $E/RESULTS &&
  grep -q '^stage 6  *train  *[0-9]' $E/RESULTS && grep -q 'run.sh --tiny true --nj 2' $E/RESULTS"
check "compute-wer-bootci compared each meta-learner with multitask" bash -c \
  "ls $E/adapt/bootci/ca.4.a.hyp $E/adapt/bootci/ca+sk.0.b.hyp >/dev/null"

png_ok() { # a PNG signature and more than a few kilobytes of image
  [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
    [ $(wc -c < "$1") -gt 5000 ]
}
check "$E/plots/error_rate.png is a PNG" png_ok $E/plots/error_rate.png
check "$E/plots/training.png is a PNG" png_ok $E/plots/training.png
check "plots: the test languages, N=0 plotted, seeds x draws in the error bars" bash -c \
  "ls $E/plots/data/ca.maml.dat $E/plots/data/sk.maml.dat && [ ! -e $E/plots/data/af.maml.dat ] &&
   head -n 1 $E/plots/data/ca.maml.dat | grep -q '^0 0 ' && grep -q 'xtics (\"0\" 0, \"2\" 1, \"4\" 2)' $E/plots/error_rate.gp &&
   [ \$(grep -c \"; set yrange \[[0-9.-]*:[0-9.]*\]\" $E/plots/error_rate.gp) = 2 ]"
check "plots: a zero-shot point far above the adapted ones is marked at the top, with its value" bash -c \
  "cp -r $E/adapt $E/adapt_far && for f in $E/adapt_far/maml/s*/ca/0/wer; do echo '%WER 500.00 [ 5 / 1, 0 ins, 0 del, 5 sub ]' > \$f; done &&
   local/plot.sh --inits '$inits' --targets 'ca sk' --adapt-dir $E/adapt_far $E $E/plots_far &&
   grep -q ' maml 500\$' $E/plots_far/data/ca.clipped.dat && [ ! -s $E/plots_far/data/sk.clipped.dat ] &&
   top=\$(sed -n \"s/.*set title 'ca'; set yrange \\[[^:]*:\\([0-9.]*\\)\\].*/\\1/p\" $E/plots_far/error_rate.gp) &&
   awk -v t=\$top 'BEGIN { exit !(t > 0 && t < 500) }'"
check "training curves parsed for every trained initialisation" bash -c \
  "for i in $inits; do [ \$(wc -l < $E/plots/data/train.\$i.dat) -ge 3 ] || exit 1; done"

# Run again: everything is done, nothing is recomputed, the stage times are kept.
before=$(ls -l --time-style=+%s.%N $E/adapt/maml/s1/*/2_1/wer $E/maml/s1/final.mdl $D/train/feats_cmvn.scp)
cp $E/stage_times stage_times.first
check "a second run succeeds" ./run.sh --tiny true --nj 2 --inits "$inits"
check "a second run skips work already done" bash -c \
  "[ \"\$(ls -l --time-style=+%s.%N $E/adapt/maml/s1/*/2_1/wer $E/maml/s1/final.mdl $D/train/feats_cmvn.scp)\" = '$before' ]"
check "a second run keeps the times of the stages it had nothing to do in" bash -c \
  "for s in 1 2 3 4 5 6 7; do [ \"\$(grep \"^\$s \" $E/stage_times)\" = \"\$(grep \"^\$s \" stage_times.first)\" ] || exit 1; done"
check "--stage/--stop-stage run only the chosen stages" bash -c \
  "rm $E/stage_times && ./run.sh --tiny true --stage 8 --stop-stage 8 && [ \"\$(cut -d' ' -f1 $E/stage_times)\" = 8 ]"
check "without --inits, a run's initialisations are multitask and reptile-sq-mb2" bash -c \
  "./run.sh --tiny true --stage 9 --results RESULTS.defaults &&
   grep -Eq '^mean +multitask ' RESULTS.defaults && grep -Eq '^mean +reptile-sq-mb2 ' RESULTS.defaults &&
   ! grep -Eq '^mean +(maml|reptile-sq) ' RESULTS.defaults"
check "reptile-sq-mb2 trains with meta-batches of 2 (conf/meta/reptile-sq-mb2.conf)" \
  grep -q 'meta-batch 2,' $E/reptile-sq-mb2/s1/log/train.log
check "conf/meta/reptile-sq-mb1.conf trains with meta-batches of 1" bash -c \
  "meta-train --config=conf/meta/reptile-sq-mb1.conf --iterations=2 --seed=1 $E/pretrain/s1/final.mdl \
     scp:$D/train/feats_cmvn.scp scp:$D/train/labels_phone.scp $E/tasks/episodes.lang.txt mb1.mdl 2> mb1.log &&
   [ -s mb1.mdl ] && grep -q 'meta-batch 1,' mb1.log"
check_fails "a rerun with other episode settings stops instead of mixing them" \
  "$E/tasks was made with other settings" ./run.sh --tiny true --stage 4 --stop-stage 4 --seed 5
check_fails "a full-size run on the tiny corpus stops instead of reusing it" \
  "$D was made with other settings" ./run.sh --data $D --exp $E --stop-stage 1
check_fails "adaptation cells of a model that was trained again since stop the stage" \
  "was adapted from another $E/maml/s1/final.mdl" bash -c \
  "cp -r $E/adapt $E/adapt_old && echo 0 > $E/adapt_old/maml/s1/ca/model.md5 &&
   ./run.sh --tiny true --stage 7 --stop-stage 7 --inits maml --adapt-dir $E/adapt_old && exit 0
   cat $E/adapt_old/log/adapt.*.log; exit 1"
check "--adapt-dir: another adaptation setup on the same models, results and plots apart" bash -c \
  "./run.sh --tiny true --stage 7 --inits '$inits' --adapt-conf conf/adapt_1step.conf --adapt-dir $E/adapt_1step \
     --plot-dir $E/plots_1step --results RESULTS.1step &&
   grep -q -- 'fast-adapt --steps=1 --batch=0' RESULTS.1step && ls $E/adapt_1step/maml/s2/*/4_2/wer &&
   [ -s $E/plots_1step/error_rate.png ] && ! cmp -s $E/RESULTS RESULTS.1step"
check "an initialisation added to a run's adaptation directory adapts beside the cells already there" bash -c \
  "cp -r $E/adapt $E/adapt_added &&
   ./run.sh --tiny true --stage 6 --stop-stage 7 --inits 'maml reptile' --train-seeds 1 --adapt-dir $E/adapt_added &&
   ls $E/adapt_added/reptile/s1/ca/2_1/wer && cmp $E/adapt/maml/s1/ca/2_1/wer $E/adapt_added/maml/s1/ca/2_1/wer"
check "local/tune_dev.sh: each rate and model on the dev language only, and the best rate" bash -c \
  "local/tune_dev.sh --targets af --inits multitask --variants 'reptile:--inner-steps=2' --lrs '0.02 0.05' \
     --shots 2 --draws 1 --train-seeds 1 --test-recs 0 --support 2 --query 2 --train-budget 200 \
     --pretrain-iters 4 --train-opts '--progress-every=1 --meta-batch=2' $D $E $E/tune > tune.out 2> tune.err &&
   grep -q '$E/pretrain/s1/final.mdl is up to date' tune.err &&
   grep -Eq '^0.02 +multitask +[0-9.]+ \([0-9.]+\) +[0-9.]+ \([0-9.]+\)\$' tune.out &&
   grep -Eq '^0.05 +reptile--inner-steps=2 ' tune.out && grep -Eq '^best rate .*: 0.0[25] \(mean [0-9.]+\)\$' tune.out &&
   [ \"\$(ls $E/tune/lr0.05/reptile--inner-steps=2/s1)\" = af ] && ls $E/tune/models/reptile--inner-steps=2/s1/final.mdl"
check "local/tune_dev.sh: a variant's option may hold a list (--adapt-layers=2,4)" bash -c \
  "local/tune_dev.sh --targets af --inits '' --variants 'maml:--inner-steps=1,--adapt-layers=2,4' --lrs 0.05 \
     --shots 2 --draws 1 --train-seeds 1 --test-recs 0 --support 2 --query 2 --train-budget 200 \
     --pretrain-iters 4 --train-opts '--progress-every=1 --meta-batch=2' $D $E $E/tune > tune.out 2> tune.err &&
   grep -Eq '^0.05 +maml--inner-steps=1,--adapt-layers=2,4 ' tune.out &&
   nnet-info $E/tune/models/maml--inner-steps=1,--adapt-layers=2,4/s1/final.mdl | grep -Fq 'meta-adapt-layers dim=6 [ 0 0 1 0 1 0 ]'"
check_fails "local/tune_dev.sh: a variant made with other settings is refused" \
  "tune/models/reptile--inner-steps=2/s1 was made with other settings" \
  local/tune_dev.sh --targets af --inits '' --variants 'reptile:--inner-steps=2' --lrs 0.05 \
    --shots 2 --draws 1 --train-seeds 1 --test-recs 0 --support 2 --query 2 --train-budget 300 \
    --pretrain-iters 4 --train-opts '--progress-every=1 --meta-batch=2' $D $E $E/tune
check_fails "local/tune_dev.sh: variants trained from another start than the run's are refused" \
  "$E/pretrain/s1 was made with other settings" \
  local/tune_dev.sh --targets af --inits '' --variants 'reptile:--inner-steps=3' --lrs 0.05 \
    --shots 2 --draws 1 --train-seeds 1 --test-recs 0 --support 2 --query 2 --train-budget 200 \
    --pretrain-iters 5 --train-opts '--progress-every=1 --meta-batch=2' $D $E $E/tune
check_fails "local/tune_dev.sh: a bad variant is refused" "bad variant 'maml'" \
  local/tune_dev.sh --targets af --inits multitask --train-seeds 1 --variants maml $D $E $E/tune
check "every conf/adapt*.conf holds valid fast-adapt options" bash -c \
  "d=$E/adapt_1step/maml/s1/ca/4_1 &&
   for c in conf/adapt*.conf; do
     fast-adapt --config=\$c --steps=2 --lr=0.05 $E/init/s1/0.mdl scp:\$d/feats.scp scp:\$d/labels.scp c.mdl ||
       { echo \"\$c failed\"; exit 1; }
   done"
check "--test-recs 2: two test recordings decoded, with every copy of each" bash -c \
  "./run.sh --tiny true --stage 7 --stop-stage 7 --test-recs 2 --inits multitask --train-seeds 1 --adapt-dir $E/adapt_recs &&
   [ \$(wc -l < $E/adapt_recs/test/ca/utts) = 4 ] && [ \$(wc -l < $E/adapt/test/ca/utts) = 6 ] &&
   awk 'NR == FNR { r[\$1] = \$2; next } { print r[\$1] }' $D/ca/test/utt2uniq $E/adapt_recs/test/ca/utts | sort | uniq -c | awk '\$1 != 2 { exit 1 }' &&
   [ \$(wc -l < $E/adapt_recs/test/ca/feats.scp) = 4 ] && [ \$(wc -l < $E/adapt_recs/test/ca/text) = 4 ]"
check_fails "plots of an --adapt-dir without results are refused" "no results for multitask on ca in $E/nothing" \
  ./run.sh --tiny true --stage 8 --stop-stage 8 --adapt-dir $E/nothing --plot-dir $E/plots_nothing
check_fails "RESULTS of an --adapt-dir without results are refused" "missing result $E/nothing/" \
  ./run.sh --tiny true --stage 9 --adapt-dir $E/nothing --results RESULTS.nothing
check "... and leave no RESULTS file" bash -c '! ls RESULTS.nothing* 2>/dev/null | grep -q .'
check "--adapt-dir leaves $E/adapt as it was" bash -c \
  "[ \"\$(ls -l --time-style=+%s.%N $E/adapt/maml/s1/*/2_1/wer $E/maml/s1/final.mdl $D/train/feats_cmvn.scp)\" = '$before' ]"

if [ -x "$TOPDIR/steps/meta_train.sh" ]; then
  check "--train-nj 2: training through steps/meta_train.sh, 2 jobs per outer step" bash -c \
    "mkdir -p exp2 && cp -r $E/init $E/tasks exp2/ &&
     ./run.sh --tiny true --exp exp2 --stage 6 --stop-stage 6 --inits reptile --train-seeds 1 --train-nj 2 &&
     [ -s exp2/reptile/s1/final.mdl ] && grep -q 'Iteration [0-9]*: query loss' exp2/reptile/s1/log/train.log &&
     ! cmp -s exp2/reptile/s1/final.mdl exp2/pretrain/s1/final.mdl && [ -s exp2/pretrain/s1/final.mdl ]"
else
  echo "SKIP: --train-nj 2 (no steps/meta_train.sh in this tree)" >&2
fi
# The character system: character units and labels, its own models, CER in RESULTS.char.
check "--unit char: a character recogniser, scored by character error rate" bash -c \
  "./run.sh --tiny true --unit char --exp exp_char --results RESULTS.char --stage 3 --inits 'multitask maml' --train-seeds 1 &&
   [ -s $D/train/labels_char.scp ] && [ -s exp_char/maml/s1/final.mdl ] &&
   grep -q '^# Character error rate' RESULTS.char && grep -Eq '^[a-z]+ +maml +[0-9.]+ \+-' RESULTS.char &&
   ! cmp -s $E/init/s1/0.mdl exp_char/init/s1/0.mdl"
check "--unit char: references and hypotheses are character units" bash -c \
  "cat exp_char/adapt/test/*/text | grep -q '<space>' &&
   cat exp_char/adapt/multitask/s1/*/4_*/hyp.txt | cut -s -d' ' -f2- | tr ' ' '\n' | sed /^$/d | sort -u > hyp_units &&
   cut -d' ' -f1 $D/lang_char/units.txt | sort > char_units && [ -z \"\$(comm -23 hyp_units char_units)\" ]"
# The recurrent model: its own exp and results on the same corpus.
check "--model-conf conf/lstm.conf: a BLSTM trained and adapted in exp_tiny_lstm, exp_tiny_lstm/RESULTS" bash -c \
  "cp $E/RESULTS results.before && ./run.sh --tiny true --model-conf conf/lstm.conf --inits 'multitask maml' 2> lstm.log &&
   nnet-info exp_tiny_lstm/maml/s2/final.mdl 2>/dev/null | grep -q 'lstm dim=8 bidirectional=true' &&
   ls exp_tiny_lstm/adapt/maml/s1/ca/4_2/wer && grep -Eq '^ca +maml +[0-9.]+ \+-' exp_tiny_lstm/RESULTS &&
   grep -q 'stage 1 (data): nothing to do' lstm.log && cmp $E/RESULTS results.before"
check "scratch: the random model of each seed, adapted with the same rule" bash -c \
  "./run.sh --tiny true --stage 6 --stop-stage 7 --inits scratch --adapt-dir $E/adapt_scratch &&
   cmp $E/scratch/s2/final.mdl $E/init/s2/0.mdl && ls $E/adapt_scratch/scratch/s2/ca/4_2/wer"
check_fails "an unknown initialisation is refused" "conf/meta/foo.conf" ./run.sh --tiny true --inits "maml foo"
check_fails "a bad --unit is refused" "must be phone or char" ./run.sh --tiny true --unit word
check_fails "a non-numeric --stage is refused" "\-\-stage must be a non-negative integer, got 'x'" ./run.sh --stage x
check_fails "a non-numeric --train-seeds is refused" "\-\-train-seeds: 'a' is not" ./run.sh --train-seeds "1 a"
check_fails "a language both dev and test is refused" "ca is both a dev and a test language" ./run.sh --dev-langs ca
check_fails "cmd.sh: an unknown CLUSTER is refused" "unknown CLUSTER='xyz'" env CLUSTER=xyz ./run.sh --tiny true
check_fails "an unknown option is refused" "xyz" ./run.sh --xyz 1
check_fails "path.sh: unbuilt programs are reported" "run 'make'" bash -c \
  'mkdir -p ../../../empty && rm ../../../bin && ln -s empty ../../../bin && PATH=/usr/bin:/bin && . ./path.sh'
