#!/usr/bin/env bash
# decode end to end with a real model: train a tiny DNN on an easy synthetic CTC task
# (each frame's features name its unit), then decode greedy, beam, beam+LM, n-best and
# posteriors, and score with compute-wer.
source "$(dirname "$0")/lib.sh"

printf '<blk> 0\na 1\nb 2\nc 3\n' > units.txt
# 12 utterances of 3-5 units; each unit is 3 frames of its one-hot, units are separated by
# 2 blank frames. Features are the one-hot plus a little deterministic noise.
awk 'BEGIN {
  srand(7); names = "abc";
  for (u = 1; u <= 12; u++) {
    n = 3 + u % 3; lab = ""; txt = ""; rows = "";
    for (i = 0; i < n; i++) {
      k = 1 + int(rand() * 3);
      lab = lab " " k; txt = txt " " substr(names, k, 1);
      for (f = 0; f < 2; f++) rows = rows "\n  " (0.9 + 0.1*rand()) " " 0.05*rand() " " 0.05*rand() " " 0.05*rand();
      for (f = 0; f < 3; f++) {
        row = "";
        for (d = 0; d < 4; d++) row = row " " (d == k ? 0.9 + 0.1*rand() : 0.05*rand());
        rows = rows "\n " row;
      }
    }
    rows = rows "\n  1 0 0 0";
    printf "utt%02d  [%s ]\n", u, rows > "feats.txt";
    printf "utt%02d%s\n", u, lab > "labels.txt";
    printf "utt%02d%s\n", u, txt > "text";
  }
}'
cat > tiny.conf <<'CONF'
splice context=-1:1
affine dim=32
relu
affine
log-softmax
CONF
check "train a tiny model" bash -c '
  nnet-init --input-dim=4 --output-dim=4 --seed=3 tiny.conf 0.mdl &&
  nnet-train --num-epochs=60 --minibatch-size=4 --optimizer=adam --lr=0.01 --progress-every=0 \
    0.mdl ark:feats.txt ark:labels.txt final.mdl'
check "greedy decoding recovers the transcripts" bash -c '
  decode --mode=greedy --units=units.txt final.mdl ark:feats.txt ark,t:hyp.txt &&
  compute-wer --mode=strict ark:text ark:hyp.txt | grep -q "^%WER 0.00 "'
check "beam search agrees with greedy here" bash -c '
  decode --mode=beam --beam=8 --units=units.txt final.mdl ark:feats.txt ark,t:hyp-beam.txt && cmp hyp.txt hyp-beam.txt'
check "beam search with an n-gram LM" bash -c '
  make-ngram-lm --order=2 ark:text lm.arpa &&
  decode --units=units.txt --lm=lm.arpa --lm-weight=0.3 final.mdl ark:feats.txt ark,t:- |
    compute-wer ark:text ark:- | grep -q "^%WER 0.00 "'
check "n-best lists keys utt-1 .. utt-N" bash -c '
  decode --units=units.txt --nbest=3 final.mdl "ark:copy-feats ark:feats.txt ark:- |" ark,t:nbest.txt &&
  grep -q "^utt01-1 " nbest.txt && grep -q "^utt01-3 " nbest.txt'
check "posteriors are log-softmax rows" bash -c '
  decode --write-posteriors final.mdl ark:feats.txt ark,t:post.txt &&
  awk "/^ / && NF==4 { s = exp(\$1)+exp(\$2)+exp(\$3)+exp(\$4); if (s < 0.999 || s > 1.001) bad++ } END { exit bad }" post.txt'
check "real-time factor is logged" bash -c 'decode --mode=greedy --units=units.txt final.mdl ark:feats.txt ark:/dev/null 2>&1 | grep -q "Real-time factor"'
printf '<blk> 0\na 1\nb 2\n' > short-units.txt
check_fails "units file that does not match the model" "units" decode --units=short-units.txt final.mdl ark:feats.txt ark,t:x
check_fails "features of the wrong dimension are skipped, nothing decoded" "dimension" \
  bash -c 'copy-feats ark:feats.txt ark:- | splice-feats --left-context=1 ark:- ark:- | decode --units=units.txt final.mdl ark:- ark,t:y'
check_fails "missing model" "cannot open" decode nope.mdl ark:feats.txt ark,t:z
check "no output left behind on failure" test ! -e z
