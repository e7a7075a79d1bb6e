// Assembler behaviour beyond the corpus: errors where llvm-mc would silently truncate or crash,
// each naming line and column, and the parts of the syntax the corpus does not exercise.
import { describe, expect, it } from "vitest";
import { AsmError, assemble, decode, disassemble } from "../../src/asm/mod.ts";

function error(source: string): AsmError {
  try {
    assemble(source);
  } catch (e) {
    expect(e).toBeInstanceOf(AsmError);
    expect(e).toBeInstanceOf(SyntaxError);
    return e as AsmError;
  }
  throw new Error(`assembled without error: ${JSON.stringify(source)}`);
}

describe("assemble errors name line and column", () => {
  it.each([
    // Values llvm-mc keeps only the low bits of.
    ["r1 = 4294967296", 1, 6, /immediate 4294967296 does not fit in 32 bits/],
    ["w1 += 0x100000000", 1, 7, /immediate 0x100000000 does not fit in 32 bits/],
    ["r1 = -2147483649", 1, 6, /immediate -2147483649 does not fit in 32 bits/],
    ["*(u8 *)(r10 + 0) = 4294967296", 1, 20, /immediate 4294967296 does not fit/],
    ["if r1 == 4294967296 goto +1", 1, 10, /immediate 4294967296 does not fit/],
    ["call 4294967296", 1, 6, /helper id 4294967296 does not fit in 32 bits/],
    ["ld_pseudo r1, 16, 5", 1, 15, /pseudo source 16 is not 0 or a BPF_PSEUDO_\* value 1..6/],
    ["ld_pseudo r1, 1, 4294967296", 1, 18, /immediate 4294967296 does not fit/],
    ["r1 = addr_space_cast(r2, 65536, 0)", 1, 26, /address space 65536 does not fit in 16 bits/],
    ["r1 = addr_space_cast(r2, -1, 0)", 1, 26, /address space -1 does not fit in 16 bits/],
    ["r1 = 18446744073709551616 ll", 1, 6, /18446744073709551616 does not fit in 64 bits/],
    ["r1 = -9223372036854775809 ll", 1, 6, /-9223372036854775809 does not fit in 64 bits/],
    ["r0 = *(u16 *)skb[4294967296]", 1, 18, /offset 4294967296 does not fit in 32 bits/],
    ["x:\n\n  r1 = *(u32 *)(r2 + 32768)", 3, 20, /offset \+ 32768 does not fit in 16 signed bits/],
    ["goto +32768", 1, 6, /jump offset \+32768 does not fit in 16 signed bits/],
    ["gotol 2147483648", 1, 7, /jump offset 2147483648 does not fit in 32 signed bits/],
    // Registers and register classes.
    ["r11 = 1", 1, 1, /"r11" is not a BPF register/],
    ["callx r11", 1, 7, /"r11" is not a BPF register/],
    ["w1 += r2", 1, 7, /expected a 32-bit register w0..w10 here, found "r2"/],
    ["r1 = *(u64 *)(w2 + 0)", 1, 15, /expected a 64-bit register r0..r10 here, found "w2"/],
    ["w1 = *(u64 *)(r2 + 0)", 1, 1, /a u64 load needs a 64-bit register/],
    ["w1 = *(s8 *)(r2 + 0)", 1, 1, /a s8 load needs a 64-bit register/],
    ["*(u64 *)(r1 + 0) = w2", 1, 20, /expected a 64-bit register/],
    ["lock *(u32 *)(r1 + 0) |= r2", 1, 26, /expected a 32-bit register/],
    ["lock *(u8 *)(r1 + 0) += w2", 1, 8, /atomic operations work on u32 or u64/],
    ["r1 = le16 r2", 1, 11, /a byte swap works in place/],
    ["w1 = le16 w1", 1, 1, /byte swaps are written with 64-bit registers/],
    ["r1 = -r2", 1, 7, /negation works in place/],
    ["r3 = xchg_64(r1 + 0, r2)", 1, 22, /xchg swaps in place/],
    ["r1 = cmpxchg_64(r1 + 0, r0, r2)", 1, 1, /cmpxchg always returns in r0/],
    ["w2 = atomic_fetch_add((u64 *)(r1 + 0), w2)", 1, 24, /a 32-bit register needs u8, u16 or u32 here/],
    ["r0 = *(u8 *)skb[w1]", 1, 17, /expected a 64-bit register/],
    ["r1 = *(u8 *)skb[5]", 1, 1, /legacy packet loads always load into r0/],
    ["w1 = (s32)w2", 1, 7, /expected s8 or s16/],
    // Labels.
    ["goto out\nexit", 1, 6, /unknown label "out"/],
    ["a: exit\n  a: exit", 2, 3, /label "a" is already defined/],
    ["goto 1b\n1: exit", 1, 6, /no numeric label 1 before this reference/],
    ["1: exit\ngoto 1f", 2, 6, /no numeric label 1 after this reference/],
    // Everything else.
    ["frob r1", 1, 1, /unknown instruction "frob"/],
    ["r1 = my_map ll", 1, 6, /"my_map" is a symbol; a 64-bit load of a symbol needs a relocation/],
    ["exit exit", 1, 6, /unexpected "exit" after the instruction/],
    ["r1 += 5 /* never closed", 1, 9, /unterminated \/\* comment/],
    ["r1 = 09", 1, 7, /digit 9 is not valid in a base-8 number/],
    ["r1 = 5lll", 1, 9, /unexpected "l" after the number 5ll/], // "5ll" is 5 with C's suffix, as llvm-mc reads it
    [".data", 1, 1, /unsupported directive ".data"/],
    [".section .data\nexit", 1, 1, /only the .text section is supported/],
    ["r1 @ 5", 1, 4, /unexpected character "@"/],
    ["if r1 =< 5 goto +1", 1, 7, /expected a comparison/],
  ] as const)("%j", (source, line, column, message) => {
    const e = error(source);
    expect(e.message).toMatch(message);
    expect([e.line, e.column]).toEqual([line, column]);
    expect(e.message.startsWith(`line ${line}, column ${column}: `)).toBe(true);
  });
});

