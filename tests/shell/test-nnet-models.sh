#!/usr/bin/env bash
# nnet-init, nnet-info, nnet-copy, nnet-insert, nnet-average: model files, formats and failures.
source "$(dirname "$0")/lib.sh"
conf=$TOPDIR/conf

cat > tiny.conf <<'CONF'
input-dim=5
splice context=-1:1
affine dim=8
relu
subsample factor=2
affine
log-softmax
CONF
# 15*8+8 + 16*5+5 parameters
check "nnet-init writes a model" nnet-init --output-dim=5 --seed=3 tiny.conf a.mdl
check "nnet-info: parameter count and subsampling" \
  bash -c 'nnet-info a.mdl > info && grep -qx "num-params 213" info && grep -qx "frame-subsampling 2" info'
check "nnet-info: layer lines" bash -c 'grep -q "^layer 4: affine dim=5 in-dim=16 out-dim=5 params=85" info'
check "same seed, same model" bash -c 'nnet-init --output-dim=5 --seed=3 tiny.conf a2.mdl && cmp a.mdl a2.mdl'
check "other seed, other model" bash -c 'nnet-init --output-dim=5 --seed=4 tiny.conf b.mdl && ! cmp -s a.mdl b.mdl'
check "--input-dim overrides the config" \
  bash -c 'nnet-init --input-dim=7 --output-dim=5 tiny.conf c.mdl && nnet-info c.mdl | grep -qx "input-dim 7"'
check "conf/dnn.conf: 3x512 DNN over +-5 frames" \
  bash -c "nnet-init --output-dim=64 $conf/dnn.conf d.mdl && nnet-info d.mdl | grep -qx 'num-params 783936'"
check "--binary=false writes text" bash -c 'nnet-init --binary=false --output-dim=5 --seed=3 tiny.conf t.mdl && head -c 6 t.mdl | grep -q "<Nnet>"'
check "text -> binary round trip is exact" bash -c 'nnet-copy t.mdl tb.mdl && cmp tb.mdl a.mdl'
check "binary -> text -> binary via pipes" bash -c 'nnet-copy --binary=false a.mdl - | nnet-copy - p.mdl && cmp p.mdl a.mdl'
check "gzip model when the name ends in .gz" \
  bash -c 'nnet-copy a.mdl z.mdl.gz && gzip -t z.mdl.gz && nnet-copy z.mdl.gz u.mdl && cmp u.mdl a.mdl'

head -c 500 a.mdl > trunc.mdl
check_fails "truncated model is rejected" "truncated" nnet-info trunc.mdl
sed 's/<Version> 1 /<Version> 2 /' t.mdl > v2.mdl
check_fails "other version is rejected" "version 2" nnet-info v2.mdl
check_fails "not a model" "not a model file" nnet-info tiny.conf
sed 's/<NumParams> 85 /<NumParams> 84 /' t.mdl > badcount.mdl
check_fails "layer parameter count must agree" "84 parameters" nnet-info badcount.mdl
check_fails "missing model" "nope.mdl" nnet-info nope.mdl

printf 'input-dim=5\naffine dim=4\nfoo\nlog-softmax\n' > bad1.conf
check_fails "unknown layer names the line" "bad1.conf line 3: unknown layer 'foo'" nnet-init --output-dim=4 bad1.conf x.mdl
check "no model left behind on failure" test ! -e x.mdl
printf 'input-dim=5\naffine dim=4 size=3\nlog-softmax\n' > bad2.conf
check_fails "unknown setting" "line 2: unknown setting 'size'" nnet-init --output-dim=4 bad2.conf x.mdl
printf 'input-dim=5\naffine dim=4\n' > bad3.conf
check_fails "last layer must be log-softmax" "log-softmax" nnet-init --output-dim=4 bad3.conf x.mdl
printf 'input-dim=5\naffine dim=4\nlog-softmax\n' > good.conf
check_fails "output dim disagreement" "output dim asked for is 9" nnet-init --output-dim=9 good.conf x.mdl
printf 'affine dim=4\nlog-softmax\n' > bad4.conf
check_fails "no input dim" "no input dim" nnet-init bad4.conf x.mdl

