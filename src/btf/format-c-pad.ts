/**
 * Explicit padding members (`long: 64;`, `int: 0;`, ...) between struct members and at a struct's
 * end, as libbpf 1.1's btf_dump_emit_bit_padding writes them, so the compiler lays the struct
 * out at the BTF's offsets; from 0, one bitfield as wide as a union (its tail padding, which
 * libbpf leaves out).
 * @module
 */
import { literal } from "./format-c-out.ts";
import type { CDump } from "./format-c-state.ts";

const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;
const NAMES = ["long: ", "int: ", "short: ", "char: "].map(literal);
// Bits of each of NAMES, `long` being a pointer's size.
const BITS_64 = [64, 32, 16, 8], BITS_32 = [32, 32, 16, 8];

function pad(d: CDump, lvl: number, name: number, bits: number): void {
  d.out.nl(lvl);
  d.out.w(name);
  d.out.num(bits);
  d.out.c(59);
}

/**
 * Pads from bit `cur` to bit `next`, where the next member (or the struct's end) wants
 * `nextAlign` bytes; `inBitfield` when a bitfield follows a bitfield.
 */
export function emitPadding(d: CDump, cur: number, next: number, nextAlign: number, inBitfield: boolean, lvl: number): void {
  if (cur >= next) return;
  const bits = d.t.ptrSize === 8 ? BITS_64 : d.t.ptrSize === 4 ? BITS_32 : [d.t.ptrSize * 8, 32, 16, 8];
  // The widest pad type whose natural boundary after `cur` is still within the gap.
  let i = 0, to = 0;
  for (; i < 4; i++) {
    to = roundUp(cur, bits[i]);
    if (to <= next) break;
  }
  if (i === 4) i = 3;
  let padBits = bits[i], padName = NAMES[i];
  if (to > cur && to <= next) {
    // A `<type>: 0` mark (or, inside bitfields, the bit count) where natural alignment alone
    // would not land on `to`, or where a full `<type>: X` would vanish into the hole.
    if (inBitfield || (to === next && roundUp(cur, nextAlign * 8) !== to) || (to !== next && next - to <= to - cur)) {
      pad(d, lvl, padName, inBitfield ? to - cur : 0);
    }
    cur = to;
  }
  while (cur !== next) {
    const gap = Math.min(next - cur, padBits);
    if (gap === padBits) {
      pad(d, lvl, padName, padBits);
      cur += gap;
      continue;
    }
    // The remainder in the smallest pad type that holds it.
    for (let j = 3; j >= 0; j--) {
      if (bits[j] < gap) continue;
      padName = NAMES[j];
      padBits = bits[j];
      pad(d, lvl, padName, gap);
      cur += gap;
      break;
    }
  }
}
