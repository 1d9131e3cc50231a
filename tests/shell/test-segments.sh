#!/usr/bin/env bash
# Segments: extract-segments (Kaldi's rules: rounding, -1 and overshoot, channels),
# wav-to-duration, wav-copy, archives of WAVs, and the data-directory scripts with a
# segments file and reco2file_and_channel; bad segments, failing wav.scp commands and
# missing files stop with an error naming the file and line, leaving no output.
. "$(dirname "$0")/lib.sh"
U=$TOPDIR/utils
W=$TOPDIR/tests/reference/features
export LC_ALL=C W

# Recordings: r1 (2 s of 16 kHz), r2 a pipe (0.7 s), r3 stereo (0.4 s at 8 kHz).
sox $W/speech16k.wav $W/speech16k.wav r1.wav
cat > wav.scp <<EOF
r1 r1.wav
r2 sox -D $W/cards8k.wav -r 16000 -t wav - |
r3 $W/stereo8k.wav
EOF
cat > segments <<EOF
a-1 r1 0.1 0.5
a-2 r1 0.5 -1
a-3 r1 1.8 2.3
b-1 r2 0.2 0.7
c-1 r3 0.1 0.3 1
EOF
# raw PCM of a recording's samples [first, last) (of one channel with REMIX=n)
pcm() { sox "$1" -t raw - ${REMIX:+remix $REMIX} trim "$2"s =$3s; }
# raw PCM of the WAV of key $2 in archive $1
seg_pcm() { wav-copy "$(grep "^$2 " "$1" | cut -d' ' -f2)" - | sox -t wav - -t raw -; }
export -f pcm seg_pcm

check "extract-segments writes every segment (ark,scp)" bash -c '
  extract-segments scp:wav.scp segments ark,scp:seg.ark,seg.scp 2> es.log &&
  [ "$(cut -d" " -f1 seg.scp | tr "\n" " ")" = "a-1 a-2 a-3 b-1 c-1 " ] &&
  grep -q "Successfully processed 5 lines out of 5 in the segments file" es.log'
check "the archive is Kaldi's: key, space, a 44-byte header and 16-bit samples" bash -c '
  [ "$(head -c 8 seg.ark)$(head -c 16 seg.ark | tail -c 4)" = "a-1 RIFFWAVE" ] &&
  [ "$(sed -n 1p seg.scp)" = "a-1 seg.ark:4" ] && [ "$(head -c $((4 + 44 + 2 * 6400 + 4)) seg.ark | tail -c 4)" = "a-2 " ]'
check "samples: start and end at round(t * rate) (0.1..0.5 s is 1600..8000)" bash -c '
  cmp <(seg_pcm seg.scp a-1) <(pcm r1.wav 1600 8000)'
check "end -1 runs to the end of the recording" bash -c 'cmp <(seg_pcm seg.scp a-2) <(pcm r1.wav 8000 32000)'
check "an end within --max-overshoot is cut at the recording's end" bash -c '
  cmp <(seg_pcm seg.scp a-3) <(pcm r1.wav 28800 32000)'
check "a pipe recording (wav.scp command)" bash -c '
  cmp <(seg_pcm seg.scp b-1) <(sox -D $W/cards8k.wav -r 16000 -t wav - | pcm - 3200 11200)'
check "the channel of the fifth field" bash -c 'cmp <(seg_pcm seg.scp c-1) <(REMIX=2 pcm $W/stereo8k.wav 800 2400)'
check "features of a segment equal features of the same samples" bash -c '
  sox r1.wav a1.wav trim 1600s =8000s &&
  cmp <(compute-features --dither=0 "ark:extract-segments scp:wav.scp \"echo a-1 r1 0.1 0.5 |\" ark:- |" ark:- | copy-feats ark:- ark,t:-) \
      <(compute-features --dither=0 "scp:echo a-1 a1.wav |" ark:- | copy-feats ark:- ark,t:-)'

