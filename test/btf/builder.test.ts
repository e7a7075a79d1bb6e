// BtfBuilder: every kind as bpftool's raw dump shows it, C layout against what clang laid out in
// the fixture, split building over a base, the deduplicated string table, and bad input refused.
import { describe, expect, it } from "vitest";
import { Btf, BtfBuilder, type BtfCompositeType } from "../../mod.ts";
import { fixture } from "./blob.ts";

// The string section of a little-endian blob, as the strings it holds.
function strings(bytes: Uint8Array): string[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hdr = dv.getUint32(4, true), off = dv.getUint32(16, true), len = dv.getUint32(20, true);
  return new TextDecoder().decode(bytes.subarray(hdr + off, hdr + off + len)).split("\0").slice(0, -1);
}

describe("BtfBuilder: each kind", () => {
  it("builds every kind with the fields given, ids in order", () => {
    const b = new BtfBuilder();
    const int = b.addInt("int", 4, { signed: true });
    const ptr = b.addPtr(int);
    const uc = b.addInt("unsigned char", 1, { char: true });
    const arr = b.addArray(uc, int, 16);
    b.addStruct("s", 24, [
      { name: "a", type: int, bitOffset: 0 },
      { name: "flags", type: int, bitOffset: 32, bitfieldSize: 3 },
      { type: arr, bitOffset: 64 },
    ]);
    b.addUnion("u", 4, [{ name: "i", type: int, bitOffset: 0 }]);
    b.addEnum("e", [{ name: "A", value: -1 }, { name: "B", value: 2 }]);
    b.addEnum("small", [{ name: "S", value: 255 }], { size: 1 });
    b.addEnum64("e64", [{ name: "BIG", value: 1n << 40n }, { name: "SMALL", value: 3 }]);
    b.addEnum64("se64", [{ name: "NEG", value: -(1n << 63n) }]);
    b.addFwd("later", "union");
    b.addFwd("node");
    b.addTypedef("myint", int);
    const v = b.addVolatile(int);
    b.addConst(v);
    b.addRestrict(ptr);
    b.addTypeTag("user", int);
    b.addTypeTag("attr", int, { attribute: true });
    const proto = b.addFuncProto(int, [{ name: "x", type: int }], { varargs: true });
    const f = b.addFunc("f", proto, "global");
    b.addFunc("g", b.addFuncProto(0), "extern");
    const gv = b.addVar("g", int, "global");
    b.addVar("s", int);
    b.addDatasec(".data", 8, [{ type: gv, offset: 4, size: 4 }]);
    b.addFloat("double", 8);
    b.addDeclTag("tag", f, 0);
    b.addDeclTag("whole", f);
    b.addInt("_Bool", 1, { bool: true });
    b.addInt("odd", 8, { bits: 12, bitOffset: 4 });
    expect(b.count).toBe(31);
    const btf = b.build();
    expect(btf.count).toBe(31);
    expect(btf.format("raw")).toBe(`[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED
[2] PTR '(anon)' type_id=1
[3] INT 'unsigned char' size=1 bits_offset=0 nr_bits=8 encoding=CHAR
[4] ARRAY '(anon)' type_id=3 index_type_id=1 nr_elems=16
[5] STRUCT 's' size=24 vlen=3
	'a' type_id=1 bits_offset=0
	'flags' type_id=1 bits_offset=32 bitfield_size=3
	'(anon)' type_id=4 bits_offset=64
[6] UNION 'u' size=4 vlen=1
	'i' type_id=1 bits_offset=0
[7] ENUM 'e' encoding=SIGNED size=4 vlen=2
	'A' val=-1
	'B' val=2
[8] ENUM 'small' encoding=UNSIGNED size=1 vlen=1
	'S' val=255
[9] ENUM64 'e64' encoding=UNSIGNED size=8 vlen=2
	'BIG' val=1099511627776ULL
	'SMALL' val=3ULL
[10] ENUM64 'se64' encoding=SIGNED size=8 vlen=1
	'NEG' val=-9223372036854775808LL
[11] FWD 'later' fwd_kind=union
[12] FWD 'node' fwd_kind=struct
[13] TYPEDEF 'myint' type_id=1
[14] VOLATILE '(anon)' type_id=1
[15] CONST '(anon)' type_id=14
[16] RESTRICT '(anon)' type_id=2
[17] TYPE_TAG 'user' type_id=1
[18] TYPE_TAG 'attr' type_id=1
[19] FUNC_PROTO '(anon)' ret_type_id=1 vlen=2
	'x' type_id=1
	'(anon)' type_id=0
[20] FUNC 'f' type_id=19 linkage=global
[21] FUNC_PROTO '(anon)' ret_type_id=0 vlen=0
[22] FUNC 'g' type_id=21 linkage=extern
[23] VAR 'g' type_id=1, linkage=global
[24] VAR 's' type_id=1, linkage=static
[25] DATASEC '.data' size=8 vlen=1
	type_id=23 offset=4 size=4 (VAR 'g')
[26] FLOAT 'double' size=8
[27] DECL_TAG 'tag' type_id=20 component_idx=0
[28] DECL_TAG 'whole' type_id=20 component_idx=-1
[29] INT '_Bool' size=1 bits_offset=0 nr_bits=8 encoding=BOOL
[30] INT 'odd' size=8 bits_offset=4 nr_bits=12 encoding=(none)
`);
    // What the raw dump does not show: kind flags.
    expect(btf.typeById(5).kflag).toBe(true); // a bitfield member
    expect(btf.typeById(6).kflag).toBe(false);
    expect(btf.typeById(18).kflag).toBe(true);
    expect(btf.typeById(17).kflag).toBe(false);
    expect(btf.typeById(11).kflag).toBe(true); // union fwd
  });

  it("marshal() and build() agree, in both byte orders", () => {
    const b = new BtfBuilder();
    b.addPtr(b.addInt("long", 8, { signed: true }));
    const le = b.marshal({ littleEndian: true }), be = b.marshal({ littleEndian: false });
    expect([le[0], le[1], be[0], be[1]]).toEqual([0x9f, 0xeb, 0xeb, 0x9f]);
    expect(Btf.parse(be).format("raw")).toBe(b.build().format("raw"));
    expect(Btf.parse(le).format("raw")).toBe(b.build().format("raw"));
  });

  it("a type may refer to one added after it (a struct's pointer to itself)", () => {
    const b = new BtfBuilder();
    const int = b.addInt("int", 4, { signed: true });
    const node = b.addStruct("node", 16, [{ name: "v", type: int, bitOffset: 0 }, { name: "next", type: b.count + 1, bitOffset: 64 }]);
    expect(b.addPtr(node)).toBe(node + 1);
    expect(b.build().format("raw")).toContain("'next' type_id=3 bits_offset=64");
  });

  it("deduplicates the string table", () => {
    const b = new BtfBuilder();
    const int = b.addInt("int", 4);
    b.addTypedef("x", int);
    b.addVar("x", int);
    b.addStruct("pair", 8, [{ name: "x", type: int, bitOffset: 0 }, { name: "int", type: int, bitOffset: 32 }]);
    expect(strings(b.marshal({ littleEndian: true }))).toEqual(["", "int", "x", "pair"]);
  });

  it("copies decoded types with addType: the clang fixture rebuilt is the fixture", () => {
    const src = Btf.parse(fixture("kinds.el.btf"));
    const b = new BtfBuilder();
    for (const t of src.types()) expect(b.addType(t)).toBe(t.id);
    expect(b.build().format("raw")).toBe(src.format("raw"));
  });
});

