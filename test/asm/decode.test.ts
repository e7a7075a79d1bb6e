// The decoder's results and its errors: each names the offset and the byte at fault.
import { describe, expect, it } from "vitest";
import { assemble, decode, DecodeError, disassemble, encode, formatInsn, Insn, LdImm64 } from "../../src/asm/mod.ts";

function decodeError(bytes: number[], endian: "little" | "big" = "little"): DecodeError {
  try {
    decode(Uint8Array.from(bytes), { endian });
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    expect(e).toBeInstanceOf(RangeError);
    return e as DecodeError;
  }
  throw new Error("decoded without error");
}

describe("decode", () => {
  it("gives one Insn per instruction and one LdImm64 per 64-bit load, in both byte orders", () => {
    const src = "r1 = 0x1122334455667788 ll\nld_pseudo r2, 2, 7\nw3 = *(u32 *)(r10 - 4)\nexit";
    for (const endian of ["little", "big"] as const) {
      const insns = decode(assemble(src, { endian }), { endian });
      expect(insns).toHaveLength(4);
      expect(insns[0]).toBeInstanceOf(LdImm64);
      expect((insns[0] as LdImm64).value).toBe(0x1122334455667788n);
      expect(insns[1]).toMatchObject({ code: 0x18, dst: 2, src: 2, imm: 7, imm2: 0 });
      expect(insns[2]).toEqual(new Insn(0x61, 3, 10, -4, 0));
      expect(insns[3]).toEqual(Insn.exit());
    }
  });

  it.each([
    [[0x38, 0, 0, 0, 0, 0, 0, 0], 0, 0x38, /0x38 is not a BPF opcode/],
    [[0x95, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 1, 0, 0, 0, 0, 0], 10, 0x01, /opcode 0x95 must have off 0, got 1/],
    [[0xb7, 0x0b, 0, 0, 0, 0, 0, 0], 1, 0x0b, /dst register r11 does not exist/],
    [[0xbf, 0xc1, 0, 0, 0, 0, 0, 0], 1, 0xc1, /src register r12 does not exist/],
    [[0x0f, 0x21, 0, 0, 0, 0, 0, 9], 7, 0x09, /opcode 0x0f must have imm 0, got 150994944/],
    [[0xd4, 0x01, 0, 0, 8, 0, 0, 0], 4, 0x08, /opcode 0xd4 must have imm 16, 32 or 64, got 8/],
    [[0xbc, 0x21, 0x20, 0, 0, 0, 0, 0], 2, 0x20, /opcode 0xbc must have off 0, 8 or 16, got 32/],
    [[0xdb, 0x21, 0, 0, 0x10, 0, 0, 0], 4, 0x10, /opcode 0xdb must have an atomic operation in imm, got 0x10/],
    [[0xd3, 0x21, 0, 0, 0x01, 0, 0, 0], 4, 0x01, /must have imm 0x100 \(load-acquire\) or 0x110 \(store-release\)/],
    [[0x85, 0x30, 0, 0, 1, 0, 0, 0], 1, 0x30, /opcode 0x85 must have src 0 \(helper\), 1 \(bpf-to-bpf\) or 2 \(kfunc\), got 3/],
    [[0x18, 0x01, 0, 0, 1, 0, 0, 0], 0, 0x18, /needs a second slot, but the input ends here/],
    [[0x18, 0x01, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0], 8, 0x95, /second slot of a 64-bit immediate load must have opcode 0/],
    [[0x18, 0x71, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 1, 0x71, /src 0 or a BPF_PSEUDO_\* value 1..6, got 7/],
    [[0x95, 0, 0, 0, 0, 0, 0, 0, 0xb7, 0x01, 0], 8, 0xb7, /the last 3 bytes do not make a whole 8-byte instruction/],
  ] as const)("rejects %j", (bytes, offset, byte, message) => {
    const e = decodeError([...bytes]);
    expect([e.offset, e.byte]).toEqual([offset, byte]);
    expect(e.message).toMatch(message);
    expect(e.message).toContain(`byte 0x${byte.toString(16).padStart(2, "0")} at offset ${offset}`);
  });

  it("blames the big-endian byte that is actually wrong", () => {
    // exit with off = 1: in big-endian the nonzero byte is the second of the two.
    const e = decodeError([0x95, 0, 0, 1, 0, 0, 0, 0], "big");
    expect([e.offset, e.byte]).toEqual([3, 1]);
  });

  it("rejects what is not a byte array", () => {
    expect(() => decode([0x95, 0, 0, 0, 0, 0, 0, 0] as never)).toThrow(/expected a Uint8Array/);
    expect(() => disassemble(new Uint8Array(8), { endian: "pdp" as never })).toThrow(/endian must be "little" or "big"/);
  });

  it("decode and encode are inverse on whatever decodes", () => {
    const bytes = assemble("r1 = -1 ll\ncall 5\nw0 = load_acquire((u16 *)(r1 + 2))\nif w1 s< -5 goto -1\nexit");
    expect(encode(decode(bytes))).toEqual(bytes);
  });
});

describe("formatInsn", () => {
  it("prints single instruction objects in either syntax", () => {
    expect(formatInsn(Insn.mov("r1", -1))).toBe("r1 = -1");
    expect(formatInsn(Insn.mov("r1", -1), { hex: true })).toBe("r1 = -0x1");
    expect(formatInsn(Insn.stx("word", "r10", -4, "r1"), { syntax: "verifier" })).toBe("(63) *(u32 *)(r10 -4) = r1");
    expect(formatInsn(LdImm64.imm("r2", -1))).toBe("r2 = -1 ll");
    expect(formatInsn(LdImm64.mapFd("r1", 4), { syntax: "verifier" })).toBe("(18) r1 = 0x4");
  });

  it("refuses fields that are not an instruction", () => {
    expect(() => formatInsn(new Insn(0x38, 0, 0, 0, 0))).toThrow(/not an instruction: 0x38 is not a BPF opcode/);
    expect(() => formatInsn(Insn.ldDw1("r1", 5))).toThrow(/needs its second half/);
    expect(() => formatInsn({ code: 0x95, dst: -1, src: 0, off: 0, imm: 0 })).toThrow(/dst -1 is not a 4-bit register number/);
    expect(() => formatInsn(Insn.exit(), { syntax: "intel" as never })).toThrow(/syntax must be "llvm" or "verifier"/);
  });
});
