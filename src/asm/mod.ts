/**
 * Instructions: the seed's builders, encoding and (as the instruction-set issue lands) the whole
 * ISA, decoder, assembler and disassembler.
 * @module
 */
export { Insn, type AluOpName, type JmpOpName, type Size, type Src, sizeBits } from "./insn.ts";
export { encode, encodeInto, type RawInsn } from "./encode.ts";
export { isReg, type Reg, regNum } from "./reg.ts";
