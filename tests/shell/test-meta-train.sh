#!/usr/bin/env bash
# meta-train and fast-adapt as programs, on tiny text archives: every algorithm and
# option, resume to a bit-identical model (after a checkpoint and after kill -9), thread
# independence, validation with keep-best, and bad input.
source "$(dirname "$0")/lib.sh"

printf 'affine dim=8\ntanh\naffine\nlog-softmax\n' > dnn.conf
nnet-init --input-dim=4 --output-dim=4 --seed=1 dnn.conf init.mdl 2>/dev/null
# 24 utterances of 7 frames x 4 dims; task t shifts which dim lights up.
awk 'BEGIN { srand(7); for (u = 1; u <= 24; u++) { t = (u - 1) % 3; printf "u%02d  [\n", u;
  for (f = 0; f < 7; f++) { for (c = 0; c < 4; c++) printf " %.3f", (c == (f + t) % 4) + 0.3 * (rand() - 0.5);
  printf (f == 6 ? " ]\n" : "\n") } } }' > feats.txt
awk 'BEGIN { for (u = 1; u <= 24; u++) printf "u%02d %d %d\n", u, 1 + u % 3, 1 + (u + 1) % 3 }' > labels.txt
awk 'BEGIN { for (e = 0; e < 5; e++) { b = e * 4; printf "ep%d task%d support u%02d,u%02d query u%02d,u%02d\n",
  e, e % 3, b + 1, b + 2, b + 3, b + 4 } }' > episodes.txt
echo "v0 task2 support u21,u22 query u23,u24" > valid.txt
T="ark:feats.txt ark:labels.txt"
MT="meta-train --inner-steps=2 --meta-batch=2 --iterations=6 --progress-every=0"

for a in maml fomaml reptile multitask imaml; do
  check "meta-train --algo=$a changes the model" \
    bash -c "$MT --algo=$a init.mdl $T episodes.txt $a.mdl && ! cmp -s init.mdl $a.mdl"
done
check "the five algorithms give five different models" \
  bash -c "! cmp -s maml.mdl fomaml.mdl && ! cmp -s fomaml.mdl reptile.mdl && ! cmp -s reptile.mdl multitask.mdl &&
           ! cmp -s imaml.mdl maml.mdl && ! cmp -s imaml.mdl fomaml.mdl"
check "same seed, same model" bash -c "$MT --algo=maml init.mdl $T episodes.txt again.mdl && cmp maml.mdl again.mdl"
awk '/\[/ { n++ } { r[n] = r[n] $0 "\n" } END { for (i = n; i >= 1; i--) printf "%s", r[i] }' feats.txt > rev.txt
check "features in another table order, same model" \
  bash -c "$MT --algo=maml init.mdl ark:rev.txt ark:labels.txt episodes.txt rev.mdl && cmp maml.mdl rev.mdl"
check "another --seed, another model" bash -c "$MT --seed=5 init.mdl $T episodes.txt s5.mdl && ! cmp -s maml.mdl s5.mdl"
for opt in --inner-steps=1 --inner-lr=0.3 --inner-batch=1 --outer-lr=0.01 --outer-optimizer=sgd \
           --meta-batch=3 --iterations=4 --clip=0.01 --adapt-layers=last --adapt-layers=0 \
           --outer-max-grad-norm=0.01 --outer-adam-beta1=0.5 --outer-adam-beta2=0.9 --outer-adam-eps=0.1 \
           --outer-warmup-steps=3 "--outer-lr-schedule=exponential --outer-lr-decay-steps=1" \
           --multi-step-loss; do
  check "meta-train $opt has an effect" \
    bash -c "$MT $opt init.mdl $T episodes.txt o.mdl && ! cmp -s maml.mdl o.mdl"
done
# Reptile over both sets of an episode: the query set joins its inner loop.
check "reptile --inner-set=support+query has an effect" bash -c \
  "$MT --algo=reptile --inner-set=support+query --inner-batch=2 init.mdl $T episodes.txt rsq.mdl && ! cmp -s reptile.mdl rsq.mdl"
check_fails "--inner-set=support+query needs reptile" "ERROR.*--inner-set=support+query needs --algo=reptile (got maml" \
  $MT --inner-set=support+query init.mdl $T episodes.txt x.mdl
check_fails "--inner-set takes support or support+query" "inner-set" \
  $MT --algo=reptile --inner-set=query init.mdl $T episodes.txt x.mdl
S="$MT --outer-optimizer=sgd --outer-lr=0.1"
check "--outer-momentum and --outer-nesterov have an effect" bash -c \
  "$S init.mdl $T episodes.txt sgd.mdl && $S --outer-momentum=0.9 init.mdl $T episodes.txt mom.mdl &&
   $S --outer-momentum=0.9 --outer-nesterov init.mdl $T episodes.txt nest.mdl &&
   ! cmp -s sgd.mdl mom.mdl && ! cmp -s mom.mdl nest.mdl"
check "--num-threads=2 --thread-mode=tasks gives the 1-thread model" \
  bash -c "$MT --num-threads=2 --thread-mode=tasks init.mdl $T episodes.txt t2.mdl && cmp maml.mdl t2.mdl"
