// The program builder: labels resolved at finish(), map symbols at resolve(), clear errors.
import { describe, expect, it } from "vitest";
import { Alu, disassemble, encode, Insn, LdImm64, program, ProgramBuilder } from "../../src/asm/mod.ts";

describe("ProgramBuilder", () => {
  it("resolves jumps, calls and function pointers to labels, counting 64-bit loads as two slots", () => {
    const prog = new ProgramBuilder()
      .ldMap("r1", "counts")
      .emit(Insn.mov("r2", "r10"), Insn.add("r2", -4))
      .callHelper("map_lookup_elem")
      .jmp("jeq", "r0", 0, "out")
      .jmp32("jne", "r0", "r1", "out")
      .call("double")
      .ldFunc("r3", "double")
      .mayGoto("out")
      .gotol("out")
      .ja("out")
      .label("out")
      .emit(Insn.exit())
      .label("double")
      .emit(Alu.mul(64, "r1", 2), Insn.exit())
      .finish();
    const text = disassemble(encode(prog.resolve({ counts: 7 })));
    expect(text).toEqual([
      "ld_pseudo r1, 1, 7",
      "r2 = r10",
      "r2 += -4",
      "call 1",
      "if r0 == 0 goto +7",
      "if w0 != w1 goto +6",
      "call 6",
      "ld_pseudo r3, 4, 5",
      "may_goto +2",
      "gotol +1",
      "goto +0",
      "exit",
      "r1 *= 2",
      "exit",
    ]);
    expect(prog.labels).toEqual(new Map([["out", 13], ["double", 14]]));
    expect(prog.insns[6]).toMatchObject({ code: 0x85, src: 1, imm: 6 }); // BPF_PSEUDO_CALL
  });

  it("leaves map symbols for resolve(), which gives new instructions and keeps the program", () => {
    const prog = program().ldMap("r1", "a").ldMapValue("r2", "b", 16).ldMap("r3", "a").emit(Insn.exit()).finish();
    expect(prog.symbols).toEqual(["a", "b"]);
    expect(prog.relocations).toEqual([
      { index: 0, symbol: "a", kind: "fd", offset: 0 },
      { index: 1, symbol: "b", kind: "value", offset: 16 },
      { index: 2, symbol: "a", kind: "fd", offset: 0 },
    ]);
    const insns = prog.resolve(new Map([["a", 3], ["b", 4]]));
    expect(insns.slice(0, 3)).toEqual([LdImm64.mapFd("r1", 3), LdImm64.mapValue("r2", 4, 16), LdImm64.mapFd("r3", 3)]);
    expect(prog.insns[0]).toEqual(LdImm64.mapFd("r1", 0));
    expect(() => prog.resolve({ a: 3 })).toThrow(/unresolved map symbol "b" \(loaded by instruction 1\)/);
    expect(() => prog.resolve({ a: 3, b: -1 })).toThrow(/map symbol "b": -1 is not a file descriptor/);
  });

  it("mixes in assembly text, with map symbols written as clang writes them", () => {
    const prog = program()
      .asm("r0 = 0\nif r1 == 0 goto +1\nr0 = 1")
      .label("end")
      .asm("r1 = counts ll\nr2 = 5 ll\nr3 = events ll\nexit")
      .finish();
    expect(prog.symbols).toEqual(["counts", "events"]);
    expect(disassemble(encode(prog.resolve({ counts: 7, events: 8 })))).toEqual([
      "r0 = 0", "if r1 == 0 goto +1", "r0 = 1", "ld_pseudo r1, 1, 7", "r2 = 5 ll", "ld_pseudo r3, 1, 8", "exit",
    ]);
    expect(prog.relocations.map((r) => r.index)).toEqual([3, 5]);
  });

  it("names the label or symbol in every error", () => {
    expect(() => program().ja("nowhere").emit(Insn.exit()).label("x").emit(Insn.exit()).finish())
      .toThrow(ReferenceError);
    expect(() => program().ja("nowhere").emit(Insn.exit()).label("x").emit(Insn.exit()).finish())
      .toThrow(/unknown label "nowhere" \(instruction 0 jumps to it\); labels: x/);
    expect(() => program().label("a").label("a")).toThrow(/label "a" is already defined/);
    expect(() => program().ja("end").label("end").finish()).toThrow(/label "end" marks the end of the program/);
    const far = program().jmp("jeq", "r1", 0, "far");
    for (let i = 0; i < 40000; i++) far.emit(Insn.mov("r0", 0));
    far.label("far").emit(Insn.exit());
    expect(() => far.finish()).toThrow(/instruction 0 jumps to "far", 40000 slots away: that does not fit in 16 signed bits \(use gotol\)/);
    const long = program().gotol("far");
    for (let i = 0; i < 40000; i++) long.emit(Insn.mov("r0", 0));
    expect(long.label("far").emit(Insn.exit()).finish().insns[0].imm).toBe(40000);
    expect(() => program().ldMap("r1", "")).toThrow(/a map symbol must be a non-empty string/);
    expect(() => program().emit({ code: 0x95 } as never)).toThrow(/emit\(\) takes instructions/);
  });
});
