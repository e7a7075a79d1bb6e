// The seed's instruction tests (Zig std.os.linux.bpf: "insn bitsize", "opcodes"), one for one,
// plus the range and name checks this library adds.
import { describe, expect, it } from "vitest";
import { Insn, Pseudo } from "../../mod.ts";

const op = (i: Insn) => i.code;

describe("insn", () => {
  it("insn bitsize", () => {
    // 64 bits: one instruction encodes to 8 bytes.
    expect(Insn.encode([Insn.exit()]).length * 8).toBe(64);
    expect(Insn.encode([Insn.mov("r1", 2), Insn.exit()]).length).toBe(16);
  });

  it("opcodes", () => {
    // alu instructions
    expect(op(Insn.add("r1", 0))).toBe(0x07);
    expect(op(Insn.add("r1", "r2"))).toBe(0x0f);
    expect(op(Insn.sub("r1", 0))).toBe(0x17);
    expect(op(Insn.sub("r1", "r2"))).toBe(0x1f);
    expect(op(Insn.mul("r1", 0))).toBe(0x27);
    expect(op(Insn.mul("r1", "r2"))).toBe(0x2f);
    expect(op(Insn.div("r1", 0))).toBe(0x37);
    expect(op(Insn.div("r1", "r2"))).toBe(0x3f);
    expect(op(Insn.aluOr("r1", 0))).toBe(0x47);
    expect(op(Insn.aluOr("r1", "r2"))).toBe(0x4f);
    expect(op(Insn.aluAnd("r1", 0))).toBe(0x57);
    expect(op(Insn.aluAnd("r1", "r2"))).toBe(0x5f);
    expect(op(Insn.lsh("r1", 0))).toBe(0x67);
    expect(op(Insn.lsh("r1", "r2"))).toBe(0x6f);
    expect(op(Insn.rsh("r1", 0))).toBe(0x77);
    expect(op(Insn.rsh("r1", "r2"))).toBe(0x7f);
    expect(op(Insn.neg("r1"))).toBe(0x87);
    expect(op(Insn.mod("r1", 0))).toBe(0x97);
    expect(op(Insn.mod("r1", "r2"))).toBe(0x9f);
    expect(op(Insn.xor("r1", 0))).toBe(0xa7);
    expect(op(Insn.xor("r1", "r2"))).toBe(0xaf);
    expect(op(Insn.mov("r1", 0))).toBe(0xb7);
    expect(op(Insn.mov("r1", "r2"))).toBe(0xbf);
    expect(op(Insn.arsh("r1", 0))).toBe(0xc7);
    expect(op(Insn.arsh("r1", "r2"))).toBe(0xcf);

    // atomic instructions
    expect(op(Insn.xadd("r1", "r2"))).toBe(0xdb);

    // byteswap instructions
    expect(op(Insn.le("half_word", "r1"))).toBe(0xd4);
    expect(Insn.le("half_word", "r1").imm).toBe(16);
    expect(op(Insn.le("word", "r1"))).toBe(0xd4);
    expect(Insn.le("word", "r1").imm).toBe(32);
    expect(op(Insn.le("double_word", "r1"))).toBe(0xd4);
    expect(Insn.le("double_word", "r1").imm).toBe(64);
    expect(op(Insn.be("half_word", "r1"))).toBe(0xdc);
    expect(Insn.be("half_word", "r1").imm).toBe(16);
    expect(op(Insn.be("word", "r1"))).toBe(0xdc);
    expect(Insn.be("word", "r1").imm).toBe(32);
    expect(op(Insn.be("double_word", "r1"))).toBe(0xdc);
    expect(Insn.be("double_word", "r1").imm).toBe(64);

    // memory instructions
    expect(op(Insn.ldDw1("r1", 0))).toBe(0x18);
    expect(op(Insn.ldDw2(0))).toBe(0x00);

    //   loading a map fd
    expect(op(Insn.ldMapFd1("r1", 0))).toBe(0x18);
    expect(Insn.ldMapFd1("r1", 0).src).toBe(Pseudo.map_fd);
    expect(op(Insn.ldMapFd2(0))).toBe(0x00);

    expect(op(Insn.ldAbs("double_word", "r1", "r2", 0))).toBe(0x38);
    expect(op(Insn.ldAbs("word", "r1", "r2", 0))).toBe(0x20);
    expect(op(Insn.ldAbs("half_word", "r1", "r2", 0))).toBe(0x28);
    expect(op(Insn.ldAbs("byte", "r1", "r2", 0))).toBe(0x30);

    expect(op(Insn.ldInd("double_word", "r1", "r2", 0))).toBe(0x58);
    expect(op(Insn.ldInd("word", "r1", "r2", 0))).toBe(0x40);
    expect(op(Insn.ldInd("half_word", "r1", "r2", 0))).toBe(0x48);
    expect(op(Insn.ldInd("byte", "r1", "r2", 0))).toBe(0x50);

    expect(op(Insn.ldx("double_word", "r1", "r2", 0))).toBe(0x79);
    expect(op(Insn.ldx("word", "r1", "r2", 0))).toBe(0x61);
    expect(op(Insn.ldx("half_word", "r1", "r2", 0))).toBe(0x69);
    expect(op(Insn.ldx("byte", "r1", "r2", 0))).toBe(0x71);

    expect(op(Insn.st("word", "r1", 0, 0))).toBe(0x62);
    expect(op(Insn.st("half_word", "r1", 0, 0))).toBe(0x6a);
    expect(op(Insn.st("byte", "r1", 0, 0))).toBe(0x72);

    expect(op(Insn.stx("word", "r1", 0, "r2"))).toBe(0x63);
    expect(op(Insn.stx("half_word", "r1", 0, "r2"))).toBe(0x6b);
    expect(op(Insn.stx("byte", "r1", 0, "r2"))).toBe(0x73);
    expect(op(Insn.stx("double_word", "r1", 0, "r2"))).toBe(0x7b);

    // branch instructions
    expect(op(Insn.ja(0))).toBe(0x05);
    expect(op(Insn.jeq("r1", 0, 0))).toBe(0x15);
    expect(op(Insn.jeq("r1", "r2", 0))).toBe(0x1d);
    expect(op(Insn.jgt("r1", 0, 0))).toBe(0x25);
    expect(op(Insn.jgt("r1", "r2", 0))).toBe(0x2d);
    expect(op(Insn.jge("r1", 0, 0))).toBe(0x35);
    expect(op(Insn.jge("r1", "r2", 0))).toBe(0x3d);
    expect(op(Insn.jlt("r1", 0, 0))).toBe(0xa5);
    expect(op(Insn.jlt("r1", "r2", 0))).toBe(0xad);
    expect(op(Insn.jle("r1", 0, 0))).toBe(0xb5);
    expect(op(Insn.jle("r1", "r2", 0))).toBe(0xbd);
    expect(op(Insn.jset("r1", 0, 0))).toBe(0x45);
    expect(op(Insn.jset("r1", "r2", 0))).toBe(0x4d);
    expect(op(Insn.jne("r1", 0, 0))).toBe(0x55);
    expect(op(Insn.jne("r1", "r2", 0))).toBe(0x5d);
    expect(op(Insn.jsgt("r1", 0, 0))).toBe(0x65);
    expect(op(Insn.jsgt("r1", "r2", 0))).toBe(0x6d);
    expect(op(Insn.jsge("r1", 0, 0))).toBe(0x75);
    expect(op(Insn.jsge("r1", "r2", 0))).toBe(0x7d);
    expect(op(Insn.jslt("r1", 0, 0))).toBe(0xc5);
    expect(op(Insn.jslt("r1", "r2", 0))).toBe(0xcd);
    expect(op(Insn.jsle("r1", 0, 0))).toBe(0xd5);
    expect(op(Insn.jsle("r1", "r2", 0))).toBe(0xdd);
    expect(op(Insn.call(0))).toBe(0x85); // Helper.unspec
    expect(op(Insn.exit())).toBe(0x95);
  });

  it("encodes fields little-endian, 8 bytes each", () => {
    const bytes = Insn.encode([Insn.stx("word", "r10", -4, "r1"), Insn.ldDw1("r2", 0x1122334455667788n), Insn.ldDw2(0x1122334455667788n)]);
    expect([...bytes.subarray(0, 8)]).toEqual([0x63, 0x1a, 0xfc, 0xff, 0, 0, 0, 0]);
    expect([...bytes.subarray(8, 16)]).toEqual([0x18, 0x02, 0, 0, 0x88, 0x77, 0x66, 0x55]);
    expect([...bytes.subarray(16, 24)]).toEqual([0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11]);
    expect([...Insn.encode([Insn.stx("word", "r10", -4, "r1")], "big")]).toEqual([0x63, 0xa1, 0xff, 0xfc, 0, 0, 0, 0]);
  });

  it("alu and jmp take the op by name, in both widths", () => {
    expect(op(Insn.alu(32, "add", "r1", 1))).toBe(0x04);
    expect(op(Insn.alu(32, "mov", "r1", "r2"))).toBe(0xbc);
    expect(op(Insn.jmp("jne", "r1", "r2", 3))).toBe(0x5d);
    expect(Insn.call("map_lookup_elem").imm).toBe(1);
  });

  it("rejects bad input when the instruction is built", () => {
    expect(() => Insn.mov("r11" as never, 0)).toThrow(/not a register: "r11"/);
    expect(() => Insn.mov("r1", 2 ** 32)).toThrow(/does not fit in 32 bits/);
    expect(() => Insn.ja(40000)).toThrow(/jump offset 40000 does not fit in 16 signed bits/);
    expect(() => Insn.ldx("quad" as never, "r1", "r2", 0)).toThrow(/not a size: "quad"/);
    expect(() => Insn.le("byte", "r1")).toThrow(/cannot swap the bytes of a "byte"/);
    expect(() => Insn.call("no_such_helper" as never)).toThrow(/unknown helper/);
    expect(() => Insn.alu(16 as never, "add", "r1", 0)).toThrow(/width must be 32 or 64/);
    expect(() => Insn.mov("r1", 1.5)).toThrow(/does not fit/);
  });
});
