// The whole-ISA builders against the assembler (itself checked against llvm-mc by the corpus
// test): each builder must give the bytes of the LLVM text beside it, in both byte orders.
import { describe, expect, it } from "vitest";
import { Alu, assemble, Atomic, decode, encode, Insn, Jmp, LD_IMM64, LdImm64, Mem } from "../../src/asm/mod.ts";
import { Pseudo } from "../../src/uapi/flags.gen.ts";

const CASES: [string, Insn][] = [
  // ALU / ALU64, both sources, every operation
  ["r1 += 5", Alu.add(64, "r1", 5)], ["w1 += w2", Alu.add(32, "r1", "r2")],
  ["r3 -= -1", Alu.sub(64, "r3", -1)], ["w3 -= 4294967295", Alu.sub(32, "r3", 0xffffffff)],
  ["r4 *= r5", Alu.mul(64, "r4", "r5")], ["w4 *= 7", Alu.mul(32, "r4", 7)],
  ["r5 /= r6", Alu.div(64, "r5", "r6")], ["w5 /= 3", Alu.div(32, "r5", 3)],
  ["r5 s/= r6", Alu.sdiv(64, "r5", "r6")], ["w5 s/= -3", Alu.sdiv(32, "r5", -3)],
  ["r6 %= 10", Alu.mod(64, "r6", 10)], ["w6 %= w7", Alu.mod(32, "r6", "r7")],
  ["r6 s%= -10", Alu.smod(64, "r6", -10)], ["w6 s%= w7", Alu.smod(32, "r6", "r7")],
  ["r7 |= 0x7fffffff", Alu.or(64, "r7", 0x7fffffff)], ["w7 |= w8", Alu.or(32, "r7", "r8")],
  ["r8 &= -2147483648", Alu.and(64, "r8", -2147483648)], ["w8 &= w9", Alu.and(32, "r8", "r9")],
  ["r9 ^= r10", Alu.xor(64, "r9", "r10")], ["w9 ^= 1", Alu.xor(32, "r9", 1)],
  ["r0 <<= 32", Alu.lsh(64, "r0", 32)], ["w0 <<= w1", Alu.lsh(32, "r0", "r1")],
  ["r0 >>= r1", Alu.rsh(64, "r0", "r1")], ["w0 >>= 31", Alu.rsh(32, "r0", 31)],
  ["r0 s>>= 63", Alu.arsh(64, "r0", 63)], ["w0 s>>= w2", Alu.arsh(32, "r0", "r2")],
  ["r1 = r10", Alu.mov(64, "r1", "r10")], ["w1 = -1", Alu.mov(32, "r1", -1)],
  ["r2 = (s8)r3", Alu.movsx(64, "r2", "r3", 8)], ["r2 = (s16)r3", Alu.movsx(64, "r2", "r3", 16)],
  ["r2 = (s32)r3", Alu.movsx(64, "r2", "r3", 32)], ["w2 = (s8)w3", Alu.movsx(32, "r2", "r3", 8)],
  ["w2 = (s16)w3", Alu.movsx(32, "r2", "r3", 16)],
  ["r4 = -r4", Alu.neg(64, "r4")], ["w4 = -w4", Alu.neg(32, "r4")],
  ["r5 = le16 r5", Alu.le("r5", 16)], ["r5 = le32 r5", Alu.le("r5", 32)], ["r5 = le64 r5", Alu.le("r5", 64)],
  ["r5 = be16 r5", Alu.be("r5", 16)], ["r5 = be32 r5", Alu.be("r5", 32)], ["r5 = be64 r5", Alu.be("r5", 64)],
  ["r5 = bswap16 r5", Alu.bswap("r5", 16)], ["r5 = bswap32 r5", Alu.bswap("r5", 32)], ["r5 = bswap64 r5", Alu.bswap("r5", 64)],
  ["r1 = addr_space_cast(r2, 1, 0)", Alu.addrSpaceCast("r1", "r2", 1, 0)],
  ["r1 = addr_space_cast(r2, 0, 1)", Alu.addrSpaceCast("r1", "r2", 0, 1)],
  // JMP / JMP32
  ["if r1 == 5 goto +3", Jmp.cond(64, "jeq", "r1", 5, 3)], ["if w1 == w2 goto -3", Jmp.cond(32, "jeq", "r1", "r2", -3)],
  ["if r1 > r2 goto +0", Jmp.cond(64, "jgt", "r1", "r2", 0)], ["if w1 >= 1 goto +1", Jmp.cond(32, "jge", "r1", 1, 1)],
  ["if r1 & 8 goto +1", Jmp.cond(64, "jset", "r1", 8, 1)], ["if w1 != w0 goto +1", Jmp.cond(32, "jne", "r1", "r0", 1)],
  ["if r1 s> -1 goto +1", Jmp.cond(64, "jsgt", "r1", -1, 1)], ["if w1 s>= w9 goto +1", Jmp.cond(32, "jsge", "r1", "r9", 1)],
  ["if r1 < r3 goto +32767", Jmp.cond(64, "jlt", "r1", "r3", 32767)], ["if w1 <= 4 goto -32768", Jmp.cond(32, "jle", "r1", 4, -32768)],
  ["if r1 s< r3 goto +1", Jmp.cond(64, "jslt", "r1", "r3", 1)], ["if w1 s<= -7 goto +1", Jmp.cond(32, "jsle", "r1", -7, 1)],
  ["goto +7", Jmp.ja(7)], ["gotol -100", Jmp.gotol(-100)], ["may_goto +2", Jmp.mayGoto(2)],
  ["call 1", Jmp.call("map_lookup_elem")], ["call 6", Jmp.call(6)], ["callx r3", Jmp.callx("r3")], ["exit", Jmp.exit()],
  // Loads and stores
  ["w1 = *(u8 *)(r2 + 1)", Mem.ldx("b", "r1", "r2", 1)], ["w1 = *(u16 *)(r2 - 2)", Mem.ldx("h", "r1", "r2", -2)],
  ["w1 = *(u32 *)(r2 + 4)", Mem.ldx("word", "r1", "r2", 4)], ["r1 = *(u64 *)(r10 - 8)", Mem.ldx("dw", "r1", "r10", -8)],
  ["r1 = *(s8 *)(r2 + 0)", Mem.ldsx("b", "r1", "r2", 0)], ["r1 = *(s16 *)(r2 + 0)", Mem.ldsx("h", "r1", "r2", 0)],
  ["r1 = *(s32 *)(r2 + 0)", Mem.ldsx("w", "r1", "r2", 0)],
  ["*(u8 *)(r10 - 1) = 255", Mem.st("b", "r10", -1, 255)], ["*(u16 *)(r10 - 2) = -1", Mem.st("h", "r10", -2, -1)],
  ["*(u32 *)(r10 - 4) = 7", Mem.st("w", "r10", -4, 7)], ["*(u64 *)(r10 - 8) = 0", Mem.st("dw", "r10", -8, 0)],
  ["*(u8 *)(r10 - 1) = w1", Mem.stx("b", "r10", -1, "r1")], ["*(u16 *)(r10 - 2) = w1", Mem.stx("h", "r10", -2, "r1")],
  ["*(u32 *)(r10 - 4) = w1", Mem.stx("w", "r10", -4, "r1")], ["*(u64 *)(r10 - 8) = r1", Mem.stx("dw", "r10", -8, "r1")],
  ["r0 = *(u8 *)skb[14]", Mem.ldAbs("b", 14)], ["r0 = *(u16 *)skb[12]", Mem.ldAbs("h", 12)], ["r0 = *(u32 *)skb[0]", Mem.ldAbs("w", 0)],
  ["r0 = *(u8 *)skb[r6]", Mem.ldInd("b", "r6", 0)], ["r0 = *(u32 *)skb[r6]", Mem.ldInd("w", "r6", 0)],
  // Atomics
  ["lock *(u32 *)(r1 + 0) += w2", Atomic.add("w", "r1", 0, "r2")], ["lock *(u64 *)(r1 + 8) |= r2", Atomic.or("dw", "r1", 8, "r2")],
  ["lock *(u32 *)(r1 - 4) &= w2", Atomic.and("w", "r1", -4, "r2")], ["lock *(u64 *)(r1 + 0) ^= r2", Atomic.xor("dw", "r1", 0, "r2")],
  ["w2 = atomic_fetch_add((u32 *)(r1 + 0), w2)", Atomic.fetchAdd("w", "r1", 0, "r2")],
  ["r2 = atomic_fetch_or((u64 *)(r1 + 0), r2)", Atomic.fetchOr("dw", "r1", 0, "r2")],
  ["w2 = atomic_fetch_and((u32 *)(r1 + 0), w2)", Atomic.fetchAnd("w", "r1", 0, "r2")],
  ["r2 = atomic_fetch_xor((u64 *)(r1 + 0), r2)", Atomic.fetchXor("dw", "r1", 0, "r2")],
  ["r2 = xchg_64(r1 + 16, r2)", Atomic.xchg("dw", "r1", 16, "r2")], ["w2 = xchg32_32(r1 + 16, w2)", Atomic.xchg("w", "r1", 16, "r2")],
  ["r0 = cmpxchg_64(r1 + 0, r0, r3)", Atomic.cmpxchg("dw", "r1", 0, "r3")], ["w0 = cmpxchg32_32(r1 + 0, w0, w3)", Atomic.cmpxchg("w", "r1", 0, "r3")],
  ["w0 = load_acquire((u8 *)(r1 + 0))", Atomic.loadAcquire("b", "r0", "r1", 0)],
  ["w0 = load_acquire((u16 *)(r1 + 2))", Atomic.loadAcquire("h", "r0", "r1", 2)],
  ["w0 = load_acquire((u32 *)(r1 + 4))", Atomic.loadAcquire("w", "r0", "r1", 4)],
  ["r0 = load_acquire((u64 *)(r1 - 8))", Atomic.loadAcquire("dw", "r0", "r1", -8)],
  ["store_release((u8 *)(r1 + 0), w2)", Atomic.storeRelease("b", "r1", 0, "r2")],
  ["store_release((u16 *)(r1 + 0), w2)", Atomic.storeRelease("h", "r1", 0, "r2")],
  ["store_release((u32 *)(r1 + 0), w2)", Atomic.storeRelease("w", "r1", 0, "r2")],
  ["store_release((u64 *)(r1 + 0), r2)", Atomic.storeRelease("dw", "r1", 0, "r2")],
  // 64-bit immediates: plain and every pseudo form
  ["r1 = 0x1122334455667788 ll", LdImm64.imm("r1", 0x1122334455667788n)], ["r2 = -1 ll", LdImm64.imm("r2", -1)],
  ["r3 = 4294967296 ll", LdImm64.imm("r3", 2 ** 32)], ["r3 = 18446744073709551615 ll", LdImm64.imm("r3", 2n ** 64n - 1n)],
  ["ld_pseudo r1, 1, 7", LdImm64.mapFd("r1", 7)], ["ld_pseudo r1, 5, 2", LdImm64.mapIdx("r1", 2)],
  ["ld_pseudo r1, 4, 12", LdImm64.func("r1", 12)],
];

