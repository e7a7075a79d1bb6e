/**
 * One BPF instruction (struct bpf_insn) and the builders of Zig's `std.os.linux.BPF.Insn`, named in
 * camelCase, with Zig's argument orders (where they differ from the convention of the other
 * builders, mod.ts says why). Registers are "r0".."r10"; a source operand is a register name or
 * a number immediate. Operation and size names are looked up in ops.ts, the one table.
 * @module
 */
import { BPF, Pseudo } from "../uapi/flags.gen.ts";
import { Helper } from "../uapi/enums.gen.ts";
import { imm32, imm64, off16 } from "./check.ts";
import { isReg, type Reg, regNum } from "./reg.ts";
import { encode } from "./encode.ts";
import { aluClass, type AluOpName, type JmpOpName, seedAluOpBits, seedJmpOpBits, type Size, sizeBits, swapWidth } from "./ops.ts";

/** A source operand: a register, or an immediate that fits in 32 bits. */
export type Src = Reg | number;

/** One 8-byte instruction: opcode, destination and source registers, 16-bit offset, 32-bit immediate. */
export class Insn {
  /** Opcode: class | size/op | mode/source bits. */
  code: number;
  /** Destination register number (4 bits). */
  dst: number;
  /** Source register number (4 bits), or a BPF_PSEUDO_* marker. */
  src: number;
  /** Signed 16-bit offset. */
  off: number;
  /** Signed 32-bit immediate. */
  imm: number;

  /** An instruction from raw fields; each is range-checked. */
  constructor(code: number, dst: number, src: number, off: number, imm: number) {
    if (!Number.isInteger(code) || code < 0 || code > 255) throw new RangeError(`opcode ${code} does not fit in 8 bits`);
    if (!Number.isInteger(dst) || dst < 0 || dst > 15) throw new RangeError(`dst register ${dst} does not fit in 4 bits`);
    if (!Number.isInteger(src) || src < 0 || src > 15) throw new RangeError(`src register ${src} does not fit in 4 bits`);
    this.code = code;
    this.dst = dst;
    this.src = src;
    this.off = off16(off);
    this.imm = imm32(imm);
  }

  /** Instructions as bytes, 8 per instruction (little-endian unless asked otherwise). */
  static encode(insns: readonly Insn[], endian: "little" | "big" = "little"): Uint8Array {
    return encode(insns, endian);
  }

  /** An instruction with a register or immediate source: BPF_X with src, or BPF_K with imm. */
  static immReg(code: number, dst: Reg, src: Src, off: number): Insn {
    if (isReg(src)) return new Insn(code | BPF.X, regNum(dst), regNum(src), off, 0);
    if (typeof src !== "number") throw new TypeError(`source must be a register "r0".."r10" or a number, got ${JSON.stringify(src)}`);
    return new Insn(code | BPF.K, regNum(dst), 0, off, imm32(src));
  }

  /** `op` on `dst` and `src` in 32- or 64-bit width (BPF_ALU / BPF_ALU64). */
  static alu(width: 32 | 64, op: AluOpName, dst: Reg, src: Src): Insn {
    return Insn.immReg(aluClass(width) | seedAluOpBits(op), dst, src, 0);
  }