describe("BtfBuilder: C layout", () => {
  // The fixture's own types by id, so that addCStruct sees the sizes clang saw.
  function overFixture(): { src: Btf; b: BtfBuilder } {
    const src = Btf.parse(fixture("kinds.el.btf"));
    const b = new BtfBuilder();
    for (const t of src.types()) b.addType(t);
    return { src, b };
  }
  const cMembers = (t: BtfCompositeType) => t.members.map((m) => ({ name: m.name, type: m.type, ...(m.bitfieldSize ? { bitfieldSize: m.bitfieldSize } : {}) }));

  it("lays out struct holder, bits and the anonymous struct exactly as clang did", () => {
    const { src, b } = overFixture();
    for (const name of ["holder", "bits"]) {
      const want = src.find(name, "struct") as BtfCompositeType;
      const id = b.addCStruct(name, cMembers(want));
      const got = b.build().typeById(id) as BtfCompositeType;
      expect({ size: got.size, members: got.members }).toEqual({ size: want.size, members: want.members });
    }
    const anon = src.typeById(24) as BtfCompositeType; // struct { short lo, hi; }
    const id = b.addCStruct("", cMembers(anon));
    const got = b.build().typeById(id) as BtfCompositeType;
    expect(got.size).toBe(4);
    expect(got.members.map((m) => m.bitOffset)).toEqual([0, 16]);
  });

  it("lays out union either as clang did: every member at 0, size the largest", () => {
    const { src, b } = overFixture();
    const want = src.find("either", "union") as BtfCompositeType;
    const id = b.addCUnion("either", cMembers(want));
    const got = b.build().typeById(id) as BtfCompositeType;
    expect({ size: got.size, members: got.members, kind: got.kind }).toEqual({ size: 4, members: want.members, kind: "union" });
  });

  it("pads to alignment, starts a new storage unit for a bitfield that would straddle one, honours packed and zero-width bitfields", () => {
    const b = new BtfBuilder();
    const c = b.addInt("char", 1, { signed: true });
    const i = b.addInt("int", 4, { signed: true });
    const l = b.addInt("long", 8, { signed: true });
    const p = b.addPtr(c);
    const offs = (id: number) => (b.build().typeById(id) as BtfCompositeType).members.map((m) => [m.bitOffset, m.bitfieldSize]);
    const size = (id: number) => (b.build().typeById(id) as BtfCompositeType).size;
    // struct { char a; long b; char c; }
    const s1 = b.addCStruct("s1", [{ name: "a", type: c }, { name: "b", type: l }, { name: "c", type: c }]);
    expect([offs(s1), size(s1)]).toEqual([[[0, 0], [64, 0], [128, 0]], 24]);
    // struct { int a : 30; int b : 4; char c; }: b would straddle a 32-bit unit
    const s2 = b.addCStruct("s2", [{ name: "a", type: i, bitfieldSize: 30 }, { name: "b", type: i, bitfieldSize: 4 }, { name: "c", type: c }]);
    expect([offs(s2), size(s2)]).toEqual([[[0, 30], [32, 4], [40, 0]], 8]);
    // struct { char a; int : 0; char b; }: the zero-width bitfield closes the unit, is no member
    const s3 = b.addCStruct("s3", [{ name: "a", type: c }, { type: i, bitfieldSize: 0 }, { name: "b", type: c }]);
    expect([offs(s3), size(s3)]).toEqual([[[0, 0], [32, 0]], 5]);
    // __attribute__((packed)) struct { char a; char *p; int x : 3; int y : 7; }
    const s4 = b.addCStruct("s4", [{ name: "a", type: c }, { name: "p", type: p }, { name: "x", type: i, bitfieldSize: 3 }, { name: "y", type: i, bitfieldSize: 7 }], { packed: true });
    expect([offs(s4), size(s4)]).toEqual([[[0, 0], [8, 0], [72, 3], [75, 7]], 11]);
    // A 4-byte pointer for 32-bit layouts.
    const s5 = b.addCStruct("s5", [{ name: "a", type: c }, { name: "p", type: p }], { pointerSize: 4 });
    expect([offs(s5), size(s5)]).toEqual([[[0, 0], [32, 0]], 8]);
    // An array aligns as its element; a struct member as its largest member.
    const arr = b.addArray(c, i, 3);
    const s6 = b.addCStruct("s6", [{ name: "a", type: arr }, { name: "b", type: s1 }]);
    expect([offs(s6), size(s6)]).toEqual([[[0, 0], [64, 0]], 32]);
  });

  it("refuses members it cannot place", () => {
    const b = new BtfBuilder();
    const i = b.addInt("int", 4);
    const fwd = b.addFwd("later");
    const f = b.addFloat("float", 4);
    expect(() => b.addCStruct("x", [{ name: "a", type: 99 }])).toThrow(/type 99 must be a type added before the struct/);
    expect(() => b.addCStruct("x", [{ name: "a", type: fwd }])).toThrow(TypeError);
    expect(() => b.addCStruct("x", [{ name: "a", type: f, bitfieldSize: 3 }])).toThrow(/bitfield's type must be an int or enum, not a float/);
    expect(() => b.addCStruct("x", [{ name: "a", type: i, bitfieldSize: 33 }])).toThrow(RangeError);
    expect(() => b.addCStruct("x", [{ name: "named", type: i, bitfieldSize: 0 }])).toThrow(/zero-width bitfield must be unnamed/);
    expect(() => b.addCUnion("x", [{ name: "a", type: i, bitfieldSize: 0 }])).toThrow(RangeError);
    expect(b.count).toBe(4); // nothing added by the failures
  });
});

describe("BtfBuilder: split over a base", () => {
  it("continues the base's ids and string offsets, refers to base types", () => {
    const base = Btf.parse(fixture("kinds.el.btf"));
    const b = new BtfBuilder({ base });
    expect(b.firstId).toBe(base.count);
    const int = base.find("int", "int")!.id;
    const p = b.addPtr(int);
    const s = b.addCStruct("split_s", [{ name: "p", type: p }, { name: "holder", type: base.find("holder", "struct")!.id }]);
    expect([p, s]).toEqual([base.count, base.count + 1]);
    const split = b.build();
    expect(split.base).toBe(base);
    expect(split.firstId).toBe(base.count);
    expect(split.format("raw")).toBe(`[55] PTR '(anon)' type_id=1
[56] STRUCT 'split_s' size=144 vlen=2
	'p' type_id=55 bits_offset=0
	'holder' type_id=7 bits_offset=64
`);
    // Its own string section starts after the base's, and holds only its own names.
    const bytes = b.marshal({ littleEndian: true });
    expect(strings(bytes)).toEqual(["split_s", "p", "holder"]);
    expect(split.nameOffOf(s)).toBe(base.strings.end);
  });
});

describe("BtfBuilder: bad input", () => {
  it("unknown ids: past BTF_MAX_TYPE at once, never added at build()", () => {
    const b = new BtfBuilder();
    expect(() => b.addPtr(0x100000)).toThrow(RangeError);
    expect(() => b.addPtr(-1)).toThrow(RangeError);
    expect(() => b.addPtr(1.5)).toThrow(RangeError);
    b.addPtr(7);
    expect(() => b.build()).toThrow(/type id 1 \(ptr ""\): its type refers to type id 7, which was never added/);
    expect(() => b.marshal()).toThrow(RangeError);
    expect(() => b.typeById(2)).toThrow(RangeError);
  });

  it("vlen over 0xffffff", () => {
    const b = new BtfBuilder();
    const many = new Array(0x1000000);
    expect(() => b.addStruct("s", 4, many)).toThrow(/16777216 members exceed BTF_MAX_VLEN 0xffffff/);
    expect(() => b.addEnum("e", many)).toThrow(RangeError);
    expect(() => b.addFuncProto(0, many)).toThrow(RangeError);
    expect(() => b.addDatasec(".d", 4, many)).toThrow(RangeError);
  });

  it("names with NUL, lone surrogates, missing where the kernel requires one", () => {
    const b = new BtfBuilder();
    expect(() => b.addInt("in\0t", 4)).toThrow(/NUL/);
    expect(() => b.addStruct("s", 4, [{ name: "a\0", type: 0, bitOffset: 0 }])).toThrow(TypeError);
    expect(() => b.addTypedef("\ud800", 0)).toThrow(/lone surrogate/);
    expect(() => b.addTypedef("", 0)).toThrow(/must not be empty/);
    expect(() => b.addFwd("")).toThrow(TypeError);
    expect(() => b.addVar("", 0)).toThrow(TypeError);
    expect(() => b.addEnum("e", [{ name: "", value: 1 }])).toThrow(TypeError);
    expect(() => b.addInt(7 as unknown as string, 4)).toThrow(TypeError);
  });

  it("sizes, encodings, values and linkages out of range", () => {
    const b = new BtfBuilder();
    const int = b.addInt("int", 4);
    expect(() => b.addInt("x", 3)).toThrow(RangeError);
    expect(() => b.addInt("x", 4, { signed: true, bool: true })).toThrow(TypeError);
    expect(() => b.addInt("x", 4, { bits: 33 })).toThrow(RangeError);
    expect(() => b.addInt("x", 4, { bits: 8, bitOffset: 25 })).toThrow(RangeError);
    expect(() => b.addFloat("f", 3)).toThrow(RangeError);
    expect(() => b.addEnum("e", [{ name: "A", value: 2 ** 32 }])).toThrow(RangeError);
    expect(() => b.addEnum("e", [{ name: "A", value: 2 ** 31 }], { signed: true })).toThrow(RangeError);
    expect(() => b.addEnum("e", [{ name: "A", value: 256 }], { size: 1 })).toThrow(RangeError);
    expect(() => b.addEnum("e", [], { size: 3 })).toThrow(RangeError);
    expect(() => b.addEnum64("e", [{ name: "A", value: 1n << 64n }])).toThrow(RangeError);
    expect(() => b.addEnum64("e", [{ name: "A", value: 2 ** 60 }])).toThrow(/not a safe integer/);
    expect(() => b.addArray(int, int, -1)).toThrow(RangeError);
    expect(() => b.addStruct("s", 2 ** 32, [])).toThrow(RangeError);
    expect(() => b.addStruct("s", 4, [{ name: "a", type: int, bitOffset: 1 << 24, bitfieldSize: 1 }])).toThrow(/24 bits/);
    expect(() => b.addStruct("s", 4, [{ name: "a", type: int, bitOffset: 0, bitfieldSize: 256 }])).toThrow(RangeError);
    expect(() => b.addFunc("f", int)).toThrow(/must be a func_proto, but type id 1 is a int/);
    expect(() => b.addFunc("f", b.addFuncProto(0), "weak" as never)).toThrow(TypeError);
    expect(() => b.addVar("v", int, "local" as never)).toThrow(TypeError);
    expect(() => b.addFuncProto(0, [{ type: 0 }])).toThrow(/varargs/);
    expect(() => b.addDeclTag("t", int, -2)).toThrow(RangeError);
    expect(() => b.addFwd("x", "enum" as never)).toThrow(TypeError);
    expect(() => new BtfBuilder({ base: {} as Btf })).toThrow(TypeError);
    expect(b.count).toBe(3); // only int and the one proto were added
  });

  it("a func whose forward-referenced prototype turns out not to be one fails at build()", () => {
    const b = new BtfBuilder();
    b.addFunc("f", 2);
    b.addInt("int", 4);
    expect(() => b.build()).toThrow(/prototype 2 is a int, not a func_proto/);
  });
});
