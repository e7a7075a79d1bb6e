/**
 * What counts as an instruction: the opcodes the kernel and LLVM define, with every field the
 * instruction does not use set to zero and registers within r0..r10, as the kernel's verifier
 * requires. The decoder and the disassemblers share this one table so they agree on what they
 * accept; LLVM's own decoder is laxer (it ignores unused fields and knows r11), which would make
 * two byte strings print the same.
 * @module
 */
import { AtomicOp, BPF } from "../uapi/flags.gen.ts";

/** Instruction forms: what the opcode byte alone says about the fields. */
export const Form = {
  invalid: 0,
  aluK: 1,
  aluX: 2,
  neg: 3,
  end: 4,
  bswap: 5,
  ja: 6,
  gotol: 7,
  jmpK: 8,
  jmpX: 9,
  call: 10,
  callx: 11,
  exit: 12,
  mayGoto: 13,
  ldImm64: 14,
  ldAbs: 15,
  ldInd: 16,
  ldx: 17,
  ldsx: 18,
  st: 19,
  stx: 20,
  atomic: 21,
  atomicAcqRel: 22,
} as const;
/** A value of {@link Form}. */
export type Form = (typeof Form)[keyof typeof Form];

const RMW_OPS = [BPF.ADD, BPF.SUB, BPF.MUL, BPF.DIV, BPF.OR, BPF.AND, BPF.LSH, BPF.RSH, BPF.MOD, BPF.XOR, BPF.MOV, BPF.ARSH];
const CONDS = [BPF.JEQ, BPF.JGT, BPF.JGE, BPF.JSET, BPF.JNE, BPF.JSGT, BPF.JSGE, BPF.JLT, BPF.JLE, BPF.JSLT, BPF.JSLE];

/** The form of each of the 256 opcodes; Form.invalid for the ones that are not instructions. */
export const FORMS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const c of [BPF.ALU, BPF.ALU64]) {
    for (const op of RMW_OPS) {
      t[c | op | BPF.K] = Form.aluK;
      t[c | op | BPF.X] = Form.aluX;
    }
    t[c | BPF.NEG | BPF.K] = Form.neg;
  }
  t[BPF.ALU | BPF.END | BPF.TO_LE] = Form.end;
  t[BPF.ALU | BPF.END | BPF.TO_BE] = Form.end;
  t[BPF.ALU64 | BPF.END | BPF.TO_LE] = Form.bswap;
  for (const c of [BPF.JMP, BPF.JMP32]) {
    for (const op of CONDS) {
      t[c | op | BPF.K] = Form.jmpK;
      t[c | op | BPF.X] = Form.jmpX;
    }
  }
  t[BPF.JMP | BPF.JA] = Form.ja;
  t[BPF.JMP32 | BPF.JA] = Form.gotol;
  t[BPF.JMP | BPF.CALL] = Form.call;
  t[BPF.JMP | BPF.CALL | BPF.X] = Form.callx;
  t[BPF.JMP | BPF.EXIT] = Form.exit;
  t[BPF.JMP | BPF.JCOND] = Form.mayGoto;
  t[BPF.LD | BPF.IMM | BPF.DW] = Form.ldImm64;
  for (const s of [BPF.B, BPF.H, BPF.W]) {
    t[BPF.LD | BPF.ABS | s] = Form.ldAbs;
    t[BPF.LD | BPF.IND | s] = Form.ldInd;
    t[BPF.LDX | BPF.MEMSX | s] = Form.ldsx;
    t[BPF.STX | BPF.ATOMIC | s] = Form.atomicAcqRel;
  }
  for (const s of [BPF.B, BPF.H, BPF.W, BPF.DW]) {
    t[BPF.LDX | BPF.MEM | s] = Form.ldx;
    t[BPF.ST | BPF.MEM | s] = Form.st;
    t[BPF.STX | BPF.MEM | s] = Form.stx;
  }
  t[BPF.STX | BPF.ATOMIC | BPF.W] = Form.atomic;
  t[BPF.STX | BPF.ATOMIC | BPF.DW] = Form.atomic;
  return t;
})();