# Kaldi's own programs on the same segments (tests/reference/make_segment_refs.sh): the
# same archive, byte for byte, and the same durations.
printf "cards $W/cards8k.wav\nespeak $W/espeak22k.wav\nspeech $W/speech16k.wav\nstereo $W/stereo8k.wav\n" > ref.scp
check "extract-segments writes Kaldi's archive byte for byte (tests/reference/segments.ref)" bash -c '
  extract-segments scp:ref.scp $TOPDIR/tests/reference/segments.txt ark:ref.ark 2>/dev/null &&
  [ "$(md5sum < ref.ark | cut -d" " -f1)" = "$(head -n 1 $TOPDIR/tests/reference/segments.ref)" ]'
check "wav-to-duration prints Kaldi's durations" bash -c '
  cmp <(wav-to-duration ark:ref.ark ark,t:- 2>/dev/null) <(tail -n +2 $TOPDIR/tests/reference/segments.ref) &&
  cmp <(wav-to-duration --read-entire-file ark:ref.ark ark,t:- 2>/dev/null) <(tail -n +2 $TOPDIR/tests/reference/segments.ref)'

# Skipped with a warning, as in Kaldi: too short, recording absent, channel absent.
printf 'x-1 r1 0.1 0.15\nx-2 r9 0 1\nx-3 r1 0 1 1\nx-4 r1 1.0 1.5\n' > skip
check "too short, unknown recording and missing channel are skipped with warnings" bash -c '
  extract-segments scp:wav.scp skip ark,scp:sk.ark,sk.scp 2> sk.log && [ "$(cut -d" " -f1 sk.scp)" = x-4 ] &&
  grep -q "WARNING.*skip:1: segment x-1 too short" sk.log && grep -q "WARNING.*skip:2: could not find recording r9" sk.log &&
  grep -q "WARNING.*skip:3: invalid channel 1 >= 1" sk.log'

# Errors naming the file and line; no output is left.
bad_segment() { # name pattern line
  printf 'ok-1 r1 0 1\n%s\n' "$3" > bad
  check_fails "$1" "$2" bash -c 'rm -f o.ark; extract-segments scp:wav.scp bad ark:o.ark; s=$?; ls o.ark* 2>/dev/null && exit 0; exit $s'
}
bad_segment "a segment beyond its recording's end (by more than --max-overshoot)" \
  "bad:2: segment z ends at 2.6 s, beyond the end of recording r1 (2 s) by more than --max-overshoot=0.5" "z r1 1.5 2.6"
bad_segment "a segment starting after its recording's end" "bad:2: segment z starts at 2.2 s, after the end of recording r1" "z r1 2.2 -1"
bad_segment "a line with three fields" "bad:2: expected <segment-id> <recording-id> <start-time> <end-time> \[<channel>\], got 3 fields" "z r1 1.5"
bad_segment "a bad time" "bad:2: segment z: bad end time '1,5'" "z r1 1 1,5"
bad_segment "start after end" "bad:2: segment z: empty or invalid segment \[1.5, 1.2\]" "z r1 1.5 1.2"
bad_segment "a bad channel" "bad:2: segment z: bad channel 'left'" "z r1 0 1 left"
bad_segment "a multi-channel recording without a channel" "bad:2: segment z: recording r3 has 2 channels" "z r3 0 0.2"
check_fails "--max-overshoot=0 rejects any overshoot" "segment a-3 ends at 2.3 s" \
  extract-segments --max-overshoot=0 scp:wav.scp segments ark:/dev/null
printf 'r1 r1.wav\nr2 sox -D /no/such.wav -t wav - |\n' > failing.scp
check_fails "a failing wav.scp command: its exit status, the key, no output" "reading scp:failing.scp: key r2: command 'sox -D /no/such.wav -t wav - |' failed with status 2" \
  bash -c 'extract-segments scp:failing.scp segments ark:f.ark; s=$?; [ -e f.ark ] && exit 0; exit $s'
printf 'r1 /no/such.wav\n' > missing.scp
check_fails "a missing recording file is named" "key r1: cannot open /no/such.wav" extract-segments scp:missing.scp segments ark:/dev/null
check_fails "a missing segments file is named" "cannot open no-segments" extract-segments scp:wav.scp no-segments ark:/dev/null
check_fails "WAVs are written in binary only" "WAV data can only be written in binary mode" \
  extract-segments scp:wav.scp segments ark,t:/dev/null

