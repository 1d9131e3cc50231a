# utils/slurm.pl against a real one-node Slurm cluster brought up here (slurm-cluster.sh):
# job arrays, logs as run.pl writes them, failures, cancelled and killed jobs, timeouts,
# the options passed to sbatch, and the parallel meta-training driver on the cluster.
# Fails (does not skip) when the cluster cannot start. Independent runs go to the cluster
# at the same time (as in real use), then each result is checked.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$TOPDIR/tests/shell/slurm-cluster.sh"
. "$TOPDIR/tests/shell/scale-data.sh"
. "$TOPDIR/tests/shell/scale-compare.sh"
trap 'slurm_cluster_stop; rm -rf "$TESTDIR"' EXIT
if slurm_cluster_start "$TESTDIR/cluster"; then echo "PASS: one-node Slurm cluster starts"
else echo "FAIL: one-node Slurm cluster starts (daemon logs above)"; exit 1; fi

# run NAME CMD...: runs CMD in the background, its output in out/NAME, status in out/NAME.rc.
mkdir -p out exp
# wait_runs waits for those (a plain `wait` would wait for the cluster's daemons too).
runs=()
run() { local n=$1; shift; ( "$@" >out/$n 2>&1; echo $? >out/$n.rc ) & runs+=($!); }
wait_runs() { wait "${runs[@]}"; runs=(); }
ok() { [ "$(cat out/$1.rc)" = 0 ] || { cat out/$1; return 1; }; }
failed() { [ "$(cat out/$1.rc)" != 0 ] && grep -q -- "$2" out/$1 || { cat out/$1; return 1; }; }
# log_is LOG COMMAND OUTPUT CODE: the log is as run.pl writes it.
log_is() {
  sed -n 1p "$1" | grep -qxF "# $2" && sed -n 2p "$1" | grep -q '^# Started at ' &&
    sed -n 3p "$1" | grep -qxF "$3" && grep -q "^# Accounting: time=[0-9]* threads=1$" "$1" &&
    tail -n 1 "$1" | grep -q "^# Ended (code $4) at "
}

# The parallel meta-training problem; the run.pl reference runs meanwhile.
make_scale_data data
ln -s "$TOPDIR/steps" steps
M=$TOPDIR/tests/reference/nnet-dnn.mdl
D="ark:data/feats.ark ark,t:data/labels.txt data/episodes.txt"
o="--algo=maml --inner-steps=2 --inner-lr=0.1 --meta-batch=4 --outer-lr=0.02 --progress-every=0"
drive() { # NAME CMD: 3 iterations, 2 jobs each
  steps/meta_train.sh --nj 2 --iterations 3 --cmd "$2" --train-opts "$o" $M $D exp/$1
}
run local drive local run.pl

run echo slurm.pl JOB=1:3 log/echo.JOB.log echo hello JOB
run one slurm.pl log/one.log "echo a | tr a b"
run two slurm.pl JOB=2 log/two.JOB.log echo JOB
run fail slurm.pl JOB=1:3 log/fail.JOB.log '[ JOB != 2 ]'
run fail1 slurm.pl log/f1.log false
run opts slurm.pl --mem 100M --num-threads 2 --time 5 JOB=1:1 log/opt.JOB.log \
  'echo cpus=$SLURM_CPUS_PER_TASK mem=$SLURM_MEM_PER_NODE limit=$(squeue -h -j $SLURM_JOB_ID -o %l)'
run gpu slurm.pl --gpu 1 log/gpu.log true
printf '%s\n' 'command sbatch --export=ALL --comment=fromconf' 'option queue=* --partition=$0' >my.conf
run conf slurm.pl --config my.conf --queue debug log/conf.log 'scontrol show job $SLURM_JOB_ID'
run noopt slurm.pl --queue debug log/x.log true
printf '%s\n' 'command sbatch' 'option queue=* --partition=$0' 'bogus line' >bad.conf
run badconf slurm.pl --config bad.conf log/x.log true
run range slurm.pl JOB=3:1 log/x.JOB.log true
run nojob slurm.pl JOB=1:2 log/x.log true
run serial slurm.pl --max-jobs-run 1 JOB=1:2 log/ser.JOB.log 'date +%s.%N; sleep 0.5; date +%s.%N'
run cancel slurm.pl JOB=1:2 log/can.JOB.log \
  'if [ JOB = 2 ]; then scancel ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}; sleep 20; fi'
run kill slurm.pl --lost-job-wait 1 JOB=1:2 log/kill.JOB.log 'if [ JOB = 2 ]; then kill -9 $PPID; sleep 3; fi'
run slow slurm.pl --timeout 3 JOB=1:2 log/slow.JOB.log sleep 30
wait_runs

