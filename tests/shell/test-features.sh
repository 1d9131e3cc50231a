#!/usr/bin/env bash
# compute-features, compute-cmvn-stats, apply-cmvn, add-deltas, splice-feats and
# wav-add-noise as real programs in pipes, against torchaudio references, and their failures.
source "$(dirname "$0")/lib.sh"
REF=$TOPDIR/tests/reference
W=$REF/features
export REF W TOPDIR

cat > wav.scp <<SCP
spk1-a $W/speech16k.wav
spk1-b sox -D $W/cards8k.wav -r 16000 -t wav - |
spk2-c wav-add-noise --snr=5 --noise-type=pink --seed=3 $W/speech16k.wav - |
SCP
printf 'spk1 spk1-a spk1-b\nspk2 spk2-c\n' > spk2utt
printf 'spk1-a spk1\nspk1-b spk1\nspk2-c spk2\n' > utt2spk

# Every case of features.txt through the program with its own options: the numbers must
# match torchaudio's (1e-3 absolute, 1e-4 relative for linear filterbanks).
compare_case() { # name
  awk -v want="$1" '$1=="case" && $2==want {on=1; print "x", "'"$W"'/" $3 > "one.scp";
         print $4 > "one.type"; next} $1=="case" {on=0} on && $1=="opts" {$1=""; print > "one.opts"; next}
         on {print > "one.ref"}' "$REF/features.txt"
  rm -f one.ref.tmp
  compute-features --type="$(cat one.type)" $(cat one.opts) scp:one.scp ark,t:one.out 2>/dev/null || return 1
  grep -v '\[' one.out | tr -d ']' > one.got
  test "$(wc -l < one.got)" = "$(wc -l < one.ref)" || return 1
  # Tolerance: 1e-3 + 1e-4 relative; for spectrogram bins 60 dB below the frame's peak,
  # ill-conditioned in single precision (see test-feat-ref.c), 0.05.
  paste -d'|' one.got one.ref | awk -F'|' -v type="$(cat one.type)" '{n=split($1,a," "); split($2,b," ");
    max=b[2]; for (i=2;i<=n;i++) if (b[i]>max) max=b[i];
    for (i=1;i<=n;i++) { d=a[i]-b[i]; if (d<0) d=-d; t=1e-3+1e-4*(b[i]<0?-b[i]:b[i]);
      if (type=="spectrogram" && i>1 && b[i] < max-log(1e6)) t=0.05;
      if (d > t) { print "row " NR " col " i ": " a[i] " vs " b[i]; bad=1 } } }
    END { exit bad }'
}
for c in $(awk '$1=="case" {print $2}' "$REF/features.txt"); do
  check "compute-features matches torchaudio: $c" compare_case "$c"
done