/** Which bytes of a slot a problem is about: the opcode, the register byte, off or imm. */
export type Field = "code" | "regs" | "off" | "imm";

/** Why a slot is not an instruction. */
export interface Problem {
  /** The field at fault, to point at its byte. */
  readonly field: Field;
  /** What is wrong, in a sentence fragment ("exit must have imm 0, got 5"). */
  readonly message: string;
}

/** True for the atomic imm values of the read-modify-write forms (add/or/and/xor [| fetch], xchg, cmpxchg). */
export function isRmwAtomic(imm: number): boolean {
  switch (imm) {
    case BPF.ADD: case BPF.OR: case BPF.AND: case BPF.XOR:
    case BPF.ADD | AtomicOp.fetch: case BPF.OR | AtomicOp.fetch: case BPF.AND | AtomicOp.fetch: case BPF.XOR | AtomicOp.fetch:
    case AtomicOp.xchg: case AtomicOp.cmpxchg:
      return true;
  }
  return false;
}

const hex = (v: number): string => `0x${(v >>> 0).toString(16).padStart(2, "0")}`;
const must = (code: number, field: Field, name: string, want: string, got: number): Problem => ({
  field,
  message: `opcode ${hex(code)} must have ${name} ${want}, got ${got}`,
});

/** Undefined when the fields make an instruction; otherwise the first problem found. */
export function slotProblem(code: number, dst: number, src: number, off: number, imm: number): Problem | undefined {
  const form = FORMS[code];
  if (form === Form.invalid) return { field: "code", message: `${hex(code)} is not a BPF opcode` };
  if (dst > 10) return { field: "regs", message: `dst register r${dst} does not exist (r0..r10)` };
  switch (form) {
    case Form.aluK:
      if (src !== 0) return must(code, "regs", "src", "0", src);
      if (off !== 0 && !(off === 1 && ((code & 0xf0) === BPF.DIV || (code & 0xf0) === BPF.MOD))) {
        return must(code, "off", "off", (code & 0xf0) === BPF.DIV || (code & 0xf0) === BPF.MOD ? "0 or 1 (signed)" : "0", off);
      }
      return undefined;
    case Form.aluX: {
      if (src > 10) return { field: "regs", message: `src register r${src} does not exist (r0..r10)` };
      const op = code & 0xf0;
      const is64 = (code & 7) === BPF.ALU64;
      if (op === BPF.MOV) {
        if (is64 && off === 1) return undefined; // addr_space_cast: both address spaces in imm
        if (off !== 0 && off !== 8 && off !== 16 && !(is64 && off === 32)) return must(code, "off", "off", is64 ? "0, 1, 8, 16 or 32" : "0, 8 or 16", off);
      } else if (off !== 0 && !(off === 1 && (op === BPF.DIV || op === BPF.MOD))) {
        return must(code, "off", "off", op === BPF.DIV || op === BPF.MOD ? "0 or 1 (signed)" : "0", off);
      }
      if (imm !== 0) return must(code, "imm", "imm", "0", imm);
      return undefined;
    }
    case Form.neg:
    case Form.exit:
      if (src !== 0) return must(code, "regs", "src", "0", src);
      if (off !== 0) return must(code, "off", "off", "0", off);
      if (imm !== 0) return must(code, "imm", "imm", "0", imm);
      if (form === Form.exit && dst !== 0) return must(code, "regs", "dst", "0", dst);
      return undefined;
    case Form.end:
    case Form.bswap:
      if (src !== 0) return must(code, "regs", "src", "0", src);
      if (off !== 0) return must(code, "off", "off", "0", off);
      if (imm !== 16 && imm !== 32 && imm !== 64) return must(code, "imm", "imm", "16, 32 or 64", imm);
      return undefined;
    case Form.ja:
    case Form.mayGoto:
      if (dst !== 0) return must(code, "regs", "dst", "0", dst);
      if (src !== 0) return must(code, "regs", "src", "0", src);
      if (imm !== 0) return must(code, "imm", "imm", "0", imm);
      return undefined;
    case Form.gotol:
      if (dst !== 0) return must(code, "regs", "dst", "0", dst);
      if (src !== 0) return must(code, "regs", "src", "0", src);
      if (off !== 0) return must(code, "off", "off", "0", off);
      return undefined;
    case Form.jmpK:
      if (src !== 0) return must(code, "regs", "src", "0", src);
      return undefined;
    case Form.jmpX:
      if (src > 10) return { field: "regs", message: `src register r${src} does not exist (r0..r10)` };
      if (imm !== 0) return must(code, "imm", "imm", "0", imm);
      return undefined;
    case Form.call:
      if (dst !== 0) return must(code, "regs", "dst", "0", dst);
      if (src > 2) return must(code, "regs", "src", "0 (helper), 1 (bpf-to-bpf) or 2 (kfunc)", src);
      if (off !== 0 && src !== 2) return must(code, "off", "off", "0 unless it calls a kfunc", off);
      return undefined;
    case Form.callx:
      if (src !== 0) return must(code, "regs", "src", "0", src);
      if (off !== 0) return must(code, "off", "off", "0", off);
      if (imm !== 0) return must(code, "imm", "imm", "0", imm);
      return undefined;
    case Form.ldImm64:
      if (src > 6) return must(code, "regs", "src", "0 or a BPF_PSEUDO_* value 1..6", src);
      if (off !== 0) return must(code, "off", "off", "0", off);
      return undefined;
    case Form.ldAbs:
      if (dst !== 0) return must(code, "regs", "dst", "0", dst);
      if (src !== 0) return must(code, "regs", "src", "0", src);
      if (off !== 0) return must(code, "off", "off", "0", off);
      return undefined;
    case Form.ldInd:
      if (dst !== 0) return must(code, "regs", "dst", "0", dst);
      if (src > 10) return { field: "regs", message: `src register r${src} does not exist (r0..r10)` };
      if (off !== 0) return must(code, "off", "off", "0", off);
      return undefined;
    case Form.ldx:
    case Form.ldsx:
    case Form.stx:
      if (src > 10) return { field: "regs", message: `src register r${src} does not exist (r0..r10)` };
      if (imm !== 0) return must(code, "imm", "imm", "0", imm);
      return undefined;
    case Form.st:
      if (src !== 0) return must(code, "regs", "src", "0", src);
      return undefined;
    case Form.atomic:
    case Form.atomicAcqRel:
      if (src > 10) return { field: "regs", message: `src register r${src} does not exist (r0..r10)` };
      if (imm === AtomicOp.load_acq || imm === AtomicOp.store_rel) return undefined;
      if (form === Form.atomic && isRmwAtomic(imm)) return undefined;
      return {
        field: "imm",
        message: form === Form.atomic
          ? `opcode ${hex(code)} must have an atomic operation in imm, got ${hex(imm)}`
          : `opcode ${hex(code)} must have imm 0x100 (load-acquire) or 0x110 (store-release), got ${hex(imm)}`,
      };
  }
  return undefined;
}

/** Undefined when a slot is a valid second half of a 64-bit immediate load. */
export function secondSlotProblem(code: number, dst: number, src: number, off: number): Problem | undefined {
  if (code !== 0) return { field: "code", message: `the second slot of a 64-bit immediate load must have opcode 0, got ${hex(code)}` };
  if (dst !== 0 || src !== 0) return { field: "regs", message: "the second slot of a 64-bit immediate load must have registers 0" };
  if (off !== 0) return { field: "off", message: `the second slot of a 64-bit immediate load must have off 0, got ${off}` };
  return undefined;
}
