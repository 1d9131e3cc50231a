# Brings up a one-node Slurm cluster on this machine for tests, from Debian's slurm-wlm and
# munge packages: a munge key, a slurm.conf and all state in a private directory, munged,
# slurmctld and slurmd started in the foreground as background processes (no systemd, no
# /etc changes), stopped by slurm_cluster_stop. Source it, then:
#   slurm_cluster_start DIR || exit 1   # exports SLURM_CONF; on failure prints the daemons' logs
#   ... sbatch / slurm.pl ...
#   slurm_cluster_stop
# Needs root (slurmd runs jobs as the submitting user).

_sc_pids=()

# _sc_fail MESSAGE: prints MESSAGE and the tail of every daemon log, returns 1.
_sc_fail() {
  echo "slurm-cluster: $1" >&2
  local f
  for f in "$_sc_dir"/log/*.log; do
    [ -f "$f" ] && { echo "---- $f" >&2; tail -n 30 "$f" >&2; }
  done
  return 1
}

# _sc_free_port: a TCP port nobody listens on (tries a few random ones).
_sc_free_port() {
  local p i
  for i in $(seq 50); do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

# _sc_node_line NAME: the NodeName line for this machine from `slurmd -C`, with RealMemory
# lowered a little so the node is not drained for having less memory than configured.
_sc_node_line() {
  local line mem
  line=$(slurmd -C 2>/dev/null | head -n 1) || return 1
  case "$line" in NodeName=*) ;; *) return 1 ;; esac
  mem=$(echo "$line" | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
  mem=$(( mem > 1024 ? mem - 512 : mem ))
  echo "$line" | sed -e "s/^NodeName=[^ ]*/NodeName=$1 NodeAddr=127.0.0.1 NodeHostname=$1/" \
                     -e "s/RealMemory=[0-9]*/RealMemory=$mem/"
}

_sc_write_conf() { # host ctld_port slurmd_port
  local node
  node=$(_sc_node_line "$1") || { echo "slurm-cluster: slurmd -C cannot describe this node" >&2; return 1; }
  cat >"$_sc_dir/slurm.conf" <<CONF
ClusterName=testcluster
SlurmctldHost=$1(127.0.0.1)
SlurmctldPort=$2
SlurmdPort=$3
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$_sc_dir/munge/munge.socket
StateSaveLocation=$_sc_dir/state
SlurmdSpoolDir=$_sc_dir/spool
SlurmctldPidFile=$_sc_dir/slurmctld.pid
SlurmdPidFile=$_sc_dir/slurmd.pid
SlurmctldLogFile=$_sc_dir/log/slurmctld.log
SlurmdLogFile=$_sc_dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
LaunchParameters=enable_nss_slurm
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=256
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=2
MaxArraySize=10001
$node State=UNKNOWN
PartitionName=debug Nodes=$1 Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
}

slurm_cluster_start() { # DIR
  _sc_dir=$1
  [ "$(id -u)" = 0 ] || { echo "slurm-cluster: must run as root to start slurmd" >&2; return 1; }
  local b
  for b in munged mungekey slurmctld slurmd sbatch squeue scontrol sinfo; do
    command -v "$b" >/dev/null ||
      { echo "slurm-cluster: '$b' not found; install slurm-wlm and munge (make deps)" >&2; return 1; }
  done
  mkdir -p "$_sc_dir"/{munge,state,spool,log} && chmod 700 "$_sc_dir" "$_sc_dir/munge" || return 1
  mungekey --create --keyfile="$_sc_dir/munge/munge.key" 2>"$_sc_dir/log/mungekey.log" ||
    _sc_fail "cannot create a munge key" || return 1
  chmod 600 "$_sc_dir/munge/munge.key"
  munged -F --force --socket="$_sc_dir/munge/munge.socket" --key-file="$_sc_dir/munge/munge.key" \
    --pid-file="$_sc_dir/munge/munged.pid" --seed-file="$_sc_dir/munge/munged.seed" \
    --log-file="$_sc_dir/log/munged.log" >>"$_sc_dir/log/munged.log" 2>&1 &
  _sc_pids+=($!)
  local host ctld_port slurmd_port i
  host=$(hostname -s 2>/dev/null || hostname)
  ctld_port=$(_sc_free_port) && slurmd_port=$(_sc_free_port) || _sc_fail "no free TCP port" || return 1
  _sc_write_conf "$host" "$ctld_port" "$slurmd_port" || return 1
  export SLURM_CONF="$_sc_dir/slurm.conf"
  for i in $(seq 50); do [ -S "$_sc_dir/munge/munge.socket" ] && break; sleep 0.1; done
  [ -S "$_sc_dir/munge/munge.socket" ] || _sc_fail "munged did not start" || return 1
  slurmctld -D -i -f "$SLURM_CONF" >>"$_sc_dir/log/slurmctld.out.log" 2>&1 &
  _sc_pids+=($!)
  slurmd -D -N "$host" -f "$SLURM_CONF" >>"$_sc_dir/log/slurmd.out.log" 2>&1 &
  _sc_pids+=($!)
  # Wait until the node is idle (registered with the controller and schedulable).
  local p
  for i in $(seq 150); do
    case "$(sinfo -h -N -o %t 2>/dev/null)" in idle*) return 0 ;; esac
    for p in "${_sc_pids[@]}"; do
      kill -0 "$p" 2>/dev/null || { _sc_fail "a daemon exited (pid $p)"; return 1; }
    done
    sleep 0.2
  done
  _sc_fail "the node did not become idle in 30 s; sinfo: $(sinfo -N -l 2>&1 | tail -n 3)"
}

slurm_cluster_stop() {
  local p i alive
  if [ -n "${SLURM_CONF:-}" ] && [ ${#_sc_pids[@]} -gt 0 ]; then
    # Cancel what is left and let slurmd see its job steps end before it is stopped.
    scancel --quiet --user="$(id -un)" 2>/dev/null
    for i in $(seq 100); do
      [ -z "$(squeue -h -o %i 2>/dev/null)" ] &&
        ! ls "$_sc_dir/spool" 2>/dev/null | grep -q '_[0-9]' && break
      sleep 0.1
    done
  fi
  for p in "${_sc_pids[@]}"; do kill "$p" 2>/dev/null; done
  for i in $(seq 50); do
    alive=0
    for p in "${_sc_pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${_sc_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  _sc_pids=()
  return 0
}
