// llvm-mc's expressions, .set/.equ/.equiv symbols and C's integer suffixes. The bytes are llvm-mc
// 19's (-triple bpfel|bpfeb -mcpu=v4, copied from its output); the errors are for what llvm-mc
// refuses too, and for what it crashes on or turns into bytes the text does not say.
import { describe, expect, it } from "vitest";
import { AsmError, assemble, program } from "../../src/asm/mod.ts";

const hex = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, "0")).join("").replace(/(.{16})(?=.)/g, "$1 ");

function error(source: string): AsmError {
  try {
    assemble(source);
  } catch (e) {
    expect(e).toBeInstanceOf(AsmError);
    return e as AsmError;
  }
  throw new Error(`assembled without error: ${JSON.stringify(source)}`);
}

describe("as llvm-mc assembles it, byte for byte", () => {
  it.each([
    // The cases, as the kernel's verifier selftests write them.
    ["r1 = 0xffffffff00000000LL ll", "1801000000000000 00000000ffffffff"],
    ["r2 = -9223372036854775808ULL ll", "1802000000000000 0000000000000080"],
    [".equ foo, -1\nif r1 > r2 goto foo + 2", "2d21010000000000"],
    // Suffixes in every base and kind of operand: skipped, whatever their case.
    ["r1 = 5u", "b701000005000000"],
    ["r1 = 5ll", "b701000005000000"], // 5 with a suffix: a 32-bit move, not "5 ll"
    ["w2 += 0x7fULL", "040200007f000000"],
    ["r3 = 017ul", "b70300000f000000"],
    ["r4 = 0b101LL", "b704000005000000"],
    ["r5 = -42U", "b7050000d6ffffff"],
    ["r6 = 4294967295u", "b7060000ffffffff"],
    ["*(u32 *)(r10 - 8ull) = 7L", "620af8ff07000000"],
    ["if r1 s> -3ll goto +1ull", "65010100fdffffff"],
    ["call 12U", "850000000c000000"],
    ["r9 = 18446744073709551615ULL ll", "18090000ffffffff 00000000ffffffff"],
    [".quad 0xffffffffffffffffull", "ffffffffffffffff"],
    // A number followed by the name b or f is a numeric label: after a suffix, a space, any base.
    ["1:\ngoto 1ub", "0500ffff00000000"],
    ["1:\ngoto 1 b", "0500ffff00000000"],
    ["8:\ngoto 010b", "0500ffff00000000"],
    // Symbols: folded where defined, redefinable by .set/.equ, usable in every operand.
    [".set a, 5\n.set b, a * 2\nr1 = b\n.set a, 7\nr1 = a\nr1 = b", "b70100000a000000 b701000007000000 b70100000a000000"],
    [".equ a, 5\n.equ a, 6\nr1 = a", "b701000006000000"],
    [".equiv c, 3\nr1 = c ll", "1801000003000000 0000000000000000"],
    [".set x, 1\n.set x, x + 1\nr1 = x", "b701000002000000"],
    [".equ f, 4\nr1 = *(u64 *)(r2 + 2 + f)", "7921060000000000"],
    [".equ n, -2\n*(u8 *)(r1 + 0) = n", "72010000feffffff"],
    [".set t, 3\nif w1 == t goto t", "1601030003000000"],
    [".set h, 8\nr0 = *(u16 *)skb[h]", "2800000008000000"],
    // Symbols that stand for labels (even ones defined later) and for "." (this slot).
    ["l: exit\n.set x, l\ngoto x", "9500000000000000 0500feff00000000"],
    ["l: exit\n.set x, l + 8\ngoto x", "9500000000000000 0500ffff00000000"],
    [".set a, b\nb: exit\ngoto a", "9500000000000000 0500feff00000000"],
    [".set h, .\nexit\ngoto h", "9500000000000000 0500feff00000000"],
    // A call takes label +- bytes: llvm-mc's fixup divides by 8 rounding down.
    ["a: exit\ncall a + 8", "9500000000000000 85100000ffffffff"],
    ["a: exit\ncall a + 4", "9500000000000000 85100000feffffff"],
    ["a: exit\ncall a - 4", "9500000000000000 85100000fdffffff"],
    ["call a + 16\na: exit", "8510000002000000 9500000000000000"],
    ["1: exit\ncall 1b + 8", "9500000000000000 85100000ffffffff"],
    ["call 0 + .", "85100000ffffffff"],
    ["call 1 + 2", "8500000003000000"], // a constant: a helper call
    // Folding: GNU precedence, C's division, -1 for true, 1 for && || !, a logical >>, 64-bit wrap.
    ["r1 = 1 + 2 * 3 - 4 / 2", "b701000005000000"],
    ["r1 = 2 * (3 + 4) << 1", "b70100001c000000"],
    ["r1 = -7 / 2", "b7010000fdffffff"],
    ["r1 = -7 % 2", "b7010000ffffffff"],
    ["r1 = 1 == 1", "b7010000ffffffff"],
    ["r1 = 2 < 1", "b701000000000000"],
    ["r1 = 1 && 2", "b701000001000000"],
    ["r1 = 0 || 0", "b701000000000000"],
    ["r1 = 5 ! 1", "b7010000ffffffff"],
    ["r1 = 1 + ~5", "b7010000fbffffff"],
    ["r1 = 0 + !0", "b701000001000000"],
    ["r1 = -8 >> 1 ll", "18010000fcffffff 00000000ffffff7f"],
    ["r1 = 1 << 63 ll", "1801000000000000 0000000000000080"],
    ["r1 = 0x7fffffffffffffff + 1 ll", "1801000000000000 0000000000000080"],
    ["r1 = 0xffffffffffffffff / 2 ll", "1801000000000000 0000000000000000"], // -1 / 2
    ["r1 = 0xffffffffffffffff", "b7010000ffffffff"], // a 64-bit -1 fits a 32-bit field
    ["r1 = *(u64 *)(r2 - 8 + 4)", "7921fcff00000000"],
    ["goto 4 - 5", "0500ffff00000000"],
    [".quad 1 + 2, 0x95", "0300000000000000 9500000000000000"],
  ] as const)("%j", (source, bytes) => {
    expect(hex(assemble(source))).toBe(bytes);
  });

  it("in big-endian too", () => {
    expect(hex(assemble("r1 = 0xffffffff00000000LL ll", { endian: "big" }))).toBe("1810000000000000 00000000ffffffff");
    expect(hex(assemble(".equ foo, -1\nif r1 > r2 goto foo + 2", { endian: "big" }))).toBe("2d12000100000000");
    expect(hex(assemble("a: exit\ncall a + 4", { endian: "big" }))).toBe("9500000000000000 85010000fffffffe");
  });
});

