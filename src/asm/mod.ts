/**
 * Instructions: the seed's builders and encoding, builders for the whole instruction set, the
 * decoder, the LLVM-syntax assembler and disassembler (plus the verifier log's syntax) and a
 * program builder with labels and map symbols.
 *
 * Two builder families make the same instructions from one table of names (ops.ts): the seed's
 * `Insn.*`, with Zig's `std.os.linux.BPF.Insn` names, and the whole instruction set's `Alu`,
 * `Jmp`, `Mem`, `Atomic` and `LdImm64`. Their arguments come in one order:
 *
 * 1. what the opcode byte says and the builder's name does not: the width (32 or 64: ALU or
 *    ALU64, JMP32 or JMP), the operation, the load/store size;
 * 2. the operands in the order LLVM's text writes them: `Mem.stx(size, dst, off, src)` for
 *    `*(u32 *)(dst + off) = src`, `Jmp.cond(64, "jeq", dst, src, off)` for
 *    `if dst == src goto off` (a register written twice, as in atomic_fetch_add, comes once,
 *    where the instruction without fetch has it);
 * 3. what the kernel keeps outside the opcode byte although the text spells it in the mnemonic:
 *    a byte swap's or sign extension's width, BPF_FETCH (`Alu.le(dst, 16)`, `Alu.movsx(64, dst,
 *    src, 8)`, `Atomic.rmw(size, op, dst, off, src, true)`).
 *
 * `Insn` keeps Zig's argument orders where they differ, so that code ported from Zig reads the
 * same: `Insn.le(size, dst)` and `Insn.be(size, dst)` take the swap's width first and as a size
 * name, as Zig's `le(size, dst)` does; `Insn.ldAbs(size, dst, src, imm)` and `Insn.ldInd` take
 * a dst and a src as Zig's do, though the kernel wants dst r0 (and src 0 for ld_abs), which
 * `Mem.ldAbs(size, imm)` and `Mem.ldInd(size, src, imm)` leave out; a 64-bit load is two
 * half-instructions (`ldDw1`/`ldDw2`,
 * `ldMapFd1`/`ldMapFd2`); the 64-bit ALU and jump shorthands (`Insn.add(dst, src)`,
 * `Insn.jeq(dst, src, off)`) fix the width; and `aluOr`/`aluAnd` ("alu_or"/"alu_and" in
 * `Insn.alu()`) are named around Zig's keywords.
 * @module
 */
export { Insn, type Src } from "./insn.ts";
export { encode, encodeInto, type RawInsn } from "./encode.ts";
export { isReg, type Reg, regNum } from "./reg.ts";
export { type AluOp2, type AluOpName, type AtomicRmw, type JmpCond, type JmpOpName, type MemSize, type Size, sizeBits } from "./ops.ts";
export { Alu } from "./alu.ts";
export { Jmp } from "./jump.ts";
export { Mem } from "./mem.ts";
export { Atomic } from "./atomic.ts";
export { LD_IMM64, LdImm64 } from "./ldimm64.ts";
export { decode, DecodeError } from "./decode.ts";
export { type DisassembleOptions, disassemble, formatInsn } from "./disasm.ts";
export { type VerifierSyntaxOptions } from "./verifier-syntax.ts";
export { AsmError, assemble, type AssembleOptions } from "./assemble.ts";
export { type Endian } from "./slot.ts";
export { BuiltProgram, type MapReloc, program, ProgramBuilder } from "./program.ts";