# LHUC: one scale parameter per unit, 2 sigmoid(r), starting at r = 0 (the identity).
printf 'input-dim=5\naffine dim=8\nrelu\nlhuc\naffine\nlog-softmax\n' > lhuc.conf
check "lhuc: a layer of one parameter per unit, initialised to 0" bash -c '
  nnet-init --output-dim=5 lhuc.conf l.mdl && nnet-info l.mdl | grep -q "^layer 2: lhuc in-dim=8 out-dim=8 params=8 offset=48 rms=0$" &&
  nnet-copy --binary=false l.mdl - | grep -q "<Layer> lhuc <Config> 0 <InDim> 8 <OutDim> 8 <NumParams> 8 <Params> \[$"'
check "lhuc: text -> binary round trip is exact" bash -c 'nnet-copy --binary=false l.mdl lt.mdl && nnet-copy lt.mdl lb.mdl && cmp lb.mdl l.mdl'
check_fails "lhuc: takes no settings" "unknown setting 'dim' for layer lhuc" \
  bash -c 'printf "input-dim=5\nlhuc dim=5\naffine\nlog-softmax\n" > bad5.conf && nnet-init --output-dim=4 bad5.conf x.mdl'

# Adapters: a residual bottleneck, the identity at initialisation (up projection zero).
printf 'input-dim=5\naffine dim=8\nrelu\nadapter dim=3\naffine\nlog-softmax\n' > adapter.conf
check "adapter: 2DI + D + I parameters, the up projection zero" bash -c '
  nnet-init --output-dim=5 adapter.conf ad.mdl && nnet-info ad.mdl | grep -q "^layer 2: adapter dim=3 in-dim=8 out-dim=8 params=59 offset=48 " &&
  nnet-copy --binary=false ad.mdl - | awk "/<Layer> adapter/ { p = 1; next } p && /\]/ { print; exit } p" | tr " " "\n" |
    grep -v "^\$" | tail -n 33 | sort -u | tr -d "\n" | grep -qx "0]"'
check_fails "adapter: needs dim=" "adapter needs dim=" \
  bash -c 'printf "input-dim=5\nadapter\naffine\nlog-softmax\n" > bad6.conf && nnet-init --output-dim=4 bad6.conf x.mdl'

# nnet-insert: new layers into a trained model; identity adapters leave its outputs as they were.
awk 'BEGIN { srand(3); for (u = 1; u <= 3; u++) { printf "u%d  [\n", u;
  for (f = 0; f < 9; f++) { for (c = 0; c < 5; c++) printf " %.3f", rand() - 0.5; printf (f == 8 ? " ]\n" : "\n") } } }' > ins-feats.txt
echo 'adapter dim=4' > ins.conf
check "nnet-insert: an identity adapter keeps every output bit" bash -c '
  nnet-insert --insert-at=3 a.mdl ins.conf i.mdl && nnet-info i.mdl | grep -q "^layer 3: adapter dim=4 in-dim=8 out-dim=8" &&
  decode --write-posteriors a.mdl ark:ins-feats.txt ark:pa.ark && decode --write-posteriors i.mdl ark:ins-feats.txt ark:pi.ark &&
  cmp pa.ark pi.ark'
check "nnet-insert: the default place is before the output affine layer; --binary=false" bash -c '
  nnet-insert --binary=false a.mdl ins.conf d.mdl && head -c 6 d.mdl | grep -q "<Nnet>" &&
  nnet-info d.mdl | grep -q "^layer 4: adapter dim=4 in-dim=16 out-dim=16"'
