#!/usr/bin/env bash
# Recurrent layers through the programs: conf/lstm.conf initialises, a BLSTM + GRU CTC
# model learns a toy task with nnet-train (bit-identically on 2 threads), and bad
# recurrent settings are one-line errors naming the config file and line.
source "$(dirname "$0")/lib.sh"
source "$TOPDIR/tests/shell/nnet-toy-data.sh"

check "conf/lstm.conf: 2 BLSTM layers of 2x256 over 3-fold subsampled input" bash -c '
  nnet-init --output-dim=30 "$1" lstm.mdl 2>/dev/null &&
  nnet-info lstm.mdl > info.txt && cat info.txt &&
  grep -q "frame-subsampling 3" info.txt &&
  grep -q "layer 1: lstm dim=256 bidirectional=true in-dim=120 out-dim=512 params=774144" info.txt &&
  grep -q "layer 2: lstm dim=256 bidirectional=true in-dim=512 out-dim=512 params=1576960" info.txt' _ "$TOPDIR/conf/lstm.conf"

make_toy_data tr 40 11
make_toy_data dv 10 12
cat > rnn.conf <<'CONF'
input-dim=5
lstm dim=12 bidirectional=true
gru dim=12
affine
log-softmax
CONF
nnet-init --output-dim=5 --seed=3 rnn.conf 0.mdl 2>/dev/null
train() {
  nnet-train --minibatch-size=8 --optimizer=adam --lr=0.03 --num-epochs=12 --num-threads=2 \
    --valid-feats=ark:dv.feats.ark --valid-labels=ark,t:dv.labels.txt \
    0.mdl ark:tr.feats.ark ark,t:tr.labels.txt "$@"
}
export -f train
check "BLSTM + GRU learns the toy task" bash -c '
  train a.mdl 2> a.log
  a=$(grep -o "initial validation loss [0-9.]*" a.log | awk "{print \$4}")
  b=$(grep -o "final validation loss [0-9.]*" a.log | awk "{print \$4}")
  echo "$a -> $b"; awk -v a=$a -v b=$b "BEGIN { exit !(a > 0.5 && b < 0.25 * a) }"'
check "same seed and threads: bit-identical model" bash -c 'train a2.mdl 2>/dev/null && cmp a.mdl a2.mdl'

for bad in "lstm" "lstm dim=-4" "gru dim=8 bidirectional=yes" "lstm dim=8 cells=3"; do
  printf 'input-dim=5\naffine dim=4\n%s\naffine\nlog-softmax\n' "$bad" > bad.conf
  check_fails "rejects '$bad'" "bad.conf line 3" nnet-init --output-dim=5 bad.conf bad.mdl
done