  /** dst = src (64-bit). */
  static mov(dst: Reg, src: Src): Insn {
    return Insn.alu(64, "mov", dst, src);
  }
  /** dst += src. */
  static add(dst: Reg, src: Src): Insn {
    return Insn.alu(64, "add", dst, src);
  }
  /** dst -= src. */
  static sub(dst: Reg, src: Src): Insn {
    return Insn.alu(64, "sub", dst, src);
  }
  /** dst *= src. */
  static mul(dst: Reg, src: Src): Insn {
    return Insn.alu(64, "mul", dst, src);
  }
  /** dst /= src (unsigned). */
  static div(dst: Reg, src: Src): Insn {
    return Insn.alu(64, "div", dst, src);
  }
  /** dst |= src. */
  static aluOr(dst: Reg, src: Src): Insn {
    return Insn.alu(64, "alu_or", dst, src);
  }
  /** dst &= src. */
  static aluAnd(dst: Reg, src: Src): Insn {
    return Insn.alu(64, "alu_and", dst, src);
  }
  /** dst <<= src. */
  static lsh(dst: Reg, src: Src): Insn {
    return Insn.alu(64, "lsh", dst, src);
  }
  /** dst >>= src (logical). */
  static rsh(dst: Reg, src: Src): Insn {
    return Insn.alu(64, "rsh", dst, src);
  }
  /** dst = -dst. */
  static neg(dst: Reg): Insn {
    return Insn.alu(64, "neg", dst, 0);
  }
  /** dst %= src (unsigned). */
  static mod(dst: Reg, src: Src): Insn {
    return Insn.alu(64, "mod", dst, src);
  }
  /** dst ^= src. */
  static xor(dst: Reg, src: Src): Insn {
    return Insn.alu(64, "xor", dst, src);
  }
  /** dst >>= src (arithmetic). */
  static arsh(dst: Reg, src: Src): Insn {
    return Insn.alu(64, "arsh", dst, src);
  }

  /** Jump by `off` instructions when `dst op src` holds (BPF_JMP). */
  static jmp(op: JmpOpName, dst: Reg, src: Src, off: number): Insn {
    return Insn.immReg(BPF.JMP | seedJmpOpBits(op), dst, src, off16(off, "jump offset"));
  }
  /** Unconditional jump by `off`. */
  static ja(off: number): Insn {
    return Insn.jmp("ja", "r0", 0, off);
  }
  /** Jump if dst == src. */
  static jeq(dst: Reg, src: Src, off: number): Insn {
    return Insn.jmp("jeq", dst, src, off);
  }
  /** Jump if dst > src (unsigned). */
  static jgt(dst: Reg, src: Src, off: number): Insn {
    return Insn.jmp("jgt", dst, src, off);
  }
  /** Jump if dst >= src (unsigned). */
  static jge(dst: Reg, src: Src, off: number): Insn {
    return Insn.jmp("jge", dst, src, off);
  }
  /** Jump if dst < src (unsigned). */
  static jlt(dst: Reg, src: Src, off: number): Insn {
    return Insn.jmp("jlt", dst, src, off);
  }
  /** Jump if dst <= src (unsigned). */
  static jle(dst: Reg, src: Src, off: number): Insn {
    return Insn.jmp("jle", dst, src, off);
  }
  /** Jump if dst & src. */
  static jset(dst: Reg, src: Src, off: number): Insn {
    return Insn.jmp("jset", dst, src, off);
  }
  /** Jump if dst != src. */
  static jne(dst: Reg, src: Src, off: number): Insn {
    return Insn.jmp("jne", dst, src, off);
  }
  /** Jump if dst > src (signed). */
  static jsgt(dst: Reg, src: Src, off: number): Insn {
    return Insn.jmp("jsgt", dst, src, off);
  }
  /** Jump if dst >= src (signed). */
  static jsge(dst: Reg, src: Src, off: number): Insn {
    return Insn.jmp("jsge", dst, src, off);
  }
  /** Jump if dst < src (signed). */
  static jslt(dst: Reg, src: Src, off: number): Insn {
    return Insn.jmp("jslt", dst, src, off);
  }
  /** Jump if dst <= src (signed). */
  static jsle(dst: Reg, src: Src, off: number): Insn {
    return Insn.jmp("jsle", dst, src, off);
  }

  /** Atomic *(u64 *)(dst + 0) += src (BPF_STX | BPF_XADD | BPF_DW). */
  static xadd(dst: Reg, src: Reg): Insn {
    return new Insn(BPF.STX | BPF.XADD | BPF.DW, regNum(dst), regNum(src), 0, 0);
  }