check "nnet-insert: several layers, the others keep their parameters; same seed, same model; other seed, other" bash -c '
  printf "affine dim=6\nrelu\naffine dim=8\n" > two.conf && nnet-insert --insert-at=2 --seed=5 a.mdl two.conf j.mdl &&
  nnet-insert --insert-at=2 --seed=5 a.mdl two.conf j2.mdl && cmp j.mdl j2.mdl &&
  nnet-insert --insert-at=2 --seed=6 a.mdl two.conf j3.mdl && ! cmp -s j.mdl j3.mdl &&
  trained() { nnet-copy --binary=false $1 - | awk "/<InDim> (15 <OutDim> 8|16 <OutDim> 5) / { p = 1 } p { print } /\]/ { p = 0 }"; } &&
  trained a.mdl > o1 && trained j.mdl > o2 && [ $(wc -l < o1) -gt 20 ] && cmp o1 o2 && [ "$(nnet-info j.mdl | grep -c "^layer")" = 9 ]'
printf 'u1 1 2\nu2 2\nu3 3 1\n' > ins-labels.txt
echo 'e0 t support u1 query u2' > ins-episodes.txt
check "nnet-insert drops the stored inner loop" bash -c '
  meta-train --learn-inner-lr=per-layer --iterations=1 --meta-batch=1 a.mdl ark:ins-feats.txt ark:ins-labels.txt \
    ins-episodes.txt m.mdl && nnet-info m.mdl | grep -q "^extra meta-inner-lr" &&
  nnet-insert m.mdl ins.conf mi.mdl 2> mi.log && grep -q "Dropped the extra meta-inner-lr" mi.log && ! nnet-info mi.mdl | grep -q "^extra"'
check_fails "nnet-insert: dims that do not fit" "the inserted layers end with dim 6, but layer 3 (subsample) takes dim 8" \
  bash -c 'echo "affine dim=6" > wide.conf && nnet-insert --insert-at=3 a.mdl wide.conf x.mdl'
check_fails "nnet-insert: a place outside the model" "insert-at=9" nnet-insert --insert-at=9 a.mdl ins.conf x.mdl
check_fails "nnet-insert: a network's dims in the config" "input-dim= and output-dim= belong to a whole network" \
  nnet-insert a.mdl tiny.conf x.mdl
check "nnet-insert: no model left behind on failure" test ! -e x.mdl

check "average of a model with itself is the model" bash -c 'nnet-average a.mdl a.mdl avg.mdl && cmp avg.mdl a.mdl'
check "--weights=1:0 selects the first model" bash -c 'nnet-average --weights=1:0 a.mdl b.mdl w.mdl && cmp w.mdl a.mdl'
check "--weights=0:2 selects the second (normalised)" bash -c 'nnet-average --weights=0:2 a.mdl b.mdl w2.mdl && cmp w2.mdl b.mdl'
check "average is symmetric and differs from both" \
  bash -c 'nnet-average a.mdl b.mdl ab.mdl && nnet-average b.mdl a.mdl ba.mdl && cmp ab.mdl ba.mdl && ! cmp -s ab.mdl a.mdl'
check "averaged parameters are the mean" bash -c '
  nnet-copy --binary=false a.mdl - | grep -o "<Params> \[ [^ ]*" | sed -n 2p | awk "{print \$3}" > pa
  nnet-copy --binary=false b.mdl - | grep -o "<Params> \[ [^ ]*" | sed -n 2p | awk "{print \$3}" > pb
  nnet-copy --binary=false ab.mdl - | grep -o "<Params> \[ [^ ]*" | sed -n 2p | awk "{print \$3}" > pab
  awk -v a=$(cat pa) -v b=$(cat pb) -v m=$(cat pab) "BEGIN { d = (a + b) / 2 - m; exit !(d < 1e-6 && d > -1e-6) }"'
check_fails "average needs one architecture" "different architectures" nnet-average a.mdl c.mdl x.mdl
check_fails "bad --weights" "weights" nnet-average --weights=1:x a.mdl b.mdl x.mdl
