/**
 * The one table of operation names: every spelling either builder family takes for the ALU
 * operation, jump operation and load/store size fields of an instruction, mapped once to the
 * kernel's bits, with the family that takes it - the seed's `Insn` builders (Zig's names) or
 * the whole-ISA ones (`Alu`, `Jmp`, `Mem`, `Atomic`). A name one family does not take is a
 * TypeError naming the ones it does.
 * @module
 */
import { BPF } from "../uapi/flags.gen.ts";

/** Load/store size names, as the Zig module spells them (BPF_B, BPF_H, BPF_W, BPF_DW). */
export type Size = "byte" | "half_word" | "word" | "double_word";

/** A load/store width: the seed's names, or the kernel's short ones (BPF_B, BPF_H, BPF_W, BPF_DW). */
export type MemSize = Size | "b" | "h" | "w" | "dw";

/** ALU operation names of the seed's `alu()`. */
export type AluOpName =
  | "add" | "sub" | "mul" | "div" | "alu_or" | "alu_and" | "lsh" | "rsh" | "neg" | "mod" | "xor" | "mov" | "arsh";

/** Arithmetic operations with a destination and a source (register or immediate). */
export type AluOp2 =
  | "add" | "sub" | "mul" | "div" | "sdiv" | "or" | "and" | "lsh" | "rsh" | "mod" | "smod" | "xor" | "mov" | "arsh";

/** Read-modify-write operations that exist with and without fetch. */
export type AtomicRmw = "add" | "or" | "and" | "xor";

/** Jump operation names of the seed's `jmp()`. */
export type JmpOpName =
  | "ja" | "jeq" | "jgt" | "jge" | "jset" | "jlt" | "jle" | "jne" | "jsgt" | "jsge" | "jslt" | "jsle";

/** Conditions of a conditional jump. */
export type JmpCond = "jeq" | "jgt" | "jge" | "jset" | "jne" | "jsgt" | "jsge" | "jlt" | "jle" | "jslt" | "jsle";

// Who takes a spelling (bits): the seed's Insn, the whole-ISA builders, Atomic's operations.
const ZIG = 1;
const ISA = 2;
const RMW = 4;
const BOTH = ZIG | ISA;

// [op bits, off field, who]. The signed divisions are the unsigned opcode with off = 1. Zig
// spells or/and alu_or/alu_and (keywords in Zig); neg has no source, so Alu has a builder for it.
const ALU: Readonly<Record<AluOpName | AluOp2, readonly [number, number, number]>> = {
  add: [BPF.ADD, 0, BOTH | RMW], sub: [BPF.SUB, 0, BOTH], mul: [BPF.MUL, 0, BOTH], div: [BPF.DIV, 0, BOTH],
  sdiv: [BPF.DIV, 1, ISA], or: [BPF.OR, 0, ISA | RMW], alu_or: [BPF.OR, 0, ZIG], and: [BPF.AND, 0, ISA | RMW],
  alu_and: [BPF.AND, 0, ZIG], lsh: [BPF.LSH, 0, BOTH], rsh: [BPF.RSH, 0, BOTH], neg: [BPF.NEG, 0, ZIG],
  mod: [BPF.MOD, 0, BOTH], smod: [BPF.MOD, 1, ISA], xor: [BPF.XOR, 0, BOTH | RMW], mov: [BPF.MOV, 0, BOTH],
  arsh: [BPF.ARSH, 0, BOTH],
};

// [op bits, who]: Jmp has ja as a builder of its own (no condition, no operands).
const JMP: Readonly<Record<JmpOpName | JmpCond, readonly [number, number]>> = {
  ja: [BPF.JA, ZIG], jeq: [BPF.JEQ, BOTH], jgt: [BPF.JGT, BOTH], jge: [BPF.JGE, BOTH], jset: [BPF.JSET, BOTH],
  jne: [BPF.JNE, BOTH], jsgt: [BPF.JSGT, BOTH], jsge: [BPF.JSGE, BOTH], jlt: [BPF.JLT, BOTH], jle: [BPF.JLE, BOTH],
  jslt: [BPF.JSLT, BOTH], jsle: [BPF.JSLE, BOTH],
};