  /** Legacy packet load: r0 = *(size *)(skb->data + imm) (BPF_LD | BPF_ABS). */
  static ldAbs(size: Size, dst: Reg, src: Reg, imm: number): Insn {
    return new Insn(BPF.ABS | sizeBits(size) | BPF.LD, regNum(dst), regNum(src), 0, imm32(imm));
  }
  /** Legacy packet load: r0 = *(size *)(skb->data + src + imm) (BPF_LD | BPF_IND). */
  static ldInd(size: Size, dst: Reg, src: Reg, imm: number): Insn {
    return new Insn(BPF.IND | sizeBits(size) | BPF.LD, regNum(dst), regNum(src), 0, imm32(imm));
  }
  /** dst = *(size *)(src + off) (BPF_LDX | BPF_MEM). */
  static ldx(size: Size, dst: Reg, src: Reg, off: number): Insn {
    return new Insn(BPF.MEM | sizeBits(size) | BPF.LDX, regNum(dst), regNum(src), off16(off), 0);
  }

  /** First slot of a 64-bit immediate load: dst = imm (low 32 bits here). */
  static ldDw1(dst: Reg, imm: number | bigint): Insn {
    return new Insn(BPF.LD | BPF.DW | BPF.IMM, regNum(dst), 0, 0, imm64(imm)[0]);
  }
  /** Second slot of a 64-bit immediate load: the high 32 bits of imm. */
  static ldDw2(imm: number | bigint): Insn {
    return new Insn(0, 0, 0, 0, imm64(imm)[1]);
  }
  /** First slot of loading a map by fd: dst = map (src = BPF_PSEUDO_MAP_FD). */
  static ldMapFd1(dst: Reg, mapFd: number): Insn {
    return new Insn(BPF.LD | BPF.DW | BPF.IMM, regNum(dst), Pseudo.map_fd, 0, imm32(mapFd, "map fd"));
  }
  /** Second slot of loading a map by fd (always zero: fds are 32-bit). */
  static ldMapFd2(mapFd: number): Insn {
    imm32(mapFd, "map fd");
    return new Insn(0, 0, 0, 0, 0);
  }

  /** *(size *)(dst + off) = imm (BPF_ST | BPF_MEM). */
  static st(size: Size, dst: Reg, off: number, imm: number): Insn {
    return new Insn(BPF.MEM | sizeBits(size) | BPF.ST, regNum(dst), 0, off16(off), imm32(imm));
  }
  /** *(size *)(dst + off) = src (BPF_STX | BPF_MEM). */
  static stx(size: Size, dst: Reg, off: number, src: Reg): Insn {
    return new Insn(BPF.MEM | sizeBits(size) | BPF.STX, regNum(dst), regNum(src), off16(off), 0);
  }

  /** dst = htole16/32/64(dst) (BPF_ALU | BPF_END | BPF_TO_LE). */
  static le(size: Size, dst: Reg): Insn {
    const bits = swapWidth(size);
    return new Insn(BPF.ALU | BPF.END | BPF.TO_LE, regNum(dst), 0, 0, bits);
  }
  /** dst = htobe16/32/64(dst) (BPF_ALU | BPF_END | BPF_TO_BE). */
  static be(size: Size, dst: Reg): Insn {
    const bits = swapWidth(size);
    return new Insn(BPF.ALU | BPF.END | BPF.TO_BE, regNum(dst), 0, 0, bits);
  }

  /** Call a helper by id or name (Helper.map_lookup_elem or "map_lookup_elem"). */
  static call(helper: number | keyof typeof Helper): Insn {
    const id = typeof helper === "number" ? helper : Helper[helper];
    if (id === undefined) throw new TypeError(`unknown helper ${JSON.stringify(helper)}`);
    return new Insn(BPF.JMP | BPF.CALL, 0, 0, 0, imm32(id, "helper id"));
  }
  /** Return from the program (r0 is the result). */
  static exit(): Insn {
    return new Insn(BPF.JMP | BPF.EXIT, 0, 0, 0, 0);
  }
}