check "--binary=false writes a text model" bash -c \
  "$MT --binary=false init.mdl $T episodes.txt text.mdl && head -c 6 text.mdl | grep -q '<Nnet>'"
check "fast-adapt --binary=false writes a text model" bash -c \
  "fast-adapt --steps=1 --binary=false init.mdl $T text2.mdl && head -c 6 text2.mdl | grep -q '<Nnet>'"
check "fast-adapt --num-threads=2 runs" bash -c "fast-adapt --steps=2 --num-threads=2 init.mdl $T nt.mdl"
check "--thread-mode=blas runs" bash -c "$MT --num-threads=2 --thread-mode=blas init.mdl $T episodes.txt tb.mdl"
# MAML++'s multi-step loss: annealed to the last step's loss, after which it is plain MAML.
check "--multi-step-loss: --msl-anneal-iters has an effect" bash -c \
  "$MT --multi-step-loss init.mdl $T episodes.txt msl.mdl && $MT --multi-step-loss --msl-anneal-iters=3 init.mdl $T episodes.txt msl3.mdl &&
   ! cmp -s msl.mdl msl3.mdl"
check "--multi-step-loss --msl-anneal-iters=0 is plain MAML, bit for bit" bash -c \
  "$MT --multi-step-loss --msl-anneal-iters=0 init.mdl $T episodes.txt msl0.mdl && cmp maml.mdl msl0.mdl"
check_fails "--multi-step-loss needs maml" "\-\-multi-step-loss needs --algo=maml (got fomaml)" \
  $MT --algo=fomaml --multi-step-loss init.mdl $T episodes.txt x.mdl
check_fails "--msl-anneal-iters must not be negative" "\-\-msl-anneal-iters must be >= 0" \
  $MT --multi-step-loss --msl-anneal-iters=-1 init.mdl $T episodes.txt x.mdl

# Learned rates and adapted layers are stored in the model; fast-adapt uses them.
check "--learn-inner-lr=per-layer-step stores 2 rates per layer" bash -c \
  "$MT --learn-inner-lr=per-layer-step --adapt-layers=2 init.mdl $T episodes.txt lr.mdl &&
   nnet-info lr.mdl | grep -q 'meta-inner-lr dim=8' && nnet-info lr.mdl | grep -q 'meta-adapt-layers dim=4'"
check "--learn-inner-lr=per-layer stores 1 rate per layer" bash -c \
  "$MT --learn-inner-lr=per-layer init.mdl $T episodes.txt lr1.mdl && nnet-info lr1.mdl | grep -q 'meta-inner-lr dim=4'"
check_fails "reptile learns rates from 2 or more inner steps" "needs --inner-steps >= 2" \
  $MT --algo=reptile --inner-steps=1 --learn-inner-lr=per-layer init.mdl $T episodes.txt x.mdl
check "fast-adapt uses the learned rates" bash -c \
  "fast-adapt --steps=3 lr.mdl $T ad.mdl 2>&1 | grep -q 'the learned rates (2 per layer) (meta-train)'"
check "fast-adapt --lr overrides them" bash -c "fast-adapt --steps=3 --lr=0.2 lr.mdl $T ad2.mdl 2>&1 | grep -q 'instead of'"
# rates_moved MODEL R0: true when a per-parameter rate of MODEL is no longer R0 (beyond the
# rounding of the text form, which writes 0.3 as 0.300000012).
rates_moved() {
  nnet-copy --binary=false "$1" - | awk -v r0="$2" '/meta-inner-lr-param/ { on = 1; next }
    on { for (i = 1; i <= NF; i++) if ($i != "]" && ($i - r0) ^ 2 > 1e-12) moved++ }
    on && /\]/ { exit } END { exit !(moved > 0) }'
}
export -f rates_moved
# Meta-SGD: a rate per parameter (76 here), learned, and adapted with, frozen layers
# cached or not.
check "--learn-inner-lr=per-parameter stores one learned rate per parameter" bash -c \
  "$MT --learn-inner-lr=per-parameter --inner-lr=0.3 init.mdl $T episodes.txt msgd.mdl 2> msgd.log &&
   grep -q '76 parameters + 76 learned rates' msgd.log && nnet-info msgd.mdl > msgd.info &&
   grep -q 'meta-inner-lr-param dim=76' msgd.info && ! grep -q 'meta-inner-lr \|meta-inner-rate' msgd.info &&
   rates_moved msgd.mdl 0.3"
check "reptile learns rates over the support and query sets" bash -c \
  "$MT --algo=reptile --inner-set=support+query --inner-steps=4 --inner-batch=1 --learn-inner-lr=per-parameter \
     --inner-lr=0.3 init.mdl $T episodes.txt rsq.mdl 2> rsq.log &&
   grep -q '76 parameters + 76 learned rates' rsq.log && rates_moved rsq.mdl 0.3"
check "fast-adapt uses the per-parameter rates, frozen layers cached or not" bash -c \
  "fast-adapt --steps=3 msgd.mdl $T msa.mdl 2>&1 | grep -q 'the learned rates (one per parameter) (meta-train)' &&
   fast-adapt --steps=3 --adapt-layers=last msgd.mdl $T msc.mdl 2>&1 | grep -q 'are frozen' &&
   fast-adapt --steps=3 --adapt-layers=last --cache-frozen=false msgd.mdl $T msn.mdl && cmp msc.mdl msn.mdl &&
   fast-adapt --steps=3 --adapt-layers=last --lr=0.3 msgd.mdl $T msl.mdl && ! cmp -s msc.mdl msl.mdl"
