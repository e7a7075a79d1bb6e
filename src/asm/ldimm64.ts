/**
 * 64-bit immediate loads (BPF_LD | BPF_IMM | BPF_DW): one instruction value that encodes to two
 * 8-byte slots. The src field says what the 64 bits mean: a plain number, or (BPF_PSEUDO_*) a map
 * by fd or index, a pointer into a map's value, a kernel BTF object or a subprogram.
 * @module
 */
import { BPF, Pseudo } from "../uapi/flags.gen.ts";
import { imm32, imm64 } from "./check.ts";
import { Insn } from "./insn.ts";
import { type Reg, regNum } from "./reg.ts";

/** The opcode of a 64-bit immediate load (0x18). */
export const LD_IMM64: number = BPF.LD | BPF.IMM | BPF.DW;

/** A 64-bit immediate load: `imm` is the first slot's immediate, `imm2` the second's. */
export class LdImm64 extends Insn {
  /** Immediate of the second slot: the high half of a plain value, or a map value offset. */
  imm2: number;

  /** A load with raw fields: src is 0 (plain) or a BPF_PSEUDO_* value, imm and imm2 are 32-bit. */
  constructor(dst: number, src: number, imm: number, imm2: number) {
    super(LD_IMM64, dst, src, 0, imm);
    this.imm2 = imm32(imm2, "second immediate");
  }

  /** The unsigned 64-bit value the two immediates make (for a plain load, the number loaded). */
  get value(): bigint {
    return (BigInt(this.imm2 >>> 0) << 32n) | BigInt(this.imm >>> 0);
  }

  /** dst = value (any 64-bit integer, signed or unsigned; a bigint past 2^53). */
  static imm(dst: Reg, value: number | bigint): LdImm64 {
    const [lo, hi] = imm64(value);
    return new LdImm64(regNum(dst), 0, lo, hi);
  }
  /** dst = the map whose fd is `fd` (BPF_PSEUDO_MAP_FD). */
  static mapFd(dst: Reg, fd: number): LdImm64 {
    return new LdImm64(regNum(dst), Pseudo.map_fd, imm32(fd, "map fd"), 0);
  }
  /** dst = address of byte `offset` of the value of array map `fd` (BPF_PSEUDO_MAP_VALUE). */
  static mapValue(dst: Reg, fd: number, offset: number): LdImm64 {
    return new LdImm64(regNum(dst), Pseudo.map_value, imm32(fd, "map fd"), imm32(offset, "map value offset"));
  }
  /** dst = map number `idx` of the fd array passed at load time (BPF_PSEUDO_MAP_IDX). */
  static mapIdx(dst: Reg, idx: number): LdImm64 {
    return new LdImm64(regNum(dst), Pseudo.map_idx, imm32(idx, "map index"), 0);
  }
  /** dst = address of byte `offset` of the value of map number `idx` (BPF_PSEUDO_MAP_IDX_VALUE). */
  static mapIdxValue(dst: Reg, idx: number, offset: number): LdImm64 {
    return new LdImm64(regNum(dst), Pseudo.map_idx_value, imm32(idx, "map index"), imm32(offset, "map value offset"));
  }
  /** dst = address of kernel object `btfId` (a BTF var), from module BTF `btfFd` or vmlinux when 0. */
  static btfId(dst: Reg, btfId: number, btfFd = 0): LdImm64 {
    return new LdImm64(regNum(dst), Pseudo.btf_id, imm32(btfId, "BTF id"), imm32(btfFd, "BTF fd"));
  }
  /** dst = address of the subprogram `off` instructions after the next one (BPF_PSEUDO_FUNC). */
  static func(dst: Reg, off: number): LdImm64 {
    return new LdImm64(regNum(dst), Pseudo.func, imm32(off, "function offset"), 0);
  }
}
