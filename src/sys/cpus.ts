/**
 * Possible CPUs: per-CPU map values hold one slot per possible CPU (not online CPU), as the kernel
 * sizes them from cpu_possible_mask.
 * @module
 */
import { readTextFile } from "./syscalls.ts";

/** Parses a kernel CPU list like "0-3,8,10-11" into the number of CPUs it names. */
export function parseCpuList(list: string): number {
  let n = 0;
  for (const part of list.trim().split(",")) {
    if (!part) continue;
    const m = part.match(/^(\d+)(?:-(\d+))?$/);
    if (!m) throw new SyntaxError(`bad CPU list ${JSON.stringify(list)}`);
    n += m[2] === undefined ? 1 : +m[2] - +m[1] + 1;
  }
  return n;
}

/** The CPU numbers a kernel CPU list like "0-3,8" names, in its order. */
export function cpuIds(list: string): number[] {
  const out: number[] = [];
  for (const part of list.trim().split(",")) {
    if (!part) continue;
    const m = part.match(/^(\d+)(?:-(\d+))?$/);
    if (!m) throw new SyntaxError(`bad CPU list ${JSON.stringify(list)}`);
    for (let c = +m[1]; c <= +(m[2] ?? m[1]); c++) out.push(c);
  }
  return out;
}

/** The CPUs online now (/sys/devices/system/cpu/online), read afresh each call: CPUs come and go. */
export function onlineCpus(): number[] {
  return cpuIds(readTextFile("/sys/devices/system/cpu/online"));
}

let possible = 0;

/** Number of possible CPUs (/sys/devices/system/cpu/possible), read once. */
export function possibleCpus(): number {
  if (possible === 0) possible = parseCpuList(readTextFile("/sys/devices/system/cpu/possible"));
  return possible;
}
