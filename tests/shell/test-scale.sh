# Parallel meta-training (steps/meta_train.sh, meta-train --job/--num-jobs/--write-meta-grad,
# meta-combine): N jobs give one process's model for every algorithm; model averaging;
# resume after a failed job; the combiner's checks on its inputs.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$TOPDIR/tests/shell/scale-data.sh"
. "$TOPDIR/tests/shell/scale-compare.sh"
make_scale_data data
M=$TOPDIR/tests/reference/nnet-dnn.mdl
D="ark:data/feats.ark ark,t:data/labels.txt data/episodes.txt"
base="--meta-batch=4 --outer-lr=0.02 --progress-every=0"
mkdir -p exp ref c
ln -s "$TOPDIR/steps" steps

# one NAME OPTS: one meta-train process, 2 iterations (the second uses the first's
# optimiser state), into ref/NAME.mdl
one() { meta-train $2 --iterations=2 $M $D ref/$1.mdl 2>ref/$1.log; }
# par NAME NJ OPTS [driver options]: the parallel driver (run.pl) into exp/NAME
par() {
  local name=$1 nj=$2 opts=$3; shift 3
  steps/meta_train.sh --nj $nj --iterations 2 --train-opts "$opts" "$@" $M $D "exp/$name" >"exp/$name.out" 2>&1
}
# equal NAME NJ OPTS [driver options]: one process and the driver give the same model
equal() { one $1 "$3" && par "$@" && same_model ref/$1.mdl exp/$1/final.mdl; }

for algo in maml fomaml reptile multitask imaml; do
  check "$algo: 2 jobs give one process's model" equal $algo 2 "--algo=$algo --inner-steps=2 --inner-lr=0.1 $base"
done
check "maml, multi-step loss annealed over 3 iterations: 2 jobs give one process's model" \
  equal msl 2 "--algo=maml --inner-steps=2 --inner-lr=0.1 --multi-step-loss --msl-anneal-iters=3 $base"
check "maml, learned rates, sgd: 3 uneven jobs (1+1+2 tasks) give one process's model" \
  equal lslr 3 "--algo=maml --learn-inner-lr=per-layer --outer-optimizer=sgd $base" --cleanup false
check "--cleanup false keeps the meta-gradient files and checkpoints" \
  ls exp/lslr/grad.0.1 exp/lslr/grad.0.3 exp/lslr/grad.1.2 exp/lslr/ckpt.1 exp/lslr/ckpt.2
changed() { ! cmp -s $M ref/maml.mdl && ! same_model $M exp/maml/final.mdl; }
check "the models changed (the comparison is not vacuous)" changed
check "the driver keeps a checkpoint and the per-iteration models" bash -c \
  'ls exp/maml/1.mdl exp/maml/2.mdl exp/maml/ckpt.2 && ! ls exp/maml/grad.* exp/maml/ckpt.1 2>/dev/null'

# Model averaging: with one job and plain SGD it is one process; with 2 jobs it averages.
check "averaging, 1 job, sgd: one process's model" equal avg1 1 "--algo=fomaml --outer-optimizer=sgd $base" --average-every 3
avg2() { # (in a directory with a space in its name)
  par "avg 2" 2 "--algo=fomaml $base" --average-every 1 &&
    grep -q -- "--job=2 --num-jobs=2" "exp/avg 2/log/train.1.2.log" &&
    grep -q 'Averaged 2 models (iterations 2 to 2)' "exp/avg 2/log/combine.1.log" &&
    ! same_model "exp/avg 2/1.mdl" "exp/avg 2/2.mdl"
}
check "averaging, 2 jobs: averages the jobs' models after every iteration" avg2

# A job failing at iteration 2: the driver stops naming its log; a rerun resumes there.
cat >flaky.sh <<'FLAKY'
#!/usr/bin/env bash
# run.pl, except that job 2 of iteration 1 fails the first time.
if [[ "$*" == *train.1.JOB.log* ]] && [ ! -e flaky.done ]; then
  touch flaky.done; exec run.pl "$1" "$2" 'if [ JOB = 2 ]; then echo injected failure; exit 3; fi'
fi
exec run.pl "$@"
FLAKY
chmod +x flaky.sh
o="--algo=maml --inner-steps=2 --inner-lr=0.1 $base"
flaky() { par flaky 2 "$o" --cmd ./flaky.sh; local rc=$?; cat exp/flaky.out; return $rc; }
check_fails "a failed job stops the iteration, naming its log" \
  "1 / 2 failed, log is in exp/flaky/log/train.1.2.log" flaky
check "the failed job's log has its exit code" grep -q 'Ended (code 3)' exp/flaky/log/train.1.2.log
check "nothing past the completed iteration was written" \
  bash -c '[ -f exp/flaky/ckpt.1 ] && [ ! -e exp/flaky/ckpt.2 ] && [ ! -e exp/flaky/final.mdl ]'
resumed() { flaky && grep -q 'resuming at iteration 1 of 2' exp/flaky.out && same_model ref/maml.mdl exp/flaky/final.mdl; }
check "a rerun resumes at iteration 1 and gives one process's model" resumed

# meta-combine refuses incomplete, partial or mismatched inputs.
part() { # JOB [meta-train options]: job JOB of 2's part of iteration 1 into c/g.JOB
  meta-train $base --algo=fomaml ${2:-} --iterations=2 --resume --checkpoint=c/ckpt.0 --job=$1 \
    --num-jobs=2 --write-meta-grad=c/g.$1 $M $D /dev/null 2>/dev/null
}
mc() { meta-combine $base --algo=fomaml --iterations=2 $M c/ckpt.0 c/ckpt.1 c/1.mdl "$@"; }
part 1 && part 2
check "meta-combine takes two complete parts" bash -c "$(declare -f mc); M=$M base='$base'; mc c/g.1 c/g.2 && rm c/ckpt.1"
check_fails "a missing part" "job 1 of 2, but 1 meta-gradient files were given" mc c/g.1
check_fails "a part given twice" "job 2 given twice" mc c/g.2 c/g.2
check_fails "a truncated part" "c/g.t: truncated" bash -c "head -c 900 c/g.2 >c/g.t; $(declare -f mc); M=$M base='$base'; mc c/g.1 c/g.t"
other_size() { part 2 --learn-inner-lr=per-layer && mv c/g.2 c/g.r && part 2 && mc c/g.1 c/g.r; }
check_fails "a part of another model size" "c/g.r has 415 values, the model has 403 meta-parameters" other_size
other_iter() { mc c/g.1 c/g.2 && mv c/ckpt.1 c/ckpt.0 && mc c/g.1 c/g.2; }
check_fails "a part of another iteration" "c/g.1 is for iteration 1, the checkpoint is at iteration 2" other_iter
check_fails "not a meta-gradient file" "is not a meta-gradient file" mc data/labels.txt c/g.2
check_fails "--job outside 1..--num-jobs" "need 1 <= job <= num-jobs" \
  meta-train $base --job=3 --num-jobs=2 --write-meta-grad=x $M $D /dev/null
check_fails "more jobs than tasks: the jobs fail" "5 / 5 failed, log is in exp/nj5/log/train.0.1.log" \
  steps/meta_train.sh --nj 5 --iterations 1 --train-opts "$base" $M $D exp/nj5
check "... saying why in their logs" grep -q 'is more than --meta-batch=4' exp/nj5/log/train.0.1.log
check_fails "the driver's bad --nj" "--nj must be a positive integer" steps/meta_train.sh --nj 0 $M $D exp/x