# --- wav-to-duration and wav-copy
check "wav-to-duration from the headers: utt duration" bash -c '
  wav-to-duration scp:wav.scp ark,t:- > dur && [ "$(awk "{print \$1, \$2}" dur | tr "\n" " ")" = "r1 2 r2 0.7 r3 0.4 " ]'
check "wav-to-duration of an archive and of a stream of WAVs (headers, data skipped)" bash -c '
  [ "$(wav-to-duration ark:seg.ark ark,t:- | awk "{print \$2}" | tr "\n" " ")" = "0.4 1.5 0.2 0.5 0.2 " ] &&
  [ "$(cat seg.ark | wav-to-duration ark:- ark,t:- | awk "{print \$2}" | tr "\n" " ")" = "0.4 1.5 0.2 0.5 0.2 " ]'
echo "s sox $W/speech16k.wav -t wav - speed 0.9 |" > speed.scp
check_fails "wav-to-duration: a header without a length (sox to a pipe)" \
  "member s has no duration in header. Check the source, and/or try --read-entire-file" wav-to-duration scp:speed.scp ark,t:-
check "wav-to-duration --read-entire-file reads the samples" bash -c '
  wav-to-duration --read-entire-file scp:speed.scp ark,t:- 2>/dev/null | awk "{exit !(\$2 > 1.11 && \$2 < 1.112)}"'
check_fails "wav-to-duration: a failing command" "key r2: command .* failed with status 2" wav-to-duration scp:failing.scp ark,t:-
check "wav-copy copies tables byte for byte" bash -c 'wav-copy ark:seg.ark ark:copy.ark && cmp seg.ark copy.ark'
check "wav-copy extracts one WAV at an offset" bash -c 'wav-copy seg.ark:4 one.wav && cmp <(sox one.wav -t raw -) <(pcm r1.wav 1600 8000)'
check_fails "wav-copy: archives and files do not mix" "Cannot mix archives with regular files" wav-copy ark:seg.ark one.wav

# --- data directories with segments
mkdir d
printf 'r1 r1.wav\nr2 r2.wav\nr3 r3.wav\n' > d/wav.scp
touch r2.wav r3.wav
printf 'a-1 r1 0 1.5\na-2 r1 1.5 3\nb-1 r2 0 2.25\nb-2 r3 0.5 1\nc-1 r3 1 2\n' > d/segments
printf 'a-1 a\na-2 a\nb-1 b\nb-2 b\nc-1 c\n' > d/utt2spk
"$U/utt2spk_to_spk2utt.pl" d/utt2spk > d/spk2utt
awk '{print $1, "hello"}' d/utt2spk > d/text
printf 'r1 r1 A\nr2 r2 A\nr3 r3 B\n' > d/reco2file_and_channel
printf 'r1 3\nr2 2.5\nr3 2\n' > d/reco2dur
check "validate: a data directory with segments" "$U/validate_data_dir.sh" d
bad_dir() { # name pattern sed-script file
  rm -rf bad; cp -r d bad; sed -i "$3" "bad/$4"
  check_fails "validate: $1" "$2" "$U/validate_data_dir.sh" bad
}
bad_dir "start not before end, with the line" "segments: line 2 (segment a-2): start time 3 is not before end time 1.5" 's/1.5 3/3 1.5/' segments
bad_dir "a segment's recording not in wav.scp" "segments: line 3 (segment b-1): recording r7 is not in wav.scp" 's/b-1 r2/b-1 r7/' segments
bad_dir "a recording no segment uses" "wav.scp: recording r4 is used by no segment" '$a r4 r4.wav' wav.scp
bad_dir "a negative start" "segments: line 1 (segment a-1): start time \"-1\" is not a number >= 0" 's/a-1 r1 0/a-1 r1 -1/' segments
bad_dir "five fields" "segments: line 4 (segment b-2) has 5 fields, expected 4" 's/0.5 1$/0.5 1 0/' segments
bad_dir "a segment missing" "utterance c-1 is in utt2spk but not in segments" '/^c-1/d' segments
bad_dir "reco2file_and_channel without a recording" "recording r2 is in wav.scp but not in reco2file_and_channel" '/^r2/d' reco2file_and_channel
bad_dir "reco2file_and_channel channel" "reco2file_and_channel: recording r3: expected <recording-id> <file-id> <channel A or B>" 's/r3 B/r3 C/' reco2file_and_channel
bad_dir "reco2dur" "reco2dur: recording r2 has duration \"x\"" 's/r2 2.5/r2 x/' reco2dur
rm -rf bad; cp -r d bad; rm bad/wav.scp
check_fails "validate: segments without wav.scp (even with --no-wav)" "segments file exists but there is no wav.scp" "$U/validate_data_dir.sh" --no-wav bad
check "validate takes Kaldi's bare flags (--no-text --no-feats)" bash -c "rm -rf nt; cp -r d nt; rm nt/text; $U/validate_data_dir.sh --no-text --no-feats nt"