describe("errors where llvm-mc refuses the source", () => {
  it.each([
    // Not a suffix, or not a number.
    ["r1 = 5lu", 1, 8, /unexpected "u" after the number 5l/],
    ["r1 = 5uu", 1, 8, /unexpected "u" after the number 5u/],
    ["r1 = 'a'u", 1, 9, /unexpected "u"/],
    ["r1 = 0xu", 1, 6, /0x has no digits/],
    ["r1 = 1e5", 1, 7, /unexpected "e" after the number 1/],
    ["1:\ngoto 1B", 2, 7, /unexpected "B" after the number 1/],
    ["r1 = 18446744073709551616ULL ll", 1, 6, /18446744073709551616ULL does not fit in 64 bits/],
    // A jump's target is a label alone or a constant.
    ["a: exit\ngoto a + 8", 2, 6, /a \+ 8 is a label plus or minus something/],
    ["1: exit\ngoto 1b - 1", 2, 6, /1b - 1 is a label plus or minus something/],
    ["a: exit\ngotol a + 8", 2, 7, /label plus or minus/],
    ["a: exit\nmay_goto a + 8", 2, 10, /label plus or minus/],
    ["a: exit\nif r1 > 0 goto a + 8", 2, 16, /label plus or minus/],
    ["goto 0 + .", 1, 6, /label plus or minus/],
    [".equ far, 32768\ngoto far", 2, 6, /jump offset far does not fit in 16 signed bits/],
    // An operand starts with a number, a sign and a number, or a name (llvm-mc's BPF parser).
    ["goto .", 1, 6, /expected jump offset or a label, found "."/],
    ["r1 = (1 + 2)", 1, 7, /expected s8, s16 or s32, found "1"/],
    ["r1 = ~5", 1, 6, /expected a register, a number or an expression after "=", found "~"/],
    ["r1 = !5", 1, 6, /expected a register, a number or an expression after "=", found "!"/],
    [".equ f, 4\nr1 = -f", 2, 6, /expected a number, found "-"/],
    [".equ f, 4\n*(u32 *)(r1 + f) = 1", 2, 15, /expected an offset, found "f"/],
    ["r1 = *(u64 *)(r2 + -8)", 1, 20, /expected an offset, found "-"/],
    ["r1 = 1 + (2", 1, 12, /expected "\)", found the end of the statement/],
    ["r1 = 5 +", 1, 9, /expected an operand after "\+", found the end/],
    // What llvm-mc cannot fold.
    ["r1 = 1 / 0", 1, 8, /division by zero/],
    ["r1 = 1 % 0", 1, 8, /division by zero/],
    ["a: exit\ncall a * 2", 2, 8, /"\*" of a label: only label \+ constant and label - constant/],
    ["a: exit\ncall -a + 16", 2, 6, /expected a helper id or a label, found "-"/],
    // Its rules for symbols.
    ["x: exit\n.set x, 1", 2, 6, /redefinition of "x", a label/],
    [".set x, x + 1", 1, 9, /recursive use of "x"/],
    [".set x, 2\n.equiv x, 3", 2, 8, /redefinition of "x"/],
    ["l: exit\nm: exit\n.set x, l\ngoto x\n.set x, m", 5, 6, /invalid reassignment of "x": it stands for a label and is already used/],
    [".equ x 5", 1, 8, /expected ","/],
    [".equ x, 5 6", 1, 11, /unexpected "6"/],
    [".equ x,", 1, 8, /expected an expression, found the end of the statement/],
    [".equ 5, 5", 1, 6, /expected a symbol name/],
  ] as const)("%j", (source, line, column, message) => {
    const e = error(source);
    expect(e.message).toMatch(message);
    expect([e.line, e.column]).toEqual([line, column]);
  });
});

