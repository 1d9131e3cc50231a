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
# fast-adapt whose steps overflow the network stops and keeps the best parameters, those
# with the lowest finite loss: the model it writes decodes every utterance.
check "fast-adapt that diverges keeps the best parameters" bash -c "
  fast-adapt --steps=5 --lr=1e30 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt dv.mdl 2> dv.log &&
  grep -q 'non-finite loss or gradient; stopping with the best parameters so far' dv.log &&
  grep 'Adapted on' dv.log | awk '{ exit !(\$(NF-3) + 0 < 1e30) }' &&
  decode --units=units.txt dv.mdl ark:tr.feats.ark ark,t:dv.txt 2> /dev/null && [ \$(wc -l < dv.txt) -eq 16 ]"
check "fast-adapt whose last step diverges keeps the parameters before it" bash -c "
  fast-adapt --steps=1 --lr=1e30 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt dv1.mdl 2> dv1.log &&
  grep -q 'WARNING.*went from .* to inf in 1 step(s) (is --lr too high?); keeping the parameters of step 0' dv1.log &&
  cmp -s 0.mdl dv1.mdl"
# A rate that makes the loss grow without overflowing (0.95 to about 1e5 here): the loss
# stays finite, yet the adapted model is worse than the one given. fast-adapt keeps the
# best parameters (here the initial ones) and warns, with or without --batch.
check "fast-adapt with a diverging finite loss keeps the best parameters and warns" bash -c "
  fast-adapt --steps=5 --lr=1e6 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt dg.mdl 2> dg.log &&
  grep -q 'WARNING.*loss on the adaptation utterances went from 0.95.* in 5 step(s) (is --lr too high?); keeping the parameters of step 0' dg.log &&
  grep -q 'Done: 16 utterances, 0 steps' dg.log && cmp -s 0.mdl dg.mdl &&
  fast-adapt --steps=5 --lr=1e6 --batch=4 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt dgb.mdl 2> dgb.log &&
  grep -q 'WARNING.*keeping the parameters of step 0' dgb.log && cmp -s 0.mdl dgb.mdl"
check "fast-adapt that converges keeps its last step, without a warning" bash -c "
  fast-adapt --steps=5 --lr=0.05 0.mdl ark:tr.feats.ark ark,t:tr.labels.txt ok.mdl 2> ok.log &&
  grep -q 'Done: 16 utterances, 5 steps' ok.log && ! grep -q WARNING ok.log"

# A model holding a NaN or an infinity is rejected when read, naming the layer and the file.
nnet-copy --binary=false 0.mdl t.mdl 2>/dev/null
poison() { # value: the first parameter of the second affine layer set to it
  awk -v v="$1" 'f && !done { sub(/^ +[^ ]+/, "  " v); done = 1 } /<Layer> affine <Config> 1 dim=5/ { f = 1 } 1' t.mdl
}
poison nan > nan.mdl; poison -inf > inf.mdl
rejected="layer 2 (affine) has a non-finite parameter"
check_fails "nnet-info rejects a model with a NaN, naming the layer" "ERROR.*nan.mdl: $rejected: NaN at position 0 of 85" \
  nnet-info nan.mdl
check_fails "decode rejects it" "ERROR.*nan.mdl: $rejected: NaN" decode --units=units.txt nan.mdl $F ark,t:nan.hyp
check_fails "fast-adapt rejects it" "ERROR.*nan.mdl: $rejected: NaN" fast-adapt nan.mdl $F $L nan2.mdl
check_fails "nnet-copy rejects an infinity" "ERROR.*inf.mdl: $rejected: infinity at position 0 of 85" nnet-copy inf.mdl inf2.mdl
check "... and writes nothing" bash -c '! ls nan.hyp nan2.mdl inf2.mdl 2>/dev/null | grep -q .'

# compute-cmvn-stats: an utterance with a NaN is skipped with a warning (the statistics
# are those of the others), an error with --strict; nothing non-finite is written.
check "compute-cmvn-stats skips the NaN and inf utterances, naming them" bash -c "
  compute-cmvn-stats $F ark,t:st.txt 2> st.log && warned st.log && ! grep -qi 'nan\|inf' st.txt &&
  [ \$(grep -c '\[' st.txt) -eq 16 ] && compute-cmvn-stats $F g1 2> g.log && warned g.log &&
  compute-cmvn-stats ark:tr.feats.ark g2 && cmp g1 g2"
check_fails "compute-cmvn-stats --strict stops at the NaN" "utterance bad: NaN at frame 4, dimension 2 (--strict)" \
  compute-cmvn-stats --strict $F ark:st2.ark
check "compute-cmvn-stats --spk2utt skips them too" bash -c "
  printf 'spk utt000 bad utt001 inf\n' > spk2utt && compute-cmvn-stats --spk2utt=ark:spk2utt $F ark,t:sp.txt 2> sp.log &&
  warned sp.log && ! grep -qi 'nan\|inf' sp.txt"