rm -rf fix; cp -r d fix; echo "r9 r9.wav" >> fix/wav.scp; sed -i 's/^c-1 r3/c-1 r8/' fix/segments
check "fix_data_dir.sh: drops segments without audio and recordings without segments" bash -c "
  $U/fix_data_dir.sh fix && $U/validate_data_dir.sh fix && ! grep -q c-1 fix/utt2spk &&
  [ \"\$(cut -d' ' -f1 fix/wav.scp | tr '\n' ' ')\" = 'r1 r2 r3 ' ] && [ \$(wc -l < fix/reco2file_and_channel) = 3 ]"
rm -rf fix2; cp -r d fix2; sed -i '/^b-1/d' fix2/utt2spk
check "fix_data_dir.sh: a recording left without segments leaves wav.scp and reco files" bash -c "
  $U/fix_data_dir.sh fix2 && $U/validate_data_dir.sh fix2 && ! grep -q '^r2' fix2/wav.scp fix2/reco2file_and_channel fix2/reco2dur"
check "split_data.sh: each part has the recordings of its segments (r3 in two)" bash -c "
  $U/split_data.sh d 3 && for i in 1 2 3; do $U/validate_data_dir.sh d/split3/\$i || exit 1; done &&
  [ \"\$(cut -d' ' -f1 d/split3/2/wav.scp | tr '\n' ' ')\" = 'r2 r3 ' ] && [ \"\$(cat d/split3/3/wav.scp)\" = 'r3 r3.wav' ] &&
  cat d/split3/*/segments | cmp - d/segments && [ \"\$(cat d/split3/3/reco2file_and_channel)\" = 'r3 r3 B' ]"
echo a > spk.list
check "subset_data_dir.sh: the subset's recordings only" bash -c "
  $U/subset_data_dir.sh --spk-list spk.list d sub && $U/validate_data_dir.sh sub &&
  [ \"\$(cat sub/wav.scp)\" = 'r1 r1.wav' ] && [ \"\$(cat sub/reco2dur)\" = 'r1 3' ]"
check "combine_data.sh: parts sharing a recording combine back" bash -c "
  $U/combine_data.sh comb d/split3/1 d/split3/2 d/split3/3 && $U/validate_data_dir.sh comb &&
  for f in wav.scp segments reco2file_and_channel reco2dur utt2spk text; do cmp comb/\$f d/\$f || exit 1; done"
mkdir w; printf 'w-1 r1.wav\n' > w/wav.scp; echo 'w-1 w' > w/utt2spk; echo 'w w-1' > w/spk2utt; echo 'w-1 hi' > w/text
printf 'w-1 w-1 A\n' > w/reco2file_and_channel; printf 'w-1 2\n' > w/reco2dur
check "combine_data.sh: a source without segments gets whole-recording segments from its durations" bash -c "
  $U/combine_data.sh mix sub w && $U/validate_data_dir.sh mix && grep -qx 'w-1 w-1 0 2' mix/segments &&
  [ \"\$(cat mix/wav.scp)\" = \"\$(printf 'r1 r1.wav\nw-1 r1.wav')\" ]"
check "copy_data_dir.sh with segments: recordings keep their names" bash -c "
  $U/copy_data_dir.sh --utt-prefix x- --spk-prefix x- d cp && cmp cp/wav.scp d/wav.scp && cmp cp/reco2dur d/reco2dur &&
  grep -qx 'x-a-1 r1 0 1.5' cp/segments && grep -qx 'x-a-1 a-1' cp/utt2uniq"
