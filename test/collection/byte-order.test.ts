// A big-endian object (clang -target bpfeb) read on this little-endian host: its variables decode
// in the object's order, to the values its C source gives (test/fixtures/elf/globals.bpf.c) and
// to what its little-endian twin reads, for every fixture; set() writes the object's order. A
// map created with a big-endian BTF holds host-order values, as the kernel's copy of that BTF is.
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BpfMap, type Btf, bytes, codecFromBtf, CollectionSpec, haveBtfFeature, MapType, u32 } from "../../mod.ts";
import { itPriv } from "../helpers/env.ts";

const dir = new URL("../fixtures/elf/", import.meta.url).pathname;
const path = (e: "el" | "eb", name: string) => `${dir}${name}.${e}.o`;

const all = (big: boolean) => ({
  byte: 0xab, half: -2, word: 0x01020304, wide: -0x1122334455667788n,
  huge: (0x0102030405060708n << 64n) | 0x090a0b0c0d0e0f10n,
  flag: true, s: "S_TWO", m: "M_A", g: "B_HUGE",
  bits: { a: 5, b: 0x1abc, c: -20, d: 300, e: 0xfedcba9876n, f: -1000000n },
  // The union's halves are the word's two u16s in memory order: the byte order shows there.
  u: { word: 0xa1b2c3d4, halves: big ? [0xa1b2, 0xc3d4] : [0xc3d4, 0xa1b2] },
  f32: 1.5, f64: -0.125, ptr: 0x1000n, list: [1, 0x203, 0xfffe], name: "eb",
});

describe("variables of a big-endian object", () => {
  for (const e of ["el", "eb"] as const) {
    it(`decode to the values the C source gives (${e})`, () => {
      const v = CollectionSpec.fromFile(path(e, "globals")).variables;
      expect(v.all.get()).toEqual(all(e === "eb"));
      expect(v.answer.get()).toBe(-42);
      expect(v.zeroed.get()).toEqual({ a: 0, b: 0, c: 0, d: 0, e: 0n, f: 0n });
    });
  }

  it("set() writes the object's byte order; bitfields keep their neighbours' bits", () => {
    const el = CollectionSpec.fromFile(path("el", "globals")).variables, eb = CollectionSpec.fromFile(path("eb", "globals")).variables;
    const before = [...eb.all.bytes()];
    eb.all.set(eb.all.get());
    expect([...eb.all.bytes()], "a decoded value given back writes the same bytes").toEqual(before);
    for (const v of [el, eb]) {
      v.answer.set(0x01020304);
      v.zeroed.set({ a: 7, b: 0, c: -64, d: 511, e: 1n, f: -1n });
    }
    expect([...eb.answer.bytes()]).toEqual([1, 2, 3, 4]);
    expect([...el.answer.bytes()]).toEqual([4, 3, 2, 1]);
    expect(eb.zeroed.get()).toEqual({ a: 7, b: 0, c: -64, d: 511, e: 1n, f: -1n });
    // The big-endian struct's first bits are its first byte's highest: a = 7 is 0b111 there.
    expect(eb.zeroed.bytes()[0] >> 5).toBe(7);
    expect(el.zeroed.bytes()[0] & 7).toBe(7);
    const word = { ...all(true), word: 0x0a0b0c0d, u: { word: 1 } };
    eb.all.set(word);
    const at = eb.all.codec.size; // layout: word at offset 4 (byte, pad, half)
    expect(at).toBe(el.all.codec.size);
    expect([...eb.all.bytes().subarray(4, 8)]).toEqual([0x0a, 0x0b, 0x0c, 0x0d]);
    expect(eb.all.get()).toMatchObject({ word: 0x0a0b0c0d, u: { word: 1, halves: [0, 1] } });
  });

  it("of every fixture read as their little-endian twins' (unions aside, whose members show the order)", () => {
    const hasUnion = (c: { name: string }) => c.name.includes("union");
    let n = 0;
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".el.o"))) {
      const name = f.slice(0, -5);
      const el = CollectionSpec.fromFile(path("el", name)).variables, eb = CollectionSpec.fromFile(path("eb", name)).variables;
      expect(Object.keys(eb), name).toEqual(Object.keys(el));
      for (const [k, v] of Object.entries(el)) {
        let mine: unknown;
        try {
          mine = v.get();
        } catch (err) {
          mine = (err as Error).message;
        }
        if (typeof mine === "string" && mine.startsWith("variable") || hasUnion(v.codec)) continue;
        expect(eb[k].get(), `${name}: ${k}`).toEqual(mine);
        n++;
      }
    }
    expect(n).toBeGreaterThan(20);
  });

  it("codecFromBtf takes the BTF's order unless told; littleEndian must be a boolean", () => {
    const btf = CollectionSpec.fromFile(path("eb", "globals")).btf!;
    expect(btf.little).toBe(false);
    const t = btf.find("all", "struct")!;
    const big = codecFromBtf(btf, t), host = codecFromBtf(btf, t, { littleEndian: true });
    expect(big).toBe(codecFromBtf(btf, t, { littleEndian: false }));
    expect(host).not.toBe(big);
    const buf = new Uint8Array(big.size);
    host.encode(all(false), buf, 0);
    expect(host.decode(buf, 0)).toEqual(all(false));
    expect(big.decode(buf, 0)).not.toEqual(all(false));
    expect(() => codecFromBtf(btf, t, { littleEndian: 1 as never })).toThrow(TypeError);
  });
});

itPriv("a map made with a big-endian BTF holds host-order values (the kernel's copy of the BTF is)", {}, () => {
  const btf: Btf = CollectionSpec.fromFile(path("eb", "globals")).btf!;
  const value = btf.find("all", "struct")!;
  using m = BpfMap.create({ type: MapType.array, key: u32, maxEntries: 1, btf: { types: btf, key: btf.find("unsigned int", "int")!, value } });
  m.set(0, all(false));
  expect(m.get(0)).toEqual(all(false));
  // The kernel's bytes are little-endian: the word at offset 4 reads 04 03 02 01.
  using raw = BpfMap.fromId(m.id, { key: u32, value: bytes(m.valueSize) });
  expect([...raw.get(0)!.subarray(4, 8)]).toEqual([4, 3, 2, 1]);
  // Opened by id with its BTF: the kernel's copy, in host order, types it the same way, but for
  // the kinds sanitized away where the kernel lacks them (FLOAT -> an empty struct, ENUM64 -> a union).
  using typed = BpfMap.fromId(m.id, { btf: true });
  const want: Record<string, unknown> = all(false);
  const got = typed.get(0) as Record<string, unknown>;
  if (!haveBtfFeature("float")) for (const k of ["f32", "f64"]) [want[k], got[k]] = [{}, got[k]];
  if (!haveBtfFeature("enum64")) {
    expect(typeof got.g).toBe("object");
    got.g = want.g;
  }
  expect(got).toEqual(want);
});
