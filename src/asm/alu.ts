/**
 * ALU and ALU64 builders for the whole instruction set: every operation with an immediate or a
 * register source in both widths, the signed divisions (off = 1), sign-extending moves (off =
 * 8/16/32), negation, byte swaps and arena address-space casts.
 * @module
 */
import { BPF } from "../uapi/flags.gen.ts";
import { Insn, type Src } from "./insn.ts";
import { aluClass, aluOpBits, type AluOp2, checkWidth } from "./ops.ts";
import { type Reg, regNum } from "./reg.ts";

function swapBits(bits: 16 | 32 | 64): number {
  if (bits !== 16 && bits !== 32 && bits !== 64) throw new RangeError(`byte swap width must be 16, 32 or 64, got ${String(bits)}`);
  return bits;
}

/** Builders for BPF_ALU (32-bit, registers read as w0..w10) and BPF_ALU64 instructions. */
export class Alu {
  /** `dst op= src` in 32 or 64 bits; `src` is a register or a 32-bit immediate. */
  static op(width: 32 | 64, op: AluOp2, dst: Reg, src: Src): Insn {
    const [bits, off] = aluOpBits(op);
    return Insn.immReg(aluClass(width) | bits, dst, src, off);
  }
  /** dst += src. */
  static add(width: 32 | 64, dst: Reg, src: Src): Insn {
    return Alu.op(width, "add", dst, src);
  }
  /** dst -= src. */
  static sub(width: 32 | 64, dst: Reg, src: Src): Insn {
    return Alu.op(width, "sub", dst, src);
  }
  /** dst *= src. */
  static mul(width: 32 | 64, dst: Reg, src: Src): Insn {
    return Alu.op(width, "mul", dst, src);
  }
  /** dst /= src, unsigned. */
  static div(width: 32 | 64, dst: Reg, src: Src): Insn {
    return Alu.op(width, "div", dst, src);
  }
  /** dst s/= src, signed (cpu v4). */
  static sdiv(width: 32 | 64, dst: Reg, src: Src): Insn {
    return Alu.op(width, "sdiv", dst, src);
  }
  /** dst %= src, unsigned. */
  static mod(width: 32 | 64, dst: Reg, src: Src): Insn {
    return Alu.op(width, "mod", dst, src);
  }
  /** dst s%= src, signed (cpu v4). */
  static smod(width: 32 | 64, dst: Reg, src: Src): Insn {
    return Alu.op(width, "smod", dst, src);
  }
  /** dst |= src. */
  static or(width: 32 | 64, dst: Reg, src: Src): Insn {
    return Alu.op(width, "or", dst, src);
  }
  /** dst &= src. */
  static and(width: 32 | 64, dst: Reg, src: Src): Insn {
    return Alu.op(width, "and", dst, src);
  }
  /** dst ^= src. */
  static xor(width: 32 | 64, dst: Reg, src: Src): Insn {
    return Alu.op(width, "xor", dst, src);
  }
  /** dst <<= src. */
  static lsh(width: 32 | 64, dst: Reg, src: Src): Insn {
    return Alu.op(width, "lsh", dst, src);
  }
  /** dst >>= src, logical. */
  static rsh(width: 32 | 64, dst: Reg, src: Src): Insn {
    return Alu.op(width, "rsh", dst, src);
  }
  /** dst s>>= src, arithmetic. */
  static arsh(width: 32 | 64, dst: Reg, src: Src): Insn {
    return Alu.op(width, "arsh", dst, src);
  }
  /** dst = src (the 32-bit form zero-extends into the upper half). */
  static mov(width: 32 | 64, dst: Reg, src: Src): Insn {
    return Alu.op(width, "mov", dst, src);
  }
  /** dst = -dst. */
  static neg(width: 32 | 64, dst: Reg): Insn {
    return new Insn(aluClass(width) | BPF.NEG | BPF.K, regNum(dst), 0, 0, 0);
  }
  /** dst = (s8/s16/s32) src: move with sign extension from the low `bits` (cpu v4; 32-bit width: 8 or 16). */
  static movsx(width: 32 | 64, dst: Reg, src: Reg, bits: 8 | 16 | 32): Insn {
    const ok = width === 64 ? bits === 8 || bits === 16 || bits === 32 : bits === 8 || bits === 16;
    checkWidth(width);
    if (!ok) throw new RangeError(`a ${width}-bit sign-extending move takes 8${width === 64 ? ", 16 or 32" : " or 16"} bits, got ${String(bits)}`);
    return new Insn(aluClass(width) | BPF.MOV | BPF.X, regNum(dst), regNum(src), bits, 0);
  }
  /** dst = le16/32/64 dst: convert from little-endian to host order (BPF_ALU | BPF_END | BPF_TO_LE). */
  static le(dst: Reg, bits: 16 | 32 | 64): Insn {
    return new Insn(BPF.ALU | BPF.END | BPF.TO_LE, regNum(dst), 0, 0, swapBits(bits));
  }
  /** dst = be16/32/64 dst: convert from big-endian to host order (BPF_ALU | BPF_END | BPF_TO_BE). */
  static be(dst: Reg, bits: 16 | 32 | 64): Insn {
    return new Insn(BPF.ALU | BPF.END | BPF.TO_BE, regNum(dst), 0, 0, swapBits(bits));
  }
  /** dst = bswap16/32/64 dst: unconditional byte swap (BPF_ALU64 | BPF_END, cpu v4). */
  static bswap(dst: Reg, bits: 16 | 32 | 64): Insn {
    return new Insn(BPF.ALU64 | BPF.END | BPF.TO_LE, regNum(dst), 0, 0, swapBits(bits));
  }
  /** dst = addr_space_cast(src, dstAs, srcAs): convert a pointer between arena address spaces. */
  static addrSpaceCast(dst: Reg, src: Reg, dstAs: number, srcAs: number): Insn {
    for (const [n, v] of [["destination", dstAs], ["source", srcAs]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`${n} address space ${v} does not fit in 16 bits`);
    }
    return new Insn(BPF.ALU64 | BPF.MOV | BPF.X, regNum(dst), regNum(src), 1, ((dstAs << 16) | srcAs) | 0);
  }
}
