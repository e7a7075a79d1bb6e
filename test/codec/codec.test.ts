// Codecs without the kernel: ranges and errors of the integer codecs, byte arrays and C strings,
// C struct layout (checked against gcc's offsetof/sizeof when gcc is there), per-CPU layout.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  array, be16, be32, bool, bytes, chars, type Codec, f32, f64, i16, i32, i64, i64n, i8, perCpu, struct, u16, u32, u64,
  u64n, u8,
} from "../../mod.ts";

function enc<T, I>(c: Codec<T, I>, v: I, pad = 0): Uint8Array {
  const b = new Uint8Array(c.size + pad * 2).fill(0xee);
  c.encode(v, b, pad);
  return b.subarray(pad, pad + c.size);
}
const round = <T, I>(c: Codec<T, I>, v: I): T => c.decode(enc(c, v, 3), 0);

describe("integer codecs", () => {
  it("round-trip their whole range, little-endian", () => {
    for (const [c, vals] of [
      [u8, [0, 1, 127, 255]], [u16, [0, 258, 65535]], [u32, [0, 1, 0x01020304, 4294967295]],
      [i8, [-128, -1, 0, 127]], [i16, [-32768, -2, 32767]], [i32, [-2147483648, -1, 2147483647]],
    ] as [Codec<number>, number[]][]) {
      for (const v of vals) expect(round(c, v), `${c.name} ${v}`).toBe(v);
    }
    expect([...enc(u32, 0x01020304)]).toEqual([4, 3, 2, 1]);
    expect([...enc(u16, 0x0102)]).toEqual([2, 1]);
    expect([...enc(i16, -2)]).toEqual([0xfe, 0xff]);
  });

  it("refuse out-of-range numbers with a RangeError and other types with a TypeError", () => {
    expect(() => enc(u32, -1)).toThrow(RangeError);
    expect(() => enc(u32, -1)).toThrow("u32: expects an integer in [0, 4294967295], got -1");
    expect(() => enc(u32, 2 ** 32)).toThrow(RangeError);
    expect(() => enc(u32, 1.5)).toThrow(RangeError);
    expect(() => enc(u32, NaN)).toThrow(RangeError);
    expect(() => enc(u8, 256)).toThrow(RangeError);
    expect(() => enc(u8, "a" as unknown as number)).toThrow(TypeError);
    expect(() => enc(u8, "a" as unknown as number)).toThrow('u8: expects a number (an integer in [0, 255]), got string "a"');
    expect(() => enc(u16, 1n as unknown as number)).toThrow(TypeError);
    expect(() => enc(i8, 128)).toThrow(RangeError);
    expect(() => enc(i8, -129)).toThrow(RangeError);
    expect(() => enc(i32, 2 ** 31)).toThrow(RangeError);
    expect(() => enc(i16, null as unknown as number)).toThrow(TypeError);
  });

  it("be16 and be32 store network byte order", () => {
    expect([...enc(be16, 0x1f90)]).toEqual([0x1f, 0x90]);
    expect([...enc(be32, 0x7f000001)]).toEqual([127, 0, 0, 1]);
    expect(round(be32, 0xc0a80001)).toBe(0xc0a80001);
    expect(() => enc(be16, 70000)).toThrow(RangeError);
  });

  it("u64 and i64 are bigints, and take safe-integer numbers too", () => {
    expect(round(u64, 2n ** 64n - 1n)).toBe(2n ** 64n - 1n);
    expect(round(u64, 2 ** 53 - 1)).toBe(2n ** 53n - 1n);
    expect([...enc(u64, 0x0102030405060708n)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(enc(u64, 5)).toEqual(enc(u64, 5n));
    expect(() => enc(u64, -1n)).toThrow(RangeError);
    expect(() => enc(u64, 2n ** 64n)).toThrow(RangeError);
    expect(() => enc(u64, 2 ** 53)).toThrow(RangeError);
    expect(() => enc(u64, "1" as unknown as bigint)).toThrow(TypeError);
    expect(round(i64, -(2n ** 63n))).toBe(-(2n ** 63n));
    expect(round(i64, -5)).toBe(-5n);
    expect(() => enc(i64, 2n ** 63n)).toThrow(RangeError);
  });

  it("u64n and i64n are numbers that refuse to lose precision", () => {
    expect(round(u64n, 2 ** 53 - 1)).toBe(2 ** 53 - 1);
    expect(round(u64n, 4294967296 + 7)).toBe(4294967303);
    expect(enc(u64n, 123456789012)).toEqual(enc(u64, 123456789012n));
    expect(() => enc(u64n, -1)).toThrow(RangeError);
    expect(() => enc(u64n, 2 ** 53)).toThrow(RangeError);
    expect(() => enc(u64n, 1n as unknown as number)).toThrow(TypeError);
    expect(() => u64n.decode(enc(u64, 2n ** 53n), 0)).toThrow(/above 2\^53 - 1; use the u64 codec/);
    expect(round(i64n, -(2 ** 53 - 1))).toBe(-(2 ** 53 - 1));
    expect(round(i64n, -1)).toBe(-1);
    expect(() => i64n.decode(enc(i64, -(2n ** 60n)), 0)).toThrow(RangeError);
  });

  it("floats and bool", () => {
    expect(round(f64, Math.PI)).toBe(Math.PI);
    expect(round(f32, 1.5)).toBe(1.5);
    expect(round(f32, 0.1)).toBeCloseTo(0.1, 6);
    expect(() => enc(f64, "1" as unknown as number)).toThrow(TypeError);
    expect(round(bool, true)).toBe(true);
    expect([...enc(bool, true)]).toEqual([1]);
    expect(bool.decode(new Uint8Array([7]), 0)).toBe(true);
    expect(() => enc(bool, 1 as unknown as boolean)).toThrow(TypeError);
  });

  it("work at any offset of a subarray", () => {
    const big = new Uint8Array(64);
    const sub = big.subarray(5, 40);
    u64.encode(0x1122334455667788n, sub, 3);
    expect(big[8]).toBe(0x88);
    expect(u64.decode(big, 8)).toBe(0x1122334455667788n);
    u32.encode(0xdeadbeef, sub, 20);
    expect(u32.decode(big, 25)).toBe(0xdeadbeef);
  });
});

describe("bytes and chars", () => {
  it("bytes(n) takes exactly n bytes and decodes to a copy", () => {
    const c = bytes(3);
    const buf = enc(c, new Uint8Array([1, 2, 3]));
    const out = c.decode(buf, 0);
    expect([...out]).toEqual([1, 2, 3]);
    buf[0] = 9;
    expect(out[0]).toBe(1);
    expect(() => enc(c, new Uint8Array(4))).toThrow("bytes(3): expects a Uint8Array of 3 bytes, got 4 bytes");
    expect(() => enc(c, [1, 2, 3] as unknown as Uint8Array)).toThrow(TypeError);
    const large = bytes(100);
    const v = new Uint8Array(100).map((_, i) => i);
    expect(round(large, v)).toEqual(v);
  });

  it("chars(n) NUL-pads, may fill the field, refuses longer strings", () => {
    const c = chars(8);
    expect([...enc(c, "abc")]).toEqual([97, 98, 99, 0, 0, 0, 0, 0]);
    expect(round(c, "abcdefgh")).toBe("abcdefgh");
    expect(round(c, "é")).toBe("é");
    expect(() => enc(c, "abcdefghi")).toThrow(RangeError);
    expect(() => enc(c, "a\0b")).toThrow(TypeError);
    expect(() => enc(c, 5 as unknown as string)).toThrow(TypeError);
  });

  it("array(codec, n) lays elements back to back", () => {
    const c = array(u16, 3);
    expect(c.size).toBe(6);
    expect([...enc(c, [1, 2, 0x0304])]).toEqual([1, 0, 2, 0, 4, 3]);
    expect(round(c, [7, 8, 9])).toEqual([7, 8, 9]);
    expect(() => enc(c, [1, 2])).toThrow("u16[3]: expects an array of 3, got 2 elements");
    expect(() => enc(c, [1, 2, -1])).toThrow("u16[3]: [2]: u16: expects an integer in [0, 65535], got -1");
  });
});

describe("struct", () => {
  it("lays fields out as C does: natural alignment, tail padding", () => {
    const s = struct({ a: u8, b: u64, c: u16, d: u8 });
    expect(s.fields.map((f) => [f.name, f.offset])).toEqual([["a", 0], ["b", 8], ["c", 16], ["d", 18]]);
    expect(s.size).toBe(24);
    expect(s.align).toBe(8);
    expect(s.offsetOf("c")).toBe(16);
    expect(s.name).toBe("struct { a: u8, b: u64, c: u16, d: u8 }");
  });

  it("encodes padding as zeros and round-trips", () => {
    const s = struct({ pid: u32, comm: chars(6), ts: u64 });
    const b = enc(s, { pid: 7, comm: "bash", ts: 99n }, 4);
    expect(s.size).toBe(24);
    expect([...b.subarray(10, 16)]).toEqual([0, 0, 0, 0, 0, 0]); // padding between comm and ts
    expect(s.decode(b, 0)).toEqual({ pid: 7, comm: "bash", ts: 99n });
  });

  it("nests structs and arrays", () => {
    const inner = struct({ x: u16, y: u32 });
    const s = struct({ tag: u8, p: inner, v: array(inner, 2) });
    expect(inner.size).toBe(8);
    expect(s.offsetOf("p")).toBe(4);
    expect(s.offsetOf("v")).toBe(12);
    expect(s.size).toBe(28);
    const v = { tag: 1, p: { x: 2, y: 3 }, v: [{ x: 4, y: 5 }, { x: 6, y: 7 }] };
    expect(round(s, v)).toEqual(v);
  });

  it("packed and explicit offsets", () => {
    const p = struct({ a: u8, b: u32, c: u16 }, { packed: true });
    expect(p.fields.map((f) => f.offset)).toEqual([0, 1, 5]);
    expect(p.size).toBe(7);
    const e = struct({ a: u32, b: { codec: u32, offset: 12 } }, { size: 20 });
    expect(e.offsetOf("b")).toBe(12);
    expect(e.size).toBe(20);
    const b = enc(e, { a: 1, b: 2 }, 2);
    expect([...b.subarray(4, 12)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(e.decode(b, 0)).toEqual({ a: 1, b: 2 });
    expect(() => struct({ a: u32, b: { codec: u32, offset: 2 } })).toThrow(/overlaps "a"/);
    expect(() => struct({ a: u64 }, { size: 4 })).toThrow(RangeError);
    expect(() => struct({ a: 5 as unknown as Codec<number> })).toThrow(TypeError);
  });

  it("names the field in errors and refuses missing fields", () => {
    const s = struct({ a: u32, b: u8 });
    expect(() => enc(s, { a: 1, b: 300 })).toThrow("struct { a: u32, b: u8 }: .b: u8: expects an integer in [0, 255], got 300");
    expect(() => enc(s, { a: 1 } as unknown as { a: number; b: number })).toThrow(/\.b: missing/);
    expect(() => enc(s, 5 as unknown as { a: number; b: number })).toThrow(TypeError);
  });

  it("matches gcc's offsetof and sizeof", (ctx) => {
    let gcc = true;
    try {
      execFileSync("gcc", ["--version"], { stdio: "ignore" });
    } catch {
      gcc = false;
    }
    if (!gcc) return ctx.skip("gcc not installed");
    const cases: [string, ReturnType<typeof struct>][] = [
      ["struct t0 { unsigned char a; unsigned long long b; unsigned short c; unsigned char d; }", struct({ a: u8, b: u64, c: u16, d: u8 })],
      ["struct t1 { unsigned int pid; char comm[6]; unsigned long long ts; }", struct({ pid: u32, comm: chars(6), ts: u64 })],
      ["struct t2 { unsigned char a; unsigned int b; unsigned short c; } __attribute__((packed))", struct({ a: u8, b: u32, c: u16 }, { packed: true })],
      ["struct t3 { unsigned short x; unsigned int y; }", struct({ x: u16, y: u32 })],
      ["struct t4 { unsigned char tag; struct t3 p; struct t3 v[2]; }", struct({ tag: u8, p: struct({ x: u16, y: u32 }), v: array(struct({ x: u16, y: u32 }), 2) })],
      ["struct t5 { signed char a; double b; float c; unsigned char d[3]; _Bool e; }", struct({ a: i8, b: f64, c: f32, d: bytes(3), e: bool })],
    ];
    const dir = mkdtempSync(join(tmpdir(), "tsbpf-struct-"));
    try {
      const lines = cases.map(([decl, s], i) => {
        const tag = decl.match(/struct (t\d)/)![1];
        const offs = s.fields.map((f) => `printf(" %zu", offsetof(struct ${tag}, ${f.name}));`).join(" ");
        return `printf("${i} %zu %zu", sizeof(struct ${tag}), _Alignof(struct ${tag})); ${offs} printf("\\n");`;
      });
      const src = `#include <stdio.h>\n#include <stddef.h>\n${cases.map(([d]) => `${d};`).join("\n")}\nint main(void) { ${lines.join("\n")} return 0; }\n`;
      writeFileSync(join(dir, "s.c"), src);
      execFileSync("gcc", ["-o", join(dir, "s"), join(dir, "s.c")]);
      const out = execFileSync(join(dir, "s"), { encoding: "utf8" }).trim().split("\n");
      cases.forEach(([decl, s], i) => {
        const [, size, align, ...offs] = out[i].split(" ").map(Number);
        expect([s.size, s.align, ...s.fields.map((f) => f.offset)], decl).toEqual([size, align, ...offs]);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("perCpu", () => {
  it("puts each CPU's value in an 8-byte slot", () => {
    const c = perCpu(u32, 3);
    expect(c.size).toBe(24);
    expect(c.slot).toBe(8);
    const b = enc(c, [1, 2, 3], 1);
    expect([...b]).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]);
    expect(c.decode(b, 0)).toEqual([1, 2, 3]);
    expect(perCpu(bytes(9), 2).size).toBe(32);
  });

  it("wants exactly one value per CPU, and says which CPU's value is bad", () => {
    const c = perCpu(u64, 2);
    expect(() => enc(c, [1n])).toThrow("perCpu(u64) x 2: expects one value per possible CPU (2), got 1");
    expect(() => enc(c, [1n, -1n])).toThrow(/cpu 1: u64: expects a bigint in \[0, 2\^64\)/);
    expect(() => enc(c, 5n as unknown as bigint[])).toThrow(TypeError);
    expect(() => perCpu(c as unknown as Codec<bigint>)).toThrow(/per-CPU already/);
  });
});
