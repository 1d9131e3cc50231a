#!/usr/bin/env bash
# nnet-train on a small learnable toy task: it learns, resumes bit-identically,
# is reproducible, validates, and handles bad utterances and non-finite steps.
source "$(dirname "$0")/lib.sh"
source "$TOPDIR/tests/shell/nnet-toy-data.sh"

make_toy_data tr 48 1
make_toy_data dv 12 2
cat > toy.conf <<'CONF'
input-dim=5
splice context=-2:2
affine dim=32
relu
affine
log-softmax
CONF
nnet-init --output-dim=5 --seed=1 toy.conf 0.mdl 2>/dev/null
train() { nnet-train --minibatch-size=8 --optimizer=adam --lr=0.02 --progress-every=3 "$@"; }
export -f train

check "trains and reports progress" bash -c '
  train --num-epochs=6 --valid-feats=ark:dv.feats.ark --valid-labels=ark,t:dv.labels.txt \
    0.mdl ark:tr.feats.ark ark,t:tr.labels.txt a.mdl 2> a.log &&
  grep -q "epoch 1/6 batch 3/6: loss [0-9.]*, [0-9]* frames/s, ETA" a.log &&
  grep -q "Done 48 out of 48 utterances" a.log'
check "validation loss falls far below the initial one" bash -c '
  a=$(grep -o "initial validation loss [0-9.]*" a.log | awk "{print \$4}")
  b=$(grep -o "final validation loss [0-9.]*" a.log | awk "{print \$4}")
  echo "$a -> $b"; awk -v a=$a -v b=$b "BEGIN { exit !(a > 0.5 && b < 0.25 * a) }"'
check "same seed and threads: bit-identical model" bash -c '
  train --num-epochs=6 --valid-feats=ark:dv.feats.ark --valid-labels=ark,t:dv.labels.txt \
    0.mdl ark:tr.feats.ark ark,t:tr.labels.txt a2.mdl 2>/dev/null && cmp a.mdl a2.mdl'
check "other seed: other model" bash -c '
  train --num-epochs=6 --seed=5 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt s.mdl 2>/dev/null &&
  train --num-epochs=6 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt s0.mdl 2>/dev/null && ! cmp -s s.mdl s0.mdl'
check "interrupted + --resume is bit-identical to uninterrupted" bash -c '
  train --num-epochs=3 --checkpoint=ck 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt full.mdl 2>/dev/null &&
  train --num-epochs=3 --checkpoint=ck2 --max-batches=7 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt part.mdl 2> p.log &&
  grep -q "stopping after 7 minibatches" p.log && ! cmp -s part.mdl full.mdl &&
  train --num-epochs=3 --checkpoint=ck2 --resume 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt res.mdl 2> r.log &&
  grep -q "resuming from ck2 at epoch 2 batch 2" r.log && cmp res.mdl full.mdl'
check "--sort-window: resumed run still bit-identical" bash -c '
  train --num-epochs=2 --sort-window=2 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt sw.mdl 2>/dev/null &&
  train --num-epochs=2 --sort-window=2 --checkpoint=swc --max-batches=5 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt x.mdl 2>/dev/null &&
  train --num-epochs=2 --sort-window=2 --checkpoint=swc --resume 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt sw2.mdl 2>/dev/null &&
  cmp sw.mdl sw2.mdl'
check "--checkpoint-every writes mid-epoch checkpoints" bash -c '
  train --num-epochs=1 --checkpoint=ce --checkpoint-every=2 --max-batches=3 \
    0.mdl ark:tr.feats.ark ark,t:tr.labels.txt ce.mdl 2>/dev/null && test -s ce &&
  train --num-epochs=1 --checkpoint=ce --resume 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt ce2.mdl 2> ce.log &&
  grep -q "at epoch 1 batch 4" ce.log'
check_fails "resume with other settings is refused" "minibatch-size=8" \
  train --num-epochs=3 --minibatch-size=4 --checkpoint=ck2 --resume 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt x.mdl
check "--valid-fraction holds out utterances" bash -c '
  train --num-epochs=1 --valid-fraction=0.25 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt vf.mdl 2> vf.log &&
  grep -q "36 training utterances" vf.log && grep -q "12 validation utterances" vf.log &&
  grep -q "validation loss" vf.log'
check "--num-threads=2 trains" bash -c '
  train --num-epochs=2 --num-threads=2 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt t2.mdl 2>/dev/null &&
  train --num-epochs=2 --num-threads=2 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt t2b.mdl 2>/dev/null && cmp t2.mdl t2b.mdl'
# Products large enough to split among the threads (300-frame utterances, 440 inputs),
# where OpenBLAS's own threads gave other bits than one thread.
awk 'BEGIN { srand(7); for (u = 0; u < 16; u++) { printf "w%02d  [\n", u; for (t = 0; t < 300; t++) {
  for (c = 0; c < 40; c++) printf " %.3f", rand() - 0.5; printf (t == 299 ? " ]\n" : "\n") } } }' > wide.feats.txt
