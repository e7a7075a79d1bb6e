// The two builder families - the seed's Insn (Zig's names and orders) and Alu/Jmp/Mem/Atomic/
// LdImm64 - make the same bytes for every instruction they share, and each still takes only its
// own spellings of the names in the one table (ops.ts).
import { describe, expect, it } from "vitest";
import { Alu, Atomic, encode, Insn, Jmp, LdImm64, Mem } from "../../src/asm/mod.ts";
import type { AluOp2, AluOpName, JmpCond, MemSize, Size, Src } from "../../src/asm/mod.ts";

const bytes = (...insns: Insn[]): string => [...encode(insns)].map((b) => b.toString(16).padStart(2, "0")).join("");
const same = (a: Insn | Insn[], b: Insn | Insn[]): void => {
  expect(bytes(...[a].flat())).toBe(bytes(...[b].flat()));
};

const SOURCES: Src[] = ["r3", "r10", 0, 7, -1, 2147483647, -2147483648, 4294967295];
// Insn.alu's name, its 64-bit shorthand on Insn, Alu.op's name (which is also Alu's builder).
const ALU: [AluOpName, keyof typeof Insn, AluOp2][] = [
  ["add", "add", "add"], ["sub", "sub", "sub"], ["mul", "mul", "mul"], ["div", "div", "div"],
  ["alu_or", "aluOr", "or"], ["alu_and", "aluAnd", "and"], ["lsh", "lsh", "lsh"], ["rsh", "rsh", "rsh"],
  ["mod", "mod", "mod"], ["xor", "xor", "xor"], ["mov", "mov", "mov"], ["arsh", "arsh", "arsh"],
];
const CONDS: JmpCond[] = ["jeq", "jgt", "jge", "jset", "jne", "jsgt", "jsge", "jlt", "jle", "jslt", "jsle"];
const SIZES: [Size, MemSize][] = [["byte", "b"], ["half_word", "h"], ["word", "w"], ["double_word", "dw"]];

describe("both families, same bytes", () => {
  it.each(ALU)("ALU %s", (zig, short, isa) => {
    for (const src of SOURCES) {
      for (const width of [32, 64] as const) same(Insn.alu(width, zig, "r1", src), Alu.op(width, isa, "r1", src));
      const shorthand = Insn[short] as (dst: "r1", src: Src) => Insn;
      const builder = Alu[isa as keyof typeof Alu] as (width: 64, dst: "r1", src: Src) => Insn;
      same(shorthand("r1", src), builder(64, "r1", src));
    }
  });

  it("neg", () => {
    same(Insn.neg("r4"), Alu.neg(64, "r4"));
    same(Insn.alu(32, "neg", "r4", 0), Alu.neg(32, "r4"));
  });

  it.each(CONDS)("jump %s", (cond) => {
    for (const src of SOURCES) {
      for (const off of [0, 1, -1, 32767, -32768]) {
        same(Insn.jmp(cond, "r2", src, off), Jmp.cond(64, cond, "r2", src, off));
        same((Insn[cond] as (dst: "r2", src: Src, off: number) => Insn)("r2", src, off), Jmp.cond(64, cond, "r2", src, off));
      }
    }
  });

  it("goto, call, exit", () => {
    for (const off of [0, 5, -5, 32767, -32768]) {
      same(Insn.ja(off), Jmp.ja(off));
      same(Insn.jmp("ja", "r0", 0, off), Jmp.ja(off));
    }
    same(Insn.call("map_lookup_elem"), Jmp.call("map_lookup_elem"));
    same(Insn.call(12), Jmp.call(12));
    same(Insn.exit(), Jmp.exit());
  });

  it.each(SIZES)("loads and stores of a %s (%s)", (size, short) => {
    for (const off of [0, 8, -8, 32767, -32768]) {
      for (const s of [size, short]) {
        same(Insn.ldx(size, "r1", "r2", off), Mem.ldx(s, "r1", "r2", off));
        same(Insn.st(size, "r10", off, -7), Mem.st(s, "r10", off, -7));
        same(Insn.stx(size, "r10", off, "r3"), Mem.stx(s, "r10", off, "r3"));
      }
    }
    if (size === "double_word") return; // no 64-bit packet load
    for (const imm of [0, 14, -1]) {
      same(Insn.ldAbs(size, "r0", "r0", imm), Mem.ldAbs(short, imm));
      same(Insn.ldInd(size, "r0", "r7", imm), Mem.ldInd(size, "r7", imm));
    }
  });

  it.each([["half_word", 16], ["word", 32], ["double_word", 64]] as const)("byte swaps of a %s", (size, bits) => {
    same(Insn.le(size, "r6"), Alu.le("r6", bits));
    same(Insn.be(size, "r6"), Alu.be("r6", bits));
  });

  it("xadd is a 64-bit atomic add", () => {
    same(Insn.xadd("r1", "r2"), Atomic.add("dw", "r1", 0, "r2"));
  });

  it("64-bit loads: two half-instructions or one LdImm64", () => {
    for (const v of [0, 1, -1, 2 ** 32, -(2 ** 40), 2n ** 63n, 2n ** 64n - 1n]) {
      same([Insn.ldDw1("r3", v), Insn.ldDw2(v)], LdImm64.imm("r3", v));
    }
    same([Insn.ldMapFd1("r1", 9), Insn.ldMapFd2(9)], LdImm64.mapFd("r1", 9));
  });
});

describe("each family takes its own spellings", () => {
  it.each([
    [() => Insn.alu(64, "or" as never, "r1", 1), /not an ALU operation: "or" \(expected one of "add", .*"alu_or".*"neg"/],
    [() => Insn.alu(64, "sdiv" as never, "r1", 1), /not an ALU operation: "sdiv"/],
    [() => Alu.op(64, "alu_or" as never, "r1", 1), /not an ALU operation: "alu_or" \(expected one of "add", .*"sdiv", "or"/],
    [() => Alu.op(64, "neg" as never, "r1", 1), /not an ALU operation: "neg"/],
    [() => Jmp.cond(64, "ja" as never, "r1", 1, 0), /not a jump condition: "ja" \(expected one of "jeq"/],
    [() => Insn.jmp("jcond" as never, "r1", 1, 0), /not a jump operation: "jcond" \(expected one of "ja", "jeq"/],
    [() => Insn.ldx("b" as never, "r1", "r2", 0), /not a size: "b" \(expected one of "byte", "half_word", "word", "double_word"\)/],
    [() => Mem.ldx("q" as never, "r1", "r2", 0), /not a size: "q" \(expected one of "byte", .*, "b", "h", "w", "dw"\)/],
    [() => Atomic.rmw("w", "sub" as never, "r1", 0, "r2"), /not an atomic operation: "sub" \(expected one of "add", "or", "and", "xor"\)/],
    [() => Insn.le("b" as never, "r1"), /cannot swap the bytes of a "b"/],
    [() => Insn.alu(64, "toString" as never, "r1", 1), /not an ALU operation: "toString"/],
  ] as const)("%#", (build, message) => {
    expect(build).toThrow(TypeError);
    expect(build).toThrow(message);
  });
});
