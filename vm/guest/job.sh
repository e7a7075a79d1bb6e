#!/bin/sh
# The test job of a VM: runs as PID 1 inside the guest, chrooted into the host's root (read-only)
# with the project mounted read-write at its host path (see vm/guest/init).
#
#   job.sh <project dir> <run dir>
#
# <run dir>/args.sh (written by vm/run.mjs) sets the arguments of scripts/test-all.mjs. The job
# writes the runner's summary to <run dir>/summary.json, vitest's reports to <run dir>/results/,
# and its exit code to <run dir>/status as the very last thing; then it powers the VM off. If this
# shell dies first, the kernel panics, QEMU exits, and the host finds no status.
project=$1
run=$2

# The host root is read-only and its /tmp is not shared: every cache and home goes to the guest's
# tmpfs /tmp.
export HOME=/tmp/home
export XDG_CACHE_HOME=$HOME/.cache
export DENO_DIR=$XDG_CACHE_HOME/deno
export BUN_INSTALL_CACHE_DIR=$XDG_CACHE_HOME/bun
export TMPDIR=/tmp
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export NO_COLOR=1
export TSBPF_SUMMARY=$run/summary.json
export TSBPF_RESULTS_DIR=$run/results
export TSBPF_VM=1
export CI=1 # plain (not interactive) vitest output on the serial console
mkdir -p "$HOME" "$XDG_CACHE_HOME"
ulimit -l unlimited 2>/dev/null # old kernels charge BPF maps to RLIMIT_MEMLOCK

# Powers the VM off and never returns: the power-off is asynchronous, and if this shell (PID 1)
# ended first the kernel would panic, which in a CI log looks like a crash. Shell builtins only:
# the power-off shuts the 9p shares down (the host root, where sleep lives), so a command run
# after it can fail to exec ("sleep: Input/output error"). The wait is a read of the console,
# which gets no input (QEMU's stdin is /dev/null).
poweroff() {
  echo s > /proc/sysrq-trigger # sync
  echo o > /proc/sysrq-trigger
  while :; do read -r _ < /dev/console || :; done
}

cd "$project" || { echo "tsbpf-job: no project at $project"; poweroff; }
. "$run/args.sh"
echo "tsbpf-job: kernel $(uname -r); node scripts/test-all.mjs $*"
node scripts/test-all.mjs "$@"
rc=$?
echo "tsbpf-job: exit $rc"
# The host reads status after QEMU has exited, so a plain write is atomic enough.
echo "$rc" > "$run/status"
poweroff