describe("errors where llvm-mc crashes, truncates, or makes bytes the text does not say", () => {
  it.each([
    // llvm-mc crashes (segfault, or SIGFPE for the division).
    ["goto x\n.equ x, 2", 2, 6, /"x" is used above as a label or a map; define a symbol before its first use/],
    ["r1 = x\n.equ x, 2", 1, 6, /"x" refers to a label \(or to a symbol not defined above\), not to a constant/],
    ["a: exit\nb: exit\nr1 = b - a", 3, 8, /"-" of a label/],
    ["r1 = 0x8000000000000000 / -1 ll", 1, 25, /INT64_MIN divided by -1 overflows/],
    // llvm-mc keeps the low bits, or what the host CPU makes of an undefined shift.
    ["r1 = 4294967296u", 1, 6, /immediate 4294967296u does not fit in 32 bits/],
    [".equ big, 0x100000000\nr1 = big", 2, 6, /immediate big does not fit in 32 bits/],
    ["r1 = 1 << 64 ll", 1, 8, /shift count 64 is not 0..63/],
    ["r1 = 1 >> -1 ll", 1, 8, /shift count -1 is not 0..63/],
    ["r1 = -0x8000000000000001 ll", 1, 6, /-0x8000000000000001 does not fit in 64 bits/],
    ["r1 = 0 + -9223372036854775809 ll", 1, 10, /-9223372036854775809 does not fit in 64 bits/],
    [".quad -9223372036854775809", 1, 7, /-9223372036854775809 does not fit in 64 bits/],
    // llvm-mc lets a label take a symbol's name; uses after it put a fixup into an immediate.
    [".set x, 1\nx: exit", 2, 1, /label "x" has the name of a .set symbol/],
    // llvm-mc evaluates a symbol defined after its use only at the end; here that is an error.
    [".set a, b\n.set b, 5\nr1 = a", 2, 6, /"b" is used above as a label or a map/],
    ["l: exit\n.set x, l\nr1 = x ll", 3, 6, /"x" refers to a label/],
  ] as const)("%j", (source, line, column, message) => {
    const e = error(source);
    expect(e.message).toMatch(message);
    expect([e.line, e.column]).toEqual([line, column]);
  });

  it("a map symbol cannot become a .set symbol later", () => {
    expect(() => program().asm("r1 = m ll\n.set m, 2")).toThrow(/"m" is used above as a label or a map/);
    const prog = program().asm(".set m, 2\nr1 = m ll\nexit").finish();
    expect(prog.symbols).toEqual([]);
  });
});
