/**
 * The kernel's page size, from the auxiliary vector (AT_PAGESZ in /proc/self/auxv): where the
 * pages of a ring buffer or a perf ring start. Read once.
 * @module
 */
import { readFileBytes } from "./file.ts";

const AT_NULL = 0;
const AT_PAGESZ = 6;
let page = 0;

/** The page size of the running kernel (getpagesize(2)'s answer), cached after the first call. */
export function pageSize(): number {
  if (page !== 0) return page;
  const auxv = readFileBytes("/proc/self/auxv");
  const dv = new DataView(auxv.buffer, auxv.byteOffset, auxv.byteLength);
  // auxv is pairs of host-order unsigned longs; Linux on the supported (64-bit LE) hosts.
  for (let at = 0; at + 16 <= auxv.length; at += 16) {
    const type = dv.getUint32(at, true) + dv.getUint32(at + 4, true) * 2 ** 32;
    if (type === AT_NULL) break;
    if (type === AT_PAGESZ) return (page = dv.getUint32(at + 8, true));
  }
  throw new Error("tsbpf: no AT_PAGESZ in /proc/self/auxv");
}