nnet-copy --binary=false msgd.mdl - 2>/dev/null | awk '/meta-inner-lr-param <Dim> 76/ { sub("<Dim> 76", "<Dim> 75"); on = 1 }
  on && /\]/ { sub(/[^ ]+ \]/, "]"); on = 0 } { print }' > msgd-short.txt
check_fails "per-parameter rates that do not fit the model: an error naming the file" \
  "msgd-short.txt: extra meta-inner-lr-param has 75 values for 76 parameters" \
  fast-adapt --steps=1 msgd-short.txt $T x.mdl
check "per-layer rates replace per-parameter ones; multitask removes them" bash -c \
  "$MT --learn-inner-lr=per-layer msgd.mdl $T episodes.txt msr.mdl && nnet-info msr.mdl > msr.info &&
   grep -q 'meta-inner-lr dim=4' msr.info && ! grep -q 'lr-param' msr.info &&
   $MT --algo=multitask msgd.mdl $T episodes.txt msm.mdl && ! nnet-info msm.mdl | grep -q 'meta-inner'"
# Multitask with learned rates: theta trained as multitask trains it, the rates learned
# beside it and kept in the model for fast-adapt; an inner loop on support subsets refused.
check "multitask --learn-inner-lr=per-parameter learns and stores the rates" bash -c \
  "$MT --algo=multitask --learn-inner-lr=per-parameter --inner-lr=0.3 init.mdl $T episodes.txt mtr.mdl 2> mtr.log &&
   grep -q '76 parameters + 76 learned rates' mtr.log && nnet-info mtr.mdl | grep -q 'meta-inner-lr-param dim=76' &&
   rates_moved mtr.mdl 0.3 &&
   fast-adapt --steps=3 mtr.mdl $T mtra.mdl 2>&1 | grep -q 'the learned rates (one per parameter) (meta-train)'"
check_fails "multitask with learned rates needs the whole support set a step" \
  "ERROR.*--algo=multitask --learn-inner-lr=per-layer needs --inner-batch=0" \
  $MT --algo=multitask --learn-inner-lr=per-layer --inner-batch=1 init.mdl $T episodes.txt x.mdl

# The inner loop a model was meta-trained for is stored in it and is fast-adapt's default.
check "meta-train stores its inner loop: steps, batch, rate (nnet-info shows them)" bash -c \
  "$MT --inner-steps=2 --inner-lr=0.3 init.mdl $T episodes.txt proc.mdl && nnet-info proc.mdl > proc.info &&
   grep -qx 'extra meta-inner-steps dim=1 \[ 2 \]' proc.info && grep -qx 'extra meta-inner-batch dim=1 \[ 0 \]' proc.info &&
   grep -qx 'extra meta-inner-rate dim=1 \[ 0.3 \]' proc.info"
check "fast-adapt adapts by default as meta-trained: 2 steps of all utterances at 0.3" bash -c \
  "fast-adapt proc.mdl $T pd.mdl 2> pd.log &&
   grep -q 'Inner loop: 2 steps (meta-train), all utterances a step (meta-train), rate 0.3 (meta-train)' pd.log &&
   grep -q 'Done: 24 utterances, 2 steps' pd.log &&
   fast-adapt --steps=2 --batch=0 --lr=0.3 proc.mdl $T pe.mdl && cmp pd.mdl pe.mdl &&
   fast-adapt --steps=2 --batch=0 --lr=0.1 proc.mdl $T pf.mdl && ! cmp -s pd.mdl pf.mdl"
check "... and the inner batch: --inner-batch=5 adapts in batches of 5" bash -c \
  "$MT --inner-steps=2 --inner-lr=0.3 --inner-batch=5 init.mdl $T episodes.txt pb.mdl &&
   fast-adapt pb.mdl $T pb1.mdl 2>&1 | grep -q 'batches of 5 (meta-train)' &&
   fast-adapt --steps=2 --batch=5 --lr=0.3 pb.mdl $T pb2.mdl && cmp pb1.mdl pb2.mdl"
check "the command line wins: --steps=1 --batch=4 --lr=0.2" bash -c \
  "fast-adapt --steps=1 --batch=4 --lr=0.2 proc.mdl $T pg.mdl 2>&1 |
     grep -q 'Inner loop: 1 steps (--steps), batches of 4 (--batch), rate 0.2 (--lr)'"
check "--passes without --steps: not capped by the model's steps" bash -c \
  "fast-adapt --passes=2 --batch=5 proc.mdl $T ph.mdl 2>&1 | grep -q 'Done: 24 utterances, 10 steps'"
check "a model without a stored inner loop: 10 steps, all utterances, rate 0.01" bash -c \
  "fast-adapt init.mdl $T pi.mdl 2>&1 | grep -q 'Inner loop: 10 steps (default), all utterances a step (default), rate 0.01 (default)'"
