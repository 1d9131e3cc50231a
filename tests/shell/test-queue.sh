# utils/queue.pl (GridEngine) against a fake qsub/qstat/qdel (tests/shell/fake-sge) that runs
# the array on this machine, since GridEngine cannot be brought up headless here: the job
# script, logs, exit codes, lost and timed-out tasks, and the flags given to qsub.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export PATH="$TOPDIR/tests/shell/fake-sge:$PATH" FAKE_SGE_DIR="$TESTDIR/sge"
mkdir -p "$FAKE_SGE_DIR"
last_qsub() { tail -n 1 "$FAKE_SGE_DIR/qsub.args"; }

array_ok() {
  queue.pl JOB=1:3 log/echo.JOB.log echo hello JOB || return 1
  for j in 1 2 3; do
    sed -n 1p log/echo.$j.log | grep -qx "# echo hello $j" && sed -n 3p log/echo.$j.log | grep -qx "hello $j" &&
      tail -n 1 log/echo.$j.log | grep -q '^# Ended (code 0) at ' || return 1
  done
  last_qsub | grep -q -- '-t 1:3 ' && grep -q 'SGE_TASK_ID' log/q/echo.sh
}
check "JOB=1:3 submits qsub -t 1:3, logs like run.pl" array_ok
check_fails "a failing job fails the array naming its log" "queue.pl: 1 / 3 failed, log is in log/fail.2.log" \
  queue.pl JOB=1:3 log/fail.JOB.log '[ JOB != 2 ]'
opts_ok() {
  queue.pl --mem 2G --num-threads 2 --time 1:00:00 --max-jobs-run 1 JOB=1:2 log/opt.JOB.log true || return 1
  last_qsub | grep -q -- '-V -cwd -S /bin/bash -j y ' && last_qsub | grep -q -- '-l h_rt=1:00:00' &&
    last_qsub | grep -q -- '-l mem_free=2G,ram_free=2G' && last_qsub | grep -q -- '-pe smp 2' &&
    last_qsub | grep -q -- '-tc 1' && grep -q 'threads=2$' log/opt.1.log
}
check "--mem, --num-threads, --time, --max-jobs-run become qsub flags" opts_ok
check "--gpu 1 asks for a GPU queue" bash -c 'queue.pl --gpu 1 log/gpu.log true && tail -n 1 "$FAKE_SGE_DIR/qsub.args" | grep -q -- "-l gpu=1 -q g.q"'
conf_ok() {
  mkdir -p conf && printf '%s\n' 'command qsub -V -cwd -q fromconf.q' 'option mem=* -l h_vmem=$0' >conf/queue.conf
  queue.pl --mem 1G log/conf.log true && last_qsub | grep -q -- '-q fromconf.q -l h_vmem=1G'
}
check "conf/queue.conf is read by default" conf_ok
check_fails "an option the config lacks" "unknown option --num-threads" queue.pl --num-threads 2 log/x.log true
check "--config names another config" bash -c 'rm conf/queue.conf; echo "command qsub -V -q other.q" >o.conf; queue.pl --config o.conf log/c2.log true && tail -n 1 "$FAKE_SGE_DIR/qsub.args" | grep -q -- "-q other.q"'
check_fails "a task killed without a trace fails the array" "1 / 2 failed, log is in log/kill.2.log" \
  queue.pl --lost-job-wait 0.5 JOB=1:2 log/kill.JOB.log 'if [ JOB = 2 ]; then kill -9 $PPID; fi'
check "its log says it left the queue" grep -q 'left the queue without finishing' log/kill.2.log
check_fails "--timeout deletes the array (qdel) and fails" "2 / 2 failed, log is in log/slow.1.log" \
  queue.pl --timeout 1 JOB=1:2 log/slow.JOB.log sleep 30
check "the deleted tasks were stopped" bash -c 'sleep 0.5; grep -q "after --timeout 1 s" log/slow.2.log && grep -q "Killed by a signal" log/slow.2.log'
check_fails "qsub failing is an error" "qsub failed" bash -c 'echo "command qsub -bogus" >bad.conf; queue.pl --config bad.conf log/x.log true'

# The parallel meta-training driver through queue.pl gives one process's model.
. "$TOPDIR/tests/shell/scale-data.sh"
. "$TOPDIR/tests/shell/scale-compare.sh"
make_scale_data data
M=$TOPDIR/tests/reference/nnet-dnn.mdl
D="ark:data/feats.ark ark,t:data/labels.txt data/episodes.txt"
o="--algo=fomaml --inner-steps=2 --meta-batch=4 --outer-lr=0.02"
drive_queue() {
  "$TOPDIR/steps/meta_train.sh" --nj 2 --iterations 2 --cmd "queue.pl --mem 1G" --train-opts "$o" $M $D exp &&
    meta-train $o --iterations=2 $M $D one.mdl && same_model one.mdl exp/final.mdl &&
    grep -q -- '-l mem_free=1G,ram_free=1G -t 1:2 ' exp/log/q/train.1.log
}
check "meta_train.sh --nj 2 --cmd queue.pl gives one process's model" drive_queue
