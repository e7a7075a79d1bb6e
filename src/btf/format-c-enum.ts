/**
 * An enum's size as the BTF says, where C would pick another: the one deliberate difference from
 * bpftool 7.1 (libbpf 1.1), which prints the 1-byte enums of vmlinux as plain 4-byte ones, so
 * every struct holding one comes out too big. libbpf 1.2+ writes `mode(byte)` for 1-byte enums
 * and `mode(word)` for 8-byte ones whose values fit 32 bits; this does the same, and also sizes
 * 2-byte enums (`mode(HI)`, which libbpf leaves at 4) and signed 8-byte enums of small negative
 * values (whose high words are not zero, so libbpf's test for `mode(word)` misses them).
 * @module
 */
import type { CDump } from "./format-c-state.ts";
import { K_ENUM64 } from "./format-c-table.ts";

const INT_MIN = -0x80000000n, INT_MAX = 0x7fffffffn, UINT_MAX = 0xffffffffn;

// Whether C gives this enum 4 bytes by itself: every value fits int, or (none negative) unsigned int.
function fitsInt(d: CDump, id: number): boolean {
  const t = d.t, vlen = t.info[id] & 0xffffff, signed = t.info[id] >>> 31 === 1;
  if (t.kind[id] !== K_ENUM64) return true;
  let neg = false, big = false, outOfInt = false;
  for (let i = 0, w = t.at[id]; i < vlen; i++, w += 3) {
    const u = BigInt(t.words[w + 2]) << 32n | BigInt(t.words[w + 1]);
    const v = signed ? BigInt.asIntN(64, u) : u;
    if (v < 0n) neg = true;
    if (v < INT_MIN || v > INT_MAX) outOfInt = true;
    if (v < 0n || v > UINT_MAX) big = true;
  }
  return neg ? !outOfInt : !big;
}

/** Writes the mode attribute that gives enum `id` its BTF size, when C's own choice differs. */
export function emitEnumSize(d: CDump, id: number): void {
  const size = d.t.st[id];
  if (size === 1) d.out.s(" __attribute__((mode(byte)))");
  else if (size === 2) d.out.s(" __attribute__((mode(HI)))");
  else if (size === 8 && fitsInt(d, id)) d.out.s(d.t.ptrSize === 8 ? " __attribute__((mode(word)))" : " __attribute__((mode(DI)))");
}
