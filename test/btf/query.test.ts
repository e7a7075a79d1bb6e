// Look-ups on the clang fixture: find by name and kind, decoded kflag semantics, resolve and
// sizeof, cycles caught, and split BTF whose ids and string offsets continue after the base's.
import { describe, expect, it } from "vitest";
import { Btf, BtfError, type BtfCompositeType, type BtfEnum64Type, type BtfEnumType } from "../../mod.ts";
import { assemble, fixture, Writer } from "./blob.ts";

const btf = Btf.parse(fixture("kinds.el.btf"));

describe("Btf queries", () => {
  it("finds types by name and kind, and iterates all of them", () => {
    expect(btf.find("holder", "struct")).toMatchObject({ kind: "struct", size: 136 });
    expect(btf.find("holder", "union")).toBeUndefined();
    expect(btf.find("no_such_type")).toBeUndefined();
    expect(btf.findAll("int").map((t) => t.kind)).toEqual(["int"]);
    expect(btf.find("tagged", "func")).toMatchObject({ kind: "func", linkage: 1 });
    const all = [...btf.types()];
    expect(all.length).toBe(btf.count - 1);
    expect(all.map((t) => t.id)).toEqual(all.map((_, i) => i + 1));
    for (const t of all) if (t.name) expect(btf.findAll(t.name).map((x) => x.id)).toContain(t.id);
  });

  it("decodes bitfields (kind_flag), fwd kinds and enum signedness", () => {
    const bits = btf.find("bits", "struct") as BtfCompositeType;
    expect(bits.kflag).toBe(true);
    expect(bits.members.map((m) => [m.name, m.bitOffset, m.bitfieldSize])).toEqual([["a", 0, 3], ["b", 3, 5], ["c", 8, 40], ["tail", 48, 0]]);
    expect(btf.find("node")).toMatchObject({ kind: "fwd", fwdKind: "struct" });
    expect(btf.find("later")).toMatchObject({ kind: "fwd", fwdKind: "union" });
    expect((btf.find("signed_e") as BtfEnumType).values).toEqual([{ name: "SA", value: -5 }, { name: "SB", value: 7 }]);
    expect((btf.find("unsigned_e") as BtfEnumType).values[1].value).toBe(0xffffffff);
    expect((btf.find("wide_e") as BtfEnum64Type).values[1].value).toBe(0xffffffffffffffffn);
    expect((btf.find("wide_signed_e") as BtfEnum64Type).values[0].value).toBe(-0x100000000n);
    expect(btf.find("member_tag")).toMatchObject({ kind: "decl_tag", componentIdx: 14 });
  });

  it("resolves through typedef, qualifiers and type tags, and sizes every kind that has a size", () => {
    const holder = btf.find("holder", "struct") as BtfCompositeType;
    const member = (n: string) => holder.members.find((m) => m.name === n)!.type;
    expect(btf.resolve(member("cv"))).toMatchObject({ kind: "int", name: "int" });
    expect(btf.resolve(btf.find("uptr")!)).toMatchObject({ kind: "ptr" });
    expect(btf.resolve(btf.typeById(btf.find("uptr")!.id))).toMatchObject({ kind: "ptr" });
    expect(btf.sizeof(member("grid"))).toBe(24);
    expect(btf.sizeof(btf.find("global_holder", "var")!)).toBe(136);
    expect(btf.sizeof(member("next"))).toBe(8);
    expect(btf.sizeof(member("next"), 4)).toBe(4);
    expect(btf.sizeof(btf.find("u64")!)).toBe(8);
    expect(() => btf.sizeof(btf.find("tagged")!)).toThrow(/a func has no size/);
    expect(btf.typeById(0)).toMatchObject({ kind: "void", id: 0 });
  });

  it("catches reference cycles in resolve and sizeof", () => {
    const w = new Writer();
    w.type(w.str("a"), 8, 0, false, 2).type(w.str("b"), 10, 0, false, 1); // typedef a -> const -> a
    w.type(0, 3, 0, false, 0, 3, 1, 2); // array of itself
    const c = Btf.parse(assemble(w.sections()));
    expect(() => c.resolve(1)).toThrow(BtfError);
    expect(() => c.resolve(1)).toThrow(/cycle/);
    expect(() => c.sizeof(1)).toThrow(/cycle/);
    expect(() => c.sizeof(3)).toThrow(/cycle|overflows/);
    expect(c.format("raw")).toContain("[3] ARRAY '(anon)' type_id=3");
  });

  it("parses split BTF with ids and string offsets after the base's", () => {
    const holder = btf.find("holder", "struct")!;
    const w = new Writer(btf.strings.end);
    w.type(w.str("split_s"), 4, 2, false, 144, w.str("h"), holder.id, 0, btf.nameOffOf(holder.id), btf.count + 1, 1088);
    w.type(0, 2, 0, false, btf.count);
    const split = Btf.parse(assemble(w.sections()), { base: btf });
    expect(split.firstId).toBe(btf.count);
    expect(split.count).toBe(btf.count + 2);
    expect(split.find("split_s")).toMatchObject({ id: btf.count, members: [{ name: "h", type: holder.id }, { name: "holder", type: btf.count + 1 }] });
    expect(split.find("holder", "struct")!.id).toBe(holder.id);
    expect(split.typeById(1)).toBe(btf.typeById(1));
    expect([...split.types()].map((t) => t.id)).toEqual([btf.count, btf.count + 1]);
    expect(split.format("raw").split("\n")[0]).toBe(`[${btf.count}] STRUCT 'split_s' size=144 vlen=2`);
    // A split BTF may have no strings; a base may not.
    expect(Btf.parse(assemble({ types: new Uint8Array(0), strings: new Uint8Array(0) }), { base: btf }).count).toBe(btf.count);
  });
});
