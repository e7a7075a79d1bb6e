/**
 * Names for the operation and size fields of the opcode byte, shared by the builders: the
 * spellings users pass, mapped once to the kernel's bits.
 * @module
 */
import { BPF } from "../uapi/flags.gen.ts";
import type { Size } from "./insn.ts";

/** A load/store width: the seed's names, or the kernel's short ones (BPF_B, BPF_H, BPF_W, BPF_DW). */
export type MemSize = Size | "b" | "h" | "w" | "dw";

/** Arithmetic operations with a destination and a source (register or immediate). */
export type AluOp2 =
  | "add" | "sub" | "mul" | "div" | "sdiv" | "or" | "and" | "lsh" | "rsh" | "mod" | "smod" | "xor" | "mov" | "arsh";

/** Conditions of a conditional jump. */
export type JmpCond = "jeq" | "jgt" | "jge" | "jset" | "jne" | "jsgt" | "jsge" | "jlt" | "jle" | "jslt" | "jsle";

const MEM_SIZES: Readonly<Record<string, number>> = {
  byte: BPF.B, half_word: BPF.H, word: BPF.W, double_word: BPF.DW, b: BPF.B, h: BPF.H, w: BPF.W, dw: BPF.DW,
};

/** The BPF_B/H/W/DW bits of a size; a TypeError naming the accepted spellings otherwise. */
export function memSizeBits(size: MemSize): number {
  const s = typeof size === "string" && Object.hasOwn(MEM_SIZES, size) ? MEM_SIZES[size] : undefined;
  if (s === undefined) {
    throw new TypeError(`not a size: ${JSON.stringify(size)} (expected "b", "h", "w", "dw" or "byte", "half_word", "word", "double_word")`);
  }
  return s;
}

// [op bits, off]: the signed variants share the unsigned opcode and set off = 1.
const ALU_OPS: Readonly<Record<string, readonly [number, number]>> = {
  add: [BPF.ADD, 0], sub: [BPF.SUB, 0], mul: [BPF.MUL, 0], div: [BPF.DIV, 0], sdiv: [BPF.DIV, 1], or: [BPF.OR, 0],
  and: [BPF.AND, 0], lsh: [BPF.LSH, 0], rsh: [BPF.RSH, 0], mod: [BPF.MOD, 0], smod: [BPF.MOD, 1], xor: [BPF.XOR, 0],
  mov: [BPF.MOV, 0], arsh: [BPF.ARSH, 0],
};

/** [operation bits, off field] of an ALU operation name. */
export function aluOpBits(op: AluOp2): readonly [number, number] {
  const v = typeof op === "string" && Object.hasOwn(ALU_OPS, op) ? ALU_OPS[op] : undefined;
  if (v === undefined) throw new TypeError(`not an ALU operation: ${JSON.stringify(op)} (expected one of ${Object.keys(ALU_OPS).join(", ")})`);
  return v;
}

const JMP_CONDS: Readonly<Record<string, number>> = {
  jeq: BPF.JEQ, jgt: BPF.JGT, jge: BPF.JGE, jset: BPF.JSET, jne: BPF.JNE, jsgt: BPF.JSGT, jsge: BPF.JSGE,
  jlt: BPF.JLT, jle: BPF.JLE, jslt: BPF.JSLT, jsle: BPF.JSLE,
};

/** The operation bits of a jump condition name. */
export function jmpCondBits(op: JmpCond): number {
  const v = typeof op === "string" && Object.hasOwn(JMP_CONDS, op) ? JMP_CONDS[op] : undefined;
  if (v === undefined) throw new TypeError(`not a jump condition: ${JSON.stringify(op)} (expected one of ${Object.keys(JMP_CONDS).join(", ")})`);
  return v;
}

/** 32 or 64; a RangeError otherwise. */
export function checkWidth(width: 32 | 64): 32 | 64 {
  if (width !== 32 && width !== 64) throw new RangeError(`width must be 32 or 64, got ${String(width)}`);
  return width;
}
