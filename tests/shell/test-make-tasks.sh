#!/usr/bin/env bash
# Tests of make-tasks on a hand-made data directory.
. "$(dirname "$0")/lib.sh"
export LC_ALL=C

# 24 utterances: en (3 speakers, dialects en-us/en-gb) and fr (1 speaker), clean and white-10db.
mkdir d
for s in en-us-m1 en-us-f2 en-gb-m3 fr-fr-m4; do
  for i in 1 2 3; do
    for c in clean white-10db; do
      u=$s-$i; [ $c = clean ] || u=$u-$c
      echo "$u $s" >> d/utt2spk
      echo "$u ${s%%-*}" >> d/utt2lang
      echo "$u ${s%-*}" >> d/utt2dialect
      echo "$u $c" >> d/utt2cond
      echo "$u $i.25" >> d/utt2dur
    done
  done
done
for f in d/utt2*; do sort -o $f $f; done
utt2spk_to_spk2utt.pl d/utt2spk > d/spk2utt

tasks_of() { awk '{print $2}' "$1" | sort -u | tr '\n' ' '; }
check_fields() { # file K Q: every line has the format and set sizes
  awk -v k="$2" -v q="$3" 'NF != 6 || $3 != "support" || $5 != "query" { exit 1 }
    split($4, s, ",") != k { exit 1 } (q == 0 ? $6 != "-" : split($6, x, ",") != q) { exit 1 }' "$1"
}

