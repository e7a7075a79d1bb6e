// codecFromBtf: codecs made from BTF types, on the clang fixture (every kind it has) and on BTF
// written by hand here (both bitfield encodings, enum sizes and signs, anonymous members, packed
// structs, datasecs, cycles): names, sizes, exact bytes, round trips, and the errors for bad values.
import { describe, expect, it } from "vitest";
import { Btf, BtfError, codecFromBtf, struct, u8 } from "../../mod.ts";
import { assemble, fixture, Writer } from "./blob.ts";

const btf = Btf.parse(fixture("kinds.el.btf"));
const id = (name: string, kind?: Parameters<Btf["find"]>[1]) => btf.find(name, kind)!.id;

/** Encodes into a buffer of 0xff (so padding that is left alone shows), returning the bytes. */
function enc(c: { size: number; encode(v: unknown, b: Uint8Array, o: number): void }, v: unknown, off = 0): Uint8Array {
  const b = new Uint8Array(c.size + off + 2).fill(0xff);
  c.encode(v, b, off);
  return b;
}
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

// A hand-made BTF, type by type: each call returns the new type's id.
class Types {
  readonly w = new Writer();
  n = 0;
  #add(name: string, kind: number, vlen: number, kflag: boolean, sizeOrType: number, ...rest: number[]): number {
    this.w.type(this.w.str(name), kind, vlen, kflag, sizeOrType, ...rest);
    return ++this.n;
  }
  int(name: string, size: number, o: { signed?: boolean; char?: boolean; bool?: boolean; bits?: number; off?: number } = {}): number {
    const enc = (o.signed ? 1 : 0) | (o.char ? 2 : 0) | (o.bool ? 4 : 0);
    return this.#add(name, 1, 0, false, size, (enc << 24) | ((o.off ?? 0) << 16) | (o.bits ?? size * 8));
  }
  ref(kind: "ptr" | "typedef" | "volatile" | "const" | "type_tag", type: number, name = ""): number {
    return this.#add(name, { ptr: 2, typedef: 8, volatile: 9, const: 10, type_tag: 18 }[kind], 0, false, type);
  }
  array(elem: number, index: number, n: number): number {
    return this.#add("", 3, 0, false, 0, elem, index, n);
  }
  /** Members as [name, type, bitOffset, bitfieldSize?]; any bitfieldSize sets kind_flag. */
  comp(kind: "struct" | "union", name: string, size: number, members: [string, number, number, number?][], kflag = members.some((m) => m[3])): number {
    const words = members.flatMap(([n, t, off, bits]) => [this.w.str(n), t, kflag ? ((bits ?? 0) << 24) | off : off]);
    return this.#add(name, kind === "struct" ? 4 : 5, members.length, kflag, size, ...words);
  }
  enum(name: string, size: number, values: [string, number][], signed = false): number {
    return this.#add(name, 6, values.length, signed, size, ...values.flatMap(([n, v]) => [this.w.str(n), v >>> 0]));
  }
  enum64(name: string, size: number, values: [string, bigint][], signed = false): number {
    const words = values.flatMap(([n, v]) => {
      const u = BigInt.asUintN(64, v);
      return [this.w.str(n), Number(u & 0xffffffffn), Number(u >> 32n)];
    });
    return this.#add(name, 19, values.length, signed, size, ...words);
  }
  float(name: string, size: number): number {
    return this.#add(name, 16, 0, false, size);
  }
  fwd(name: string): number {
    return this.#add(name, 7, 0, false, 0);
  }
  var(name: string, type: number): number {
    return this.#add(name, 14, 0, false, type, 1);
  }
  datasec(name: string, size: number, vars: [number, number, number][]): number {
    return this.#add(name, 15, vars.length, false, size, ...vars.flat());
  }
  build(): Btf {
    return Btf.parse(assemble(this.w.sections()));
  }
}

