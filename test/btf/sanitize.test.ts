// sanitizeBtf: each rewrite of libbpf's bpf_object__sanitize_btf on its own, the output checked
// type by type (raw dump, and kind flags, which the dump does not show); ids kept, placeholders
// appended; nothing done when nothing used is missing.
import { describe, expect, it } from "vitest";
import { Btf, BTF_FEATURES, BtfBuilder, type BtfFeature, btfFeaturesUsed, sanitizeBtf } from "../../mod.ts";
import { fixture } from "./blob.ts";

const raw = (b: Btf) => b.format("raw");

describe("sanitizeBtf", () => {
  it("returns the Btf itself when nothing it uses is missing", () => {
    const b = new BtfBuilder();
    b.addPtr(b.addInt("int", 4));
    const btf = b.build();
    expect(sanitizeBtf(btf, [])).toBe(btf);
    expect(sanitizeBtf(btf, BTF_FEATURES)).toBe(btf); // uses none of them
    const kinds = Btf.parse(fixture("kinds.el.btf"));
    expect(sanitizeBtf(kinds, ["layout", "qmark_datasec"])).toBe(kinds);
  });

  it("says which features a BTF uses", () => {
    expect(btfFeaturesUsed(Btf.parse(fixture("kinds.el.btf")))).toEqual(["func", "datasec", "global_func", "float", "decl_tag", "type_tag", "enum64"]);
    const b = new BtfBuilder();
    b.addFunc("f", b.addFuncProto(0));
    b.addDatasec("?.struct_ops", 0);
    expect(btfFeaturesUsed(b.build())).toEqual(["func", "datasec", "qmark_datasec"]);
    expect(btfFeaturesUsed(Btf.parse(b.marshal({ layout: true })))).toEqual(["func", "datasec", "qmark_datasec", "layout"]);
  });

  it("refuses unknown feature names and non-iterables", () => {
    const btf = Btf.parse(fixture("kinds.el.btf"));
    expect(() => sanitizeBtf(btf, ["enum128" as BtfFeature])).toThrow(/unknown BTF feature "enum128"/);
    expect(() => sanitizeBtf(btf, "enum64" as unknown as BtfFeature[])).toThrow(TypeError);
    expect(() => sanitizeBtf({} as Btf, [])).toThrow(TypeError);
  });
});