check "pipeline: features | apply-cmvn (per speaker) | add-deltas, dim 39" bash -c '
  compute-cmvn-stats --spk2utt=ark:spk2utt "ark:compute-features scp:wav.scp ark:- |" ark:cmvn.ark &&
  compute-features scp:wav.scp ark:- | apply-cmvn --norm-vars=true --utt2spk=ark:utt2spk ark:cmvn.ark ark:- ark:- |
    add-deltas ark:- ark,t:- > deltas.txt && test "$(copy-feats ark:deltas.txt ark:- | feat-to-dim ark:- -)" = 39 &&
  test "$(grep -c "\[" deltas.txt)" = 3'
check "per-speaker CMVN with variances gives zero mean, unit variance per speaker" bash -c '
  compute-features scp:wav.scp ark:- | apply-cmvn --norm-vars=true --utt2spk=ark:utt2spk ark:cmvn.ark ark:- ark:n.ark &&
  compute-cmvn-stats --spk2utt=ark:spk2utt ark:n.ark ark,t:- | awk "NR%3==2 {for(i=1;i<NF;i++) if (\$i>1e-2||\$i<-1e-2) exit 1; n=\$NF}
    NR%3==0 {for(i=1;i<NF-1;i++) if (\$i/n<0.999||\$i/n>1.001) exit 1}"'
check "per-utterance stats: 2 x (dim+1), count = frames" bash -c '
  compute-features --dither=0 scp:wav.scp ark:f.ark && compute-cmvn-stats ark:f.ark ark,t:s.txt &&
  test "$(awk "NR==2 {print NF, \$NF}" s.txt)" = "14 98" && test "$(awk "NR==3 {print \$(NF-1)}" s.txt)" = "0"'
check "global stats file and apply-cmvn with it (mean only)" bash -c '
  compute-cmvn-stats --binary=false ark:f.ark global.mat && apply-cmvn global.mat ark:f.ark ark:g.ark &&
  compute-cmvn-stats ark:g.ark - | copy-feats ark:- ark:/dev/null 2>/dev/null;
  compute-cmvn-stats --binary=false ark:g.ark - | awk "NR==2 {for(i=1;i<NF;i++) if (\$i>0.05||\$i<-0.05) exit 1}"'
check "--norm-means=false copies" bash -c 'apply-cmvn --norm-means=false ark:/dev/null ark:f.ark ark:c.ark && cmp f.ark c.ark'
check "add-deltas --delta-order=1 --delta-window=3 and splice-feats dims" bash -c '
  test "$(add-deltas --delta-order=1 --delta-window=3 ark:f.ark ark:- | feat-to-dim ark:- -)" = 26 &&
  test "$(splice-feats ark:f.ark ark:- | feat-to-dim ark:- -)" = 117 &&
  test "$(splice-feats --left-context=1 --right-context=2 ark:f.ark ark:- | feat-to-dim ark:- -)" = 52'
check "--config=conf/mfcc.conf equals its options, conf/fbank.conf gives 40-dim fbank" bash -c '
  compute-features --config=$TOPDIR/conf/mfcc.conf scp:wav.scp ark:1.ark &&
  compute-features --use-energy=false scp:wav.scp ark:2.ark && cmp 1.ark 2.ark && ! cmp -s 1.ark f.ark &&
  test "$(compute-features --config=$TOPDIR/conf/fbank.conf scp:wav.scp ark:- | feat-to-dim ark:- -)" = 40'
check "dither is reproducible for a seed and changes with it" bash -c '
  compute-features scp:wav.scp ark:d1.ark && compute-features scp:wav.scp ark:d2.ark && cmp d1.ark d2.ark &&
  compute-features --seed=5 scp:wav.scp ark:d3.ark && ! cmp -s d1.ark d3.ark'
check "an archive of WAVs works through the table reader" bash -c '
  (printf "u1 "; cat $W/cards8k.wav; printf "u2 "; cat $W/stereo8k.wav) > wavs.ark &&
  compute-features --type=fbank --sample-frequency=8000 --channel=0 ark:wavs.ark ark:a.ark &&
  test "$(feat-to-len ark:a.ark ark,t:- | tr -d " " | tr "\n" ,)" = u168,u238,'
check_fails "sample rate mismatch in an archive names the utterance" "mismatch for utterance u9" bash -c '
  (printf "u9 "; cat $W/speech16k.wav) > w16.ark; compute-features --sample-frequency=8000 ark:w16.ark ark:o.ark'
check "--channel=1 of a stereo file, float and 24-bit encodings agree" bash -c '
  for f in stereo8k stereo8k-s24 stereo8k-f32; do echo "x $W/$f.wav" > $f.scp;
    compute-features --sample-frequency=8000 --channel=1 --dither=0 scp:$f.scp ark:$f.ark || exit 1; done &&
  cmp stereo8k.ark stereo8k-s24.ark && cmp stereo8k.ark stereo8k-f32.ark'
check "--subtract-mean gives zero-mean columns" bash -c '
  compute-features --subtract-mean scp:wav.scp ark:- | compute-cmvn-stats ark:- ark,t:- |
    awk "NR%3==2 {for(i=1;i<NF;i++) if (\$i>1e-2||\$i<-1e-2) exit 1; n++} END {exit n!=3}"'
check_fails "--min-duration skips shorter utterances with a warning" "duration 1 s is below --min-duration=2" \
  bash -c "echo 'a $W/speech16k.wav' > m.scp; compute-features --min-duration=2 scp:m.scp ark:o.ark"
check "stereo without --channel: a warning, channel 0" bash -c '
  echo "x $W/stereo8k.wav" > st.scp && compute-features --sample-frequency=8000 --dither=0 scp:st.scp ark:c0.ark 2>err &&
  grep -q "x: channel not specified but the data has 2 channels" err &&
  compute-features --sample-frequency=8000 --dither=0 --channel=0 scp:st.scp ark:c00.ark && cmp c0.ark c00.ark'

# VTLN: warp factors per speaker (--vtln-map with --utt2spk) or per utterance give, for each
# utterance, the features of --vtln-warp with its factor.
printf 'u1 %s\nu2 sox -D %s -r 16000 -t wav - |\n' "$W/speech16k.wav" "$W/cards8k.wav" > two.scp
head -n 1 two.scp > u1.scp; tail -n 1 two.scp > u2.scp
printf 'u1 spkA\nu2 spkB\n' > two.utt2spk
printf 'spkA 0.9\nspkB 1.1\n' > spk2warp
printf 'u1 0.9\nu2 1.1\n' > utt2warp
for t in mfcc fbank; do
  check "$t --vtln-map with --utt2spk: each utterance as with --vtln-warp=its speaker's factor" bash -c "
    compute-features --type=$t --dither=0 --vtln-warp=0.9 scp:u1.scp ark:w1.ark &&
    compute-features --type=$t --dither=0 --vtln-warp=1.1 scp:u2.scp ark:w2.ark &&
    compute-features --type=$t --dither=0 --vtln-map=ark:spk2warp --utt2spk=ark:two.utt2spk scp:two.scp ark:m.ark &&
    cat w1.ark w2.ark | cmp - m.ark &&
    compute-features --type=$t --dither=0 scp:u1.scp ark:w0.ark && ! cmp -s w0.ark w1.ark"
done
check "--vtln-map by utterance (no --utt2spk)" bash -c "
  compute-features --dither=0 --vtln-map=ark:utt2warp scp:two.scp ark:mu.ark &&
  compute-features --dither=0 --vtln-map=ark:spk2warp --utt2spk=ark:two.utt2spk scp:two.scp ark:ms.ark && cmp mu.ark ms.ark"
check "--type=spectrogram ignores warping, with a warning (as Kaldi's)" bash -c "
  compute-features --type=spectrogram --dither=0 scp:u1.scp ark:s0.ark &&
  compute-features --type=spectrogram --dither=0 --vtln-warp=0.9 scp:u1.scp ark:s1.ark 2> s.log &&
  cmp s0.ark s1.ark && grep -q 'spectrogram ignores --vtln-warp' s.log"
check "bad --vtln-low is accepted without warping (Kaldi checks it when warping)" \
  compute-features --dither=0 --vtln-low=10 scp:u1.scp ark:/dev/null
check "a speaker without a warp factor: warning naming it, utterance skipped (as Kaldi)" bash -c "
  echo 'spkA 0.9' > warpA && compute-features --dither=0 --vtln-map=ark:warpA --utt2spk=ark:two.utt2spk scp:two.scp ark:mA.ark 2> mA.log &&
  grep -q 'No vtln-map entry for utterance-id (or speaker-id) spkB' mA.log && grep -q 'Done 1 out of 2' mA.log &&
  test \"\$(feat-to-len ark:mA.ark ark,t:- | tr -d ' ')\" = u198"
check_fails "no warp factor for any utterance: no output, exit 1" "No vtln-map entry for utterance-id (or speaker-id) u2" bash -c "
  echo 'u1 0.9' > warp1; compute-features --vtln-map=ark:warp1 scp:u2.scp ark:o.ark"
check_fails "an utterance missing from --utt2spk is an error naming it" "utterance u2 is not in the --utt2spk map" bash -c "
  echo 'u1 spkA' > u2s1; compute-features --vtln-map=ark:spk2warp --utt2spk=ark:u2s1 scp:two.scp ark:o.ark"
check_fails "--utt2spk without --vtln-map" "only needed if the --vtln-map option is used" \
  compute-features --utt2spk=ark:two.utt2spk scp:two.scp ark:o.ark
check_fails "--vtln-low not above --low-freq when warping" "vtln-low 10 and vtln-high 7500" \
  compute-features --vtln-warp=0.9 --vtln-low=10 scp:two.scp ark:o.ark
check_fails "--vtln-high not below --high-freq, found before the first utterance with --vtln-map" \
  "versus low-freq 20 and high-freq 7900" \
  compute-features --vtln-map=ark:spk2warp --utt2spk=ark:two.utt2spk --high-freq=7900 --vtln-high=7950 scp:two.scp ark:o.ark
check_fails "--vtln-warp must be positive" "VTLN warp factor 0 must be positive" \
  compute-features --vtln-warp=0 scp:two.scp ark:o.ark
check_fails "a bad factor in the map names the map and key" "vtln-map=ark:badwarp: key spkB: VTLN warp factor -1.1" bash -c "
  printf 'spkA 0.9\nspkB -1.1\n' > badwarp; compute-features --vtln-map=ark:badwarp --utt2spk=ark:two.utt2spk scp:two.scp ark:o.ark"
check "no output left behind by the failures" test ! -e o.ark

# wav-add-noise: the measured SNR of (noisy - clean) against clean.
snr_of() { # clean noisy
  local s n
  s=$(sox "$1" -n stat 2>&1 | awk '/RMS +amplitude/ {print $3}')
  n=$(sox -m -v 1 "$2" -v -1 "$1" -n stat 2>&1 | awk '/RMS +amplitude/ {print $3}')
  awk -v s="$s" -v n="$n" 'BEGIN {printf "%.2f", 20*log(s/n)/log(10)}'
}
snr_near() { # clean noisy want
  local got; got=$(snr_of "$1" "$2"); echo "snr $got want $3"
  awk -v g="$got" -v w="$3" 'BEGIN {exit !(g-w < 0.2 && w-g < 0.2)}'
}
export -f snr_of snr_near
printf 'b1 %s\nb2 sox -D %s -r 16000 -t wav - |\n' "$W/speech16k.wav" "$W/cards8k.wav" > babble.scp
sox -n -r 16000 -b 16 hum.wav synth 0.3 sine 120 vol 0.3
check "white noise at 5 dB" bash -c "wav-add-noise --snr=5 --seed=1 $W/speech16k.wav n1.wav && snr_near $W/speech16k.wav n1.wav 5"
check "pink noise at 0 dB, written to stdout" bash -c "wav-add-noise --snr=0 --noise-type=pink $W/speech16k.wav - > n2.wav && snr_near $W/speech16k.wav n2.wav 0"
check "babble at 10 dB" bash -c "wav-add-noise --snr=10 --noise-type=babble --babble-list=babble.scp --babble-talkers=3 $W/speech16k.wav n3.wav && snr_near $W/speech16k.wav n3.wav 10"
check "noise file (looped) at 15 dB" bash -c "wav-add-noise --snr=15 --noise=hum.wav $W/speech16k.wav n4.wav && snr_near $W/speech16k.wav n4.wav 15"
check "same seed same noise, other seed other noise" bash -c "
  wav-add-noise --seed=1 $W/speech16k.wav n5.wav && cmp n1.wav n5.wav 2>/dev/null; wav-add-noise --snr=5 --seed=1 $W/speech16k.wav n5.wav && cmp n1.wav n5.wav &&
  wav-add-noise --snr=5 --seed=2 $W/speech16k.wav n6.wav && ! cmp -s n1.wav n6.wav"

# Failures.
: > empty.wav
head -c 20000 $W/speech16k.wav > trunc.wav
printf 'OggS0000000000000000000000000000000000000000' > notwav.wav
sox $W/cards8k.wav -e a-law alaw.wav
sox $W/speech16k.wav short.wav trim 0 0.02
one() { echo "$1 $2" > f.scp; }
check_fails "empty WAV is an error naming the key" "key e: empty" bash -c "echo 'e empty.wav' > e.scp; compute-features scp:e.scp ark:eo.ark"
check "no output left behind" test ! -e eo.ark
check "truncated WAV (header past the end): warning and the samples there" bash -c "
  echo 't trunc.wav' > t.scp; compute-features scp:t.scp ark:- 2>err | feat-to-len ark:- ark,t:- | grep -q 't 60' && grep -q 'Truncated file' err"
check_fails "not RIFF/WAVE: the error names the key and the file" "key n: notwav.wav: not a WAV file" bash -c "echo 'n notwav.wav' > n.scp; compute-features scp:n.scp ark:o.ark"
check_fails "unsupported encoding: key and file" "key a: alaw.wav: unsupported encoding" bash -c "echo 'a alaw.wav' > a.scp; compute-features --sample-frequency=8000 scp:a.scp ark:o.ark"
# A wav.scp command that fails is reported as such, with its exit status (not as the
# unreadable output it left); under scp,p: it is skipped and counted among the utterances.
printf 'a %s\nu nosuchcmd foo |\nb %s\n' $W/speech16k.wav $W/speech16k.wav > cmd.scp
check_fails "a failing wav.scp command: its exit status" "key u: command 'nosuchcmd foo |' failed with status 127" \
  compute-features scp:cmd.scp ark:o.ark
check "scp,p: skips it with a warning, and counts it in Done N out of M" bash -c "
  compute-features scp,p:cmd.scp ark:p.ark 2> p.log && grep -q \"WARNING.*key u: command 'nosuchcmd foo |' failed with status 127\" p.log &&
  grep -q 'Done 2 out of 3 utterances' p.log && [ \$(feat-to-len ark:p.ark ark,t:- | wc -l) -eq 2 ]"
check "the others count it too (add-deltas on an scp,p: of features)" bash -c "
  copy-feats ark:p.ark ark,scp:pp.ark,pp.scp && echo 'x nosuchcmd |' >> pp.scp &&
  add-deltas scp,p:pp.scp ark:/dev/null 2> d.log && grep -q 'Done 2 out of 3 utterances' d.log"
check_fails "a channel that does not exist: warning naming the utterance, exit 1" "x: the file has 2 channel" bash -c "echo 'x $W/stereo8k.wav' > x.scp; compute-features --sample-frequency=8000 --channel=2 scp:x.scp ark:o.ark"
check_fails "shorter than one frame: warned and skipped" "s: 320 samples is shorter than one frame" bash -c "echo 's short.wav' > s.scp; compute-features scp:s.scp ark:o.ark"
check "a short utterance among others is skipped, the rest written" bash -c "
  (echo 's short.wav'; echo 'a $W/speech16k.wav') > sa.scp; test \"\$(compute-features scp:sa.scp ark:- | feat-to-len ark:- ark,t:- | tr -d ' ')\" = a98"
check_fails "sample rate mismatch names the utterance" "mismatch for utterance c" bash -c "echo 'c $W/cards8k.wav' > c.scp; compute-features scp:c.scp ark:o.ark"
check_fails "NaN option" "dither" compute-features --dither=nan scp:wav.scp ark:o.ark
check_fails "inf option" "frame-length" compute-features --frame-length=inf scp:wav.scp ark:o.ark
check_fails "high-freq below low-freq" "high-freq" compute-features --low-freq=4000 --high-freq=3000 scp:wav.scp ark:o.ark
check_fails "num-ceps above num-mel-bins" "num-ceps" compute-features --num-ceps=30 scp:wav.scp ark:o.ark
check_fails "unknown --type" "type" compute-features --type=plp scp:wav.scp ark:o.ark
check_fails "unknown window" "window-type" compute-features --window-type=kaiser scp:wav.scp ark:o.ark
check_fails "apply-cmvn: missing speaker stats warns and fails" "No normalization statistics available for key spk9" bash -c "
  echo 'spk1-a spk9' > u2s; apply-cmvn --utt2spk=ark:u2s ark:cmvn.ark ark:f.ark ark:o.ark"
check_fails "apply-cmvn: dimension mismatch" "features have dimension" bash -c "
  add-deltas ark:f.ark ark:d.ark && apply-cmvn --utt2spk=ark:utt2spk ark:cmvn.ark ark:d.ark ark:o.ark"
check_fails "apply-cmvn: --norm-vars without means" "cannot normalize the variance" apply-cmvn --norm-vars=true --norm-means=false ark:cmvn.ark ark:f.ark ark:o.ark
check_fails "add-deltas: bad order" "delta-order" add-deltas --delta-order=-1 ark:f.ark ark:o.ark
check_fails "splice-feats: bad context" "context" splice-feats --left-context=-1 ark:f.ark ark:o.ark
check_fails "wav-add-noise: babble needs a list" "babble-list" wav-add-noise --noise-type=babble $W/speech16k.wav o.wav
check_fails "wav-add-noise: noise rate mismatch names the file" "hum.wav has sample rate 16000" wav-add-noise --noise=hum.wav $W/cards8k.wav o.wav
check_fails "wav-add-noise: unreadable input names it" "notwav.wav" wav-add-noise notwav.wav o.wav
check "no noisy output left behind" test ! -e o.wav
check_fails "wav-add-noise in a wav.scp pipe that fails stops the run" "key z" bash -c "
  echo 'z wav-add-noise --noise-type=babble $W/speech16k.wav - |' > z.scp; compute-features scp:z.scp ark:o.ark"
