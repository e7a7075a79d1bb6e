/**
 * Atomic builders (BPF_STX | BPF_ATOMIC, the operation in imm): add/or/and/xor with and without
 * BPF_FETCH, xchg and cmpxchg on 32 and 64 bits, and load-acquire / store-release in every size.
 * Argument order follows stx: the memory operand (dst + off) first, then the source register.
 * @module
 */
import { AtomicOp, BPF } from "../uapi/flags.gen.ts";
import { off16 } from "./check.ts";
import { Insn } from "./insn.ts";
import { atomicOpBits, type AtomicRmw, type MemSize, memSizeBits } from "./ops.ts";
import { type Reg, regNum } from "./reg.ts";

function wordSize(size: MemSize): number {
  const bits = memSizeBits(size);
  if (bits !== BPF.W && bits !== BPF.DW) throw new RangeError(`atomic read-modify-write works on "w" or "dw", not ${JSON.stringify(size)}`);
  return bits;
}

function atomic(size: number, dst: Reg, off: number, src: Reg, imm: number): Insn {
  return new Insn(BPF.STX | BPF.ATOMIC | size, regNum(dst), regNum(src), off16(off), imm);
}

/** Builders for BPF_ATOMIC instructions. */
export class Atomic {
  /** lock *(size *)(dst + off) op= src; with `fetch`, src also receives the old value. */
  static rmw(size: MemSize, op: AtomicRmw, dst: Reg, off: number, src: Reg, fetch = false): Insn {
    const bits = atomicOpBits(op);
    return atomic(wordSize(size), dst, off, src, bits | (fetch ? AtomicOp.fetch : 0));
  }
  /** lock *(size *)(dst + off) += src. */
  static add(size: MemSize, dst: Reg, off: number, src: Reg): Insn {
    return Atomic.rmw(size, "add", dst, off, src);
  }
  /** lock *(size *)(dst + off) |= src. */
  static or(size: MemSize, dst: Reg, off: number, src: Reg): Insn {
    return Atomic.rmw(size, "or", dst, off, src);
  }
  /** lock *(size *)(dst + off) &= src. */
  static and(size: MemSize, dst: Reg, off: number, src: Reg): Insn {
    return Atomic.rmw(size, "and", dst, off, src);
  }
  /** lock *(size *)(dst + off) ^= src. */
  static xor(size: MemSize, dst: Reg, off: number, src: Reg): Insn {
    return Atomic.rmw(size, "xor", dst, off, src);
  }
  /** src = atomic_fetch_add((size *)(dst + off), src). */
  static fetchAdd(size: MemSize, dst: Reg, off: number, src: Reg): Insn {
    return Atomic.rmw(size, "add", dst, off, src, true);
  }
  /** src = atomic_fetch_or((size *)(dst + off), src). */
  static fetchOr(size: MemSize, dst: Reg, off: number, src: Reg): Insn {
    return Atomic.rmw(size, "or", dst, off, src, true);
  }
  /** src = atomic_fetch_and((size *)(dst + off), src). */
  static fetchAnd(size: MemSize, dst: Reg, off: number, src: Reg): Insn {
    return Atomic.rmw(size, "and", dst, off, src, true);
  }
  /** src = atomic_fetch_xor((size *)(dst + off), src). */
  static fetchXor(size: MemSize, dst: Reg, off: number, src: Reg): Insn {
    return Atomic.rmw(size, "xor", dst, off, src, true);
  }
  /** src = xchg(dst + off, src): swap memory and register. */
  static xchg(size: MemSize, dst: Reg, off: number, src: Reg): Insn {
    return atomic(wordSize(size), dst, off, src, AtomicOp.xchg);
  }
  /** r0 = cmpxchg(dst + off, r0, src): store src if memory equals r0; r0 gets the old value. */
  static cmpxchg(size: MemSize, dst: Reg, off: number, src: Reg): Insn {
    return atomic(wordSize(size), dst, off, src, AtomicOp.cmpxchg);
  }
  /** dst = load_acquire((size *)(src + off)): a load no later access may be reordered before. */
  static loadAcquire(size: MemSize, dst: Reg, src: Reg, off: number): Insn {
    return atomic(memSizeBits(size), dst, off, src, AtomicOp.load_acq);
  }
  /** store_release((size *)(dst + off), src): a store no earlier access may be reordered after. */
  static storeRelease(size: MemSize, dst: Reg, off: number, src: Reg): Insn {
    return atomic(memSizeBits(size), dst, off, src, AtomicOp.store_rel);
  }
}