// [size bits, width in bits, who].
const SIZE: Readonly<Record<MemSize, readonly [number, number, number]>> = {
  byte: [BPF.B, 8, BOTH], half_word: [BPF.H, 16, BOTH], word: [BPF.W, 32, BOTH], double_word: [BPF.DW, 64, BOTH],
  b: [BPF.B, 8, ISA], h: [BPF.H, 16, ISA], w: [BPF.W, 32, ISA], dw: [BPF.DW, 64, ISA],
};

// The entry for `name` if the family (bits) `who` takes that spelling; the last column says who does.
function find<E extends readonly number[]>(table: Readonly<Record<string, E>>, name: unknown, who: number): E | undefined {
  const e = typeof name === "string" && Object.hasOwn(table, name) ? table[name] : undefined;
  return e !== undefined && (e[e.length - 1] & who) !== 0 ? e : undefined;
}

function entry<E extends readonly number[]>(table: Readonly<Record<string, E>>, name: unknown, who: number, what: string): E {
  const e = find(table, name, who);
  if (e !== undefined) return e;
  const names = Object.keys(table).filter((k) => find(table, k, who) !== undefined);
  throw new TypeError(`not ${what}: ${JSON.stringify(name)} (expected one of ${names.map((k) => JSON.stringify(k)).join(", ")})`);
}

/** [operation bits, off field, ...] of an ALU operation, as Alu.op() spells it. */
export function aluOpBits(op: AluOp2): readonly [number, number, ...number[]] {
  return entry(ALU, op, ISA, "an ALU operation");
}

/** The operation bits of an ALU operation, as the seed's Insn.alu() spells it. */
export function seedAluOpBits(op: AluOpName): number {
  return entry(ALU, op, ZIG, "an ALU operation")[0];
}

/** The operation bits of an atomic read-modify-write operation. */
export function atomicOpBits(op: AtomicRmw): number {
  return entry(ALU, op, RMW, "an atomic operation")[0];
}

/** The operation bits of a jump condition, as Jmp.cond() spells it. */
export function jmpCondBits(op: JmpCond): number {
  return entry(JMP, op, ISA, "a jump condition")[0];
}

/** The operation bits of a jump operation, as the seed's Insn.jmp() spells it (ja included). */
export function seedJmpOpBits(op: JmpOpName): number {
  return entry(JMP, op, ZIG, "a jump operation")[0];
}

/** The BPF_B/H/W/DW bits of a size name, as the seed spells it; a TypeError for anything else. */
export function sizeBits(size: Size): number {
  return entry(SIZE, size, ZIG, "a size")[0];
}

/** The BPF_B/H/W/DW bits of a size: the seed's names or the kernel's short ones. */
export function memSizeBits(size: MemSize): number {
  return entry(SIZE, size, BOTH, "a size")[0];
}

/** The width in bits of a size the seed's le()/be() can swap: 16, 32 or 64. */
export function swapWidth(size: Size): number {
  const e = find(SIZE, size, ZIG);
  if (e === undefined || e[1] === 8) {
    throw new TypeError(`cannot swap the bytes of a ${JSON.stringify(size)}; use "half_word", "word" or "double_word"`);
  }
  return e[1];
}

/** 32 or 64; a RangeError otherwise. */
export function checkWidth(width: 32 | 64): 32 | 64 {
  if (width !== 32 && width !== 64) throw new RangeError(`width must be 32 or 64, got ${String(width)}`);
  return width;
}

/** The class of an ALU instruction of `width` bits: BPF_ALU (32) or BPF_ALU64. */
export function aluClass(width: 32 | 64): number {
  return checkWidth(width) === 32 ? BPF.ALU : BPF.ALU64;
}

/** The class of a jump comparing `width` bits: BPF_JMP32 (32) or BPF_JMP. */
export function jmpClass(width: 32 | 64): number {
  return checkWidth(width) === 32 ? BPF.JMP32 : BPF.JMP;
}
