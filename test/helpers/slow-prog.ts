/**
 * A program the verifier takes long to accept: a bounded loop it walks once per iteration
 * (Linux 5.3+), so the time grows linearly with the iteration count. Used to hold the verifier
 * open long enough for signals to interrupt it.
 */
import { BpfProgram, Insn, ProgType } from "../../mod.ts";

/** r1 counts to `iterations`; the verifier simulates every iteration. */
export function slowLoop(iterations: number): Insn[] {
  return [Insn.mov("r1", 0), Insn.add("r1", 1), Insn.jlt("r1", iterations, -2), Insn.mov("r0", 0), Insn.exit()];
}

/** Milliseconds of the fastest of `n` loads of slowLoop(iterations). */
export function loadMs(iterations: number, n = 3): number {
  let best = Infinity;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    BpfProgram.load({ type: ProgType.socket_filter, insns: slowLoop(iterations) }).close();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

/** The iteration count whose load takes about `targetMs` on this machine, and what it took. */
export function calibrate(targetMs: number): { iterations: number; ms: number } {
  // The verifier stops at a million processed instructions: three per iteration.
  const clamp = (n: number): number => Math.max(1000, Math.min(300_000, Math.round(n)));
  let iterations = 10_000;
  let ms = loadMs(iterations);
  // Twice: the time is linear in the count, but one sample on a busy machine can be far off.
  for (let i = 0; i < 2; i++) {
    iterations = clamp((iterations * targetMs) / ms);
    ms = loadMs(iterations);
  }
  return { iterations, ms };
}
