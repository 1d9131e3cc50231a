#!/usr/bin/env bash
# Numeric faults: an utterance whose features hold a NaN or an infinity is skipped with a
# WARNING naming it in nnet-train, meta-train, fast-adapt and decode (an ERROR with
# --strict); the feature transforms pass values through without crashing; training that
# diverges stops with an ERROR naming where, and writes no model.
source "$(dirname "$0")/lib.sh"
source "$TOPDIR/tests/shell/nnet-toy-data.sh"

make_toy_data tr 16 1
# One binary entry "bad" of 9 frames x 5 dims, all 1.0 but a NaN at frame 4, dim 2, and
# one "inf" with +infinity at frame 0, dim 0 (text archives cannot hold them).
entry() { # key nonfinite-float-index nonfinite-bytes
  printf '%s \0BFM \4\11\0\0\0\4\5\0\0\0' "$1"
  for i in $(seq 0 44); do if [ "$i" -eq "$2" ]; then printf "$3"; else printf '\0\0\200\77'; fi; done
}
{ cat tr.feats.ark; entry bad 22 '\0\0\300\177'; entry inf 0 '\0\0\200\177'; } > nan.ark
{ cat tr.labels.txt; echo "bad 1 2"; echo "inf 3"; } > nan.labels.txt
printf 'input-dim=5\naffine dim=16\nrelu\naffine\nlog-softmax\n' > toy.conf
nnet-init --output-dim=5 --seed=1 toy.conf 0.mdl 2>/dev/null
F=ark:nan.ark; L=ark,t:nan.labels.txt
warned() { grep -q "utterance bad: NaN at frame 4, dimension 2; skipped" "$1" && grep -q "utterance inf: infinity at frame 0, dimension 0; skipped" "$1"; }
export -f warned

check "nnet-train skips the NaN and inf utterances, naming them" bash -c "
  nnet-train --num-epochs=1 --minibatch-size=4 0.mdl $F $L a.mdl 2> a.log && warned a.log &&
  grep -q 'Done 16 out of 18 utterances' a.log"
check_fails "nnet-train --strict stops at the NaN" "utterance bad: NaN at frame 4, dimension 2 (--strict)" \
  nnet-train --strict --num-epochs=1 0.mdl $F $L b.mdl
check "fast-adapt skips them" bash -c "fast-adapt --steps=2 0.mdl $F $L f.mdl 2> f.log && warned f.log"
check_fails "fast-adapt --strict stops" "utterance bad: NaN.*(--strict)" fast-adapt --strict --steps=2 0.mdl $F $L g.mdl
printf 'ep0 t0 support utt000,bad query utt001,utt002\nep1 t1 support utt003,utt004 query inf,utt005\nep2 t0 support utt006,utt007 query utt008,utt009\n' > episodes.txt
check "meta-train skips them" bash -c "
  meta-train --skip-missing --iterations=2 --meta-batch=2 --inner-steps=1 0.mdl $F $L episodes.txt m.mdl 2> m.log && warned m.log"
check_fails "meta-train --strict stops" "utterance bad: NaN.*(--strict)" \
  meta-train --strict --iterations=2 --meta-batch=2 0.mdl $F $L episodes.txt n.mdl
printf '<blk> 0\na 1\nb 2\nc 3\nd 4\n' > units.txt
check "decode skips them and decodes the rest" bash -c "
  decode --units=units.txt 0.mdl $F ark,t:hyp.txt 2> d.log && warned d.log &&
  [ \$(wc -l < hyp.txt) -eq 16 ] && ! grep -q '^bad\|^inf' hyp.txt"
check_fails "decode --strict stops" "utterance bad: NaN.*(--strict)" decode --strict --units=units.txt 0.mdl $F ark,t:hyp2.txt
check "nothing written by the --strict runs" bash -c '! ls b.mdl g.mdl n.mdl hyp2.txt 2>/dev/null | grep -q .'
# The transforms pass values through (the consumers above check): no crash, same frames.
check "apply-cmvn, add-deltas, splice-feats pass NaN through without crashing" bash -c "
  compute-cmvn-stats ark:tr.feats.ark cmvn.ark && apply-cmvn cmvn.ark $F ark:c.ark &&
  add-deltas $F ark:d.ark && splice-feats $F ark:s.ark &&
  for x in c d s; do [ \"\$(feat-to-len ark:\$x.ark)\" = \"\$(feat-to-len $F)\" ] || exit 1; done"

# Divergence: Adam at lr 1e30 overflows the network; the run stops naming where.
check_fails "nnet-train stops when training diverges, naming the minibatch" \
  "diverged at epoch 1 minibatch 6/6: 5 minibatches in a row with a non-finite loss" \
  nnet-train --optimizer=adam --lr=1e30 --minibatch-size=3 --checkpoint=ck --checkpoint-every=1 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt x.mdl
check "--max-bad-steps is honoured; no model is written" bash -c "
  ! nnet-train --optimizer=adam --lr=1e30 --minibatch-size=3 --max-bad-steps=2 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt x.mdl 2> x.log &&
  grep -q 'minibatch 3/6: 2 minibatches in a row' x.log && [ ! -e x.mdl ]"
check "the diverged run kept its last checkpoint, complete (no temporary)" bash -c "[ -s ck ] && ! ls ck.tmp.* 2>/dev/null | grep -q ."
check_fails "meta-train stops when training diverges, naming the iteration" "diverged.*iteration" \
  meta-train --skip-missing --outer-lr=1e30 --outer-optimizer=sgd --inner-steps=1 --iterations=20 --max-bad-steps=2 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt episodes.txt z.mdl
# fast-adapt whose steps overflow the network stops and keeps the last parameters with a
# finite loss: the model it writes decodes every utterance.
check "fast-adapt that diverges keeps the last good parameters" bash -c "
  fast-adapt --steps=5 --lr=1e30 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt dv.mdl 2> dv.log &&
  grep -q 'non-finite loss or gradient; stopping with the last good parameters' dv.log &&
  grep 'Adapted on' dv.log | awk '{ exit !(\$(NF-3) + 0 < 1e30) }' &&
  decode --units=units.txt dv.mdl ark:tr.feats.ark ark,t:dv.txt 2> /dev/null && [ \$(wc -l < dv.txt) -eq 16 ]"
check "fast-adapt whose last step diverges keeps the parameters before it" bash -c "
  fast-adapt --steps=1 --lr=1e30 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt dv1.mdl 2> dv1.log &&
  grep -q 'step 1 left a non-finite loss; keeping the parameters before it' dv1.log && cmp -s 0.mdl dv1.mdl"
