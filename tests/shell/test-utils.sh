#!/usr/bin/env bash
# Tests of utils/: run.pl, parse_options.sh, the data-directory scripts and the
# symbol-table helpers.
. "$(dirname "$0")/lib.sh"
U=$TOPDIR/utils
export LC_ALL=C

# Every script prints a usage line and fails when given no arguments.
for s in run.pl split_data.sh subset_data_dir.sh combine_data.sh validate_data_dir.sh \
         fix_data_dir.sh sym2int.pl int2sym.pl filter_scp.pl; do
  check_fails "$s without arguments prints usage" "Usage" "$U/$s"
done
check_fails "utt2spk_to_spk2utt.pl rejects two files" "Usage" "$U/utt2spk_to_spk2utt.pl" a b
check_fails "spk2utt_to_utt2spk.pl rejects an option" "Usage" "$U/spk2utt_to_utt2spk.pl" --x

# A data directory: speakers a (3 utterances), b (2), c (4).
mkdir d
for u in a-1 a-2 a-3 b-1 b-2 c-1 c-2 c-3 c-4; do echo "$u ${u%-*}"; done > d/utt2spk
awk '{print $1, "hello", $1}' d/utt2spk > d/text
touch w.wav; awk '{print $1, "w.wav"}' d/utt2spk > d/wav.scp
awk '{print $1, ($1 ~ /^c/ ? "fr" : "en")}' d/utt2spk > d/utt2lang
awk '{print $1, 1.5}' d/utt2spk > d/utt2dur
printf 'a 0.0\nb 1.0\nc 2.0\n' > d/cmvn.scp