describe("each rewrite", () => {
  it("datasec: VAR -> 1-byte INT, DATASEC -> STRUCT of its variables, '.' and '?' -> '_'", () => {
    const b = new BtfBuilder();
    const int = b.addInt("int", 4, { signed: true });
    const x = b.addVar("x", int, "global");
    const y = b.addVar("y", int);
    b.addDatasec("?.data.x", 8, [{ type: x, offset: 0, size: 4 }, { type: y, offset: 4, size: 4 }]);
    const out = sanitizeBtf(b.build(), ["datasec"]);
    expect(raw(out)).toBe(`[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED
[2] INT 'x' size=1 bits_offset=0 nr_bits=8 encoding=(none)
[3] INT 'y' size=1 bits_offset=0 nr_bits=8 encoding=(none)
[4] STRUCT '__data_x' size=8 vlen=2
	'x' type_id=2 bits_offset=0
	'y' type_id=3 bits_offset=32
`);
    expect(out.typeById(4).kflag).toBe(false);
  });

  it("decl_tag: DECL_TAG -> 1-byte INT keeping its name", () => {
    const b = new BtfBuilder();
    const int = b.addInt("int", 4, { signed: true });
    const s = b.addCStruct("s", [{ name: "a", type: int }]);
    b.addDeclTag("tagged", s, 0);
    b.addDeclTag("attr", s, -1, { attribute: true });
    const out = sanitizeBtf(b.build(), ["decl_tag"]);
    expect(raw(out)).toBe(`[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED
[2] STRUCT 's' size=4 vlen=1
	'a' type_id=1 bits_offset=0
[3] INT 'tagged' size=1 bits_offset=0 nr_bits=8 encoding=(none)
[4] INT 'attr' size=1 bits_offset=0 nr_bits=8 encoding=(none)
`);
    expect(out.typeById(4).kflag).toBe(false);
  });

  it("qmark_datasec: a leading '?' of a DATASEC name -> '_', nothing else", () => {
    const b = new BtfBuilder();
    const v = b.addVar("ops", b.addInt("int", 4));
    b.addDatasec("?.struct_ops", 4, [{ type: v, offset: 0, size: 4 }]);
    b.addDatasec(".data?", 4, [{ type: v, offset: 0, size: 4 }]);
    const out = sanitizeBtf(b.build(), ["qmark_datasec"]);
    expect(raw(out)).toBe(`[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=(none)
[2] VAR 'ops' type_id=1, linkage=static
[3] DATASEC '_.struct_ops' size=4 vlen=1
	type_id=2 offset=0 size=4 (VAR 'ops')
[4] DATASEC '.data?' size=4 vlen=1
	type_id=2 offset=0 size=4 (VAR 'ops')
`);
  });

  it("func: FUNC_PROTO -> 4-byte ENUM of its params (name, type id), FUNC -> TYPEDEF", () => {
    const b = new BtfBuilder();
    const int = b.addInt("int", 4, { signed: true });
    const proto = b.addFuncProto(int, [{ name: "a", type: int }, { name: "b", type: b.addPtr(int) }]);
    b.addFunc("f", proto, "global");
    const out = sanitizeBtf(b.build(), ["func"]);
    expect(raw(out)).toBe(`[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED
[2] PTR '(anon)' type_id=1
[3] ENUM '(anon)' encoding=UNSIGNED size=4 vlen=2
	'a' val=1
	'b' val=2
[4] TYPEDEF 'f' type_id=3
`);
    // Missing both, the FUNC becomes a TYPEDEF (libbpf's first matching rule), not a static FUNC.
    expect(raw(sanitizeBtf(b.build(), ["func", "global_func"]))).toBe(raw(out));
  });

  it("global_func: every FUNC static", () => {
    const b = new BtfBuilder();
    const proto = b.addFuncProto(0);
    b.addFunc("g", proto, "global");
    b.addFunc("e", proto, "extern");
    b.addFunc("s", proto, "static");
    const out = sanitizeBtf(b.build(), ["global_func"]);
    expect(raw(out)).toBe(`[1] FUNC_PROTO '(anon)' ret_type_id=0 vlen=0
[2] FUNC 'g' type_id=1 linkage=static
[3] FUNC 'e' type_id=1 linkage=static
[4] FUNC 's' type_id=1 linkage=static
`);
  });

  it("float: FLOAT -> anonymous STRUCT of the same size, no members", () => {
    const b = new BtfBuilder();
    const d = b.addFloat("double", 8);
    b.addFloat("long double", 16);
    b.addCStruct("s", [{ name: "d", type: d }]);
    const out = sanitizeBtf(b.build(), ["float"]);
    expect(raw(out)).toBe(`[1] STRUCT '(anon)' size=8 vlen=0
[2] STRUCT '(anon)' size=16 vlen=0
[3] STRUCT 's' size=8 vlen=1
	'd' type_id=1 bits_offset=0
`);
  });

  it("type_tag: TYPE_TAG -> anonymous CONST, kind_flag cleared", () => {
    const b = new BtfBuilder();
    const int = b.addInt("int", 4, { signed: true });
    b.addPtr(b.addTypeTag("user", int));
    b.addTypeTag("attr", int, { attribute: true });
    const out = sanitizeBtf(b.build(), ["type_tag"]);
    expect(raw(out)).toBe(`[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED
[2] CONST '(anon)' type_id=1
[3] PTR '(anon)' type_id=2
[4] CONST '(anon)' type_id=1
`);
    expect(out.typeById(4).kflag).toBe(false);
    expect(out.nameOffOf(2)).toBe(0);
  });

  it("enum64: signed ENUMs unsigned; each ENUM64 -> UNION of the one appended placeholder INT", () => {
    const b = new BtfBuilder();
    b.addEnum("se", [{ name: "NEG", value: -1 }, { name: "POS", value: 7 }]);
    b.addEnum("ue", [{ name: "U", value: 3 }]);
    b.addEnum64("wide", [{ name: "WA", value: 1n << 40n }, { name: "WB", value: 0n }]);
    b.addEnum64("small", [{ name: "S", value: -2n }], { size: 4 });
    const out = sanitizeBtf(b.build(), ["enum64"]);
    expect(raw(out)).toBe(`[1] ENUM 'se' encoding=UNSIGNED size=4 vlen=2
	'NEG' val=4294967295
	'POS' val=7
[2] ENUM 'ue' encoding=UNSIGNED size=4 vlen=1
	'U' val=3
[3] UNION 'wide' size=8 vlen=2
	'WA' type_id=5 bits_offset=0
	'WB' type_id=5 bits_offset=0
[4] UNION 'small' size=4 vlen=1
	'S' type_id=5 bits_offset=0
[5] INT 'enum64_placeholder' size=1 bits_offset=0 nr_bits=8 encoding=(none)
`);
    expect([1, 3, 4].map((id) => out.typeById(id).kflag)).toEqual([false, false, false]);
  });

  it("layout: the layout section dropped, strings right after the types; kept where the kernel has it", () => {
    const b = new BtfBuilder();
    b.addInt("int", 4);
    const withLayout = Btf.parse(b.marshal({ layout: true }));
    expect(withLayout.header.layoutLen).toBe(80);
    const out = sanitizeBtf(withLayout, ["layout"]);
    expect(out.header).toMatchObject({ hdrLen: 24, layoutLen: 0, layoutStart: 0, typeStart: 24, strStart: 24 + out.header.typeLen });
    expect(raw(out)).toBe(raw(withLayout));
    // Another rewrite on a kernel with layouts keeps the section.
    const b2 = new BtfBuilder();
    b2.addFloat("float", 4);
    expect(sanitizeBtf(Btf.parse(b2.marshal({ layout: true })), ["float"]).header.layoutLen).toBe(80);
  });
});

