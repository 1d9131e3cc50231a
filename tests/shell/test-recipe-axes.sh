#!/usr/bin/env bash
# The multilingual recipe's adaptation axes at their tiny size (egs/multilang/s5/run.sh
# --axis dialect|speaker|noise|engine --tiny true), in a copy of the recipe in a scratch
# directory: each runs every stage into data_tiny_<axis>/ exp_tiny_<axis>/ and
# exp_tiny_<axis>/RESULTS, holds its dev and test targets out of training, meta-trains on the
# axis's tasks, and reports the test targets with the zero-shot column, the dev targets
# apart; a held-out set that is empty or has nothing in it stops before any synthesis.
. "$(dirname "$0")/lib.sh"
export LC_ALL=C

copy_recipe
cd top/egs/multilang/s5 || exit 1

# What a RESULTS file must have: a row per test target and initialisation with N=0 2 4
# cells, the mean, and the dev targets in their own table.
results_ok() { # file label "<test targets>" "<dev targets>"
  local f=$1 label=$2 t
  grep -Eq "^$label +init +N=0 +N=2 +N=4\$" $f || { echo "no header in $f"; return 1; }
  for t in $3; do for i in multitask maml; do
    grep -Eq "^$t +$i +[0-9.]+ \+- [0-9.]+[-+ ] +[0-9.]+ \+- [0-9.]+[-+ ] +[0-9.]+ \+- [0-9.]+[-+ ]?\$" $f ||
      { echo "no row for $t $i in $f"; return 1; }
  done; done
  grep -Eq '^mean +maml ' $f || return 1
  for t in $4; do
    grep -q "^# Dev .*($4)" $f && sed -n '/^# Dev/,$p' $f | grep -Eq "^$t +maml " &&
      ! sed -n '1,/^# Dev/p' $f | grep -Eq "^$t " || { echo "dev target $t not apart in $f"; return 1; }
  done
}
run_axis() { ./run.sh --tiny true --nj 2 --axis $1 --inits "multitask maml" > run.$1.out 2> run.$1.log; }

# Dialects: en-us-nyc (dev) and es-419 (test) held out of the source languages' dialects.
D=data_tiny_dialect E=exp_tiny_dialect
check "--axis dialect runs every stage" run_axis dialect
check "dialect: exp_tiny_dialect/RESULTS has the test dialect, N=0 included, and the dev one apart" \
  results_ok exp_tiny_dialect/RESULTS dialect es-419 en-us-nyc
