#!/usr/bin/env bash
# A throw-away single-node Slurm cluster on loopback, for tests: munged, slurmctld and slurmd with a generated
# slurm.conf, all state under DIR. Installs nothing (scripts/install-deps.sh slurm-wlm munge does); needs root,
# works without systemd.
#   scripts/slurm-cluster.sh start DIR   starts the daemons and waits until the node is idle; prints the
#                                        SLURM_CONF path clients (sbatch, squeue, sinfo) need
#   scripts/slurm-cluster.sh stop DIR    stops the daemons by their PID files
set -euo pipefail
usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
conf="$dir/slurm.conf"

stop() {
    for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid"
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            # A daemon started with SIGTERM blocked (inherited signal mask) only goes with SIGKILL.
            if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
        fi
        rm -f "$pidfile"
    done
}

start() {
    for tool in munged mungekey slurmctld slurmd sinfo; do
        command -v "$tool" >/dev/null || { echo "slurm-cluster: $tool not found; run scripts/install-deps.sh slurm-wlm munge" >&2; exit 1; }
    done
    stop
    # The daemons must not keep the caller's pipes or sockets open (a caller waiting for EOF would hang).
    for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        if [ "$fd" -gt 2 ] 2>/dev/null && [ "$fd" != 255 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    host=$(hostname -s)
    mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
    # munged refuses a socket folder that is not 755.
    chmod 755 "$dir" "$dir/munge"
    [ -f "$dir/munge/munge.key" ] || mungekey --create --keyfile="$dir/munge/munge.key"
    chmod 600 "$dir/munge/munge.key"
    munged --socket="$dir/munge/munge.socket.2" --key-file="$dir/munge/munge.key" \
        --log-file="$dir/munge/munged.log" --pid-file="$dir/munge/munged.pid" --seed-file="$dir/munge/munged.seed"
    cpus=$(nproc)
    cat > "$conf" <<CONF
ClusterName=nsttest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket.2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=20000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF="$conf"
    slurmctld -f "$conf"
    slurmd -f "$conf"
    for _ in $(seq 150); do
        if [ "$(sinfo -h -o %T 2>/dev/null | head -1)" = "idle" ]; then
            echo "SLURM_CONF=$conf"
            return 0
        fi
        sleep 0.2
    done
    echo "slurm-cluster: the node did not become idle within 30 s; logs in $dir/log" >&2
    sinfo >&2 || true
    exit 1
}

case "$action" in
    start) start ;;
    stop) stop ;;
    *) usage ;;
esac