describe("all at once, on the clang fixture and on split BTF", () => {
  it("5.10's missing set: ids kept, the placeholder last, names kept where the kind allows", () => {
    const src = Btf.parse(fixture("kinds.el.btf"));
    const out = sanitizeBtf(src, ["float", "decl_tag", "type_tag", "enum64", "qmark_datasec", "layout"]);
    expect(out.count).toBe(src.count + 1);
    expect(btfFeaturesUsed(out)).toEqual(["func", "datasec", "global_func"]);
    for (const t of src.types()) {
      const o = out.typeById(t.id);
      const renamed = t.kind === "float" || t.kind === "type_tag";
      expect(o.name).toBe(renamed ? "" : t.name);
    }
    expect(out.typeById(src.count)).toMatchObject({ kind: "int", name: "enum64_placeholder", size: 1, bits: 8 });
    expect(raw(out).split("\n").filter((l) => /^\[(8|14|16|35)\]/.test(l))).toEqual([
      "[8] INT 'holder_tag' size=1 bits_offset=0 nr_bits=8 encoding=(none)",
      "[14] CONST '(anon)' type_id=1",
      "[16] STRUCT '(anon)' size=8 vlen=0",
      "[35] UNION 'wide_e' size=8 vlen=2",
    ]);
    // Byte order follows the input.
    expect(sanitizeBtf(Btf.parse(fixture("kinds.eb.btf")), ["float"]).little).toBe(false);
  });

  it("split BTF: its own types rewritten, the placeholder after its last id", () => {
    const base = Btf.parse(fixture("kinds.el.btf"));
    const b = new BtfBuilder({ base });
    b.addEnum64("split64", [{ name: "X", value: 1n }]);
    b.addPtr(base.find("wide_e", "enum64")!.id);
    const out = sanitizeBtf(b.build(), ["enum64"]);
    expect(out.base).toBe(base);
    expect(raw(out)).toBe(`[55] UNION 'split64' size=8 vlen=1
	'X' type_id=57 bits_offset=0
[56] PTR '(anon)' type_id=35
[57] INT 'enum64_placeholder' size=1 bits_offset=0 nr_bits=8 encoding=(none)
`);
  });
});