awk 'BEGIN { srand(8); for (u = 0; u < 16; u++) { printf "w%02d", u; for (i = 0; i < 60; i++)
  printf " %d", 1 + int(rand() * 63); printf "\n" } }' > wide.labels.txt
printf 'input-dim=40\nsplice context=-5:5\naffine dim=128\nrelu\naffine dim=128\nrelu\naffine\nlog-softmax\n' > wide.conf
nnet-init --output-dim=64 --seed=1 wide.conf w0.mdl 2>/dev/null
check "--num-threads=2 gives the 1-thread model" bash -c '
  for t in 1 2; do nnet-train --minibatch-size=8 --optimizer=sgd --momentum=0.9 --num-threads=$t \
    w0.mdl ark:wide.feats.txt ark,t:wide.labels.txt w$t.mdl 2>/dev/null || exit 1; done
  ! cmp -s w0.mdl w1.mdl && cmp w1.mdl w2.mdl'
check "options change the result: sgd/momentum/nesterov/normalize/minibatch" bash -c '
  for o in "--optimizer=sgd" "--optimizer=sgd --momentum=0.9" "--optimizer=sgd --momentum=0.9 --nesterov" \
           "--normalize=utt" "--minibatch-size=4" "--max-grad-norm=0.01" "--warmup-steps=5" \
           "--lr-schedule=exponential --lr-decay=0.1 --lr-decay-steps=2" "--sort-window=3"; do
    train --num-epochs=1 $o 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt "o$(echo $o | tr -dc a-z0-9).mdl" 2>/dev/null || exit 1
  done
  train --num-epochs=1 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt base.mdl 2>/dev/null
  n=$(md5sum o*.mdl base.mdl | awk "{print \$1}" | sort -u | wc -l); test "$n" = 10'
check "--binary=false writes a text model" bash -c '
  train --num-epochs=1 --binary=false 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt bt.mdl 2>/dev/null && head -c 6 bt.mdl | grep -q "<Nnet>"'

# an utterance whose labels cannot fit, one without labels, one with a bad label
cp tr.labels.txt bad.labels.txt
echo "utt000 1 2 3 4 1 2 3 4 1 2 3 4 1 2 3 4 1 2 3 4 1 2 3 4 1 2 3 4 1 2 3 4 1 2 3 4 1 2 3 4 1 2" >> bad.labels.txt
sed -i '/^utt001 /d; s/^utt002 .*/utt002 1 7/' bad.labels.txt
check "a label outside the model's units stops the run, naming the key" bash -c '
  ! train --num-epochs=1 0.mdl ark:tr.feats.ark ark,t:bad.labels.txt b.mdl 2> b.log &&
  grep -q "ERROR.*utterance utt002: label 7 in ark,t:bad.labels.txt is outside the model.s output units 1..4" b.log &&
  grep -q "use --skip-bad" b.log && [ ! -e b.mdl ]'
check "with --skip-bad, bad utterances are skipped with their keys" bash -c '
  train --skip-bad --num-epochs=1 0.mdl ark:tr.feats.ark ark,t:bad.labels.txt b.mdl 2> b.log &&
  grep -q "WARNING.*utt000.*labels need" b.log && grep -q "WARNING.*utt001" b.log &&
  grep -q "WARNING.*utt002: label 7 .*skipped (--skip-bad)" b.log && grep -q "Done 45 out of 48" b.log'
echo "utt000 1 2 3 4 1 2 3 4 1 2 3 4 1 2 3 4 1 2 3 4 1 2 3 4 1 2 3 4 1 2 3 4 1 2 3 4 1 2 3 4 1 2" > only-bad.txt
check_fails "nothing usable is an error" "no usable training utterances" \
  nnet-train 0.mdl ark:tr.feats.ark ark,t:only-bad.txt nb.mdl
check "no model left behind" test ! -e nb.mdl

# a non-finite feature value: the utterance is skipped at reading, naming it, training goes on
# (steps skipped for a non-finite loss: tests/shell/test-nonfinite.sh)
copy-feats ark:tr.feats.ark ark,t:- 2>/dev/null | awk 'NR == 3 { $1 = "inf" } { print }' > inf.feats.txt
check "non-finite features skip the utterance with a warning" bash -c '
  train --num-epochs=1 0.mdl ark:inf.feats.txt ark,t:tr.labels.txt inf.mdl 2> inf.log &&
  grep -q "WARNING.*utterance utt000: infinity at frame 1, dimension 0; skipped" inf.log &&
  grep -q "Done 47 out of 48 utterances.* 0 steps skipped" inf.log &&
  ! nnet-copy --binary=false inf.mdl - | grep -qi "nan\|inf "'
check_fails "--valid-feats needs --valid-labels" "go together" \
  nnet-train --valid-feats=ark:dv.feats.ark 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt x.mdl
check_fails "bad optimiser setting" "momentum" \
  nnet-train --momentum=1.5 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt x.mdl
