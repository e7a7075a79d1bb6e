/**
 * Load and store builders: ldx/stx/st in every size, the sign-extending loads (BPF_MEMSX, cpu
 * v4) and the legacy packet loads (BPF_ABS / BPF_IND), which always load into r0.
 * @module
 */
import { BPF } from "../uapi/flags.gen.ts";
import { imm32, off16 } from "./check.ts";
import { Insn } from "./insn.ts";
import { type MemSize, memSizeBits } from "./ops.ts";
import { type Reg, regNum } from "./reg.ts";

function noDw(size: MemSize, what: string): number {
  const bits = memSizeBits(size);
  if (bits === BPF.DW) throw new RangeError(`${what} has no 64-bit form; use "b", "h" or "w"`);
  return bits;
}

/** Builders for BPF_LDX, BPF_ST, BPF_STX (plain memory) and the legacy BPF_LD packet loads. */
export class Mem {
  /** dst = *(size *)(src + off), zero-extended. */
  static ldx(size: MemSize, dst: Reg, src: Reg, off: number): Insn {
    return new Insn(BPF.LDX | BPF.MEM | memSizeBits(size), regNum(dst), regNum(src), off16(off), 0);
  }
  /** dst = *(s8/s16/s32 *)(src + off), sign-extended to 64 bits (BPF_MEMSX, cpu v4). */
  static ldsx(size: MemSize, dst: Reg, src: Reg, off: number): Insn {
    return new Insn(BPF.LDX | BPF.MEMSX | noDw(size, "a sign-extending load"), regNum(dst), regNum(src), off16(off), 0);
  }
  /** *(size *)(dst + off) = imm (the 32-bit immediate is sign-extended for a 64-bit store). */
  static st(size: MemSize, dst: Reg, off: number, imm: number): Insn {
    return new Insn(BPF.ST | BPF.MEM | memSizeBits(size), regNum(dst), 0, off16(off), imm32(imm));
  }
  /** *(size *)(dst + off) = src. */
  static stx(size: MemSize, dst: Reg, off: number, src: Reg): Insn {
    return new Insn(BPF.STX | BPF.MEM | memSizeBits(size), regNum(dst), regNum(src), off16(off), 0);
  }
  /** r0 = *(size *)(skb->data + imm), in network byte order (BPF_LD | BPF_ABS; socket filters). */
  static ldAbs(size: MemSize, imm: number): Insn {
    return new Insn(BPF.LD | BPF.ABS | noDw(size, "a packet load"), 0, 0, 0, imm32(imm));
  }
  /** r0 = *(size *)(skb->data + src + imm) (BPF_LD | BPF_IND). */
  static ldInd(size: MemSize, src: Reg, imm: number): Insn {
    return new Insn(BPF.LD | BPF.IND | noDw(size, "a packet load"), 0, regNum(src), 0, imm32(imm));
  }
}
