# Where jobs run: run.pl on this machine; slurm.pl or queue.pl on a cluster.
export cmd="run.pl"