describe("codecFromBtf on the clang fixture", () => {
  it("names every codec as C declares the type, with its size and alignment", () => {
    const holder = codecFromBtf(btf, id("holder", "struct"));
    expect(holder.name).toBe(
      "struct holder { const volatile int cv; int *restrict r; uptr user; double d; long double ld; struct node *next; union later *u; " +
        "union either e; struct bits b; int grid[2][3]; enum unsigned_e ue; enum signed_e se; enum wide_e we; enum wide_signed_e wse; " +
        "_Bool flag; u64 (*cb)(int, ...); }",
    );
    expect([holder.size, holder.align, holder.typeId]).toEqual([136, 8, id("holder", "struct")]);
    expect(codecFromBtf(btf, id("bits", "struct")).name).toBe("struct bits { unsigned int a:3; int b:5; unsigned long long c:40; char tail; }");
    expect(codecFromBtf(btf, id("either")).name).toBe("union either { int i; float f; struct { short lo; short hi; }; }");
    expect(codecFromBtf(btf, id("message")).name).toBe("const char message[3]");
    expect(codecFromBtf(btf, id("u64")).name).toBe("u64");
    const named = (tid: number) => [codecFromBtf(btf, tid).name, codecFromBtf(btf, tid).size, codecFromBtf(btf, tid).align];
    expect(named(31)).toEqual(["int[2][3]", 24, 4]);
    expect(named(39)).toEqual(["u64 (*)(int, ...)", 8, 8]);
    expect(named(9)).toEqual(["const volatile int", 4, 4]);
    expect(named(11)).toEqual(["int *restrict", 8, 8]);
    expect(named(14)).toEqual(["int", 4, 4]); // type_tag: looked through
    expect(named(24)).toEqual(["struct { short lo; short hi; }", 4, 2]);
    expect(named(37)).toEqual(["_Bool", 1, 1]);
  });

  it("round-trips a whole struct holder: ints, pointers, floats, union, bitfields, arrays, enums, bool", () => {
    const c = codecFromBtf(btf, id("holder", "struct"));
    const v = {
      cv: -3, r: 0xffff888000001000n, user: 16n, d: 1.25, ld: -2.5, next: 0n, u: 8n,
      e: { lo: 1, hi: 2 }, b: { a: 5, b: -16, c: 0xfedcba9876n, tail: -1 },
      grid: [[1, 2, 3], [-4, -5, -6]], ue: "UB", se: "SA", we: "WB", wse: "WS", flag: true, cb: 0xdeadbeefn,
    };
    const b = enc(c, v);
    const back = c.decode(b, 0);
    const f = new Float32Array(new Uint32Array([0x20001]).buffer)[0];
    expect(back).toEqual({ ...v, e: { i: 0x20001, f, lo: 1, hi: 2 } });
    expect(c.decode(enc(c, back), 0)).toEqual(back);
    expect(hex(b.subarray(0, 8))).toBe("fd ff ff ff 00 00 00 00"); // cv, then padding zeroed
    expect(hex(b.subarray(56, 64))).toBe("01 00 02 00 00 00 00 00"); // e (lo, hi), padding
    expect(hex(b.subarray(96, 104))).toBe("ff ff ff ff fb ff ff ff"); // ue UB, se SA (-5, signed by kflag)
    expect(hex(b.subarray(112, 128))).toBe("00 00 00 00 ff ff ff ff 01 00 00 00 00 00 00 00"); // wse -2^32, flag, padding
    expect(hex(b.subarray(136))).toBe("ff ff"); // nothing past the struct
  });

  it("reads and writes bitfields without touching their neighbours' bits", () => {
    const c = codecFromBtf(btf, id("bits", "struct"));
    const zero = { a: 0, b: 0, c: 0n, tail: 0 };
    expect(hex(enc(c, { ...zero, a: 7 }).subarray(0, 8))).toBe("07 00 00 00 00 00 00 00");
    expect(hex(enc(c, { ...zero, b: -1 }).subarray(0, 8))).toBe("f8 00 00 00 00 00 00 00");
    expect(hex(enc(c, { ...zero, b: -16 }).subarray(0, 8))).toBe("80 00 00 00 00 00 00 00");
    expect(hex(enc(c, { ...zero, c: (1n << 40n) - 1n }).subarray(0, 8))).toBe("00 ff ff ff ff ff 00 00");
    expect(hex(enc(c, { ...zero, tail: -1 }).subarray(0, 8))).toBe("00 00 00 00 00 00 ff 00");
    expect(hex(enc(c, { a: 1, b: 2, c: 3, tail: 4 }).subarray(0, 8))).toBe("11 03 00 00 00 00 04 00"); // c takes a safe number
    // Every bit a field owns, set alone, reads back as that field only.
    for (const [k, max] of [["a", 7], ["b", -1], ["c", (1n << 40n) - 1n], ["tail", -1]] as const) {
      expect(c.decode(enc(c, { ...zero, [k]: max }), 0)).toEqual({ ...zero, [k]: max });
    }
    // A struct at an offset: its bitfields land relative to it.
    expect(hex(enc(c, { ...zero, a: 2, b: 1 }, 3).subarray(0, 5))).toBe("ff ff ff 0a 00");
    expect(c.decode(new Uint8Array(8).fill(0xff), 0)).toEqual({ a: 7, b: -1, c: (1n << 40n) - 1n, tail: -1 });
  });

  it("refuses bitfield values the bits cannot hold", () => {
    const c = codecFromBtf(btf, id("bits", "struct"));
    const zero = { a: 0, b: 0, c: 0n, tail: 0 };
    expect(() => enc(c, { ...zero, a: 8 })).toThrow(RangeError);
    expect(() => enc(c, { ...zero, a: 8 })).toThrow("struct bits: .a: unsigned int:3: expects an integer in [0, 7], got 8");
    expect(() => enc(c, { ...zero, b: 16 })).toThrow("expects an integer in [-16, 15]");
    expect(() => enc(c, { ...zero, a: 1.5 })).toThrow(RangeError);
    expect(() => enc(c, { ...zero, c: 1n << 40n })).toThrow("unsigned long long:40: expects an integer in [0, 1099511627775]");
    expect(() => enc(c, { ...zero, c: -1n })).toThrow(RangeError);
    expect(() => enc(c, { ...zero, a: 1n })).toThrow(TypeError); // a 4-byte type: numbers only
    expect(() => enc(c, { ...zero, tail: 128 })).toThrow("struct bits: .tail: char: expects an integer in [-128, 127], got 128");
  });

  it("decodes a union as every member's view; encodes one member, or several that agree", () => {
    const c = codecFromBtf(btf, id("either"));
    expect(c.decode(new Uint8Array([0, 0, 0xc0, 0x3f]), 0)).toEqual({ i: 0x3fc00000, f: 1.5, lo: 0, hi: 0x3fc0 });
    expect(hex(enc(c, { f: 1.5 }))).toBe("00 00 c0 3f ff ff");
    expect(hex(enc(c, { lo: -1, hi: 2 }))).toBe("ff ff 02 00 ff ff");
    expect(hex(enc(c, { i: 7 }))).toBe("07 00 00 00 ff ff");
    const view = c.decode(new Uint8Array([1, 2, 3, 4]), 0);
    expect(hex(enc(c, view))).toBe("01 02 03 04 ff ff");
    expect(() => enc(c, { i: 1, f: 2 })).toThrow(RangeError);
    expect(() => enc(c, { i: 1, f: 2 })).toThrow(/union either: a union holds one member; \.f disagrees with \.i/);
    expect(() => enc(c, {})).toThrow("union either: expects one member (i, f, { lo, hi }); none is given");
    expect(() => enc(c, { lo: 1 })).toThrow("union either: struct { short lo; short hi; }: .hi: missing (undefined)");
    expect(() => enc(c, 5)).toThrow(TypeError);
  });

  it("enums: names out, names or numbers in, the number for a value no enumerator has", () => {
    const ue = codecFromBtf(btf, id("unsigned_e")), se = codecFromBtf(btf, id("signed_e"));
    const we = codecFromBtf(btf, id("wide_e")), wse = codecFromBtf(btf, id("wide_signed_e"));
    expect(ue.decode(new Uint8Array([5, 0, 0, 0]), 0)).toBe(5);
    expect(se.decode(enc(se, "SB"), 0)).toBe("SB");
    expect(se.decode(enc(se, -6), 0)).toBe(-6);
    expect(hex(enc(se, -5).subarray(0, 4))).toBe("fb ff ff ff");
    expect(se.decode(enc(se, -5), 0)).toBe("SA");
    expect(we.decode(enc(we, "WA"), 0)).toBe("WA");
    expect(we.decode(enc(we, 5), 0)).toBe(5n);
    expect(wse.decode(enc(wse, -7n), 0)).toBe(-7n);
    expect(wse.decode(enc(wse, 3), 0)).toBe("WT");
    expect(() => enc(se, "SC")).toThrow('enum signed_e: no enumerator "SC" (it has SA, SB)');
    expect(() => enc(se, "SC")).toThrow(RangeError);
    expect(() => enc(ue, -1)).toThrow(RangeError); // unsigned: kind_flag 0
    expect(() => enc(se, 0x80000000)).toThrow(RangeError);
    expect(() => enc(ue, 1n)).toThrow(TypeError);
    expect(() => enc(ue, true)).toThrow(TypeError);
    expect(() => enc(we, -1n)).toThrow(RangeError);
  });

  it("char arrays are strings, other scalars numbers, bigints, booleans", () => {
    const msg = codecFromBtf(btf, id("message"));
    expect(msg.decode(new Uint8Array([0x68, 0x69, 0]), 0)).toBe("hi");
    expect(hex(enc(msg, "a"))).toBe("61 00 00 ff ff");
    expect(msg.decode(enc(msg, "abc"), 0)).toBe("abc"); // may fill the array, as C allows
    expect(() => enc(msg, "abcd")).toThrow(RangeError);
    expect(() => enc(msg, 5)).toThrow(TypeError);
    const flag = codecFromBtf(btf, 37);
    expect(flag.decode(new Uint8Array([2]), 0)).toBe(true);
    expect(() => enc(flag, 1)).toThrow(TypeError);
    const ptr = codecFromBtf(btf, 12);
    expect(ptr.decode(enc(ptr, 4096), 0)).toBe(4096n);
    expect(() => enc(ptr, -1)).toThrow(RangeError);
    const grid = codecFromBtf(btf, 31);
    expect(() => enc(grid, [[1, 2, 3]])).toThrow(RangeError);
    expect(() => enc(grid, [[1, 2, 3], [4, 5, 2 ** 31]])).toThrow("int[2][3]: [1]: int[3]: [2]: int: expects an integer in [-2147483648, 2147483647], got 2147483648");
  });

  it("refuses what has no values, naming the type", () => {
    expect(() => codecFromBtf(btf, 0)).toThrow("BTF type id 0 (void) has no codec: void has no values");
    expect(() => codecFromBtf(btf, id("tagged"))).toThrow(TypeError);
    expect(() => codecFromBtf(btf, id("tagged"))).toThrow('BTF type id 3 (func "tagged") has no codec');
    expect(() => codecFromBtf(btf, 2)).toThrow(/func_proto\) has no codec/);
    expect(() => codecFromBtf(btf, id("node"))).toThrow('BTF type id 19 (fwd "node") has no codec: an incomplete struct');
    expect(() => codecFromBtf(btf, id("later"))).toThrow("an incomplete union");
    expect(() => codecFromBtf(btf, id("holder_tag"))).toThrow(/decl_tag "holder_tag"\) has no codec/);
    // Datasecs in an object file are sized by the loader: size 0 here.
    expect(() => codecFromBtf(btf, id(".bss"))).toThrow(/datasec "\.bss"\) has no codec: var "counter" at 0\.\.4 lies beyond its size 0/);
    expect(() => codecFromBtf(btf, btf.count)).toThrow(RangeError);
    expect(() => codecFromBtf(btf, 1.5)).toThrow(RangeError);
    expect(() => codecFromBtf(btf, { ...btf.typeById(7), name: "other" } as never)).toThrow('struct "other" (id 7) is not a type of this BTF');
    expect(() => codecFromBtf(btf, "holder" as never)).toThrow(TypeError);
  });

  it("vars give their type's codec, struct values refuse what is not an object or misses a member", () => {
    const v = codecFromBtf(btf, id("global_holder"));
    expect([v.name, v.size]).toEqual(["struct holder global_holder", 136]);
    const bits = codecFromBtf(btf, id("bits", "struct"));
    expect(() => enc(bits, null)).toThrow("struct bits: expects an object, got null");
    expect(() => enc(bits, [1, 2])).toThrow(TypeError);
    expect(() => enc(bits, { a: 1, b: 2, c: 3n })).toThrow("struct bits: .tail: missing (undefined)");
  });

  it("caches codecs per (btf, type id), and one made from a type or its id is the same", () => {
    const holder = btf.find("holder", "struct")!;
    expect(codecFromBtf(btf, holder)).toBe(codecFromBtf(btf, holder.id));
    expect(codecFromBtf(btf, 26)).toBe(codecFromBtf(btf, 26));
    const other = Btf.parse(fixture("kinds.el.btf"));
    expect(codecFromBtf(other, 26)).not.toBe(codecFromBtf(btf, 26));
    expect(codecFromBtf(other, 26).name).toBe(codecFromBtf(btf, 26).name);
  });

  it("the big-endian fixture gives the same layouts (its data is big-endian: test/collection/byte-order.test.ts)", () => {
    const eb = Btf.parse(fixture("kinds.eb.btf"));
    for (const t of btf.types()) {
      let mine: string, theirs: string;
      try {
        const c = codecFromBtf(btf, t.id);
        mine = `${c.name} ${c.size} ${c.align}`;
      } catch (e) {
        mine = (e as Error).message;
      }
      try {
        const c = codecFromBtf(eb, t.id);
        theirs = `${c.name} ${c.size} ${c.align}`;
      } catch (e) {
        theirs = (e as Error).message;
      }
      expect(theirs).toBe(mine);
    }
  });

  it("a codec works as a field of the src/codec struct()", () => {
    const s = struct({ tag: u8, b: codecFromBtf(btf, id("bits", "struct")) });
    expect(s.offsetOf("b")).toBe(8);
    const v = { tag: 1, b: { a: 1, b: -1, c: 5n, tail: 9 } };
    const buf = new Uint8Array(s.size);
    s.encode(v, buf, 0);
    expect(s.decode(buf, 0)).toEqual(v);
  });
});

