# utils/slurm.pl against a real one-node Slurm cluster brought up here (slurm-cluster.sh):
# job arrays, logs as run.pl writes them, failures, cancelled and killed jobs, timeouts and
# the options passed to sbatch. Fails (does not skip) when the cluster cannot start.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$TOPDIR/tests/shell/slurm-cluster.sh"
trap 'slurm_cluster_stop; rm -rf "$TESTDIR"' EXIT
if slurm_cluster_start "$TESTDIR/cluster"; then echo "PASS: one-node Slurm cluster starts"
else echo "FAIL: one-node Slurm cluster starts (daemon logs above)"; exit 1; fi

# Logs as run.pl writes them: command, start, output, accounting, exit code.
log_is() { # log expected-command expected-output code
  sed -n 1p "$1" | grep -qxF "# $2" && sed -n 2p "$1" | grep -q '^# Started at ' &&
    sed -n 3p "$1" | grep -qxF "$3" && grep -q "^# Accounting: time=[0-9]* threads=1$" "$1" &&
    tail -n 1 "$1" | grep -q "^# Ended (code $4) at "
}
export -f log_is
array_ok() {
  slurm.pl JOB=1:3 log/echo.JOB.log echo hello JOB || return 1
  for j in 1 2 3; do log_is log/echo.$j.log "echo hello $j" "hello $j" 0 || return 1; done
  grep -q -- '--array=1-3' log/q/echo.log
}
check "JOB=1:3 runs a 3-task array, logs like run.pl" array_ok
check "a single job without a range" bash -c 'slurm.pl log/one.log "echo a | tr a b" && log_is log/one.log "echo a | tr a b" b 0' 
check "JOB=2 runs task 2 only" bash -c 'slurm.pl JOB=2 log/two.JOB.log echo JOB && log_is log/two.2.log "echo 2" 2 0 && [ ! -e log/two.1.log ]'
check_fails "a failing job fails the array naming its log" "slurm.pl: 1 / 3 failed, log is in log/fail.2.log" \
  slurm.pl JOB=1:3 log/fail.JOB.log '[ JOB != 2 ]'
check "the failed job's log has its exit code" grep -q '^# Ended (code 1)' log/fail.2.log
check_fails "a single failing job" "slurm.pl: job failed, log is in log/f1.log" slurm.pl log/f1.log false

opts_ok() {
  slurm.pl --mem 100M --num-threads 2 --time 5 JOB=1:1 log/opt.JOB.log \
    'echo cpus=$SLURM_CPUS_PER_TASK mem=$SLURM_MEM_PER_NODE limit=$(squeue -h -j $SLURM_JOB_ID -o %l)' || return 1
  grep -q 'cpus=2 mem=100 limit=5:00' log/opt.1.log && grep -q 'threads=2$' log/opt.1.log
}
check "--mem, --num-threads and --time reach sbatch" opts_ok
check_fails "--gpu 1 asks sbatch for a GPU (none here)" "gres" slurm.pl --gpu 1 log/gpu.log true
conf_ok() {
  printf '%s\n' 'command sbatch --export=ALL --comment=fromconf' 'option queue=* --partition=$0' >my.conf
  slurm.pl --config my.conf --queue debug log/conf.log 'scontrol show job $SLURM_JOB_ID' &&
    grep -q 'Comment=fromconf' log/conf.log && grep -q 'Partition=debug' log/conf.log
}
check "--config maps options to sbatch flags" conf_ok
check_fails "an option the config lacks" "unknown option --queue" slurm.pl --queue debug log/x.log true
check_fails "--config rejects a bad line" "my.conf line 3" bash -c 'echo "bogus line" >>my.conf; slurm.pl --config my.conf log/x.log true'
check_fails "a bad range" "bad job range" slurm.pl JOB=3:1 log/x.JOB.log true
check_fails "an array needs JOB in the log name" "must contain JOB" slurm.pl JOB=1:2 log/x.log true

serial_ok() {  # with --max-jobs-run 1, task 2 starts after task 1 ended
  slurm.pl --max-jobs-run 1 JOB=1:2 log/ser.JOB.log 'date +%s.%N; sleep 0.5; date +%s.%N' || return 1
  grep -q -- '--array=1-2%1' log/q/ser.log &&
    awk 'FNR==3{s[++n]=$1} FNR==4{e[n]=$1} END{exit !(s[2] >= e[1] || s[1] >= e[2])}' log/ser.1.log log/ser.2.log
}
check "--max-jobs-run 1 runs the tasks one at a time" serial_ok
check_fails "a job cancelled by scancel fails the array naming its log" "1 / 2 failed, log is in log/can.2.log" \
  slurm.pl JOB=1:2 log/can.JOB.log 'if [ JOB = 2 ]; then scancel ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}; sleep 20; fi'
check_fails "a job killed without a trace is found through squeue" "1 / 2 failed, log is in log/kill.2.log" \
  slurm.pl --lost-job-wait 1 JOB=1:2 log/kill.JOB.log 'if [ JOB = 2 ]; then kill -9 $PPID; sleep 3; fi'
check "the killed job's log says it left the queue" grep -q 'left the queue without finishing' log/kill.2.log
check_fails "--timeout cancels the array and fails" "2 / 2 failed, log is in log/slow.1.log" \
  slurm.pl --timeout 2 JOB=1:2 log/slow.JOB.log sleep 30
check "the timed-out jobs are cancelled" bash -c 'grep -q "after --timeout 2 s" log/slow.2.log && sleep 1 && [ -z "$(squeue -h)" ]'
