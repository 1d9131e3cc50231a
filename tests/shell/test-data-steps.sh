#!/usr/bin/env bash
# Kaldi's data-preparation steps: steps/make_fbank.sh and make_mfcc.sh (with and without
# segments), steps/compute_cmvn_stats.sh, utils/copy_data_dir.sh,
# utils/data/get_utt2dur.sh and utils/perturb_data_dir_speed.sh: their outputs and log
# layout, features equal to the programs run by hand, and failures (a segment beyond
# its recording, a failing wav.scp command, missing files) that stop with an error
# naming the file and line and leave no feats.scp behind.
. "$(dirname "$0")/lib.sh"
U=$TOPDIR/utils S=$TOPDIR/steps
W=$TOPDIR/tests/reference/features
export LC_ALL=C

mkdir -p conf
cp "$TOPDIR/conf/fbank.conf" "$TOPDIR/conf/mfcc.conf" conf/
# Utterances of two speakers: a file, a pipe, and a noisy pipe.
mkdir -p data/utt
cat > data/utt/wav.scp <<EOF
s1-a $W/speech16k.wav
s1-b sox -D $W/cards8k.wav -r 16000 -t wav - |
s2-c wav-add-noise --snr=5 --seed=3 $W/speech16k.wav - |
EOF
printf 's1-a s1\ns1-b s1\ns2-c s2\n' > data/utt/utt2spk
"$U/utt2spk_to_spk2utt.pl" data/utt/utt2spk > data/utt/spk2utt
# Recordings cut by segments: r1 (2 s), r2 a pipe.
sox $W/speech16k.wav $W/speech16k.wav r1.wav
mkdir -p data/seg
printf "r1 $PWD/r1.wav\nr2 sox $W/speech16k.wav -t wav - |\n" > data/seg/wav.scp
printf 's1-a r1 0 0.8\ns1-b r1 0.8 2\ns2-a r2 0.25 1\n' > data/seg/segments
printf 's1-a s1\ns1-b s1\ns2-a s2\n' > data/seg/utt2spk
"$U/utt2spk_to_spk2utt.pl" data/seg/utt2spk > data/seg/spk2utt

same_feats() { cmp <(copy-feats "$1" ark,t:- 2>/dev/null) <(copy-feats "$2" ark,t:- 2>/dev/null); }
export -f same_feats

