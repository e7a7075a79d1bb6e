/**
 * JMP and JMP32 builders: conditional jumps in both widths and both sources, the unconditional
 * forms (goto with a 16-bit offset, gotol with a 32-bit one, may_goto), the three kinds of call
 * (helper, bpf-to-bpf, kfunc), callx and exit. Offsets count 8-byte slots from the next one.
 * @module
 */
import { BPF, Pseudo } from "../uapi/flags.gen.ts";
import { Helper } from "../uapi/enums.gen.ts";
import { imm32, off16 } from "./check.ts";
import { Insn, type Src } from "./insn.ts";
import { jmpClass, type JmpCond, jmpCondBits } from "./ops.ts";
import { type Reg, regNum } from "./reg.ts";

/** Builders for BPF_JMP and BPF_JMP32 instructions. */
export class Jmp {
  /** if (dst cond src) goto +off, comparing 64 bits (JMP) or the low 32 (JMP32). */
  static cond(width: 32 | 64, cond: JmpCond, dst: Reg, src: Src, off: number): Insn {
    return Insn.immReg(jmpClass(width) | jmpCondBits(cond), dst, src, off16(off, "jump offset"));
  }
  /** goto +off (16-bit offset). */
  static ja(off: number): Insn {
    return new Insn(BPF.JMP | BPF.JA, 0, 0, off16(off, "jump offset"), 0);
  }
  /** gotol +off: the 32-bit offset lives in imm (BPF_JMP32 | BPF_JA, cpu v4). */
  static gotol(off: number): Insn {
    if (!Number.isInteger(off) || off < -2147483648 || off > 2147483647) throw new RangeError(`jump offset ${off} does not fit in 32 signed bits`);
    return new Insn(BPF.JMP32 | BPF.JA, 0, 0, 0, off);
  }
  /** may_goto +off: falls through while the loop budget lasts, then jumps (BPF_JMP | BPF_JCOND). */
  static mayGoto(off: number): Insn {
    return new Insn(BPF.JMP | BPF.JCOND, 0, 0, off16(off, "jump offset"), 0);
  }
  /** Calls a helper by id or name (Helper.map_lookup_elem or "map_lookup_elem"). */
  static call(helper: number | keyof typeof Helper): Insn {
    return Insn.call(helper);
  }
  /** Calls the subprogram `off` slots after the next one (src = BPF_PSEUDO_CALL). */
  static callLocal(off: number): Insn {
    return new Insn(BPF.JMP | BPF.CALL, 0, Pseudo.call, 0, imm32(off, "call offset"));
  }
  /** Calls kernel function `btfId`; `btfFdIdx` picks a module BTF from fd_array, 0 for vmlinux. */
  static callKfunc(btfId: number, btfFdIdx = 0): Insn {
    return new Insn(BPF.JMP | BPF.CALL, 0, Pseudo.kfunc_call, off16(btfFdIdx, "BTF fd index"), imm32(btfId, "BTF id"));
  }
  /** Calls the address in register `reg` (LLVM's callx: BPF_JMP | BPF_CALL | BPF_X, reg in dst). */
  static callx(reg: Reg): Insn {
    return new Insn(BPF.JMP | BPF.CALL | BPF.X, regNum(reg), 0, 0, 0);
  }
  /** Returns from the program or subprogram; r0 is the result. */
  static exit(): Insn {
    return Insn.exit();
  }
}
