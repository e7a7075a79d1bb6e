/**
 * One instruction as the text `llvm-objdump -d --mcpu=v4` (LLVM 19) prints for it, immediates in
 * decimal (`--no-print-imm-hex`) or hex (the default). Load-acquire and store-release, which
 * LLVM 19 does not know, print as LLVM 20 and later print them.
 * @module
 */
import { AtomicOp, BPF } from "../uapi/flags.gen.ts";
import { Form, FORMS } from "./valid.ts";

const R: readonly string[] = Array.from({ length: 16 }, (_, i) => `r${i}`);
const W: readonly string[] = Array.from({ length: 16 }, (_, i) => `w${i}`);

// Indexed by the operation nibble (code >> 4).
const ALU_OPS: readonly string[] = ["+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "", "%=", "^=", "=", "s>>="];
const JMP_OPS: readonly string[] = ["", "==", ">", ">=", "&", "!=", "s>", "s>=", "", "", "<", "<=", "s<", "s<="];
// Indexed by the size bits >> 3 (W, H, B, DW).
const USIZE: readonly string[] = ["u32", "u16", "u8", "u64"];
const SSIZE: readonly string[] = ["s32", "s16", "s8", ""];

/** A signed integer as LLVM formats an immediate: decimal, or hex with the sign in front. */
export function fmtImm(v: number, hex: boolean): string {
  if (!hex) return `${v}`;
  return v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

function memOff(off: number, hex: boolean): string {
  return off < 0 ? ` - ${fmtImm(-off, hex)}` : ` + ${fmtImm(off, hex)}`;
}

function jmpOff(off: number, hex: boolean): string {
  return off < 0 ? fmtImm(off, hex) : `+${fmtImm(off, hex)}`;
}

/** The signed 64-bit value of a plain ldimm64 as LLVM prints it. */
export function fmtImm64(lo: number, hi: number, hex: boolean): string {
  // Exact as a double while |value| < 2^53: the common case stays off BigInt.
  if (hi >= -0x200000 && hi < 0x200000) return fmtImm(hi * 4294967296 + (lo >>> 0), hex);
  const v = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo >>> 0));
  if (!hex) return v.toString();
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

/**
 * LLVM's text for an instruction whose fields have been validated (see valid.ts); `imm2` is the
 * second slot's immediate of a 64-bit load and ignored otherwise.
 */
export function llvmText(code: number, dst: number, src: number, off: number, imm: number, imm2: number, hex: boolean): string {
  switch (FORMS[code]) {
    case Form.aluK: {
      const p = (code & 7) === BPF.ALU64 ? R : W;
      const op = off === 1 ? ((code & 0xf0) === BPF.DIV ? "s/=" : "s%=") : ALU_OPS[code >> 4];
      return `${p[dst]} ${op} ${fmtImm(imm, hex)}`;
    }
    case Form.aluX: {
      const p = (code & 7) === BPF.ALU64 ? R : W;
      if ((code & 0xf0) === BPF.MOV && off !== 0) {
        if (off === 1) return `r${dst} = addr_space_cast(r${src}, ${fmtImm(imm >>> 16, hex)}, ${fmtImm(imm & 0xffff, hex)})`;
        return `${p[dst]} = (s${off})${p[src]}`;
      }
      const op = off === 1 ? ((code & 0xf0) === BPF.DIV ? "s/=" : "s%=") : ALU_OPS[code >> 4];
      return `${p[dst]} ${op} ${p[src]}`;
    }
    case Form.neg: {
      const p = (code & 7) === BPF.ALU64 ? R : W;
      return `${p[dst]} = -${p[dst]}`;
    }
    case Form.end:
      return `r${dst} = ${(code & BPF.TO_BE) !== 0 ? "be" : "le"}${imm} r${dst}`;
    case Form.bswap:
      return `r${dst} = bswap${imm} r${dst}`;
    case Form.ja:
      return `goto ${jmpOff(off, hex)}`;
    case Form.gotol:
      return `gotol ${jmpOff(imm, hex)}`;
    case Form.mayGoto:
      return `may_goto ${jmpOff(off, hex)}`;
    case Form.jmpK: {
      const p = (code & 7) === BPF.JMP32 ? W : R;
      return `if ${p[dst]} ${JMP_OPS[code >> 4]} ${fmtImm(imm, hex)} goto ${jmpOff(off, hex)}`;
    }
    case Form.jmpX: {
      const p = (code & 7) === BPF.JMP32 ? W : R;
      return `if ${p[dst]} ${JMP_OPS[code >> 4]} ${p[src]} goto ${jmpOff(off, hex)}`;
    }
    case Form.call:
      return `call ${fmtImm(imm, hex)}`;
    case Form.callx:
      return `callx r${dst}`;
    case Form.exit:
      return "exit";
    case Form.ldImm64:
      if (src === 0) return `r${dst} = ${fmtImm64(imm, imm2, hex)} ll`;
      return `ld_pseudo r${dst}, ${fmtImm(src, hex)}, ${fmtImm(imm >>> 0, hex)}`;
    case Form.ldAbs:
      return `r0 = *(${USIZE[(code >> 3) & 3]} *)skb[${fmtImm(imm, hex)}]`;
    case Form.ldInd:
      return `r0 = *(${USIZE[(code >> 3) & 3]} *)skb[r${src}]`;
    case Form.ldx: {
      const s = (code >> 3) & 3;
      return `${s === 3 ? "r" : "w"}${dst} = *(${USIZE[s]} *)(r${src}${memOff(off, hex)})`;
    }
    case Form.ldsx:
      return `r${dst} = *(${SSIZE[(code >> 3) & 3]} *)(r${src}${memOff(off, hex)})`;
    case Form.st:
      return `*(${USIZE[(code >> 3) & 3]} *)(r${dst}${memOff(off, hex)}) = ${fmtImm(imm, hex)}`;
    case Form.stx: {
      const s = (code >> 3) & 3;
      return `*(${USIZE[s]} *)(r${dst}${memOff(off, hex)}) = ${s === 3 ? "r" : "w"}${src}`;
    }
    case Form.atomic:
    case Form.atomicAcqRel:
      return atomicText(code, dst, src, off, imm, hex);
  }
  throw new RangeError(`0x${code.toString(16)} is not a BPF opcode`);
}

function atomicText(code: number, dst: number, src: number, off: number, imm: number, hex: boolean): string {
  const s = (code >> 3) & 3;
  const p = s === 3 ? R : W;
  const u = USIZE[s];
  const mem = `r${dst}${memOff(off, hex)}`;
  switch (imm) {
    case AtomicOp.load_acq:
      return `${p[dst]} = load_acquire((${u} *)(r${src}${memOff(off, hex)}))`;
    case AtomicOp.store_rel:
      return `store_release((${u} *)(${mem}), ${p[src]})`;
    case AtomicOp.xchg:
      return s === 3 ? `r${src} = xchg_64(${mem}, r${src})` : `w${src} = xchg32_32(${mem}, w${src})`;
    case AtomicOp.cmpxchg:
      return s === 3 ? `r0 = cmpxchg_64(${mem}, r0, r${src})` : `w0 = cmpxchg32_32(${mem}, w0, w${src})`;
  }
  const name = imm & 0xf0;
  if ((imm & AtomicOp.fetch) !== 0) {
    const fn = name === BPF.ADD ? "add" : name === BPF.OR ? "or" : name === BPF.AND ? "and" : "xor";
    return `${p[src]} = atomic_fetch_${fn}((${u} *)(${mem}), ${p[src]})`;
  }
  const op = name === BPF.ADD ? "+=" : name === BPF.OR ? "|=" : name === BPF.AND ? "&=" : "^=";
  return `lock *(${u} *)(${mem}) ${op} ${p[src]}`;
}
