// The header and section checks, both byte orders, hdr_len beyond 24, the layout section, and
// the BtfError each malformed input gives - with the offset or type id it names.
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { Btf, BtfError } from "../../mod.ts";
import { assemble, fixture, sections, swapOrder, Writer } from "./blob.ts";

const el = fixture("kinds.el.btf");
const eb = fixture("kinds.eb.btf");
const oracle = new TextDecoder().decode(fixture("kinds.raw.txt"));

function fails(bytes: Uint8Array, re: RegExp, where: { offset?: number; typeId?: number } = {}): BtfError {
  let err: unknown;
  try {
    const b = Btf.parse(bytes);
    b.format("raw");
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(BtfError);
  const e = err as BtfError;
  expect(e.name).toBe("BtfError");
  expect(e.message).toMatch(re);
  if ("offset" in where) expect(e.offset).toBe(where.offset);
  if ("typeId" in where) expect(e.typeId).toBe(where.typeId);
  return e;
}

const setU32 = (b: Uint8Array, at: number, v: number) => {
  const c = b.slice();
  new DataView(c.buffer).setUint32(at, v, true);
  return c;
};

describe("Btf.parse", () => {
  it("reads clang's little- and big-endian BTF to the same types", () => {
    const a = Btf.parse(el), b = Btf.parse(eb);
    expect(a.little).toBe(true);
    expect(b.little).toBe(false);
    expect(b.format("raw")).toBe(a.format("raw"));
    expect(a.format("raw")).toBe(oracle);
  });

  it("reads a byte-swapped copy (swapped here, not by the parser) as the original", () => {
    expect(Btf.parse(swapOrder(el)).format("raw")).toBe(oracle);
    // Buffer.equals: toEqual walks typed arrays byte by byte, seconds on Bun.
    expect(Buffer.from(swapOrder(swapOrder(el))).equals(el)).toBe(true);
    expect(Buffer.from(swapOrder(el)).equals(eb)).toBe(true);
  });

  it("reads a blob at an odd byte offset (a pooled Buffer, a slice of an ELF file)", () => {
    const buf = new Uint8Array(el.length + 1);
    buf.set(el, 1);
    expect(Btf.parse(buf.subarray(1)).format("raw")).toBe(oracle);
  });

  it("honours hdr_len beyond 24 and a layout section, skipping kinds it does not know", () => {
    const s = sections(el);
    expect(Btf.parse(assemble(s, 40)).format("raw")).toBe(oracle);
    // A layout section declaring kind 20 with 4 info bytes and 8 bytes per element.
    const layout = new Uint8Array(21 * 4);
    layout.set([4, 8, 0, 0], 20 * 4);
    const extra = new Uint8Array(12 + 4 + 2 * 8);
    new DataView(extra.buffer).setUint32(4, (20 << 24) | 2, true);
    const types = new Uint8Array(s.types.length + extra.length);
    types.set(s.types);
    types.set(extra, s.types.length);
    const btf = Btf.parse(assemble({ types, strings: s.strings }, 32, layout));
    const last = btf.typeById(btf.count - 1);
    expect(last).toMatchObject({ kind: "unknown", kindNumber: 20, vlen: 2 });
    expect(btf.format("raw").startsWith(oracle)).toBe(true);
    // Without the layout entry the same kind is an error naming its id.
    fails(assemble({ types, strings: s.strings }, 32), /unknown kind 20/, { typeId: btf.count - 1 });
  });

  it("rejects bad headers with the offset of the field", () => {
    fails(el.subarray(0, 5), /shorter than/, { offset: 0 });
    fails(new Uint8Array([1, 2, 1, 0, 24, 0, 0, 0]), /bad magic 0x0201/, { offset: 0 });
    fails(Uint8Array.from([...el.subarray(0, 2), 2, ...el.subarray(3)]), /version 2/, { offset: 2 });
    fails(setU32(el, 4, 16), /hdr_len 16/, { offset: 4 });
    fails(setU32(el, 4, 1 << 30), /past the end/, { offset: 4 });
    fails(setU32(el, 8, 2), /not 4-byte aligned/, { offset: 8 });
    fails(setU32(el, 12, 1 << 20), /type section .* past the end/, { offset: 8 });
    fails(setU32(el, 20, 1 << 20), /string section .* past the end/, { offset: 16 });
    fails(setU32(el, 16, 0), /overlaps/);
  });

  it("rejects bad string sections", () => {
    const s = sections(el);
    fails(assemble({ types: s.types, strings: new Uint8Array(0) }), /empty string section/);
    fails(assemble({ types: s.types, strings: Uint8Array.from([...s.strings, 65]) }), /does not end with a NUL/);
    fails(assemble({ types: s.types, strings: Uint8Array.from([65, ...s.strings]) }), /does not start/);
  });

  it("rejects truncated types, vlen past the end, kind 0 and unknown kinds, naming the type id", () => {
    const s = sections(el);
    fails(assemble({ types: s.types.subarray(0, s.types.length - 4), strings: s.strings }), /needs \d+ bytes/);
    fails(assemble({ types: s.types.subarray(0, 20), strings: s.strings }), /truncated: 4 of 12/, { typeId: 2, offset: 24 + 16 });
    const w = new Writer();
    w.type(w.str("s"), 4, 3, false, 4, 0, 0, 0);
    fails(assemble(w.sections()), /vlen 3 needs 48 bytes, 24 left/, { typeId: 1, offset: 24 });
    const z = new Writer().type(0, 0, 0, false, 0);
    fails(assemble(z.sections()), /unknown kind 0/, { typeId: 1 });
    const u = new Writer().type(0, 99, 0, false, 0);
    fails(assemble(u.sections()), /unknown kind 99/, { typeId: 1, offset: 28 });
    // A type section whose length is no whole number of words is walked byte-wise (not as a
    // Uint32Array): the same types, and the same error for a record cut short.
    const odd = assemble({ types: Uint8Array.from([...s.types, 0, 0]), strings: s.strings });
    fails(odd, /truncated: 2 of 12/);
    const whole = Btf.parse(el);
    const padded = Btf.parse(assemble({ types: s.types, strings: s.strings }));
    expect(padded.count).toBe(whole.count);
  });

  it("rejects references past the last id and names past the strings, on decode", () => {
    const w = new Writer();
    w.type(0, 2, 0, false, 7);
    fails(assemble(w.sections()), /refers to type id 7, past the last id 1/, { typeId: 1 });
    const n = new Writer();
    n.type(5000, 16, 0, false, 4);
    fails(assemble(n.sections()), /string offset 5000/, { typeId: 1 });
    const m = new Writer();
    m.type(m.str("s"), 4, 1, false, 4, 9999, 1, 0);
    fails(assemble(m.sections()), /string offset 9999/, { typeId: 1 });
    expect(() => Btf.parse(el).typeById(1000)).toThrow(/type id 1000 out of range \[0, \d+\]/);
    expect(() => Btf.parse(el).typeById(-1)).toThrow(BtfError);
    expect(() => Btf.parse(el).typeById(1.5)).toThrow(BtfError);
  });
});