check "learned rates: stored instead of the constant rate" bash -c \
  "$MT --inner-steps=2 --learn-inner-lr=per-layer proc.mdl $T episodes.txt pl.mdl && nnet-info pl.mdl > pl.info &&
   grep -q 'meta-inner-lr dim=4' pl.info && ! grep -q meta-inner-rate pl.info &&
   fast-adapt pl.mdl $T pm.mdl 2>&1 | grep -q 'Inner loop: 2 steps (meta-train), .*, the learned rates (1 per layer) (meta-train)'"
check "multitask, which has no inner loop, removes a stored one" bash -c \
  "$MT --algo=multitask pl.mdl $T episodes.txt pn.mdl && ! nnet-info pn.mdl | grep -q 'meta-inner-\(steps\|batch\|rate\|lr\)'"

# Progress, validation, keep-best.
check "progress lines with losses, frames/s and ETA" bash -c \
  "$MT --progress-every=3 init.mdl $T episodes.txt p.mdl 2>&1 | grep -q 'Iteration 6/6: query loss .* before, .* after adaptation.*frames/s, ETA'"
check "validation every 2 iterations" bash -c \
  "$MT --valid-episodes=valid.txt --valid-every=2 init.mdl $T episodes.txt v.mdl 2>&1 | grep -c 'validation query loss' | grep -qx 3"
# keep-best: the model written is the model of the best validated iteration, so a plain
# run stopped at that iteration gives the same file.
$MT --outer-lr=1 --iterations=10 --valid-episodes=valid.txt --valid-every=1 --keep-best \
  init.mdl $T episodes.txt best.mdl 2> best.log
bi=$(sed -n 's/.*Keeping the best model: iteration \([0-9]*\),.*/\1/p' best.log)
check "--keep-best writes the best validated model (iteration ${bi:-?})" bash -c \
  "[ -n '$bi' ] && [ '$bi' != 10 ] && $MT --outer-lr=1 --iterations=$bi init.mdl $T episodes.txt plain.mdl && cmp best.mdl plain.mdl"

# Resume: after stopping at a checkpoint, and after kill -9, to the bit-identical model.
R="$MT --algo=maml --learn-inner-lr=per-layer --valid-episodes=valid.txt --valid-every=2 --keep-best --iterations=9"
$R init.mdl $T episodes.txt full.mdl 2>/dev/null
check "resume from a checkpoint gives the uninterrupted model" bash -c \
  "$R --iterations=5 --checkpoint-every=5 --checkpoint=r.ckpt init.mdl $T episodes.txt part.mdl &&
   $R --resume --checkpoint=r.ckpt init.mdl $T episodes.txt resumed.mdl 2> r.log &&
   grep -q 'Resuming from r.ckpt at iteration 5' r.log &&
   cmp full.mdl resumed.mdl"
check_fails "resume refuses other settings" "cannot resume" \
  $R --resume --checkpoint=r.ckpt --inner-steps=3 init.mdl $T episodes.txt x.mdl
P="$MT --learn-inner-lr=per-parameter --iterations=6"
check "resume with per-parameter rates gives the uninterrupted model" bash -c \
  "$P init.mdl $T episodes.txt pfull.mdl && $P --iterations=3 --checkpoint-every=3 --checkpoint=p.ckpt init.mdl $T episodes.txt ppart.mdl &&
   $P --resume --checkpoint=p.ckpt init.mdl $T episodes.txt presumed.mdl && cmp pfull.mdl presumed.mdl"
check_fails "resume refuses per-layer rates from a per-parameter checkpoint" "cannot resume" \
  $MT --learn-inner-lr=per-layer --resume --checkpoint=p.ckpt init.mdl $T episodes.txt x.mdl
# Settings the checkpoint's model stores (not in its header): the inner rate, batch, lambda.
$MT --algo=imaml --iterations=2 --checkpoint-every=1 --checkpoint=i.ckpt init.mdl $T episodes.txt i.mdl 2>/dev/null
check_fails "resume refuses another --inner-lr" "i.ckpt was made with --inner-lr=0.1, this run has 0.2: cannot resume" \
  $MT --algo=imaml --iterations=3 --resume --checkpoint=i.ckpt --inner-lr=0.2 init.mdl $T episodes.txt x.mdl
check_fails "resume refuses another --imaml-lambda" "made with --imaml-lambda=2, this run has 3: cannot resume" \
  $MT --algo=imaml --iterations=3 --resume --checkpoint=i.ckpt --imaml-lambda=3 init.mdl $T episodes.txt x.mdl
check "resume with the same settings goes on" \
  $MT --algo=imaml --iterations=3 --resume --checkpoint=i.ckpt init.mdl $T episodes.txt x.mdl
$MT --algo=reptile --iterations=2 --checkpoint-every=1 --checkpoint=q.ckpt init.mdl $T episodes.txt q.mdl 2>/dev/null
check_fails "resume refuses another --inner-set" "q.ckpt was made with --inner-set=support, this run has support+query: cannot resume" \
  $MT --algo=reptile --iterations=3 --resume --checkpoint=q.ckpt --inner-set=support+query init.mdl $T episodes.txt x.mdl
