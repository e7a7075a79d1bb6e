/**
 * The benchmark's program: n instructions drawn from a fixed PRNG over the whole instruction set
 * (every form whose LLVM text is lossless, so llvm-mc can rebuild the same bytes from it).
 */
import { Alu, Atomic, Insn, Jmp, LdImm64, Mem, type Reg } from "../../src/asm/mod.ts";

const REGS: Reg[] = ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10"];
const ALU = ["add", "sub", "mul", "div", "sdiv", "or", "and", "lsh", "rsh", "mod", "smod", "xor", "mov", "arsh"] as const;
const CONDS = ["jeq", "jgt", "jge", "jset", "jne", "jsgt", "jsge", "jlt", "jle", "jslt", "jsle"] as const;
const SIZES = ["b", "h", "w", "dw"] as const;

/** n instructions (a 64-bit load counts as one), the same for the same seed. */
export function makeProgram(n: number, seed = 0x2545f491): Insn[] {
  let s = seed >>> 0;
  const rnd = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const reg = (): Reg => REGS[rnd() % 11];
  const imm = (): number => (rnd() % 4 === 0 ? (rnd() | 0) : (rnd() % 512) - 256);
  const off = (): number => (rnd() % 256) - 128;
  const width = (): 32 | 64 => (rnd() % 2 ? 64 : 32);
  const out: Insn[] = [];
  while (out.length < n) {
    const k = rnd() % 20;
    switch (k) {
      case 0: case 1: case 2: out.push(Alu.op(width(), ALU[rnd() % ALU.length], reg(), imm())); break;
      case 3: case 4: out.push(Alu.op(width(), ALU[rnd() % ALU.length], reg(), reg())); break;
      case 5: out.push(rnd() % 2 ? Alu.movsx(64, reg(), reg(), 32) : Alu.bswap(reg(), 16)); break;
      case 6: out.push(Alu.be(reg(), 32)); break;
      case 7: case 8: out.push(Mem.ldx(SIZES[rnd() % 4], reg(), reg(), off())); break;
      case 9: out.push(Mem.ldsx(SIZES[rnd() % 3], reg(), reg(), off())); break;
      case 10: out.push(Mem.st(SIZES[rnd() % 4], reg(), off(), imm())); break;
      case 11: case 12: out.push(Mem.stx(SIZES[rnd() % 4], reg(), off(), reg())); break;
      case 13: out.push(Atomic.fetchAdd(rnd() % 2 ? "w" : "dw", reg(), off(), reg())); break;
      case 14: out.push(LdImm64.imm(reg(), BigInt.asIntN(64, (BigInt(rnd()) << 32n) | BigInt(rnd())))); break;
      case 15: out.push(LdImm64.mapFd(reg(), rnd() % 64)); break;
      case 16: case 17: out.push(Jmp.cond(width(), CONDS[rnd() % CONDS.length], reg(), rnd() % 2 ? reg() : imm(), off())); break;
      case 18: out.push(rnd() % 2 ? Jmp.ja(off()) : Jmp.call(rnd() % 200)); break;
      default: out.push(Insn.exit());
    }
  }
  return out;
}
