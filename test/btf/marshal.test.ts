// marshal(): a parsed Btf's own types and strings re-encoded; parsing the result gives the same
// raw dump - for vmlinux, the clang fixture (both byte orders), split BTF and builder output - and
// the header, byte order, layout section and names ('' versus (anon)) come out as asked.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Btf, BtfBuilder, BtfError } from "../../mod.ts";
import { assemble, fixture, Writer } from "./blob.ts";

const VMLINUX = "/sys/kernel/btf/vmlinux";
const noSysfs = existsSync(VMLINUX) ? undefined : "needs /sys/kernel/btf/vmlinux";

function needing(why: string | undefined, name: string, fn: () => void, timeout?: number): void {
  if (why) {
    console.warn(`skip: ${name}: ${why}`);
    it.skip(`${name} (skipped: ${why})`, fn);
  } else it(name, fn, timeout);
}

// Compares line by line so that a mismatch names its line, not a 20 MB string diff.
function sameRaw(a: Btf, b: Btf): void {
  const x = a.format("raw").split("\n"), y = b.format("raw").split("\n");
  expect(x.length).toBe(y.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) expect(`line ${i + 1}: ${x[i]}`).toBe(`line ${i + 1}: ${y[i]}`);
}

function header(b: Uint8Array): { little: boolean; hdrLen: number; typeOff: number; typeLen: number; strOff: number; strLen: number; rest: number[] } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const little = dv.getUint16(0, true) === 0xeb9f;
  const u = (at: number) => dv.getUint32(at, little);
  const hdrLen = u(4);
  return { little, hdrLen, typeOff: u(8), typeLen: u(12), strOff: u(16), strLen: u(20), rest: hdrLen > 24 ? [u(24), u(28)] : [] };
}

describe("marshal round trip", () => {
  needing(noSysfs, "vmlinux: parse(marshal()) dumps as vmlinux does, in both byte orders", () => {
    const x = Btf.parse(new Uint8Array(readFileSync(VMLINUX)));
    const le = x.marshal({ littleEndian: true });
    sameRaw(Btf.parse(le), x);
    const be = Btf.parse(x.marshal({ littleEndian: false }));
    expect(be.little).toBe(false);
    expect(be.count).toBe(x.count);
    sameRaw(be, x);
  }, 120_000);

  it("the clang fixture, from either byte order into either", () => {
    for (const file of ["kinds.el.btf", "kinds.eb.btf"]) {
      const x = Btf.parse(fixture(file));
      for (const littleEndian of [true, false]) {
        const y = Btf.parse(x.marshal({ littleEndian }));
        expect(y.little).toBe(littleEndian);
        expect(y.format("raw")).toBe(x.format("raw"));
        // Nothing the raw dump leaves out is lost either.
        expect([...y.types()]).toEqual([...x.types()]);
      }
    }
  });

  it("the default byte order is the host's", () => {
    const host = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
    expect(header(Btf.parse(fixture("kinds.eb.btf")).marshal()).little).toBe(host);
  });

  it("split BTF over the fixture: its own types and strings only, base ids and strings kept", () => {
    const base = Btf.parse(fixture("kinds.el.btf"));
    const w = new Writer(base.strings.end);
    const int = base.find("int", "int")!.id;
    w.type(w.str("split_s"), 4, 2, true, 16, w.str("x"), int, 3 << 24 | 5, base.nameOffOf(int), base.count + 1, 64);
    w.type(0, 2, 0, false, base.count);
    w.type(w.str("split_v"), 14, 0, false, base.count, 1);
    w.type(w.str(".split"), 15, 2, false, 32, base.count + 2, 0, 16, 46, 16, 4);
    const split = Btf.parse(assemble(w.sections()), { base });
    const bytes = split.marshal({ littleEndian: true });
    const again = Btf.parse(bytes, { base });
    expect(again.firstId).toBe(base.count);
    expect(again.format("raw")).toBe(split.format("raw"));
    expect(again.format("raw")).toContain("'int' type_id=56 bits_offset=64");
    // Without the base the blob has no meaning: its ids and string offsets are the base's.
    expect(() => Btf.parse(bytes).format("raw")).toThrow(BtfError);
  });

  it("builder output, plain and split", () => {
    const b = new BtfBuilder();
    const int = b.addInt("int", 4, { signed: true });
    b.addCStruct("pair", [{ name: "a", type: int }, { name: "b", type: int }]);
    b.addEnum64("wide", [{ name: "W", value: -1n }]);
    const built = b.build();
    expect(Btf.parse(built.marshal()).format("raw")).toBe(built.format("raw"));
    const s = new BtfBuilder({ base: built });
    s.addPtr(2);
    const split = s.build();
    expect(Btf.parse(split.marshal(), { base: built }).format("raw")).toBe("[4] PTR '(anon)' type_id=2\n");
  });
});