K="$MT --algo=fomaml --outer-optimizer=adam --iterations=3000"
$K init.mdl $T episodes.txt k_full.mdl 2>/dev/null
$K --checkpoint-every=1 --checkpoint=k.ckpt init.mdl $T episodes.txt k.mdl 2>/dev/null & pid=$!
for i in $(seq 100); do [ -e k.ckpt ] && break; sleep 0.02; done
sleep 0.2
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
check "kill -9 then --resume gives the uninterrupted model" bash -c \
  "[ ! -e k.mdl ] && $K --resume --checkpoint=k.ckpt init.mdl $T episodes.txt k.mdl 2> k.log &&
   grep -q 'Resuming from k.ckpt at iteration' k.log && cmp k_full.mdl k.mdl"

# fast-adapt options.
check "fast-adapt --steps=0 leaves the model unchanged" bash -c "fast-adapt --steps=0 init.mdl $T f0.mdl && cmp init.mdl f0.mdl"
check "fast-adapt lowers the loss" bash -c \
  "fast-adapt --steps=20 --lr=0.5 init.mdl $T f.mdl 2>&1 | awk '/Adapted/ { ok = (\$(NF-3) + 0 < \$(NF-5) + 0) } END { exit !ok }'"
for opt in --batch=5 --lr=0.1 --adapt-layers=last --heldout-fraction=0.25 --seed=3; do
  check "fast-adapt $opt has an effect" bash -c "fast-adapt --steps=5 --batch=3 $opt init.mdl $T g.mdl && fast-adapt --steps=5 --batch=3 init.mdl $T h.mdl && ! cmp -s h.mdl g.mdl"
done
check "fast-adapt --cache-frozen: frozen layers run once (and not with =false)" bash -c \
  "fast-adapt --steps=2 --adapt-layers=last init.mdl $T c1.mdl 2>&1 | grep -q 'Layers 0..1 are frozen' &&
   ! fast-adapt --steps=2 --adapt-layers=last --cache-frozen=false init.mdl $T c2.mdl 2>&1 | grep -q 'are frozen'"
# A subsampling layer among the frozen ones shortens the cached outputs: the loss must
# stay normalised by the network's input frames (a different scale is a different rate).
printf 'subsample factor=2\naffine dim=8\ntanh\naffine\nlog-softmax\n' > sub.conf
nnet-init --input-dim=4 --output-dim=4 --seed=1 sub.conf sub.mdl 2>/dev/null
check "fast-adapt --cache-frozen: same losses and model below a subsampling layer" bash -c \
  "fast-adapt --steps=3 --lr=0.5 --adapt-layers=last sub.mdl $T s1.mdl 2>&1 | grep Adapted | sed 's/.*)//' > s1.log &&
   fast-adapt --steps=3 --lr=0.5 --adapt-layers=last --cache-frozen=false sub.mdl $T s2.mdl 2>&1 | grep Adapted | sed 's/.*)//' > s2.log &&
   grep -q 'loss' s1.log && cmp s1.log s2.log && cmp s1.mdl s2.mdl"
check "fast-adapt early stopping with --patience" bash -c \
  "fast-adapt --steps=200 --lr=3 --heldout-fraction=0.3 --patience=2 init.mdl $T e.mdl 2>&1 | grep -q 'Early stop after step'"