describe("builders", () => {
  it.each(CASES)("%s", (text, insn) => {
    for (const endian of ["little", "big"] as const) {
      expect(encode([insn], endian)).toEqual(assemble(text, { endian }));
    }
  });

  it("builds every pseudo 64-bit load with its second immediate", () => {
    const forms: [LdImm64, number, number, number][] = [
      [LdImm64.mapFd("r1", 3), Pseudo.map_fd, 3, 0],
      [LdImm64.mapValue("r1", 3, 16), Pseudo.map_value, 3, 16],
      [LdImm64.mapIdx("r1", 1), Pseudo.map_idx, 1, 0],
      [LdImm64.mapIdxValue("r1", 1, 8), Pseudo.map_idx_value, 1, 8],
      [LdImm64.btfId("r1", 1234, 5), Pseudo.btf_id, 1234, 5],
      [LdImm64.func("r1", -3), Pseudo.func, -3, 0],
    ];
    for (const [insn, src, imm, imm2] of forms) {
      expect([insn.code, insn.src, insn.imm, insn.imm2]).toEqual([LD_IMM64, src, imm, imm2]);
      const bytes = encode([insn]);
      expect(bytes.length).toBe(16);
      expect(decode(bytes)).toEqual([insn]);
    }
    expect(LdImm64.imm("r0", -2n).value).toBe(0xfffffffffffffffen);
    expect(LdImm64.imm("r0", 0x1122334455667788n).value).toBe(0x1122334455667788n);
  });

  it("encodes a 64-bit load among single-slot instructions as two slots", () => {
    const bytes = encode([Insn.mov("r0", 0), LdImm64.imm("r1", 0x1_0000_0002n), Insn.exit()]);
    expect(bytes.length).toBe(32);
    expect([...bytes.subarray(8, 24)]).toEqual([0x18, 0x01, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
    // The seed's two-slot spelling still encodes the same way.
    expect(encode([Insn.ldDw1("r1", 0x1_0000_0002n), Insn.ldDw2(0x1_0000_0002n)])).toEqual(bytes.subarray(8, 24));
  });

  it("kfunc and bpf-to-bpf calls set src (which LLVM's text does not show)", () => {
    expect(Jmp.callKfunc(1234, 2)).toMatchObject({ code: 0x85, src: Pseudo.kfunc_call, off: 2, imm: 1234 });
    expect(Jmp.callLocal(-5)).toMatchObject({ code: 0x85, src: Pseudo.call, off: 0, imm: -5 });
  });

  it("rejects what is not an instruction when it is built", () => {
    expect(() => Alu.op(64, "rol" as never, "r1", 1)).toThrow(/not an ALU operation: "rol"/);
    expect(() => Alu.add(16 as never, "r1", 1)).toThrow(/width must be 32 or 64/);
    expect(() => Alu.add(64, "r1", 2 ** 32)).toThrow(/does not fit in 32 bits/);
    expect(() => Alu.movsx(32, "r1", "r2", 32)).toThrow(/32-bit sign-extending move takes 8 or 16 bits/);
    expect(() => Alu.bswap("r1", 8 as never)).toThrow(/byte swap width must be 16, 32 or 64/);
    expect(() => Alu.addrSpaceCast("r1", "r2", 65536, 0)).toThrow(/destination address space 65536 does not fit in 16 bits/);
    expect(() => Jmp.cond(64, "jeq", "r1", 0, 32768)).toThrow(/jump offset 32768 does not fit in 16 signed bits/);
    expect(() => Jmp.cond(64, "jbig" as never, "r1", 0, 0)).toThrow(/not a jump condition: "jbig"/);
    expect(() => Jmp.gotol(2 ** 31)).toThrow(/does not fit in 32 signed bits/);
    expect(() => Jmp.callx("r11" as never)).toThrow(/not a register: "r11"/);
    expect(() => Mem.ldsx("dw", "r1", "r2", 0)).toThrow(/sign-extending load has no 64-bit form/);
    expect(() => Mem.ldAbs("dw", 0)).toThrow(/packet load has no 64-bit form/);
    expect(() => Mem.ldx("q" as never, "r1", "r2", 0)).toThrow(/not a size: "q"/);
    expect(() => Atomic.add("b", "r1", 0, "r2")).toThrow(/works on "w" or "dw"/);
    expect(() => Atomic.rmw("w", "nand" as never, "r1", 0, "r2")).toThrow(/not an atomic operation: "nand"/);
    expect(() => LdImm64.imm("r1", 2n ** 64n)).toThrow(/does not fit in 64 bits/);
    expect(() => LdImm64.imm("r1", 2 ** 60)).toThrow(/not a safe integer; pass a bigint/);
    expect(() => LdImm64.mapValue("r1", 3, 2 ** 32)).toThrow(/map value offset/);
  });

  it("encode() rejects objects whose fields do not fit, naming the instruction", () => {
    expect(() => encode([Insn.exit(), { code: 0x95, dst: 16, src: 0, off: 0, imm: 0 }])).toThrow(/instruction 1: dst 16 is not a 4-bit register number/);
    expect(() => encode([{ code: 0x18, dst: 1, src: 0, off: 0, imm: 0, imm2: 2 ** 33 }])).toThrow(/instruction 0: imm2 8589934592/);
    expect(() => encode([null as never])).toThrow(/instruction 0 is not an instruction object/);
  });
});