describe("marshal output", () => {
  it("a 24-byte header, types from offset 0, strings right after", () => {
    const x = Btf.parse(fixture("kinds.el.btf"));
    const bytes = x.marshal({ littleEndian: true });
    const h = header(bytes);
    expect(h).toEqual({ little: true, hdrLen: 24, typeOff: 0, typeLen: x.header.typeLen, strOff: x.header.typeLen, strLen: h.strLen, rest: [] });
    expect(bytes.length).toBe(24 + h.typeLen + h.strLen);
    // Each name once: clang's table is no smaller than the deduplicated one.
    expect(h.strLen).toBeLessThanOrEqual(x.header.strLen);
    const strs = new TextDecoder().decode(bytes.subarray(24 + h.typeLen)).split("\0").slice(0, -1);
    expect(new Set(strs).size).toBe(strs.length);
  });

  it("layout: true adds the 32-byte header and a struct btf_layout per kind between types and strings", () => {
    const x = Btf.parse(fixture("kinds.el.btf"));
    const bytes = x.marshal({ littleEndian: true, layout: true });
    const h = header(bytes);
    expect(h.hdrLen).toBe(32);
    expect(h.rest).toEqual([h.typeLen, 80]); // layout_off, layout_len: 20 kinds
    expect(h.strOff).toBe(h.typeLen + 80);
    const lay = bytes.subarray(32 + h.typeLen, 32 + h.typeLen + 80);
    // [info_sz, elem_sz] of INT, STRUCT, ENUM and ENUM64, as linux/btf.h has them.
    expect([lay[4], lay[5], lay[16], lay[17], lay[24], lay[25], lay[76], lay[77]]).toEqual([4, 0, 0, 12, 0, 8, 0, 12]);
    const y = Btf.parse(bytes);
    expect(y.header.layoutLen).toBe(80);
    expect(y.format("raw")).toBe(x.format("raw"));
    // Marshalling that again drops the layout unless asked.
    expect(header(y.marshal()).hdrLen).toBe(24);
  });

  it("keeps a name that is '' at a nonzero offset apart from an anonymous one", () => {
    const w = new Writer();
    const int = w.str("int");
    const empty = int + 3; // the NUL ending "int": offset 4 reads ""
    w.type(int, 1, 0, false, 4, 32);
    w.type(empty, 4, 2, false, 8, 0, 1, 0, empty, 1, 32);
    w.type(empty, 2, 0, false, 1);
    const x = Btf.parse(assemble(w.sections()));
    const y = Btf.parse(x.marshal());
    expect(y.format("raw")).toBe(x.format("raw"));
    expect(y.format("raw")).toBe(`[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=(none)
[2] STRUCT '' size=8 vlen=2
	'(anon)' type_id=1 bits_offset=0
	'' type_id=1 bits_offset=32
[3] PTR '' type_id=1
`);
  });

  it("a kind it does not know (skipped by the parser through the layout section) cannot be re-encoded", () => {
    const w = new Writer();
    w.type(w.str("int"), 1, 0, false, 4, 32);
    w.type(0, 25, 0, false, 0, 0xdead);
    const layout = new Uint8Array(26 * 4);
    layout[25 * 4] = 4; // kind 25: 4 bytes after btf_type
    const x = Btf.parse(assemble(w.sections(), 32, layout));
    expect(x.typeById(2).kind).toBe("unknown");
    expect(() => x.marshal()).toThrow(/cannot encode a kind 25 type/);
  });

  it("refuses a non-boolean byte order", () => {
    expect(() => Btf.parse(fixture("kinds.el.btf")).marshal({ littleEndian: 1 as unknown as boolean })).toThrow(TypeError);
  });
});
