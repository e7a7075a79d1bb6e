// A lone surrogate cannot be UTF-8: TextEncoder would store U+FFFD, a different string than the
// one given. Every string the library encodes (chars() codecs, attr char fields, C strings for
// paths) refuses one with a TypeError that names its position.
import { describe, expect, it } from "vitest";
import { Attr, chars, objPin, struct, u32 } from "../../mod.ts";

describe("lone surrogates", () => {
  it("chars(n) refuses a lone surrogate, naming the index", () => {
    const c = chars(16);
    const buf = new Uint8Array(16);
    expect(() => c.encode("ab\uD800", buf, 0)).toThrow(TypeError);
    expect(() => c.encode("ab\uD800", buf, 0)).toThrow(/chars\(16\) "ab\\ud800" has a lone surrogate U\+D800 at index 2/);
    expect(() => c.encode("\uDC00x", buf, 0)).toThrow(/lone surrogate U\+DC00 at index 0/);
    // The high half of a pair at the very end has nothing to pair with.
    expect(() => c.encode("ok\uD83D", buf, 0)).toThrow(/at index 2/);
    expect(buf.every((b) => b === 0)).toBe(true);
  });

  it("a well-formed pair is encoded as its four UTF-8 bytes", () => {
    const c = chars(8);
    const buf = new Uint8Array(8);
    c.encode("\u{1F600}!", buf, 0);
    expect([...buf]).toEqual([0xf0, 0x9f, 0x98, 0x80, 0x21, 0, 0, 0]);
    expect(c.decode(buf, 0)).toBe("\u{1F600}!");
  });

  it("a struct field names itself", () => {
    const s = struct({ id: u32, comm: chars(16) });
    expect(() => s.encode({ id: 1, comm: "x\uDFFF" }, new Uint8Array(s.size), 0)).toThrow(/\.comm: .*lone surrogate U\+DFFF at index 1/);
  });

  it("Attr.chars and C-string paths refuse one too, before any syscall", () => {
    expect(() => new Attr(32).chars(0, 16, "n\uD800me")).toThrow(/char\[16\] field "n\\ud800me" has a lone surrogate U\+D800 at index 1/);
    expect(() => objPin(3, "/sys/fs/bpf/\uD800")).toThrow(TypeError);
    expect(() => objPin(3, "/sys/fs/bpf/\uD800")).toThrow(/lone surrogate U\+D800 at index 12/);
  });
});