check "fast-adapt --heldout-every=4: the held-out loss after steps 4, 8 and the last (10), the kept step one of them" bash -c \
  "fast-adapt --steps=10 --lr=0.5 --heldout-fraction=0.3 --heldout-every=4 --verbose=1 init.mdl $T he.mdl 2> he.log &&
   [ \"\$(grep -o 'step [0-9]*: adaptation loss' he.log | cut -d' ' -f2 | tr '\n' ' ')\" = '4: 8: 10: ' ] &&
   grep -Eq 'Keeping step (0|4|8|10):' he.log"
check "fast-adapt --heldout-every=1 is the default (the same model)" bash -c \
  "fast-adapt --steps=6 --heldout-fraction=0.3 --heldout-every=1 init.mdl $T h1.mdl &&
   fast-adapt --steps=6 --heldout-fraction=0.3 init.mdl $T h0.mdl && cmp h0.mdl h1.mdl"
check_fails "fast-adapt --heldout-every=0 is refused" "--heldout-every >= 1" \
  fast-adapt --steps=6 --heldout-fraction=0.3 --heldout-every=0 init.mdl $T hx.mdl
# --passes: a budget in passes over the utterances adapted on, capped by --steps.
check "fast-adapt --passes=2: ceil(2 x 24 / 5) = 10 steps" bash -c \
  "fast-adapt --passes=2 --batch=5 --steps=100 init.mdl $T p.mdl 2>&1 | grep -q 'Done: 24 utterances, 10 steps'"
check "fast-adapt --passes scales with the utterances (12 of them: 5 steps)" bash -c \
  "fast-adapt --passes=2 --batch=5 --steps=100 init.mdl ark:feats.txt 'ark:head -n 12 labels.txt |' p.mdl 2>&1 | grep -q 'Done: 12 utterances, 5 steps'"
check "fast-adapt --passes is capped by --steps" bash -c \
  "fast-adapt --passes=2 --batch=5 --steps=4 init.mdl $T p.mdl 2>&1 | grep -q 'Done: 24 utterances, 4 steps'"
# --utt2uniq: copies of one recording (here u01..u08 x 3 copies) are held out together.
awk '{ printf "%s r%d\n", $1, (NR - 1) % 8 }' labels.txt > utt2uniq
check "fast-adapt --utt2uniq holds out whole recordings" bash -c \
  "fast-adapt --steps=2 --heldout-fraction=0.2 --utt2uniq=ark:utt2uniq --verbose=0 init.mdl $T u.mdl 2>&1 |
     grep -q 'Keeping step .* (6 held-out utterances)'"
check_fails "fast-adapt --utt2uniq: an utterance without a recording" "no recording for utterance u24" \
  fast-adapt --steps=2 --heldout-fraction=0.2 "--utt2uniq=ark:head -n 23 utt2uniq |" init.mdl $T u.mdl
check "fast-adapt --utt2uniq without --heldout-fraction: no effect" bash -c \
  "fast-adapt --steps=2 --utt2uniq=ark:utt2uniq init.mdl $T u1.mdl && fast-adapt --steps=2 init.mdl $T u2.mdl && cmp u1.mdl u2.mdl"
check "fast-adapt uses the model's adapt-layers" bash -c \
  "$MT --adapt-layers=2 init.mdl $T episodes.txt al.mdl && fast-adapt --steps=2 al.mdl $T al2.mdl 2>&1 && nnet-copy --binary=false al.mdl al.txt && nnet-copy --binary=false al2.mdl al2.txt && [ \"\$(grep -m1 '<Params>' al.txt)\" = \"\$(grep -m1 '<Params>' al2.txt)\" ]"

# LHUC: --adapt-layers naming the lhuc layer (2) adapts only its scales.
printf 'affine dim=8\ntanh\nlhuc\naffine\nlog-softmax\n' > lhuc.conf
nnet-init --input-dim=4 --output-dim=4 --seed=1 lhuc.conf lhuc0.mdl 2>/dev/null
params_of() { nnet-copy --binary=false $1 - | awk '/<Layer>/ { l++ } /<Params>/ { p = 1 } p { print l, $0 } /\]/ { p = 0 }'; }
export -f params_of
check "meta-train --adapt-layers=2 (lhuc) then fast-adapt: only the LHUC scales change" bash -c \
  "$MT --adapt-layers=2 lhuc0.mdl $T episodes.txt lhuc1.mdl && ! cmp -s lhuc0.mdl lhuc1.mdl &&
   fast-adapt --steps=3 --lr=1 lhuc1.mdl $T lhuc2.mdl && params_of lhuc1.mdl > p1 && params_of lhuc2.mdl > p2 &&
   diff p1 p2 | grep '^[<>]' | cut -c3 | sort -u | tr -d '\n' | grep -qx 3"
check "fast-adapt --adapt-layers=2 on an LHUC model: only the scales change" bash -c \
  "fast-adapt --steps=3 --lr=1 --adapt-layers=2 lhuc0.mdl $T lhuc3.mdl && params_of lhuc0.mdl > q1 && params_of lhuc3.mdl > q2 &&
   diff q1 q2 | grep '^[<>]' | cut -c3 | sort -u | tr -d '\n' | grep -qx 3"
# The recipe's LHUC setup: conf/meta/maml-lhuc.conf on a conf/dnn_lhuc.conf model.
R=$TOPDIR/egs/multilang/s5/conf
check "recipe: maml-lhuc.conf meta-trains a dnn_lhuc.conf model for its LHUC layers 4, 7, 10" bash -c \
  "nnet-init --input-dim=4 --output-dim=4 $R/dnn_lhuc.conf dl.mdl &&
   meta-train --config=$R/meta/maml-lhuc.conf --iterations=2 --meta-batch=2 dl.mdl $T episodes.txt dl1.mdl &&
   nnet-info dl1.mdl | grep -qx 'extra meta-adapt-layers dim=13 \[ 0 0 0 0 1 0 0 1 0 0 1 0 0 \]' &&
   nnet-info dl1.mdl | grep -q 'extra meta-inner-lr dim=13 \[ 50 '"
check "recipe: maml-adapter.conf meta-trains a dnn_adapter.conf model for its adapters 4, 7, 10" bash -c \
  "nnet-init --input-dim=4 --output-dim=4 $R/dnn_adapter.conf da.mdl &&
   meta-train --config=$R/meta/maml-adapter.conf --iterations=2 --meta-batch=2 da.mdl $T episodes.txt da1.mdl &&
   nnet-info da1.mdl | grep -qx 'extra meta-adapt-layers dim=13 \[ 0 0 0 0 1 0 0 1 0 0 1 0 0 \]' &&
   fast-adapt --steps=2 da1.mdl $T da2.mdl && params_of da1.mdl > a1 && params_of da2.mdl > a2 &&
   diff a1 a2 | grep '^[<>]' | awk '{ print \$2 }' | sort -nu | tr '\n' ' ' | grep -qx '5 8 11 '"
check "recipe: maml-msl.conf runs" bash -c \
  "meta-train --config=$R/meta/maml-msl.conf --iterations=2 --meta-batch=2 init.mdl $T episodes.txt ms.mdl"
check "recipe: imaml.conf runs" bash -c \
  "meta-train --config=$R/meta/imaml.conf --iterations=2 --meta-batch=2 init.mdl $T episodes.txt ir.mdl"
check "recipe: step_cost.sh counts imaml's Hessian-vector products on the support set" bash -c \
  "cd $R/.. && [ \$(local/step_cost.sh conf/meta/imaml.conf) = 853 ] &&
   [ \$(local/step_cost.sh --support 20 conf/meta/imaml.conf --inner-batch=8 --imaml-cg-steps=2) = 693 ]"
check "recipe: multitask-rates.conf runs; step_cost.sh prices its query gradients" bash -c \
  "meta-train --config=$R/meta/multitask-rates.conf --iterations=2 --meta-batch=2 init.mdl $T episodes.txt mr.mdl &&
   cd $R/.. && [ \$(local/step_cost.sh conf/meta/multitask-rates.conf) = 120 ] &&
   [ \$(local/step_cost.sh --support 20 --query 5 conf/meta/multitask-rates.conf --inner-steps=2) = 200 ] &&
   [ \$(local/step_cost.sh conf/meta/multitask.conf) = 93 ]"

# Implicit MAML: the proximal lambda is stored in the model and fast-adapt adapts with it.
check "imaml: same seed, same model; with 2 task threads, the same model" bash -c \
  "$MT --algo=imaml init.mdl $T episodes.txt im1.mdl && cmp imaml.mdl im1.mdl &&
   $MT --algo=imaml --num-threads=2 init.mdl $T episodes.txt im2.mdl && cmp imaml.mdl im2.mdl"
for opt in --imaml-lambda=5 --imaml-cg-steps=1 --inner-batch=1 --adapt-layers=last; do
  check "meta-train --algo=imaml $opt has an effect" \
    bash -c "$MT --algo=imaml $opt init.mdl $T episodes.txt io.mdl && ! cmp -s imaml.mdl io.mdl"
done
check "imaml stores its lambda (nnet-info shows it) and fast-adapt adapts with it" bash -c \
  "nnet-info imaml.mdl | grep -qx 'extra meta-inner-prox dim=1 \[ 2 \]' &&
   fast-adapt imaml.mdl $T ia.mdl 2>&1 | grep -q 'rate 0.1 (meta-train), proximal term lambda=2 (meta-train)' &&
   fast-adapt --prox-lambda=2 imaml.mdl $T ib.mdl && cmp ia.mdl ib.mdl &&
   fast-adapt --prox-lambda=0 imaml.mdl $T ic.mdl && ! cmp -s ia.mdl ic.mdl"
check "meta-train with another algorithm removes a stored lambda" bash -c \
  "$MT --algo=fomaml imaml.mdl $T episodes.txt if.mdl && ! nnet-info if.mdl | grep -q meta-inner-prox"
check "fast-adapt --prox-lambda has an effect on a model without a lambda" bash -c \
  "fast-adapt --steps=3 --lr=0.5 init.mdl $T pa.mdl && fast-adapt --steps=3 --lr=0.5 --prox-lambda=1 init.mdl $T pb.mdl 2> pb.log &&
   grep -q 'proximal term lambda=1 (--prox-lambda)' pb.log && ! cmp -s pa.mdl pb.mdl"
check "imaml warns when the inner loop stops far from the minimum of its proximal problem" bash -c \
  "$MT --algo=imaml --inner-steps=1 --iterations=1 init.mdl $T episodes.txt iw.mdl 2>&1 |
     grep -q 'WARNING.*far from the minimum .* = 0.80'"
check_fails "--imaml-lambda must be positive" "ERROR.*--imaml-lambda must be > 0 (got 0)" \
  $MT --algo=imaml --imaml-lambda=0 init.mdl $T episodes.txt x.mdl
check_fails "--imaml-cg-steps must be at least 1" "ERROR.*--imaml-cg-steps must be >= 1 (got 0)" \
  $MT --algo=imaml --imaml-cg-steps=0 init.mdl $T episodes.txt x.mdl
check_fails "imaml has no meta-gradient for learned rates" \
  "ERROR.*--learn-inner-lr=per-layer needs --algo=maml, fomaml, multitask or reptile (imaml's implicit" \
  $MT --algo=imaml --learn-inner-lr=per-layer init.mdl $T episodes.txt x.mdl
check_fails "fast-adapt --prox-lambda must not be negative" "ERROR.*--prox-lambda must be >= 0" \
  fast-adapt --prox-lambda=-2 init.mdl $T x.mdl
check "meta-train --help lists imaml and its options" bash -c \
  "meta-train --help > h.txt 2>&1; grep -q 'maml|fomaml|reptile|multitask|imaml' h.txt &&
   grep -q -- '--imaml-lambda' h.txt && grep -q -- '--imaml-cg-steps' h.txt"

# Bad input.
echo "ep9 task0 support u01,nosuch query u03" > bad-ep.txt
check_fails "missing utterance: error naming it" "nosuch" $MT init.mdl $T bad-ep.txt x.mdl
check "--skip-missing skips and counts it" bash -c \
  "$MT --skip-missing init.mdl $T bad-ep.txt x.mdl 2>&1 | grep -q 'skipped 1 missing utterances'"
# Why an utterance an episode names cannot be used: which table it is missing from.
grep -v '^u02 ' labels.txt > labels-no-u02.txt
echo "ep9 task0 support u01,u02 query u03" > ep-u02.txt
check_fails "an utterance without labels: the error says so" \
  "utterance u02 of episode ep9 (ep-u02.txt) cannot be used: it has no labels in ark:labels-no-u02.txt" \
  $MT init.mdl ark:feats.txt ark:labels-no-u02.txt ep-u02.txt x.mdl
check_fails "an utterance without features: the error says so" \
  "utterance nosuch of episode ep9 (bad-ep.txt) cannot be used: it is not in the features ark:feats.txt" \
  $MT init.mdl $T bad-ep.txt x.mdl
cat feats.txt feats.txt > feats2.txt
check_fails "a key twice in the features" "feats2.txt: duplicate key u01" \
  $MT init.mdl ark:feats2.txt ark:labels.txt ep-u02.txt x.mdl
check_fails "fast-adapt: a key twice in the features" "feats2.txt: duplicate key u01" \
  fast-adapt init.mdl ark:feats2.txt ark:labels.txt x.mdl
check "--help names only options that exist (--outer-lr-decay-steps)" bash -c \
  "meta-train --help 2>&1 | grep -q 'per --outer-lr-decay-steps steps' && ! meta-train --help 2>&1 | grep -q ' --lr-decay'"

# The same fault, the same answer in nnet-train, fast-adapt, meta-train and decode (Kaldi's
# rule): a label outside the model's units or features of another dimension than its input
# stop the run at once with an ERROR naming the key, and nothing is written; --skip-bad
# (one option, the same help in the four) skips the utterance with a WARNING instead.
echo "ep9 task0 support u01,u02 query u03,u04" > ep1.txt
awk '$1 == "u02" { $2 = 7 } 1' labels.txt > labels-bad.txt
nnet-init --input-dim=5 --output-dim=4 dnn.conf dim5.mdl 2>/dev/null
printf '<blk> 0\na 1\nb 2\nc 3\n' > units.txt
run_prog() { # program model labels out [options]: the program on feats.txt
  local p=$1 m=$2 l=$3 o=$4; shift 4
  case $p in
    nnet-train) nnet-train --num-epochs=1 "$@" $m ark:feats.txt ark:$l $o ;;
    fast-adapt) fast-adapt --steps=1 "$@" $m ark:feats.txt ark:$l $o ;;
    meta-train) $MT --skip-missing "$@" $m ark:feats.txt ark:$l ep1.txt $o ;;
    decode) decode --units=units.txt "$@" $m ark:feats.txt ark,t:$o ;;
  esac
}
export -f run_prog; export MT
for p in nnet-train fast-adapt meta-train decode; do
  if [ $p != decode ]; then
    check_fails "$p: a label outside the model's units is an error naming the key" \
      "ERROR.*utterance u02: label 7 in ark:labels-bad.txt is outside the model's output units 1..3 (0 is the blank); use --skip-bad" \
      run_prog $p init.mdl labels-bad.txt bad-$p.out
    check "$p --skip-bad: skipped with a warning naming it" bash -c \
      "run_prog $p init.mdl labels-bad.txt skip-$p.out --skip-bad 2> skip.log &&
       grep -q 'WARNING.*utterance u02: label 7 .*; skipped (--skip-bad)' skip.log"
  fi
  check_fails "$p: features of another dimension are an error naming the key" \
    "ERROR.*utterance u01: features in ark:feats.txt have dimension 4, the model's input dimension is 5; use --skip-bad" \
    run_prog $p dim5.mdl labels.txt dim-$p.out
  check "$p: --skip-bad has the shared help text" bash -c \
    "$p --help 2>&1 | grep -q -- '--skip-bad .*: Skip with a warning an utterance that does not fit the model (features of another dimension than its input, a label outside its output units); default: stop with an error'"