describe("codecFromBtf on hand-made BTF", () => {
  it("struct key { u32 pid; char comm[16]; }: the name, and the bytes", () => {
    const t = new Types();
    const uint = t.int("unsigned int", 4), u32 = t.ref("typedef", uint, "u32"), ch = t.int("char", 1, { signed: true });
    const key = t.comp("struct", "key", 20, [["pid", u32, 0], ["comm", t.array(ch, uint, 16), 32]]);
    const c = codecFromBtf(t.build(), key);
    expect(c.name).toBe("struct key { u32 pid; char comm[16]; }");
    const b = enc(c, { pid: 0x01020304, comm: "bash" });
    expect(hex(b)).toBe("04 03 02 01 62 61 73 68 00 00 00 00 00 00 00 00 00 00 00 00 ff ff");
    expect(c.decode(b, 0)).toEqual({ pid: 0x01020304, comm: "bash" });
    expect(() => enc(c, { pid: -1, comm: "" })).toThrow("struct key: .pid: u32: expects an integer in [0, 4294967295], got -1");
    expect(() => enc(c, { pid: 1, comm: "x".repeat(17) })).toThrow(RangeError);
  });

  it("kind_flag 0 bitfields: the int type's bits and offset say where", () => {
    const t = new Types();
    const u3 = t.int("unsigned int", 4, { bits: 3 });
    const s5 = t.int("int", 4, { signed: true, bits: 5 });
    const o4 = t.int("unsigned char", 1, { bits: 4, off: 2 }); // BTF_INT_OFFSET 2
    const full = t.int("unsigned short", 2);
    const s = t.comp("struct", "old", 4, [["a", u3, 0], ["b", s5, 3], ["c", o4, 8], ["d", full, 16]], false);
    const btf2 = t.build();
    const c = codecFromBtf(btf2, s);
    expect(c.name).toBe("struct old { unsigned int a:3; int b:5; unsigned char c:4; unsigned short d; }");
    expect(hex(enc(c, { a: 0, b: 0, c: 0xf, d: 0 }).subarray(0, 4))).toBe("00 3c 00 00");
    expect(hex(enc(c, { a: 7, b: -1, c: 0, d: 0xabcd }).subarray(0, 4))).toBe("ff 00 cd ab");
    expect(c.decode(new Uint8Array([0xff, 0xff, 0, 0]), 0)).toEqual({ a: 7, b: -1, c: 15, d: 0 });
    expect(() => enc(c, { a: 0, b: 0, c: 16, d: 0 })).toThrow(RangeError);
    // Such an int on its own owns only its bits: the rest of its byte is zero.
    const alone = codecFromBtf(btf2, o4);
    expect(hex(enc(alone, 5))).toBe("14 ff ff");
    expect(alone.decode(new Uint8Array([0xff]), 0)).toBe(15);
  });

  it("ints the kernel's BTF check refuses have no codec: sizes other than 1, 2, 4, 8, 16; bits beyond the size", () => {
    const t = new Types();
    const odd = t.int("odd", 3), over = t.int("over", 1, { bits: 6, off: 4 }), wide = t.int("wide", 32, { bits: 200 });
    const s = t.comp("struct", "holds", 32, [["w", wide, 0, 9]]);
    const b = t.build();
    expect(() => codecFromBtf(b, odd)).toThrow(/\(int "odd"\) has no codec: a 3-byte int/);
    expect(() => codecFromBtf(b, over)).toThrow(/has no codec: bits 4..10 of a 1-byte int/);
    for (const little of [true, false]) expect(() => codecFromBtf(b, s, { littleEndian: little })).toThrow(/a 32-byte int/);
  });

  it("enum bitfields, bool bitfields, 8-bit enums, enum64 sizes, 16-byte ints", () => {
    const t = new Types();
    const st = t.enum("st", 4, [["IDLE", 0], ["RUN", 3]]);
    const b = t.int("_Bool", 1, { bool: true });
    const small = t.enum("small", 1, [["NEG", -1], ["ONE", 1]], true);
    const e64 = t.enum64("e64", 8, [["BIG", 1n << 40n]], true);
    const i128 = t.int("__int128", 16, { signed: true });
    const s = t.comp("struct", "flags", 32, [["st", st, 0, 2], ["on", b, 2, 1], ["sm", small, 8], ["w", e64, 64], ["x", i128, 128]]);
    const btf2 = t.build();
    const c = codecFromBtf(btf2, s);
    expect(c.name).toBe("struct flags { enum st st:2; _Bool on:1; enum small sm; enum e64 w; __int128 x; }");
    expect(c.align).toBe(8);
    const v = { st: "RUN", on: true, sm: "NEG", w: "BIG", x: -(1n << 100n) };
    const bytes = enc(c, v);
    expect(hex(bytes.subarray(0, 16))).toBe("07 ff 00 00 00 00 00 00 00 00 00 00 00 01 00 00");
    expect(c.decode(bytes, 0)).toEqual(v);
    expect(c.decode(enc(c, { ...v, st: 2, sm: -2, w: -3n, x: 5 }), 0)).toEqual({ ...v, st: 2, sm: -2, w: -3n, x: 5n });
    expect(() => enc(c, { ...v, st: 4 })).toThrow("struct flags: .st: enum st:2: expects an integer in [0, 3], got 4");
    expect(() => enc(c, { ...v, st: "STOP" })).toThrow('enum st: no enumerator "STOP" (it has IDLE, RUN)');
    expect(() => enc(c, { ...v, on: 1 })).toThrow("_Bool: expects true or false, got 1");
    expect(() => enc(c, { ...v, sm: 128 })).toThrow(RangeError);
    expect(() => enc(c, { ...v, x: 1n << 127n })).toThrow(RangeError);
    expect(codecFromBtf(btf2, i128).decode(enc(codecFromBtf(btf2, i128), (1n << 127n) - 1n), 0)).toBe((1n << 127n) - 1n);
  });

  it("char arrays: BTF_INT_CHAR and signed char are strings; unsigned char and a typedef of char are numbers (as bpftool)", () => {
    const t = new Types();
    const idx = t.int("unsigned int", 4), char = t.int("char", 1, { signed: true });
    const arrays = {
      charEnc: t.array(t.int("c", 1, { char: true }), idx, 4),
      signed: t.array(t.int("signed char", 1, { signed: true }), idx, 4),
      constChar: t.array(t.ref("const", char), idx, 4),
      unsigned: t.array(t.int("unsigned char", 1), idx, 4),
      typedef: t.array(t.ref("typedef", char, "ch"), idx, 4),
    };
    const btf2 = t.build();
    const kinds = Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, codecFromBtf(btf2, a).decode(new Uint8Array([0x6f, 0x6b, 0, 0]), 0)]));
    expect(kinds).toEqual({ charEnc: "ok", signed: "ok", constChar: "ok", unsigned: [0x6f, 0x6b, 0, 0], typedef: [0x6f, 0x6b, 0, 0] });
  });

  it("anonymous struct and union members are flattened into their parent, as C reads them", () => {
    const t = new Types();
    const u16 = t.int("unsigned short", 2), u32 = t.int("unsigned int", 4);
    const inner = t.comp("struct", "", 4, [["lo", u16, 0], ["hi", u16, 16]]);
    const un = t.comp("union", "", 4, [["word", u32, 0], ["", inner, 0]]);
    const s = t.comp("struct", "outer", 8, [["tag", u16, 0], ["", un, 32]]);
    const c = codecFromBtf(t.build(), s);
    expect(c.name).toBe("struct outer { unsigned short tag; union { unsigned int word; struct { unsigned short lo; unsigned short hi; }; }; }");
    expect(c.decode(new Uint8Array([1, 0, 9, 9, 2, 0, 3, 0]), 0)).toEqual({ tag: 1, word: 0x30002, lo: 2, hi: 3 });
    expect(hex(enc(c, { tag: 1, lo: 2, hi: 3 }))).toBe("01 00 00 00 02 00 03 00 ff ff");
    expect(hex(enc(c, { tag: 1, word: 0x30002 }))).toBe("01 00 00 00 02 00 03 00 ff ff");
    expect(hex(enc(c, c.decode(new Uint8Array([1, 0, 9, 9, 2, 0, 3, 0]), 0)))).toBe("01 00 00 00 02 00 03 00 ff ff");
    expect(() => enc(c, { tag: 1 })).toThrow("struct outer: union { unsigned int word; struct { unsigned short lo; unsigned short hi; }; }: expects one member (word, { lo, hi }); none is given");
    expect(() => enc(c, { tag: 1, word: 1, lo: 2, hi: 0 })).toThrow(RangeError);
  });

  it("packed structs align to 1; sizes not a multiple of the widest member too", () => {
    const t = new Types();
    const u8t = t.int("unsigned char", 1), u32 = t.int("unsigned int", 4);
    const packed = t.comp("struct", "p", 5, [["a", u8t, 0], ["b", u32, 8]]);
    const natural = t.comp("struct", "n", 8, [["a", u8t, 0], ["b", u32, 32]]);
    const btf2 = t.build();
    expect([codecFromBtf(btf2, packed).size, codecFromBtf(btf2, packed).align]).toEqual([5, 1]);
    expect([codecFromBtf(btf2, natural).size, codecFromBtf(btf2, natural).align]).toEqual([8, 4]);
    expect(hex(enc(codecFromBtf(btf2, packed), { a: 1, b: 0x02030405 }))).toBe("01 05 04 03 02 ff ff");
  });

  it("datasecs laid out by a loader are objects of their variables", () => {
    const t = new Types();
    const int = t.int("int", 4, { signed: true }), ch = t.int("char", 1, { signed: true });
    const name = t.array(ch, int, 8);
    const a = t.var("count", int), b = t.var("label", name);
    const sec = t.datasec(".data", 16, [[a, 0, 4], [b, 8, 8]]);
    const c = codecFromBtf(t.build(), sec);
    expect([c.name, c.size]).toEqual(["datasec .data { int count; char label[8]; }", 16]);
    const bytes = enc(c, { count: -2, label: "hi" });
    expect(hex(bytes.subarray(0, 16))).toBe("fe ff ff ff 00 00 00 00 68 69 00 00 00 00 00 00");
    expect(c.decode(bytes, 0)).toEqual({ count: -2, label: "hi" });
    expect(() => enc(c, { count: 1 })).toThrow("datasec .data: .label: missing (undefined)");
  });

  it("malformed BTF is a BtfError naming the type; unsupported floats and incomplete members a TypeError", () => {
    const t = new Types();
    const int = t.int("int", 4, { signed: true });
    const self = t.comp("struct", "loop", 8, [["x", int, 0], ["again", t.n + 1, 32]]); // contains itself
    const inner = t.comp("struct", "in", 4, [["x", int, 0]]);
    const bad = t.comp("struct", "bf", 4, [["s", inner, 0, 3]]); // a bitfield of a struct
    const over = t.comp("struct", "over", 4, [["x", int, 16]]); // runs past its size
    const f16 = t.float("_Float128", 16);
    const fwd = t.fwd("later");
    const holdsFwd = t.comp("struct", "holds", 4, [["x", fwd, 0]]);
    const btf2 = t.build();
    const err = (id2: number) => {
      try {
        codecFromBtf(btf2, id2);
      } catch (e) {
        return e as Error;
      }
      throw new Error("no error");
    };
    expect(err(self)).toBeInstanceOf(BtfError);
    expect(err(self).message).toMatch(/the type contains itself \(at type id 2\)/);
    expect(err(bad)).toBeInstanceOf(BtfError);
    expect(err(bad).message).toMatch(/member 0 \("s"\) of struct bf: a bitfield of a struct \(at type id 4\)/);
    expect(err(over).message).toMatch(/member 0 \("x"\) of struct over: bytes 2\.\.6 overrun its 4 bytes/);
    expect(err(f16)).toBeInstanceOf(TypeError);
    expect(err(f16).message).toBe('BTF type id 6 (float "_Float128") has no codec: only 4- and 8-byte floats are supported, this is 16');
    expect(err(holdsFwd)).toBeInstanceOf(TypeError);
    expect(err(holdsFwd).message).toBe('struct holds: member "x": BTF type id 7 (fwd "later") has no codec: an incomplete struct (only declared here)');
  });
});
