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

poweroff() {
  sync
  echo o > /proc/sysrq-trigger
  sleep 30
}

cd "$project" || { echo "tsbpf-job: no project at $project"; poweroff; }
. "$run/args.sh"
echo "tsbpf-job: kernel $(uname -r); node scripts/test-all.mjs $*"
node scripts/test-all.mjs "$@"
rc=$?
echo "tsbpf-job: exit $rc"
echo "$rc" > "$run/status.tmp" && mv "$run/status.tmp" "$run/status"
poweroff
