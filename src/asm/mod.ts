/**
 * Instructions: the seed's builders and encoding, builders for the whole instruction set, the
 * decoder, the LLVM-syntax assembler and disassembler (plus the verifier log's syntax) and a
 * program builder with labels and map symbols.
 * @module
 */
export { Insn, type AluOpName, type JmpOpName, type Size, type Src, sizeBits } from "./insn.ts";
export { encode, encodeInto, type RawInsn } from "./encode.ts";
export { isReg, type Reg, regNum } from "./reg.ts";
export { type AluOp2, type JmpCond, type MemSize } from "./ops.ts";
export { Alu } from "./alu.ts";
export { Jmp } from "./jump.ts";
export { Mem } from "./mem.ts";
export { Atomic, type AtomicRmw } from "./atomic.ts";
export { LD_IMM64, LdImm64 } from "./ldimm64.ts";
export { decode, DecodeError } from "./decode.ts";
export { type DisassembleOptions, disassemble, formatInsn } from "./disasm.ts";
export { type VerifierSyntaxOptions } from "./verifier-syntax.ts";
export { AsmError, assemble, type AssembleOptions } from "./assemble.ts";
export { type Endian } from "./slot.ts";
export { BuiltProgram, type MapReloc, program, ProgramBuilder } from "./program.ts";
