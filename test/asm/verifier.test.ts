// The verifier log's syntax, checked against instruction lines copied from real logs (kernel
// selftests' expected messages, mailing-list reports, tutorials): the program is rebuilt in
// LLVM syntax and must print exactly as the kernel printed it.
import { describe, expect, it } from "vitest";
import { assemble, disassemble, formatInsn, Insn, Jmp } from "../../src/asm/mod.ts";

const verifier = (src: string) => disassemble(assemble(src), { syntax: "verifier" });

describe("verifier syntax", () => {
  it("prints a subprogram call, shifts and stores as the kernel did (bpf list, live registers)", () => {
    const src = `
      r1 = 0
      *(u32 *)(r10 - 4) = r1
      r2 = r10
      r2 += -4
      r1 = 0xffff8cb747b16000 ll
      call 1
      r6 = r0
      if r6 == 0 goto +6
      r1 = 5
      r2 = 3
      call sub
      r0 <<= 32
      r0 s>>= 32
      *(u64 *)(r6 + 0) = r0
      r0 = 0
      exit
    sub:
      r0 = r2
      r0 += r1
      exit`;
    expect(verifier(src)).toEqual([
      "0: (b7) r1 = 0",
      "1: (63) *(u32 *)(r10 -4) = r1",
      "2: (bf) r2 = r10",
      "3: (07) r2 += -4",
      "4: (18) r1 = 0xffff8cb747b16000",
      "6: (85) call bpf_map_lookup_elem#1",
      "7: (bf) r6 = r0",
      "8: (15) if r6 == 0x0 goto pc+6",
      "9: (b7) r1 = 5",
      "10: (b7) r2 = 3",
      "11: (85) call pc+5",
      "12: (67) r0 <<= 32",
      "13: (c7) r0 s>>= 32",
      "14: (7b) *(u64 *)(r6 +0) = r0",
      "15: (b7) r0 = 0",
      "16: (95) exit",
      "17: (bf) r0 = r2",
      "18: (0f) r0 += r1",
      "19: (95) exit",
    ]);
  });

  it("prints loads and an atomic add as in an XDP verifier rejection", () => {
    const src = `
      w6 = *(u32 *)(r1 + 0)
      w7 = *(u32 *)(r1 + 4)
      r1 = 0
      *(u32 *)(r10 - 4) = r1
      r2 = r10
      r2 += -4
      r1 = 0xffff9c97f6e41a00 ll
      call 1
      r1 = 1
      lock *(u64 *)(r0 + 0) += r1`;
    expect(verifier(src)).toEqual([
      "0: (61) r6 = *(u32 *)(r1 +0)",
      "1: (61) r7 = *(u32 *)(r1 +4)",
      "2: (b7) r1 = 0",
      "3: (63) *(u32 *)(r10 -4) = r1",
      "4: (bf) r2 = r10",
      "5: (07) r2 += -4",
      "6: (18) r1 = 0xffff9c97f6e41a00",
      "8: (85) call bpf_map_lookup_elem#1",
      "9: (b7) r1 = 1",
      "10: (db) lock *(u64 *)(r0 +0) += r1",
    ]);
  });

  it("prints atomics, byte swaps and unsigned jump immediates as the selftests expect", () => {
    const src = `
      r1 = 1
      r1 = atomic_fetch_add((u64 *)(r0 + 0), r1)
      lock *(u32 *)(r0 + 0) += r1
      r1 = xchg_64(r0 + 0, r1)
      r2 = r0
      r0 = r1
      r0 = cmpxchg_64(r2 + 0, r0, r1)
      r2 = le64 r2
      if r1 s> -1 goto +6
      r1 = *(u64 *)(r6 + 16)
      if r6 != 0 goto +6
      w1 = atomic_fetch_add((u32 *)(r10 - 8), w1)
      store_release((u16 *)(r10 - 8), w1)
      store_release((u64 *)(r10 - 8), r1)
      r0 = cmpxchg_64(r10 - 8, r0, r2)
      r1 = addr_space_cast(r7, 0, 1)`;
    expect(verifier(src).map((l) => l.replace(/^\d+: /, ""))).toEqual([
      "(b7) r1 = 1",
      "(db) r1 = atomic64_fetch_add((u64 *)(r0 +0), r1)",
      "(c3) lock *(u32 *)(r0 +0) += r1",
      "(db) r1 = atomic64_xchg((u64 *)(r0 +0), r1)",
      "(bf) r2 = r0",
      "(bf) r0 = r1",
      "(db) r0 = atomic64_cmpxchg((u64 *)(r2 +0), r0, r1)",
      "(d4) r2 = le64 r2",
      "(65) if r1 s> 0xffffffff goto pc+6",
      "(79) r1 = *(u64 *)(r6 +16)",
      "(55) if r6 != 0x0 goto pc+6",
      "(c3) r1 = atomic_fetch_add((u32 *)(r10 -8), r1)",
      "(cb) store_release((u16 *)(r10 -8), r1)",
      "(db) store_release((u64 *)(r10 -8), r1)",
      "(db) r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r2)",
      "(bf) r1 = addr_space_cast(r7, 0, 1)",
    ]);
  });

  it("prints may_goto and goto as in the may_goto selftest", () => {
    expect(verifier("1: r1 = 1\nmay_goto +1\ngoto 1b\nr0 = r1\nexit")).toEqual([
      "0: (b7) r1 = 1",
      "1: (e5) may_goto pc+1",
      "2: (05) goto pc-3",
      "3: (bf) r0 = r1",
      "4: (95) exit",
    ]);
  });

  it("prints the cpu v4 forms with the kernel's format strings", () => {
    expect(verifier(`
      gotol +40000
      r1 = *(s8 *)(r2 - 1)
      r1 = (s8)r2
      w1 = (s16)w2
      r1 s/= r2
      w1 s%= 3
      r1 = bswap16 r1
      w1 = -w1
      if w1 == 5 goto +1
      r0 = *(u8 *)skb[14]
      r0 = *(u16 *)skb[r6]
      r0 = load_acquire((u64 *)(r1 + 8))
      call 100000
      callx r2`).map((l) => l.replace(/^\d+: /, ""))).toEqual([
      "(06) gotol pc+40000",
      "(91) r1 = *(s8 *)(r2 -1)",
      "(bf) r1 = (s8)r2",
      "(bc) w1 = (s16)w2",
      "(3f) r1 s/= r2",
      "(94) w1 s%= 3",
      "(d7) r1 = bswap16 r1",
      "(84) w1 = -w1",
      "(16) if w1 == 0x5 goto pc+1",
      "(30) r0 = *(u8 *)skb[14]",
      "(48) r0 = *(u16 *)skb[r6 + 0]",
      "(db) r0 = load_acquire((u64 *)(r1 +8))",
      "(85) call unknown#100000",
      "(8d) call bpf_unspec#0",
    ]);
  });

  it("names kfuncs through a callback, as the verifier does from BTF", () => {
    const call = Jmp.callKfunc(12345, 0);
    expect(formatInsn(call, { syntax: "verifier" })).toBe("(85) call kernel-function#12345");
    const kfuncName = (id: number) => (id === 12345 ? "bpf_rcu_read_lock" : undefined);
    expect(formatInsn(call, { syntax: "verifier", kfuncName })).toBe("(85) call bpf_rcu_read_lock#12345");
  });

  it("hides map pointers from a loader without pointer access", () => {
    const bytes = assemble("ld_pseudo r1, 1, 3\nld_pseudo r2, 2, 3\nld_pseudo r3, 5, 3");
    expect(disassemble(bytes, { syntax: "verifier", allowPtrLeaks: false })).toEqual(["0: (18) r1 = 0x0", "2: (18) r2 = 0x0", "4: (18) r3 = 0x3"]);
    expect(disassemble(bytes, { syntax: "verifier" })[0]).toBe("0: (18) r1 = 0x3");
  });

  it("prints what the seed's builders make", () => {
    expect(formatInsn(Insn.call("map_update_elem"), { syntax: "verifier" })).toBe("(85) call bpf_map_update_elem#2");
    expect(formatInsn(Insn.ja(-1), { syntax: "verifier" })).toBe("(05) goto pc-1");
    expect(formatInsn(Insn.st("double_word", "r10", -8, 0), { syntax: "verifier" })).toBe("(7a) *(u64 *)(r10 -8) = 0");
  });
});
