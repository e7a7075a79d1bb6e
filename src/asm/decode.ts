/**
 * Bytes back to instructions, in either byte order. Anything that is not an instruction (see
 * valid.ts) is a DecodeError naming the byte offset and the byte at fault - never a guess.
 * @module
 */
import { Insn } from "./insn.ts";
import { LdImm64 } from "./ldimm64.ts";
import { type Endian, isLittle, SlotReader } from "./slot.ts";
import { type Field, Form, FORMS, type Problem, secondSlotProblem, slotProblem } from "./valid.ts";

/** Bytes that are not an instruction: `offset` is the byte at fault, `byte` its value. */
export class DecodeError extends RangeError {
  /** Byte offset of the offending byte from the start of the buffer. */
  readonly offset: number;
  /** The offending byte's value. */
  readonly byte: number;

  /** An error for the byte at `offset` with value `byte`, explained by `reason`. */
  constructor(offset: number, byte: number, reason: string) {
    super(`byte 0x${byte.toString(16).padStart(2, "0")} at offset ${offset} (instruction slot ${Math.floor(offset / 8)}): ${reason}`);
    this.name = "DecodeError";
    this.offset = offset;
    this.byte = byte;
  }
}

// The byte to blame for a problem in `field` of the slot at `at`: for a field that had to be
// zero, the first nonzero byte of it in memory order; otherwise the field's first byte.
function blame(bytes: Uint8Array, at: number, field: Field): number {
  const [start, len] = field === "code" ? [0, 1] : field === "regs" ? [1, 1] : field === "off" ? [2, 2] : [4, 4];
  for (let k = 0; k < len; k++) if (bytes[at + start + k] !== 0) return at + start + k;
  return at + start;
}

function fail(bytes: Uint8Array, at: number, p: Problem): never {
  const o = blame(bytes, at, p.field);
  throw new DecodeError(o, bytes[o], p.message);
}

/** The length of `bytes` in whole slots, in bytes; checkTail() then rejects what is left over. */
export function wholeSlots(bytes: Uint8Array): number {
  return bytes.length - (bytes.length % 8);
}

/** Rejects trailing bytes that are not a whole slot (checked after the instructions before them). */
export function checkTail(bytes: Uint8Array): void {
  const rest = bytes.length % 8;
  if (rest !== 0) {
    const o = bytes.length - rest;
    throw new DecodeError(o, bytes[o], `the last ${rest} byte${rest === 1 ? "" : "s"} do not make a whole 8-byte instruction`);
  }
}

/**
 * Validates the instruction at byte `at` (already read into `r`) and returns its length in
 * slots: 2 for a 64-bit immediate load, 1 otherwise. Throws a DecodeError if it is not one.
 */
export function checkInsn(r: SlotReader, at: number): 1 | 2 {
  const p = slotProblem(r.code, r.dst, r.src, r.off, r.imm);
  if (p !== undefined) fail(r.bytes, at, p);
  if (FORMS[r.code] !== Form.ldImm64) return 1;
  const next = at + 8;
  if (next + 8 > r.bytes.length) {
    throw new DecodeError(at, r.bytes[at], "a 64-bit immediate load needs a second slot, but the input ends here");
  }
  const b = r.bytes;
  const regs = b[next + 1];
  const off = r.little ? b[next + 2] | (b[next + 3] << 8) : (b[next + 2] << 8) | b[next + 3];
  const q = secondSlotProblem(b[next], regs & 15, regs >> 4, off);
  if (q !== undefined) fail(b, next, q);
  return 2;
}

/** The instructions in `bytes` (a 64-bit immediate load is one LdImm64); little-endian unless asked. */
export function decode(bytes: Uint8Array, opts: { endian?: Endian } = {}): Insn[] {
  const r = new SlotReader(bytes, isLittle(opts.endian));
  const end = wholeSlots(bytes);
  const out: Insn[] = [];
  for (let at = 0; at < end;) {
    r.read(at);
    if (checkInsn(r, at) === 2) {
      out.push(new LdImm64(r.dst, r.src, r.imm, r.immAt(at + 8)));
      at += 16;
    } else {
      out.push(new Insn(r.code, r.dst, r.src, r.off, r.imm));
      at += 8;
    }
  }
  checkTail(bytes);
  return out;
}