# --- utt2spk_to_spk2utt.pl / spk2utt_to_utt2spk.pl
check "utt2spk_to_spk2utt.pl" bash -c "$U/utt2spk_to_spk2utt.pl d/utt2spk > d/spk2utt &&
  [ \"\$(sed -n 2p d/spk2utt)\" = 'b b-1 b-2' ] && [ \$(wc -l < d/spk2utt) = 3 ]"
check "spk2utt_to_utt2spk.pl inverts it" bash -c "$U/spk2utt_to_utt2spk.pl d/spk2utt | cmp - d/utt2spk"
check "utt2spk_to_spk2utt.pl reads stdin" bash -c "$U/utt2spk_to_spk2utt.pl < d/utt2spk | cmp - d/spk2utt"
check_fails "utt2spk_to_spk2utt.pl: bad line" "line 2" bash -c "printf 'u s\nv\n' | $U/utt2spk_to_spk2utt.pl"
check_fails "spk2utt_to_utt2spk.pl: speaker without utterances" "no utterances" bash -c "echo s | $U/spk2utt_to_utt2spk.pl"

# --- validate_data_dir.sh
check "validate_data_dir.sh accepts a good directory" "$U/validate_data_dir.sh" d
cp -r d bad1; sed -i '/^b-2 /d' bad1/utt2lang
check_fails "validate: missing utterance named with its file" "utterance b-2 is in utt2spk but not in utt2lang" "$U/validate_data_dir.sh" bad1
cp -r d bad2; echo "z-1 en" >> bad2/utt2lang
check_fails "validate: extra utterance" "utterance z-1 is in utt2lang but not in utt2spk" "$U/validate_data_dir.sh" bad2
cp -r d bad3; sort -r d/text > bad3/text
check_fails "validate: unsorted file" "text: not sorted" "$U/validate_data_dir.sh" bad3
cp -r d bad4; sed -i 's/^a-2 en/a-2/' bad4/utt2lang
check_fails "validate: line without value" "utt2lang: line 2 (key a-2)" "$U/validate_data_dir.sh" bad4
cp -r d bad5; sed -i 's/^a-2 1.5/a-2 -1/' bad5/utt2dur
check_fails "validate: bad duration" "utterance a-2 has duration" "$U/validate_data_dir.sh" bad5
cp -r d bad6; sed -i 's/^b b-1 b-2/b b-1/' bad6/spk2utt
check_fails "validate: spk2utt disagrees" "spk2utt disagrees with utt2spk" "$U/validate_data_dir.sh" bad6
cp -r d bad7; sed -i 's|^c-2 w.wav|c-2 /no/such.wav|' bad7/wav.scp
check_fails "validate: missing wav file" "utterance c-2: no such file /no/such.wav" "$U/validate_data_dir.sh" bad7
cp -r d bad8; printf 'a 0.0\nb 1.0\n' > bad8/cmvn.scp
check_fails "validate: per-speaker file" "speaker c is in spk2utt but not in cmvn.scp" "$U/validate_data_dir.sh" bad8
cp -r d bad9; sed -i '3a a-3 en' bad9/utt2lang
check_fails "validate: duplicate key" "key a-3 appears more than once" "$U/validate_data_dir.sh" bad9
cp -r d nowav; rm nowav/wav.scp
check_fails "validate: wav.scp required" "wav.scp" "$U/validate_data_dir.sh" nowav
check "validate --no-wav true" "$U/validate_data_dir.sh" --no-wav true nowav
check_fails "validate: bad option" "invalid option --no-wavs" "$U/validate_data_dir.sh" --no-wavs true d

# --- fix_data_dir.sh
cp -r d fix; sed -i '/^b-2 /d' fix/utt2lang; sort -r d/text > fix/text; echo "z-9 fr" >> fix/utt2lang
check "fix_data_dir.sh repairs" bash -c "$U/fix_data_dir.sh fix && $U/validate_data_dir.sh fix &&
  [ \$(wc -l < fix/utt2spk) = 8 ] && ! grep -q b-2 fix/text && grep -q '^b b-1\$' fix/spk2utt &&
  [ \$(wc -l < fix/.backup/text) = 9 ]"
cp -r d fix2; sed -i '/^b-/d' fix2/utt2lang
check "fix_data_dir.sh drops speakers left empty" bash -c "$U/fix_data_dir.sh fix2 && ! grep -q '^b ' fix2/cmvn.scp && $U/validate_data_dir.sh fix2"
cp -r d fix3; : > fix3/utt2lang
check_fails "fix_data_dir.sh: nothing left" "no utterance is in all" "$U/fix_data_dir.sh" fix3
check "fix_data_dir.sh leaves files when nothing is left" cmp fix3/text d/text

# --- split_data.sh
check "split_data.sh by speaker" bash -c "$U/split_data.sh d 2 && [ \$(cat d/split2/1/utt2spk | wc -l) = 5 ] &&
  [ \$(wc -l < d/split2/2/utt2spk) = 4 ] && $U/validate_data_dir.sh d/split2/1 && $U/validate_data_dir.sh d/split2/2 &&
  [ \$(cat d/split2/*/text | wc -l) = 9 ] && [ \$(wc -l < d/split2/2/cmvn.scp) = 1 ]"
check "split_data.sh --per-utt" bash -c "$U/split_data.sh --per-utt true d 4 &&
  [ \"\$(for i in 1 2 3 4; do wc -l < d/split4utt/\$i/utt2spk; done | tr '\n' ' ')\" = '2 3 2 2 ' ] &&
  cat d/split4utt/*/utt2lang | cmp - d/utt2lang"
check_fails "split_data.sh: more parts than speakers" "has 3 speakers, cannot split it into 4" "$U/split_data.sh" d 4
check_fails "split_data.sh: bad number" "bad number of parts" "$U/split_data.sh" d x

# --- subset_data_dir.sh
check "subset_data_dir.sh evenly spaced" bash -c "$U/subset_data_dir.sh d 3 s1 && [ \"\$(cut -d' ' -f1 s1/utt2spk | tr '\n' ' ')\" = 'a-1 b-1 c-2 ' ] && $U/validate_data_dir.sh s1"
check "subset_data_dir.sh --first" bash -c "$U/subset_data_dir.sh --first true d 2 s2 && [ \"\$(cut -d' ' -f1 s2/text | tr '\n' ' ')\" = 'a-1 a-2 ' ]"
check "subset_data_dir.sh --last" bash -c "$U/subset_data_dir.sh --last true d 2 s3 && [ \"\$(cut -d' ' -f1 s3/text | tr '\n' ' ')\" = 'c-3 c-4 ' ]"
check "subset_data_dir.sh --per-spk" bash -c "$U/subset_data_dir.sh --per-spk true d 1 s4 && [ \"\$(cut -d' ' -f1 s4/utt2lang | tr '\n' ' ')\" = 'a-1 b-1 c-1 ' ]"
printf 'b-2\nc-1\n' > ulist; echo c > slist
check "subset_data_dir.sh --utt-list" bash -c "$U/subset_data_dir.sh --utt-list ulist d s5 && [ \"\$(cut -d' ' -f1 s5/wav.scp | tr '\n' ' ')\" = 'b-2 c-1 ' ] && [ \$(wc -l < s5/cmvn.scp) = 2 ]"
check "subset_data_dir.sh --spk-list" bash -c "$U/subset_data_dir.sh --spk-list slist d s6 && [ \$(wc -l < s6/text) = 4 ] && $U/validate_data_dir.sh s6"
check_fails "subset_data_dir.sh: too many" "fewer than 10" "$U/subset_data_dir.sh" d 10 s7
check_fails "subset_data_dir.sh: two modes" "at most one" "$U/subset_data_dir.sh" --first true --last true d 2 s8

# --- spk2warp (per-speaker VTLN warp factors, as Kaldi's)
cp -r d w && printf 'a 0.9\nb 1\nc 1.1\n' > w/spk2warp
check "spk2warp is a per-speaker file: split, subset and validated" bash -c "$U/validate_data_dir.sh w &&
  $U/split_data.sh w 2 && cat w/split2/*/spk2warp | cmp - w/spk2warp && [ \$(wc -l < w/split2/2/spk2warp) = 1 ] &&
  $U/subset_data_dir.sh --spk-list slist w w1 && [ \"\$(cat w1/spk2warp)\" = 'c 1.1' ]"
check_fails "validate: a speaker without a warp factor" "speaker c is in spk2utt but not in spk2warp" \
  bash -c "cp -r w w2 && sed -i '\$d' w2/spk2warp && $U/validate_data_dir.sh w2"

# --- combine_data.sh
check "combine_data.sh" bash -c "$U/combine_data.sh comb s2 s6 2>err && [ \$(wc -l < comb/utt2spk) = 6 ] && $U/validate_data_dir.sh comb && ! grep -q WARNING err"
check "combine_data.sh: a speaker in two sources" bash -c "$U/combine_data.sh comb4 s5 s3 && grep -q '^c c-1 c-3 c-4\$' comb4/spk2utt && [ \$(wc -l < comb4/cmvn.scp) = 2 ]"
cp -r s3 s3b; echo "c 9.0" > s3b/cmvn.scp
check_fails "combine_data.sh: conflicting speaker lines" "key c is in cmvn.scp of more than one" "$U/combine_data.sh" comb5 s5 s3b
rm s2/utt2dur
check "combine_data.sh leaves out a partial file" bash -c "$U/combine_data.sh comb2 s2 s3 2>err && grep -q 'leaving out utt2dur' err && [ ! -f comb2/utt2dur ] && $U/validate_data_dir.sh comb2"
check_fails "combine_data.sh: overlapping sources" "of more than one source directory" "$U/combine_data.sh" comb3 s5 d

# --- utt2uniq: recordings a-1 (2 copies), a-2 (2), a-3, b-1 (2), b-2, c-1 (3), c-2
mkdir r
for u in a-1 a-1-n a-2 a-2-n a-3 b-1 b-1-n b-2 c-1 c-1-n c-1-p c-2; do echo "$u ${u%%-*}"; done > r/utt2spk
awk '{ split($1, p, "-"); print $1, p[1] "-" p[2] }' r/utt2spk > r/utt2uniq
awk '{print $1, "hello"}' r/utt2spk > r/text; awk '{print $1, "w.wav"}' r/utt2spk > r/wav.scp
$U/utt2spk_to_spk2utt.pl r/utt2spk > r/spk2utt
utts() { cut -d' ' -f1 "$1" | tr '\n' ' '; }
export -f utts
check "validate: utt2uniq" "$U/validate_data_dir.sh" r
cp -r r ru1; echo "z-1 a-1" >> ru1/utt2uniq; echo "z-2 a-1" >> ru1/utt2uniq
check_fails "validate: utt2uniq names an unknown utterance" "ru1: utterance z-1 is in utt2uniq but not in utt2spk" "$U/validate_data_dir.sh" ru1
cp -r r ru2; sed -i '/^a-2 /d' ru2/utt2uniq
check_fails "validate: an utterance without a recording" "utterance a-2 is in utt2spk but not in utt2uniq" "$U/validate_data_dir.sh" ru2
cp -r r ru3; sed -i 's/^a-1 a-1$/a-1 a-1 x/' ru3/utt2uniq
check_fails "validate: two recordings for one utterance" "utt2uniq: utterance a-1 has 3 fields, expected 2" "$U/validate_data_dir.sh" ru3
cp -r r rf; sed -i '/^b-1-n /d' rf/text
check "fix_data_dir.sh carries utt2uniq" bash -c "$U/fix_data_dir.sh rf && ! grep -q b-1-n rf/utt2uniq && [ \$(wc -l < rf/utt2uniq) = 11 ] && $U/validate_data_dir.sh rf"
check "split_data.sh carries utt2uniq" bash -c "$U/split_data.sh r 2 && $U/validate_data_dir.sh r/split2/1 && cat r/split2/*/utt2uniq | cmp - r/utt2uniq &&
  $U/split_data.sh --per-utt true r 5 && cat r/split5utt/*/utt2uniq | cmp - r/utt2uniq"
check "subset_data_dir.sh carries utt2uniq" bash -c "$U/subset_data_dir.sh r 5 rs && $U/validate_data_dir.sh rs && [ \$(wc -l < rs/utt2uniq) = 5 ]"
check "subset_data_dir.sh --uniq true: <num> recordings, evenly spaced, all copies" bash -c "$U/subset_data_dir.sh --uniq true r 2 ru 2>err &&
  [ \"\$(utts ru/utt2spk)\" = 'a-1 a-1-n b-1 b-1-n ' ] && $U/validate_data_dir.sh ru && grep -q '4 of 12 utterances of r (2 recordings)' err"
check "subset_data_dir.sh --uniq true --first / --last" bash -c "$U/subset_data_dir.sh --uniq true --first true r 3 rfirst &&
  [ \"\$(utts rfirst/text)\" = 'a-1 a-1-n a-2 a-2-n a-3 ' ] && $U/subset_data_dir.sh --uniq true --last true r 2 rlast &&
  [ \"\$(utts rlast/utt2uniq)\" = 'c-1 c-1-n c-1-p c-2 ' ]"
check_fails "subset_data_dir.sh --uniq true: more recordings than there are" "r/utt2uniq has 7 recordings (12 utterances), fewer than 8" \
  "$U/subset_data_dir.sh" --uniq true r 8 rbig
check_fails "subset_data_dir.sh --uniq true needs utt2uniq" "no d/utt2uniq" "$U/subset_data_dir.sh" --uniq true d 2 rnone
check_fails "subset_data_dir.sh --uniq true does not count per speaker" "does not combine" "$U/subset_data_dir.sh" --uniq true --per-spk true r 1 rps
mkdir x; printf 'x-1 x\nx-2 x\n' > x/utt2spk; printf 'x-1 hi\nx-2 hi\n' > x/text; printf 'x-1 w.wav\nx-2 w.wav\n' > x/wav.scp
check "combine_data.sh: a source without utt2uniq has one recording per utterance" bash -c "$U/combine_data.sh rc ru x 2>err &&
  ! grep -q utt2uniq err && grep -qx 'x-2 x-2' rc/utt2uniq && grep -qx 'a-1-n a-1' rc/utt2uniq && [ \$(wc -l < rc/utt2uniq) = 6 ] &&
  $U/validate_data_dir.sh rc && $U/combine_data.sh rd d x && [ ! -f rd/utt2uniq ]"

# --- sym2int.pl / int2sym.pl
printf '<blk> 0\na 1\nb 2\n<unk> 3\n' > units.txt
printf 'u1 a b a\nu2 b\n' > t.txt
check "sym2int.pl -f 2-" bash -c "[ \"\$($U/sym2int.pl -f 2- units.txt t.txt | tr '\n' ';')\" = 'u1 1 2 1;u2 2;' ]"
check "sym2int.pl field list" bash -c "[ \"\$(echo 'a b a b' | $U/sym2int.pl -f 1,3 units.txt)\" = '1 b 1 b' ]"
check "int2sym.pl inverts sym2int.pl" bash -c "$U/sym2int.pl -f 2- units.txt t.txt | $U/int2sym.pl -f 2- units.txt | cmp - t.txt"
check_fails "sym2int.pl: unknown symbol" "line 1: symbol 'c' is not in units.txt" bash -c "echo 'u a c' | $U/sym2int.pl -f 2- units.txt"
check "sym2int.pl --map-oov" bash -c "[ \"\$(echo 'u a c' | $U/sym2int.pl --map-oov '<unk>' -f 2- units.txt 2>/dev/null)\" = 'u 1 3' ]"
check_fails "int2sym.pl: unknown integer" "integer '7' is not in" bash -c "echo 'u 1 7' | $U/int2sym.pl -f 2- units.txt"
check_fails "sym2int.pl: bad field spec" "bad field specification" "$U/sym2int.pl" -f x units.txt t.txt
check_fails "sym2int.pl: missing table" "cannot open symbol table" "$U/sym2int.pl" nosuch.txt t.txt

# --- filter_scp.pl
check "filter_scp.pl" bash -c "[ \"\$($U/filter_scp.pl ulist d/text | cut -d' ' -f1 | tr '\n' ' ')\" = 'b-2 c-1 ' ]"
check "filter_scp.pl --exclude" bash -c "[ \$($U/filter_scp.pl --exclude ulist d/text | wc -l) = 7 ]"
check "filter_scp.pl -f 2" bash -c "[ \$($U/filter_scp.pl -f 2 slist d/utt2spk | wc -l) = 4 ]"
check_fails "filter_scp.pl: missing list" "cannot open id list" "$U/filter_scp.pl" nosuch d/text

# --- run.pl
check "run.pl runs an array of jobs" bash -c "$U/run.pl JOB=1:3 log/j.JOB.log echo job JOB &&
  grep -q '^job 2\$' log/j.2.log && grep -q 'Ended (code 0)' log/j.3.log"
check_fails "run.pl names the log of a failed job" "1 / 4 failed, log is in log/f.3.log" \
  "$U/run.pl" JOB=1:4 log/f.JOB.log "test JOB -ne 3"
check "run.pl: all jobs run though one fails" bash -c "! $U/run.pl JOB=1:3 log/g.JOB.log 'echo JOB > out.JOB; test JOB -ne 1' 2>/dev/null; [ -f out.2 ] && [ -f out.3 ]"
check "run.pl single job with a pipe" bash -c "$U/run.pl log/p.log 'echo abc | tr a x' && grep -q '^xbc\$' log/p.log"
check "run.pl --max-jobs-run 1 runs one at a time" bash -c "$U/run.pl --max-jobs-run 1 JOB=1:3 log/s.JOB.log 'mkdir lock || exit 1; sleep 0.2; rmdir lock'"
check "run.pl jobs run in parallel" bash -c "$U/run.pl JOB=1:2 log/q.JOB.log 'touch here.JOB; for i in \$(seq 50); do [ -f here.1 ] && [ -f here.2 ] && exit 0; sleep 0.1; done; exit 1'"
check_fails "run.pl: bad range" "bad job range" "$U/run.pl" JOB=3:1 log/x.JOB.log true
check_fails "run.pl: bad --max-jobs-run" "bad value for --max-jobs-run" "$U/run.pl" --max-jobs-run 0 log/x.log true

# --- parse_options.sh
cat > po.sh <<EOF
num_jobs=2
use_gpu=false
name=x
help_message="Usage: po.sh [--num-jobs N] [--use-gpu true|false] <arg>"
. $U/parse_options.sh
echo "\$num_jobs \$use_gpu \$name \$*"
EOF
check "parse_options.sh sets variables" bash -c "[ \"\$(bash po.sh --num-jobs 5 --use-gpu=true --name 'a b' rest)\" = '5 true a b rest' ]"
check "parse_options.sh stops at --" bash -c "[ \"\$(bash po.sh --num-jobs 3 -- --name)\" = '3 false x --name' ]"
echo "num_jobs=9" > po.conf
check "parse_options.sh --config" bash -c "[ \"\$(bash po.sh --config po.conf a)\" = '9 false x a' ]"
check_fails "parse_options.sh: unknown option" "invalid option --num-job" bash po.sh --num-job 3
check_fails "parse_options.sh: boolean value" "expects true or false" bash po.sh --use-gpu=yes
check "parse_options.sh: a boolean alone is true (Kaldi's --per-utt)" bash -c "[ \"\$(bash po.sh --use-gpu a b)\" = '2 true x a b' ] &&
  [ \"\$(bash po.sh --use-gpu --num-jobs 4 a)\" = '4 true x a' ] && [ \"\$(bash po.sh --use-gpu false a)\" = '2 false x a' ]"
check_fails "parse_options.sh: missing value" "needs a value" bash po.sh --num-jobs
check_fails "parse_options.sh --help" "Usage: po.sh" bash -c "bash po.sh --help; exit 1"