export -f tasks_of check_fields
check "by language: fields" bash -c "make-tasks --task-key=lang --support=2 --query=3 --num-episodes=40 d ep.txt &&
  check_fields ep.txt 2 3 && [ \$(wc -l < ep.txt) = 40 ] && [ \"\$(tasks_of ep.txt)\" = 'en fr ' ]"
check "support and query are disjoint and from the task" bash -c "make-tasks --support=3 --query=3 --num-episodes=30 d ep.txt &&
  awk '{ n = split(\$4 \",\" \$6, u, \",\"); for (i = 1; i <= n; i++) { if (seen[\$1, u[i]]++) exit 1; if (index(u[i], \$2 \"-\") != 1) exit 1 } }' ep.txt"
check "by language and condition" bash -c "make-tasks --task-key=lang,cond --num-episodes=200 --support=1 --query=1 d ep.txt &&
  [ \"\$(tasks_of ep.txt)\" = 'en+clean en+white-10db fr+clean fr+white-10db ' ]"
check "by dialect" bash -c "make-tasks --task-key=dialect --num-episodes=100 --support=2 --query=2 d ep.txt &&
  [ \"\$(tasks_of ep.txt)\" = 'en-gb en-us fr-fr ' ]"
check "by speaker" bash -c "make-tasks --task-key=spk --num-episodes=100 --support=3 --query=3 d ep.txt &&
  [ \"\$(tasks_of ep.txt)\" = 'en-gb-m3 en-us-f2 en-us-m1 fr-fr-m4 ' ]"
check "by condition" bash -c "make-tasks --task-key=cond --num-episodes=50 --support=4 --query=0 d ep.txt &&
  [ \"\$(tasks_of ep.txt)\" = 'clean white-10db ' ] && check_fields ep.txt 4 0"
check "to stdout" bash -c "make-tasks --num-episodes=3 d - 2>/dev/null | check_fields /dev/stdin 5 5"
check "same seed, same episodes; other seed, others" bash -c "make-tasks --seed=3 d a.txt && make-tasks --seed=3 d b.txt &&
  make-tasks --seed=4 d c.txt && cmp a.txt b.txt && ! cmp -s a.txt c.txt"
check "--num-episodes" bash -c "make-tasks --num-episodes=7 d a.txt && [ \$(wc -l < a.txt) = 7 ] && [ \"\$(tail -1 a.txt | cut -d' ' -f1)\" = ep7 ]"
# 18 en and 6 fr utterances: by size, en is drawn about 3 times as often as fr.
check "--task-weighting" bash -c "make-tasks --num-episodes=1000 --support=1 --query=1 --task-weighting=uniform d u.txt &&
  make-tasks --num-episodes=1000 --support=1 --query=1 --task-weighting=size d s.txt &&
  nu=\$(grep -c ' en ' u.txt) && ns=\$(grep -c ' en ' s.txt) && [ \$nu -gt 440 ] && [ \$nu -lt 560 ] && [ \$ns -gt 690 ] && [ \$ns -lt 810 ]"
check "--exclude-tasks" bash -c "make-tasks --task-key=lang,cond --exclude-tasks='fr+*,en+clean' --support=1 --query=1 --num-episodes=50 d a.txt 2>err &&
  [ \"\$(tasks_of a.txt)\" = 'en+white-10db ' ] && grep -q 'Held out 3 task' err"
check "small tasks are reported and skipped" bash -c "make-tasks --task-key=lang,cond --support=3 --query=1 --num-episodes=20 d a.txt 2>err &&
  [ \"\$(tasks_of a.txt)\" = 'en+clean en+white-10db ' ] && grep -q 'Skipped 2 task(s) .*fr+clean(3) fr+white-10db(3)' err"
check_fails "all tasks too small" "Skipped 4 task" make-tasks --task-key=spk --support=4 --query=3 d a.txt
check "--support-seconds" bash -c "make-tasks --support-seconds=5 --query=1 --num-episodes=50 d a.txt &&
  awk 'NR == FNR { d[\$1] = \$2; next } { n = split(\$4, u, \",\"); t = 0; for (i = 1; i <= n; i++) t += d[u[i]]; if (t < 5) exit 1; if (n > 1) many = 1 } END { exit !many }' d/utt2dur a.txt"
check "--query-seconds" bash -c "make-tasks --support=1 --query-seconds=4 --num-episodes=50 d a.txt &&
  awk 'NR == FNR { d[\$1] = \$2; next } { n = split(\$6, u, \",\"); t = 0; for (i = 1; i <= n; i++) t += d[u[i]]; if (t < 4) exit 1 }' d/utt2dur a.txt"
cp -r d f; rm f/utt2dur; awk '{print $1, 100}' d/utt2spk > f/utt2num_frames
check "--support-seconds from utt2num_frames and --frame-shift" bash -c "make-tasks --support-seconds=2.5 --query=1 --num-episodes=20 f a.txt &&
  awk '{ if (split(\$4, u, \",\") != 3) exit 1 }' a.txt && make-tasks --frame-shift=0.03 --support-seconds=2.5 --query=1 --num-episodes=20 f b.txt &&
  awk '{ if (split(\$4, u, \",\") != 1) exit 1 }' b.txt"
check "--list-tasks" bash -c "make-tasks --task-key=spk --support=3 --query=3 --list-tasks=t.txt --num-episodes=2 d a.txt &&
  grep -qx 'en-us-m1 6 13.50 1' t.txt && [ \$(wc -l < t.txt) = 4 ]"

# Recordings: each noisy copy maps to its clean utterance (utt2uniq). No episode may have
# a recording in its support set and in its query set.
cp -r d g
sed 's/-white-10db / /' d/utt2spk | paste -d' ' <(cut -d' ' -f1 d/utt2spk) - | cut -d' ' -f1,2 > g/utt2uniq
augmented() { # utt2uniq episodes: how many support sets hold two copies of a recording
  awk 'NR == FNR { r[$1] = $2; next } { split("", s); n = split($4, u, ",")
    for (i = 1; i <= n; i++) if (s[r[u[i]]]++) { aug++; break } } END { print aug + 0 }' "$1" "$2"
}
export -f augmented
check "utt2uniq: grouped by default, and the log says so" bash -c "make-tasks --support=3 --query=3 --num-episodes=300 g ep 2>err &&
  grep -q 'Grouping the copies of each recording by g/utt2uniq' err && grep -q '24 utterances of 12 recordings' err"
check "no recording on both sides of any episode (lang, dialect, spk; counts and seconds)" bash -c "
  for k in lang dialect spk; do make-tasks --task-key=\$k --support=3 --query=2 --num-episodes=300 g ep &&
    [ \$(episode_leaks g/utt2uniq ep) = 0 ] && check_fields ep 3 2 || exit 1; done &&
  make-tasks --support-seconds=4 --query-seconds=3 --num-episodes=300 g ep && [ \$(episode_leaks g/utt2uniq ep) = 0 ]"
check "support sets may hold several copies of one recording" bash -c "make-tasks --support=3 --query=3 --num-episodes=300 g ep &&
  [ \$(augmented g/utt2uniq ep) -gt 100 ]"
check "--group-key= turns groups off (and recordings leak)" bash -c "make-tasks --group-key= --support=3 --query=3 --num-episodes=300 g ep 2>err &&
  ! grep -q Grouping err && [ \$(episode_leaks g/utt2uniq ep) -gt 100 ] && make-tasks --support=3 --query=3 --num-episodes=300 d ep2 && cmp ep ep2"
check "--group-key=uniq, =utt2uniq, =auto and a path are the default" bash -c "make-tasks --seed=2 g a && make-tasks --seed=2 --group-key=uniq g b &&
  make-tasks --seed=2 --group-key=utt2uniq g c && cp g/utt2uniq u && make-tasks --seed=2 --group-key=\$PWD/u g e &&
  make-tasks --seed=2 --group-key=auto g a2 && cmp a b && cmp a c && cmp a e && cmp a a2"
check "--group-key=spk: support and query never share a speaker" bash -c "make-tasks --group-key=spk --support=3 --query=3 --num-episodes=100 g ep &&
  [ \$(episode_leaks g/utt2spk ep) = 0 ] && [ \$(episode_leaks g/utt2uniq ep) = 0 ]"
# fr has 6 utterances of 3 recordings: a support set of 3 leaves one copy unused, so 3 + 3 does not fit.
check "a task whose recordings cannot fill both sets is skipped" bash -c "make-tasks --support=3 --query=3 --num-episodes=20 g a 2>err &&
  [ \"\$(tasks_of a)\" = 'en ' ] && grep -q 'Skipped 1 task(s) .*fr(6)' err && make-tasks --support=3 --query=2 --num-episodes=200 g b &&
  [ \"\$(tasks_of b)\" = 'en fr ' ]"

# Bad input.
cp -r g b4; echo "zz-1 zz-1" >> b4/utt2uniq
check_fails "utt2uniq with an unknown utterance" "b4/utt2uniq line 25: utterance zz-1 is not in b4/utt2spk" make-tasks b4 a.txt
cp -r g b5; sed -i '/^en-gb-m3-2 /d' b5/utt2uniq
check_fails "utt2uniq without an utterance" "b5/utt2uniq has no entry for utterance en-gb-m3-2" make-tasks b5 a.txt
check_fails "a missing group file" "cannot open d/utt2uniq" make-tasks --group-key=uniq d a.txt
cp -r d b1; echo "zz-1 en" >> b1/utt2lang
check_fails "key file with an unknown utterance" "b1/utt2lang line 25: utterance zz-1 is not in b1/utt2spk" make-tasks b1 a.txt
check_fails "missing key file" "cannot open d/utt2accent" make-tasks --task-key=accent d a.txt
check_fails "malformed key file" "line 3 (key en-gb-m3-2): expected two fields" bash -c "cp -r d b2; sed -i '3s/\$/ x/' b2/utt2lang; make-tasks b2 a.txt"
check_fails "no task large enough" "No task is left" make-tasks --support=20 d a.txt
check_fails "seconds without durations" "need utt2dur or utt2num_frames" bash -c "cp -r d b3; rm b3/utt2dur; make-tasks --support-seconds=3 b3 a.txt"
check_fails "bad weighting" "task-weighting" make-tasks --task-weighting=big d a.txt
check_fails "bad support" "support must be at least 1" make-tasks --support=0 d a.txt
check_fails "wrong argument count" "Usage: make-tasks" make-tasks d
check "no output left on failure" bash -c "! make-tasks --support=20 d none.txt 2>/dev/null; [ ! -e none.txt ] && ! ls none.txt.* 2>/dev/null"
# The error paths free what they allocated: under make test SANITIZE=1, LeakSanitizer
# reports nothing (it reported the values read before an unknown utterance, the
# eligibility flags when no task is left, the output of a file that cannot be created).
check "error paths leak nothing (LeakSanitizer in the SANITIZE=1 build)" bash -c "
  for a in 'b1 a.txt' '--task-key=spk --support=4 --query=3 d a.txt' 'd /nonexistent/a.txt'; do
    ! make-tasks \$a 2> leak.log && grep -q ERROR leak.log && ! grep -q LeakSanitizer leak.log || exit 1
  done"