describe("assemble", () => {
  it("resolves labels for goto, gotol, may_goto and calls, forwards and backwards", () => {
    const src = "start: r0 = 0\n  if r0 > 5 goto end\n  call sub\n  may_goto start\n  gotol end\nend: exit\nsub: r0 = 1\n  exit";
    expect(disassemble(assemble(src))).toEqual([
      "r0 = 0", "if r0 > 5 goto +3", "call 3", "may_goto -4", "gotol +0", "exit", "r0 = 1", "exit",
    ]);
    const calls = decode(assemble(src));
    expect(calls[2]).toMatchObject({ code: 0x85, src: 1, imm: 3 }); // bpf-to-bpf: src = BPF_PSEUDO_CALL
  });

  it("gotol reaches labels beyond 16 bits, goto does not", () => {
    const far = "exit\n".repeat(40000);
    const bytes = assemble(`gotol far\n${far}far: exit`);
    expect(decode(bytes.subarray(0, 8))[0]).toMatchObject({ code: 0x06, imm: 40000 });
    const e = error(`goto far\n${far}far: exit`);
    expect(e.message).toMatch(/label "far" is 40000 instructions away, which does not fit in 16 signed bits/);
    expect([e.line, e.column]).toEqual([1, 6]);
  });

  it("numeric labels refer to the nearest definition before (b) or after (f)", () => {
    const src = "1: r0 = 1\n1: r0 = 2\ngoto 1b\ngoto 1f\nexit\n1: exit";
    expect(disassemble(assemble(src)).slice(2, 4)).toEqual(["goto -2", "goto +1"]);
  });

  it("writes .quad data as a raw slot in the target byte order", () => {
    const src = ".quad 0x0000010000002fdb\n.8byte 0x95";
    expect([...assemble(src)]).toEqual([0xdb, 0x2f, 0, 0, 0, 1, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
    expect([...assemble(src, { endian: "big" })]).toEqual([0, 0, 1, 0, 0, 0, 0x2f, 0xdb, 0, 0, 0, 0, 0, 0, 0, 0x95]);
  });

  it("ignores directives that do not change .text, and empty input is empty", () => {
    expect(assemble(".text\n.globl f\n.p2align 3\nf:\n\texit\n")).toEqual(assemble("exit"));
    expect(assemble("")).toEqual(new Uint8Array(0));
    expect(assemble("# only a comment\n\n   \n")).toEqual(new Uint8Array(0));
  });

  it("takes the mnemonic and registers in any case, as llvm-mc does", () => {
    expect(assemble("EXIT\nR1 = 5\nGoto +0\nLOCK *(u32 *)(r1 + 0) += w2")).toEqual(assemble("exit\nr1 = 5\ngoto +0\nlock *(u32 *)(r1 + 0) += w2"));
  });

  it("reads character literals and every number base", () => {
    expect(assemble("r1 = 'a'\nr1 = '\\n'\nr1 = 0x61\nr1 = 0141\nr1 = 0b1100001")).toEqual(
      assemble("r1 = 97\nr1 = 10\nr1 = 97\nr1 = 97\nr1 = 97"),
    );
  });

  it("rejects bad arguments with TypeErrors", () => {
    expect(() => assemble(5 as never)).toThrow(TypeError);
    expect(() => assemble("exit", { endian: "middle" as never })).toThrow(/endian must be "little" or "big"/);
  });
});
