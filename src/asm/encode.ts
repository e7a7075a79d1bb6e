/**
 * Instructions to bytes: struct bpf_insn is 8 bytes - opcode, the register byte, off, imm. In
 * little-endian the register byte is src<<4 | dst; in big-endian it is dst<<4 | src. A 64-bit
 * immediate load (an instruction with `imm2`) takes two slots; the second carries only imm2.
 * @module
 */

/** The raw fields of an instruction, as encode() reads them. */
export interface RawInsn {
  /** The opcode byte (struct bpf_insn's code): class, operation or size, source or mode. */
  readonly code: number;
  /** Destination register, 0-10 (dst_reg). */
  readonly dst: number;
  /** Source register, 0-10, or a pseudo source for ld_imm64 and calls (src_reg). */
  readonly src: number;
  /** Signed 16-bit offset: jumps, memory, sdiv/smod and movsx selectors (off). */
  readonly off: number;
  /** Signed 32-bit immediate (imm). */
  readonly imm: number;
  /** Present only on 64-bit immediate loads: the imm of the second slot. */
  readonly imm2?: number;
}

/** Writes one 8-byte slot at byte `at` of `out`; fields must already be in range. */
export function writeSlot(out: Uint8Array, at: number, code: number, dst: number, src: number, off: number, imm: number, little: boolean): void {
  out[at] = code;
  if (little) {
    out[at + 1] = (src << 4) | dst;
    out[at + 2] = off;
    out[at + 3] = off >> 8;
    out[at + 4] = imm;
    out[at + 5] = imm >> 8;
    out[at + 6] = imm >> 16;
    out[at + 7] = imm >> 24;
  } else {
    out[at + 1] = (dst << 4) | src;
    out[at + 2] = off >> 8;
    out[at + 3] = off;
    out[at + 4] = imm >> 24;
    out[at + 5] = imm >> 16;
    out[at + 6] = imm >> 8;
    out[at + 7] = imm;
  }
}

/** Writes one instruction at byte offset `at` of `dv` (its first slot only). */
export function encodeInto(dv: DataView, at: number, i: RawInsn, little = true): void {
  dv.setUint8(at, i.code);
  dv.setUint8(at + 1, little ? (i.src << 4) | i.dst : (i.dst << 4) | i.src);
  dv.setInt16(at + 2, i.off, little);
  dv.setInt32(at + 4, i.imm, little);
}

// Objects reach encode() from users, not only from the checked builders: a field out of range
// would silently corrupt its neighbours in the packed register byte.
/** True when every field of `i` is an integer that fits its bits (imm and imm2 as signed or unsigned 32). */
export function inRange(i: RawInsn): boolean {
  const { code, dst, src, off, imm, imm2 } = i;
  return Number.isInteger(code) && code >= 0 && code <= 255 && Number.isInteger(dst) && dst >= 0 && dst <= 15 &&
    Number.isInteger(src) && src >= 0 && src <= 15 && Number.isInteger(off) && off >= -32768 && off <= 32767 &&
    Number.isInteger(imm) && imm >= -2147483648 && imm <= 4294967295 &&
    (imm2 === undefined || (Number.isInteger(imm2) && imm2 >= -2147483648 && imm2 <= 4294967295));
}

/** A RangeError naming the first field of instruction `k` that does not fit. */
export function rangeError(i: RawInsn, k: number): RangeError {
  const fields: [keyof RawInsn, number, number, string][] = [
    ["code", 0, 255, "an 8-bit opcode"], ["dst", 0, 15, "a 4-bit register number"], ["src", 0, 15, "a 4-bit register number"],
    ["off", -32768, 32767, "a signed 16-bit offset"], ["imm", -2147483648, 4294967295, "a 32-bit immediate"],
    ["imm2", -2147483648, 4294967295, "a 32-bit immediate"],
  ];
  for (const [name, lo, hi, what] of fields) {
    const v = i[name];
    if (name === "imm2" && v === undefined) continue;
    if (!Number.isInteger(v) || (v as number) < lo || (v as number) > hi) {
      return new RangeError(`instruction ${k}: ${name} ${String(v)} is not ${what}`);
    }
  }
  return new RangeError(`instruction ${k} has a field out of range`);
}

/** Instructions as bytes, 8 per slot: 16 for a 64-bit immediate load, 8 for anything else. */
export function encode(insns: readonly RawInsn[], endian: "little" | "big" = "little"): Uint8Array {
  if (endian !== "little" && endian !== "big") throw new TypeError(`endian must be "little" or "big", got ${JSON.stringify(endian)}`);
  let slots = insns.length;
  for (let k = 0; k < insns.length; k++) {
    const i = insns[k];
    if (i === null || typeof i !== "object") throw new TypeError(`instruction ${k} is not an instruction object: ${String(i)}`);
    if (!inRange(i)) throw rangeError(i, k);
    if (i.imm2 !== undefined) slots++;
  }
  const out = new Uint8Array(new ArrayBuffer(slots * 8));
  const little = endian === "little";
  let at = 0;
  for (let k = 0; k < insns.length; k++) {
    const i = insns[k];
    writeSlot(out, at, i.code, i.dst, i.src, i.off, i.imm, little);
    at += 8;
    if (i.imm2 !== undefined) {
      writeSlot(out, at, 0, 0, 0, 0, i.imm2, little);
      at += 8;
    }
  }
  return out;
}