check "make_fbank.sh: Kaldi's outputs and log layout" bash -c "
  $S/make_fbank.sh --nj 2 data/utt exp/fb fbank 2> fb.log &&
  ls fbank/raw_fbank_utt.1.ark fbank/raw_fbank_utt.2.scp exp/fb/make_fbank_utt.1.log exp/fb/make_fbank_utt.2.log &&
  [ \$(wc -l < data/utt/feats.scp) = 3 ] && [ \"\$(cat data/utt/frame_shift)\" = 0.01 ] && cmp conf/fbank.conf data/utt/conf/fbank.conf &&
  [ \"\$(awk '{print \$1, \$2}' data/utt/utt2num_frames | tr '\n' ' ')\" = 's1-a 98 s1-b 68 s2-c 98 ' ] &&
  [ \"\$(awk '{print \$1, \$2}' data/utt/utt2dur | tr '\n' ' ')\" = 's1-a 1 s1-b 0.7 s2-c 1 ' ] &&
  grep -q 'Succeeded creating filterbank features for utt' fb.log && ! ls exp/fb/wav_utt.* 2>/dev/null &&
  $U/validate_data_dir.sh --no-text data/utt"
check "make_fbank.sh: the features of compute-features --type=fbank, compressed as Kaldi's (CM)" \
  same_feats scp:data/utt/feats.scp "ark:compute-features --config=conf/fbank.conf --compress=true scp:data/utt/wav.scp ark:- |"
check "make_fbank.sh --compress false: the exact features (FM)" bash -c "
  $S/make_fbank.sh --nj 1 --compress false data/utt exp/fb2 fbank2 2>/dev/null &&
  grep -q 'FM' fbank2/raw_fbank_utt.1.ark && ! grep -q 'CM' fbank2/raw_fbank_utt.1.ark && grep -q 'CM' fbank/raw_fbank_utt.1.ark &&
  same_feats scp:data/utt/feats.scp 'ark:compute-features --config=conf/fbank.conf scp:data/utt/wav.scp ark:- |'"
check "make_mfcc.sh with segments: extract-segments in the pipe" bash -c "
  $S/make_mfcc.sh --nj 2 data/seg exp/mf mfcc 2> mf.log && grep -q 'segments file exists: using that' mf.log &&
  ls mfcc/raw_mfcc_seg.2.ark exp/mf/make_mfcc_seg.2.log && grep -q '^extract-segments' exp/mf/make_mfcc_seg.1.log &&
  [ \"\$(awk '{print \$1, \$2}' data/seg/utt2dur | tr '\n' ' ')\" = 's1-a 0.8 s1-b 1.2 s2-a 0.75 ' ] &&
  same_feats scp:data/seg/feats.scp \"ark:extract-segments scp:data/seg/wav.scp data/seg/segments ark:- | compute-features --type=mfcc --config=conf/mfcc.conf --compress=true ark:- ark:- |\""
check "a rerun moves the old feats.scp to .backup" bash -c "
  $S/make_mfcc.sh --nj 1 data/seg exp/mf mfcc 2>/dev/null && [ -s data/seg/.backup/feats.scp ]"
check_fails "make_fbank.sh: a config of another --type" "conf/mfcc.conf says --type=mfcc, but .*make_fbank.sh computes fbank" \
  "$S/make_fbank.sh" --fbank-config conf/mfcc.conf data/utt exp/x x
check_fails "make_fbank.sh: more jobs than lines" "cannot split the 3 lines of data/utt/wav.scp into 4 jobs" \
  "$S/make_fbank.sh" --nj 4 data/utt exp/x x
check_fails "make_fbank.sh: a missing config" "no such file conf/none.conf" "$S/make_fbank.sh" --fbank-config conf/none.conf data/utt
check_fails "make_fbank.sh: usage" "Usage: .*make_fbank.sh \[options\] <data-dir> \[<log-dir> \[<fbank-dir>\] \]" "$S/make_fbank.sh"

# Failures: an error naming the file and line, no feats.scp, no archives of the run.
bad_dir() { rm -rf data/bad badf exp/bad; cp -r data/$1 data/bad; rm -f data/bad/feats.scp; }
no_output() { [ ! -e data/bad/feats.scp ] && [ -z "$(ls badf 2>/dev/null)" ]; }
export -f no_output
bad_dir seg; sed -i 's/0.25 1$/0.25 1.6/' data/bad/segments
check_fails "a segment beyond its recording's end: the segments file and line" \
  "segment s2-a ends at 1.6 s, beyond the end of recording r2 (1 s) by more than --max-overshoot=0.5 (line 3 of data/bad/segments)" \
  bash -c "$S/make_mfcc.sh --nj 2 data/bad exp/bad badf || { no_output || exit 0; exit 1; }"
bad_dir seg; sed -i 's|^r2 sox |r2 sox /no/such.wav |' data/bad/wav.scp
check_fails "a failing wav.scp command (segments): its exit status" \
  "reading scp:data/bad/wav.scp: key r2: command 'sox /no/such.wav .*' failed with status 2" \
  bash -c "$S/make_mfcc.sh --nj 2 data/bad exp/bad badf || { no_output || exit 0; exit 1; }"
bad_dir utt; sed -i 's|^s1-b sox -D |s1-b sox -D /no/such.wav |' data/bad/wav.scp
check_fails "a failing wav.scp command: its exit status, the key, no output" \
  "key s1-b: command 'sox -D /no/such.wav .*' failed with status 2" \
  bash -c "$S/make_fbank.sh --nj 2 data/bad exp/bad badf || { no_output || exit 0; exit 1; }"
bad_dir utt; sed -i 's|^s1-a .*|s1-a /no/such.wav|' data/bad/wav.scp
check_fails "a missing WAV file is named (by validate_data_dir.sh first)" "utterance s1-a: no such file /no/such.wav" \
  bash -c "$S/make_fbank.sh --nj 2 data/bad exp/bad badf || { no_output || exit 0; exit 1; }"

# --- compute_cmvn_stats.sh
check "compute_cmvn_stats.sh: per speaker, Kaldi's layout" bash -c "
  $S/compute_cmvn_stats.sh data/utt exp/fb fbank 2>/dev/null && ls exp/fb/cmvn_utt.log fbank/cmvn_utt.ark &&
  [ \"\$(cut -d' ' -f1 data/utt/cmvn.scp | tr '\n' ' ')\" = 's1 s2 ' ] &&
  cmp <(copy-feats scp:data/utt/cmvn.scp ark,t:- 2>/dev/null) \
      <(compute-cmvn-stats --spk2utt=ark:data/utt/spk2utt scp:data/utt/feats.scp ark:- 2>/dev/null | copy-feats ark:- ark,t:- 2>/dev/null)"
check "compute_cmvn_stats.sh --fake: statistics that change nothing" bash -c "
  cp -r data/utt data/fake && $S/compute_cmvn_stats.sh --fake data/fake exp/fake fake 2>/dev/null &&
  same_feats scp:data/fake/feats.scp \"ark:apply-cmvn --norm-vars=true --utt2spk=ark:data/fake/utt2spk scp:data/fake/cmvn.scp scp:data/fake/feats.scp ark:- |\""
check_fails "compute_cmvn_stats.sh: no features" "no such file data/seg2/feats.scp" \
  bash -c "mkdir -p data/seg2 && cp data/seg/spk2utt data/seg2 && $S/compute_cmvn_stats.sh data/seg2"
check_fails "compute_cmvn_stats.sh: an unsupported option" "unknown option --two-channel" "$S/compute_cmvn_stats.sh" --two-channel data/utt

# --- copy_data_dir.sh
check "copy_data_dir.sh: prefixes and suffixes, utt2uniq, per-speaker files" bash -c "
  mkdir -p data/cp && touch data/cp/text &&
  $U/copy_data_dir.sh --utt-prefix p- --utt-suffix -s --spk-prefix q- --spk-suffix -r data/utt data/cp 2>cp.log &&
  [ \"\$(cat data/cp/utt2spk | tr '\n' ' ')\" = 'p-s1-a-s q-s1-r p-s1-b-s q-s1-r p-s2-c-s q-s2-r ' ] &&
  grep -qx 'p-s1-b-s 0.7 ' data/cp/utt2dur && grep -qx 'q-s2-r .*' data/cp/cmvn.scp &&
  grep -qx \"p-s1-a-s $W/speech16k.wav\" data/cp/wav.scp && grep -qx 'p-s2-c-s s2-c' data/cp/utt2uniq &&
  [ -f data/cp/.backup/text ] && grep -q 'file text exists in dest' cp.log &&
  $U/copy_data_dir.sh --utt-prefix z- data/cp data/cp2 2>/dev/null && grep -qx 'z-p-s2-c-s s2-c' data/cp2/utt2uniq"
check_fails "copy_data_dir.sh: same directory" "requires <srcdir> and <destdir> to be different" "$U/copy_data_dir.sh" data/utt data/utt

# --- get_utt2dur.sh
check "get_utt2dur.sh: from the WAV headers, in jobs" bash -c "
  mkdir -p data/d && cp data/utt/{wav.scp,utt2spk,spk2utt} data/d && $U/data/get_utt2dur.sh --nj 2 data/d 2>/dev/null &&
  ls data/d/log/get_durations.2.log && [ \"\$(awk '{print \$2}' data/d/utt2dur | tr '\n' ' ')\" = '1 0.7 1 ' ]"
check "get_utt2dur.sh: from segments, and kept when complete" bash -c "
  rm -f data/seg/utt2dur && $U/data/get_utt2dur.sh data/seg 2>/dev/null && grep -qx 's1-b 1.2' data/seg/utt2dur &&
  $U/data/get_utt2dur.sh data/seg 2>&1 | grep -q \"We won't recompute it\""
check_fails "get_utt2dur.sh: a failing command stops it, naming the key, leaving no utt2dur" "key s1-b: command .* failed with status 2" \
  bash -c "rm -rf data/d2; cp -r data/d data/d2; rm data/d2/utt2dur; sed -i 's|sox -D |sox -D /no/such.wav |' data/d2/wav.scp
    $U/data/get_utt2dur.sh --nj 1 data/d2 || { [ ! -e data/d2/utt2dur ] || exit 0; exit 1; }"

# --- perturb_data_dir_speed.sh
check "perturb_data_dir_speed.sh 0.9: sp0.9- names, sox speed pipes, utt2uniq, utt2dur / 0.9" bash -c "
  cp data/utt/utt2num_frames data/d/ && $U/perturb_data_dir_speed.sh 0.9 data/d data/sp 2>/dev/null &&
  [ \"\$(cat data/sp/utt2spk | tr '\n' ' ')\" = 'sp0.9-s1-a sp0.9-s1 sp0.9-s1-b sp0.9-s1 sp0.9-s2-c sp0.9-s2 ' ] &&
  grep -qx 'sp0.9-s1-a sox -t wav $W/speech16k.wav -t wav - speed 0.9 |' data/sp/wav.scp &&
  grep -qx 'sp0.9-s1-b sox -D $W/cards8k.wav -r 16000 -t wav - | sox -t wav - -t wav - speed 0.9 |' data/sp/wav.scp &&
  grep -qx 'sp0.9-s2-c s2-c' data/sp/utt2uniq && grep -qx 'sp0.9-s1-b 0.777778' data/sp/utt2dur && [ ! -e data/sp/utt2num_frames ]"
check "speed-perturbed features: 1/0.9 as many frames" bash -c "
  $S/make_fbank.sh --nj 1 --write-utt2dur false data/sp exp/sp sp 2>/dev/null &&
  [ \"\$(awk '{print \$2}' data/sp/utt2num_frames | tr '\n' ' ')\" = '109 76 109 ' ]"
check "perturb_data_dir_speed.sh with segments: recordings renamed, times divided" bash -c "
  $U/data/perturb_data_dir_speed.sh 1.1 data/seg data/sps 2>/dev/null &&
  grep -qx 'sp1.1-s1-b sp1.1-r1 0.73 1.82' data/sps/segments && grep -q '^sp1.1-r1 sox -t wav .*r1.wav -t wav - speed 1.1 |' data/sps/wav.scp &&
  $S/make_mfcc.sh --nj 1 data/sps exp/sps sps 2>/dev/null"
check_fails "perturb_data_dir_speed.sh: a bad factor" "bad warping factor 'fast'" "$U/perturb_data_dir_speed.sh" fast data/d data/x
