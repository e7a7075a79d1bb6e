/**
 * The one retry policy for the bpf() commands a pending signal aborts: BPF_PROG_LOAD and
 * BPF_BTF_LOAD (the verifier returns EAGAIN when `signal_pending()`), BPF_PROG_TEST_RUN (EINTR
 * between repetitions). Bounded by wall time, not a count: a 30-ms verification under a profiler
 * that samples every millisecond fails any small count of tries, while a time bound lets a load
 * outlast a burst and still reports a storm that never ends instead of hanging.
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";

/**
 * Default wall time, in ms, over which EAGAIN/EINTR is retried before it is reported. Five
 * seconds outlasts bursts (a profiler starting, a child exiting) many times over; with signals
 * blocked around the call (sys/nosig.ts) a retry should not happen at all.
 */
export const RETRY_WINDOW_MS = 5000;
// Longest pause between attempts: long enough not to spin a CPU on an EAGAIN that never ends,
// short next to the window.
const MAX_PAUSE_MS = 16;

let windowMs = RETRY_WINDOW_MS;
let retries = 0;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Sets the retry window in ms (0: never retry) and returns the previous one; tests shorten it. */
export function setRetryWindow(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`retry window must be a non-negative number of ms, got ${ms}`);
  const old = windowMs;
  windowMs = ms;
  return old;
}

/** How many retries the policy made since the process started: zero under a working signal mask. */
export function retryCount(): number {
  return retries;
}

/** True for the results a signal causes: -EAGAIN from the verifier, -EINTR from a test run. */
export function interrupted(rc: number): boolean {
  return rc === -Errno.EAGAIN || rc === -Errno.EINTR;
}

/**
 * Calls `attempt` (one bpf() call: its result or -errno) again while it returns -EAGAIN or
 * -EINTR, for up to `window` ms; the last result. The first retry is immediate (a signal is
 * over once delivered), later ones pause 1, 2, 4 ... up to 16 ms.
 */
export function retryInterrupted(attempt: () => number, window: number = windowMs): number {
  let rc = attempt();
  if (!interrupted(rc)) return rc;
  const end = Date.now() + window;
  for (let n = 0; interrupted(rc) && Date.now() < end; n++) {
    if (n > 0) Atomics.wait(sleeper, 0, 0, Math.min(MAX_PAUSE_MS, 2 ** (n - 1), Math.max(0, end - Date.now())));
    retries++;
    rc = attempt();
  }
  return rc;
}