done
check "nothing was written by the runs that stopped" bash -c '! ls bad-*.out dim-*.out 2>/dev/null | grep -q .'
check "decode --skip-bad, every utterance of the wrong dimension: an error, no output" bash -c \
  "! run_prog decode dim5.mdl labels.txt all-bad.txt --skip-bad 2> d.log &&
   grep -q 'ERROR.*no utterance decoded (0 out of 24 in ark:feats.txt)' d.log && [ ! -e all-bad.txt ]"
check_fails "malformed episodes file" "bad-format.txt line 1" bash -c \
  "echo 'ep1 t supp a' > bad-format.txt && $MT init.mdl $T bad-format.txt x.mdl"
check_fails "divergence stops the run naming the iteration" "diverged.*at iteration" \
  $MT --outer-optimizer=sgd --outer-lr=1e37 --iterations=50 --checkpoint-every=1 --checkpoint=d.ckpt \
  init.mdl $T episodes.txt div.mdl
check_fails "--max-bad-steps=1 stops at the first skipped step" "diverged: 1 consecutive" \
  $MT --outer-optimizer=sgd --outer-lr=1e37 --iterations=50 --max-bad-steps=1 init.mdl $T episodes.txt div1.mdl
check "divergence leaves no model and keeps a checkpoint" bash -c "[ ! -e div.mdl ] && [ -s d.ckpt ]"
check_fails "fast-adapt: no utterances" "no usable utterances" bash -c \
  "fast-adapt init.mdl 'ark:echo -n |' ark:labels.txt x.mdl"
