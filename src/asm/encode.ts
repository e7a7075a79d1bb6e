/**
 * Instructions to bytes: struct bpf_insn is 8 bytes - opcode, the register byte, off, imm. In
 * little-endian the register byte is src<<4 | dst; in big-endian it is dst<<4 | src.
 * @module
 */

/** The raw fields of an instruction, as encode() reads them. */
export interface RawInsn {
  readonly code: number;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
  readonly imm: number;
}

/** Writes one instruction at byte offset `at` of `dv`. */
export function encodeInto(dv: DataView, at: number, i: RawInsn, little = true): void {
  dv.setUint8(at, i.code);
  dv.setUint8(at + 1, little ? (i.src << 4) | i.dst : (i.dst << 4) | i.src);
  dv.setInt16(at + 2, i.off, little);
  dv.setInt32(at + 4, i.imm, little);
}

/** Instructions as bytes, 8 per instruction. */
export function encode(insns: readonly RawInsn[], endian: "little" | "big" = "little"): Uint8Array {
  if (endian !== "little" && endian !== "big") throw new TypeError(`endian must be "little" or "big", got ${JSON.stringify(endian)}`);
  const out = new Uint8Array(new ArrayBuffer(insns.length * 8));
  const dv = new DataView(out.buffer);
  const little = endian === "little";
  for (let k = 0; k < insns.length; k++) encodeInto(dv, k * 8, insns[k], little);
  return out;
}