check "dialect: the held-out dialects are targets, never in training; their languages are" bash -c \
  "[ -s $D/es-419/adapt/wav.scp ] && [ -s $D/en-us-nyc/test/wav.scp ] &&
   [ \"\$(cut -d' ' -f2 $D/es-419/adapt/utt2dialect | sort -u)\" = es-419 ] &&
   ! cut -d' ' -f2 $D/train/utt2dialect | grep -qx 'es-419\|en-us-nyc' &&
   cut -d' ' -f2 $D/train/utt2dialect | grep -qx es && cut -d' ' -f2 $D/train/utt2dialect | grep -qx en-gb"
check "dialect: meta-training tasks are dialects" bash -c \
  "grep -q 'make-tasks --task-key=dialect' $E/tasks/log/make_tasks.dialect.log &&
   [ \"\$(awk '{ print \$2 }' $E/tasks/episodes.dialect.txt | sort -u | head -n 1)\" = de ] &&
   grep -q 'episodes.dialect.txt' $E/maml/s1/log/train.log"
check "dialect: plots of the test dialects" bash -c \
  "[ -s $E/plots/error_rate.png ] && ls $E/plots/data/es-419.maml.dat && [ ! -e $E/plots/data/en-us-nyc.maml.dat ]"

# Speakers: voices no training speaker has (an espeak-ng variant, festival's and flite's).
D=data_tiny_speaker E=exp_tiny_speaker
check "--axis speaker runs every stage" run_axis speaker
check "speaker: exp_tiny_speaker/RESULTS has the test speakers and the dev one apart" \
  results_ok exp_tiny_speaker/RESULTS spk "en-us-m3 en-us-flite-rms" cs-festival-krb
check "speaker: each target is one speaker, whose voice no training speaker has" bash -c \
  "for t in en-us-m3 en-us-flite-rms cs-festival-krb; do
     [ \"\$(cat $D/\$t/adapt/utt2spk $D/\$t/test/utt2spk | cut -d' ' -f2 | sort -u)\" = \$t ] || exit 1; done
   ! cut -d' ' -f1 $D/train/spk2utt | grep -q -- '-m3\$\|-rms\$\|-krb\$' &&
   grep -q ' festival\$' $D/train/utt2engine && grep -q ' espeak\$' $D/train/utt2engine"
check "speaker: meta-training tasks are speakers" bash -c \
  "grep -q 'make-tasks --task-key=spk' $E/tasks/log/make_tasks.spk.log && grep -q 'episodes.spk.txt' $E/maml/s1/log/train.log"

# Noise: a noise type (pink, dev) and a room (a hall, test) no training copy has, at low SNR.
D=data_tiny_noise E=exp_tiny_noise
check "--axis noise runs every stage" run_axis noise
check "noise: exp_tiny_noise/RESULTS has the test condition and the dev one apart" \
  results_ok exp_tiny_noise/RESULTS cond reverb-hall pink-0db
check "noise: every target utterance in its condition, none in training; training has rooms and speeds" bash -c \
  "[ \"\$(cut -d' ' -f2 $D/reverb-hall/adapt/utt2cond $D/reverb-hall/test/utt2cond | sort -u)\" = reverb-hall ] &&
   [ \"\$(cut -d' ' -f2 $D/pink-0db/test/utt2cond | sort -u)\" = pink-0db ] &&
   ! cut -d' ' -f2 $D/train/utt2cond | grep -q 'pink\|hall' &&
   [ \"\$(cut -d' ' -f2 $D/train/utt2cond | sed 's/-[0-9]*db\$//' | sort -u | tr '\n' ' ')\" = 'clean reverb-small speed-1.1 white ' ]"
check "noise: meta-training tasks are conditions" bash -c \
  "grep -q 'make-tasks --task-key=cond' $E/tasks/log/make_tasks.cond.log && grep -q 'episodes.cond.txt' $E/maml/s1/log/train.log &&
   awk '{ print \$2 }' $E/tasks/episodes.cond.txt | grep -qx speed-1.1"

# Engines: trained on espeak-ng's voices alone, adapted to festival's for a language seen
# in training (cs) and one that was not (ca), and to flite's (en, dev).
D=data_tiny_engine E=exp_tiny_engine
check "--axis engine runs every stage" run_axis engine
check "engine: exp_tiny_engine/RESULTS has both test targets and the dev one apart" \
  results_ok exp_tiny_engine/RESULTS target "cs-festival ca-festival" en-flite
check "engine: training is espeak-ng's; the targets are festival's and flite's" bash -c \
  "[ \"\$(cut -d' ' -f2 $D/train/utt2engine | sort -u)\" = espeak ] && cut -d' ' -f2 $D/train/utt2lang | grep -qx cs &&
   ! cut -d' ' -f2 $D/train/utt2lang | grep -qx ca &&
   [ \"\$(cut -d' ' -f2 $D/cs-festival/*/utt2engine $D/ca-festival/*/utt2engine | sort -u)\" = festival ] &&
   [ \"\$(cut -d' ' -f2 $D/en-flite/*/utt2engine | sort -u)\" = flite ]"
check "engine: cs-festival adapts to one voice and is tested on another" bash -c \
  "[ \"\$(cut -d' ' -f2 $D/cs-festival/adapt/utt2spk | sort -u)\" = cs-festival-dita ] &&
   [ \"\$(cut -d' ' -f2 $D/cs-festival/test/utt2spk | sort -u)\" = cs-festival-krb ]"

# A held-out set that is empty or has nothing in it stops before any synthesis.
check_fails "an empty test set stops, naming it" "the noise axis has no test targets (--test-targets is empty)" \
  ./run.sh --tiny true --axis noise --test-targets '' --exp exp_empty
check_fails "a held-out engine target without voices stops, naming it" \
  "held-out engine target 'ru-flite' has no voices: no flite voice of language ru" \
  ./run.sh --tiny true --axis engine --test-targets ru-flite --data data_bad --exp exp_bad
check "... before any synthesis" bash -c "[ ! -e data_bad ]"
check_fails "a dialect of no source language stops" "held-out dialect 'pt-br' is no dialect of a source language" \
  ./run.sh --tiny true --axis dialect --test-targets pt-br --data data_bad --exp exp_bad
check_fails "a condition the training copies have stops" "held-out condition white-0db: its noise white is also a condition of the copies" \
  ./run.sh --tiny true --axis noise --test-targets white-0db --data data_bad --exp exp_bad
check_fails "an unknown axis is refused" "\-\-axis must be lang, dialect, speaker, noise or engine, got 'accent'" \
  ./run.sh --axis accent
check_fails "--axis lang takes --test-langs" "\-\-axis lang takes --dev-langs and --test-langs" \
  ./run.sh --test-targets ca
