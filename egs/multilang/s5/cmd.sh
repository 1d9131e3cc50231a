# Where the recipe's jobs run. run.sh calls "$cmd [--num-threads N] JOB=1:N log cmd..." and
# "$train_cmd" for the (longer, multi-threaded) training jobs.
#   run.pl    this machine (the default)
#   slurm.pl  a Slurm cluster (sbatch; site flags: copy the toolkit's conf/slurm.conf to conf/)
#   queue.pl  a GridEngine cluster (qsub; site flags: copy the toolkit's conf/queue.conf to conf/)
# Choose with the environment variable CLUSTER=local|slurm|sge, or edit this file.
case "${CLUSTER:-local}" in
  local) export cmd="run.pl"
         export train_cmd="run.pl" ;;
  slurm) export cmd="slurm.pl --mem 2G --time 1:00:00"
         export train_cmd="slurm.pl --mem 4G --time 4:00:00" ;;
  sge)   export cmd="queue.pl --mem 2G"
         export train_cmd="queue.pl --mem 4G" ;;
  *) echo "cmd.sh: ERROR: unknown CLUSTER='$CLUSTER' (local, slurm or sge)" >&2
     return 1 2>/dev/null || exit 1 ;;
esac
cmd_runner=${cmd%% *}
[ -x utils/$cmd_runner ] || command -v $cmd_runner >/dev/null 2>&1 ||
  { echo "cmd.sh: ERROR: CLUSTER=${CLUSTER:-local} needs utils/$cmd_runner, which this tree lacks" >&2
    return 1 2>/dev/null || exit 1; }
unset cmd_runner