array_ok() {
  ok echo && for j in 1 2 3; do log_is log/echo.$j.log "echo hello $j" "hello $j" 0 || return 1; done &&
    grep -q -- '--array=1-3' log/q/echo.log
}
check "JOB=1:3 runs a 3-task array, logs like run.pl" array_ok
check "a single job without a range" eval 'ok one && log_is log/one.log "echo a | tr a b" b 0'
check "JOB=2 runs task 2 only" eval 'ok two && log_is log/two.2.log "echo 2" 2 0 && [ ! -e log/two.1.log ]'
check "a failing job fails the array naming its log" failed fail "slurm.pl: 1 / 3 failed, log is in log/fail.2.log"
check "the failed job's log has its exit code" grep -q '^# Ended (code 1)' log/fail.2.log
check "a single failing job" failed fail1 "slurm.pl: job failed, log is in log/f1.log"
check "--mem, --num-threads and --time reach sbatch" eval \
  'ok opts && grep -q "cpus=2 mem=100 limit=5:00" log/opt.1.log && grep -q "threads=2$" log/opt.1.log'
check "--gpu 1 asks sbatch for a GPU (none here)" failed gpu "gres"
check "--config maps options to sbatch flags" eval \
  'ok conf && grep -q "Comment=fromconf" log/conf.log && grep -q "Partition=debug" log/conf.log'
check "an option the config lacks" failed noopt "unknown option --queue"
check "a bad config line" failed badconf "bad.conf line 3: cannot parse 'bogus line'"
check "a bad range" failed range "bad job range"
check "an array needs JOB in the log name" failed nojob "must contain JOB"
serial_ok() {  # with --max-jobs-run 1, task 2 starts after task 1 ended (or the reverse)
  ok serial && grep -q -- '--array=1-2%1' log/q/ser.log &&
    awk 'FNR==3{s[++n]=$1} FNR==4{e[n]=$1} END{exit !(s[2] >= e[1] || s[1] >= e[2])}' log/ser.1.log log/ser.2.log
}
check "--max-jobs-run 1 runs the tasks one at a time" serial_ok
check "a job cancelled by scancel fails the array naming its log" \
  failed cancel "1 / 2 failed, log is in log/can.2.log"
check "a job killed without a trace is found through squeue" failed kill "1 / 2 failed, log is in log/kill.2.log"
check "the killed job's log says it left the queue" grep -q 'left the queue without finishing' log/kill.2.log
check "--timeout cancels the array and fails" failed slow "2 / 2 failed, log is in log/slow.1.log"
check "the timed-out jobs are cancelled" eval \
  'grep -q "after --timeout 3 s" log/slow.2.log && sleep 1 && [ -z "$(squeue -h -n slow)" ]'

# The driver on the cluster, and a run where a job is cancelled in iteration 2 (the rerun
# resumes): both give run.pl's model.
cat >cancel.sh <<'CANCEL'
#!/usr/bin/env bash
# slurm.pl, except that job 2 of iteration 1 is cancelled (scancel) the first time.
if [[ "$*" == *train.1.JOB.log* ]] && [ ! -e cancel.done ]; then
  touch cancel.done
  exec slurm.pl "$1" "$2" 'if [ JOB = 2 ]; then scancel ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}; sleep 20; fi'
fi
exec slurm.pl "$@"
CANCEL
chmod +x cancel.sh
run slurm drive slurm "slurm.pl --mem 200M"
run cancel1 drive cancel ./cancel.sh
wait_runs
run cancel2 drive cancel ./cancel.sh
wait_runs
check "meta_train.sh --nj 2 with run.pl" ok local
check "meta_train.sh --nj 2 with slurm.pl (3 iterations)" ok slurm
check "the jobs ran on Slurm" grep -q -- '--array=1-2' exp/slurm/log/q/train.1.log
check "slurm.pl's model equals run.pl's" same_model exp/local/final.mdl exp/slurm/final.mdl
check "... and one process's" eval "meta-train $o --iterations=3 $M $D one.mdl 2>/dev/null && same_model one.mdl exp/slurm/final.mdl"
check "a cancelled job stops the driver, naming its log" \
  failed cancel1 "1 / 2 failed, log is in exp/cancel/log/train.1.2.log"
check "the rerun resumes at iteration 1 and gives run.pl's model" eval \
  "ok cancel2 && grep -q 'resuming at iteration 1 of 3' out/cancel2 && same_model exp/local/final.mdl exp/cancel/final.mdl"
