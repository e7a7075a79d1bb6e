// The core's own DEFLATE/gzip decoder against the runtime's zlib (node:zlib, which Node, Bun and
// Deno all provide): every block type zlib writes (levels 0, 1, 9; Z_FIXED, Z_HUFFMAN_ONLY,
// Z_RLE), gzip header fields, multiple members, the errors, this host's /proc/config.gz, and a
// seeded fuzz in which zlib is the oracle: same output where it succeeds, an InflateError where it fails.
import { existsSync, readFileSync } from "node:fs";
import * as zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/util/crc32.ts";
import { gunzip, inflateRaw, InflateError } from "../../src/util/inflate.ts";
import { xorshift } from "../helpers/random.ts";

const { Z_DEFAULT_STRATEGY, Z_FIXED, Z_HUFFMAN_ONLY, Z_RLE } = zlib.constants;
const u8 = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Where two byte arrays first differ ("length a vs b" when only in length), or null: fast where toEqual walks elements. */
function diff(got: Uint8Array, want: Uint8Array): string | null {
  const n = Math.min(got.length, want.length);
  for (let i = 0; i < n; i++) if (got[i] !== want[i]) return `byte ${i}: ${got[i]} vs ${want[i]}`;
  return got.length === want.length ? null : `length ${got.length} vs ${want.length}`;
}


function randomBytes(rnd: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rnd() & 0xff;
  return b;
}

// Text with short- and long-range repeats (distances past 32 KiB are out of reach; near it, not).
function corpus(): Record<string, Uint8Array> {
  const rnd = xorshift(7);
  const words = ["bpf", "map", "prog", "CONFIG_", "=y\n", "=m\n", "kernel", " ", "\n", "struct", "0x1f"];
  let s = "";
  while (s.length < 300_000) s += words[rnd() % words.length] + (rnd() % 8 === 0 ? String(rnd() % 1000) : "");
  const block = randomBytes(rnd, 40_000);
  const far = new Uint8Array(130_000);
  far.set(block, 0);
  far.set(block, 32_000);
  far.set(block, 90_000);
  return {
    empty: new Uint8Array(0),
    one: text("a"),
    words: text(s),
    random: randomBytes(rnd, 70_000),
    zeros: new Uint8Array(200_000),
    far,
  };
}

const inputs = corpus();
const settings = [
  ...[0, 1, 9].map((level) => ({ level, strategy: Z_DEFAULT_STRATEGY })),
  ...[1, 9].flatMap((level) => [Z_FIXED, Z_HUFFMAN_ONLY, Z_RLE].map((strategy) => ({ level, strategy }))),
];

/** BTYPE of a raw stream's first block (bits 1-2 of its first byte). */
function firstBlockType(raw: Uint8Array): number {
  return (raw[0] >>> 1) & 3;
}

describe("inflateRaw and gunzip against zlib", () => {
  for (const [name, data] of Object.entries(inputs)) {
    it(`${name} (${data.length} bytes) at every level and strategy`, () => {
      for (const opts of settings) {
        const raw = u8(zlib.deflateRawSync(data, opts));
        expect(diff(inflateRaw(raw), data), `${name} ${JSON.stringify(opts)}`).toBeNull();
        const gz = u8(zlib.gzipSync(data, opts));
        expect(diff(gunzip(gz), data), `${name} gzip ${JSON.stringify(opts)}`).toBeNull();
      }
    });
  }

  it("the settings produce every block type: stored (level 0), fixed (Z_FIXED), dynamic (level 9)", () => {
    const d = inputs.words;
    expect(firstBlockType(u8(zlib.deflateRawSync(d, { level: 0 })))).toBe(0);
    expect(firstBlockType(u8(zlib.deflateRawSync(d, { level: 9, strategy: Z_FIXED })))).toBe(1);
    expect(firstBlockType(u8(zlib.deflateRawSync(d, { level: 9 })))).toBe(2);
    expect(firstBlockType(u8(zlib.deflateRawSync(d, { level: 1, strategy: Z_HUFFMAN_ONLY })))).toBe(2);
  });

  it("one stream of stored, fixed and dynamic blocks and sync-flush markers, each part from a fresh compressor", () => {
    // A sync-flushed stream ends on a byte boundary with no final block: such streams concatenate
    // into one valid stream (later parts only refer back into their own output).
    const parts: [Uint8Array, zlib.ZlibOptions][] = [
      [inputs.random.subarray(0, 5000), { level: 0 }],
      [text("abcabcabc".repeat(100)), { level: 9, strategy: Z_FIXED }],
      [inputs.words.subarray(0, 20_000), { level: 9 }],
      [text("x"), { level: 1, strategy: Z_HUFFMAN_ONLY }],
    ];
    const pieces = parts.map(([d, o], i) => u8(zlib.deflateRawSync(d, i < parts.length - 1 ? { ...o, finishFlush: zlib.constants.Z_SYNC_FLUSH } : o)));
    expect(firstBlockType(pieces[0])).toBe(0);
    expect(firstBlockType(pieces[1])).toBe(1);
    expect(firstBlockType(pieces[2])).toBe(2);
    const stream = new Uint8Array(pieces.flatMap((p) => [...p]));
    const want = new Uint8Array(parts.flatMap(([d]) => [...d]));
    expect(diff(u8(zlib.inflateRawSync(stream)), want)).toBeNull();
    expect(diff(inflateRaw(stream), want)).toBeNull();
  });

  it("empty: gzip and raw streams of no data decode to nothing; no bytes at all is an InflateError, as zlib says", () => {
    expect(gunzip(u8(zlib.gzipSync(new Uint8Array(0))))).toEqual(new Uint8Array(0));
    expect(inflateRaw(u8(zlib.deflateRawSync(new Uint8Array(0))))).toEqual(new Uint8Array(0));
    expect(() => zlib.gunzipSync(new Uint8Array(0))).toThrow();
    expect(() => gunzip(new Uint8Array(0))).toThrow(InflateError);
    expect(() => gunzip(new Uint8Array(0))).toThrow(/gzip: empty input \(at offset 0\)/);
    expect(() => inflateRaw(new Uint8Array(0))).toThrow(/unexpected end of input/);
  });

  it("multiple members concatenate; trailing zeros are ignored and other trailing bytes refused, as zlib does", () => {
    const a = text("first member\n"), b = inputs.words.subarray(0, 50_000);
    const members = [zlib.gzipSync(a), zlib.gzipSync(new Uint8Array(0)), zlib.gzipSync(b, { level: 1 })].map(u8);
    const cat = new Uint8Array([...members[0], ...members[1], ...members[2]]);
    const want = new Uint8Array([...a, ...b]);
    expect(diff(u8(zlib.gunzipSync(cat)), want)).toBeNull();
    expect(diff(gunzip(cat), want)).toBeNull();
    const padded = new Uint8Array([...cat, 0, 0, 0, 0]);
    expect(diff(u8(zlib.gunzipSync(padded)), want)).toBeNull();
    expect(diff(gunzip(padded), want)).toBeNull();
    const junk = new Uint8Array([...cat, 0x41, 0x42]);
    expect(() => zlib.gunzipSync(junk)).toThrow();
    expect(() => gunzip(junk)).toThrow(new RegExp(`trailing bytes after the last member \\(at offset ${cat.length}\\)`));
  });

  it("a raw stream ignores bytes after its final block, as zlib's inflateRaw does", () => {
    const raw = u8(zlib.deflateRawSync(text("hello")));
    const more = new Uint8Array([...raw, 1, 2, 3]);
    expect(u8(zlib.inflateRawSync(more))).toEqual(text("hello"));
    expect(inflateRaw(more)).toEqual(text("hello"));
  });
});

/** A gzip member of `data` with the header fields given, built around zlib's raw stream and trailer. */
function member(data: Uint8Array, fields: { extra?: Uint8Array; name?: string; comment?: string; hcrc?: boolean }): Uint8Array {
  const z = u8(zlib.gzipSync(data));
  const body = z.subarray(10);
  let flags = 0;
  const head: number[] = [...z.subarray(0, 10)];
  if (fields.extra) {
    flags |= 4;
    head.push(fields.extra.length & 0xff, fields.extra.length >> 8, ...fields.extra);
  }
  if (fields.name !== undefined) {
    flags |= 8;
    head.push(...text(fields.name), 0);
  }
  if (fields.comment !== undefined) {
    flags |= 16;
    head.push(...text(fields.comment), 0);
  }
  if (fields.hcrc) flags |= 2;
  head[3] = flags;
  if (fields.hcrc) {
    const c = crc32(new Uint8Array(head)) & 0xffff;
    head.push(c & 0xff, c >> 8);
  }
  return new Uint8Array([...head, ...body]);
}

describe("gzip header and trailer", () => {
  it("crc32 is ISO 3309's (check value of \"123456789\")", () => {
    expect(crc32(text("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const d = inputs.words;
    expect(crc32(d, 1000, d.length, crc32(d, 0, 1000))).toBe(crc32(d));
  });

  it("FEXTRA, FNAME, FCOMMENT and FHCRC are skipped or checked, as zlib reads them", () => {
    const data = text("with every header field\n".repeat(20));
    const m = member(data, { extra: new Uint8Array([65, 66, 4, 0, 1, 2, 3, 4]), name: "config", comment: "a comment", hcrc: true });
    expect(u8(zlib.gunzipSync(m))).toEqual(data);
    expect(gunzip(m)).toEqual(data);
    for (const f of [{ name: "n" }, { comment: "" }, { extra: new Uint8Array(0) }, { hcrc: true }]) expect(gunzip(member(data, f))).toEqual(data);
  });

  it("a bad header CRC, data CRC or ISIZE is an InflateError naming its offset", () => {
    const data = text("checked\n".repeat(50));
    const m = member(data, { name: "x", hcrc: true });
    const hcrcAt = 10 + 2;
    const badHead = m.slice();
    badHead[hcrcAt] ^= 1;
    expect(() => zlib.gunzipSync(badHead)).toThrow();
    expect(() => gunzip(badHead)).toThrow(new RegExp(`header CRC .* \\(at offset ${hcrcAt}\\)`));
    const gz = u8(zlib.gzipSync(data));
    const badCrc = gz.slice();
    badCrc[gz.length - 8] ^= 0x80;
    expect(() => gunzip(badCrc)).toThrow(new RegExp(`CRC-32 0x[0-9a-f]+ does not match the data's 0x[0-9a-f]+ \\(at offset ${gz.length - 8}\\)`));
    const badSize = gz.slice();
    badSize[gz.length - 4] ^= 1;
    expect(() => gunzip(badSize)).toThrow(new RegExp(`ISIZE ${data.length ^ 1} does not match the ${data.length} bytes decoded \\(at offset ${gz.length - 4}\\)`));
    const method = gz.slice();
    method[2] = 7;
    expect(() => gunzip(method)).toThrow(/compression method 7.*\(at offset 2\)/);
    const reserved = gz.slice();
    reserved[3] = 0x20;
    expect(() => gunzip(reserved)).toThrow(/reserved header flags/);
    expect(() => gunzip(text("CONFIG_BPF=y\n"))).toThrow(/no gzip magic.*\(at offset 0\)/);
    expect(() => gunzip(gz.subarray(0, gz.length - 3))).toThrow(/truncated trailer/);
    expect(() => gunzip(gz.subarray(0, 20))).toThrow(/unexpected end of input/);
  });
});

describe("malformed DEFLATE and the output limit", () => {
  it("block type 3, a stored length with a bad complement, a distance before the start", () => {
    expect(() => inflateRaw(new Uint8Array([0b111]))).toThrow(/invalid block type 3 \(at offset 0\)/);
    expect(() => inflateRaw(new Uint8Array([1, 5, 0, 0, 0, 1, 2, 3, 4, 5]))).toThrow(/stored block length 5 does not match its complement 0 \(at offset 1\)/);
    expect(inflateRaw(new Uint8Array([1, 5, 0, 0xfa, 0xff, 1, 2, 3, 4, 5]))).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
    expect(() => inflateRaw(new Uint8Array([1, 5, 0, 0xfa, 0xff, 1, 2]))).toThrow(/unexpected end of input \(at offset 7\)/);
    // Fixed block: length 3 (code 257 = 0000001), distance 1 (code 0 = 00000), with nothing before.
    expect(() => inflateRaw(new Uint8Array([0x03, 0x02, 0x00]))).toThrow(/distance 1 reaches before the start of the output \(0 bytes\)/);
  });

  it("a limit caps the output: exceeding it is an InflateError, reaching it is not", () => {
    const data = new Uint8Array(1 << 20);
    const gz = u8(zlib.gzipSync(data));
    expect(diff(gunzip(gz, { limit: data.length }), data)).toBeNull();
    expect(() => gunzip(gz, { limit: data.length - 1 })).toThrow(new RegExp(`output exceeds the limit of ${data.length - 1} bytes`));
    expect(() => inflateRaw(u8(zlib.deflateRawSync(data)), { limit: 1000 })).toThrow(InflateError);
    expect(() => gunzip(gz, { limit: -1 })).toThrow(RangeError);
    expect(() => gunzip("x" as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe("this host's /proc/config.gz", () => {
  const have = existsSync("/proc/config.gz");
  if (!have) console.warn("skip: /proc/config.gz: the kernel has no CONFIG_IKCONFIG_PROC");
  it.skipIf(!have)(`decodes as zlib decodes it${have ? "" : " (skipped: no /proc/config.gz, CONFIG_IKCONFIG_PROC off)"}`, () => {
    const gz = u8(readFileSync("/proc/config.gz"));
    const want = u8(zlib.gunzipSync(gz));
    const t0 = performance.now();
    const got = gunzip(gz);
    const first = performance.now() - t0;
    const t1 = performance.now();
    for (let i = 0; i < 20; i++) gunzip(gz);
    const each = (performance.now() - t1) / 20;
    console.log(`/proc/config.gz: ${gz.length} -> ${got.length} bytes, first ${first.toFixed(2)} ms, then ${each.toFixed(2)} ms each`);
    expect(diff(got, want)).toBeNull();
    expect(new TextDecoder().decode(got)).toMatch(/^CONFIG_BPF=y$/m);
    expect(each).toBeLessThan(50);
  });
});

function mutate(rnd: () => number, from: Uint8Array): Uint8Array {
  const b = from.slice();
  const n = 1 + (rnd() % 4);
  for (let i = 0; i < n; i++) {
    const at = rnd() % b.length;
    switch (rnd() % 5) {
      case 0: b[at] ^= 1 << (rnd() % 8); break;
      case 1: b[at] = rnd() & 0xff; break;
      case 2: b[at] = [0, 0xff, 0x7f, 0x80][rnd() % 4]; break;
      case 3: b.copyWithin(at, rnd() % b.length, b.length); break;
      default: return b.subarray(0, at);
    }
  }
  return b;
}

type Outcome = { ok: Uint8Array } | { error: string };

function ours(f: (b: Uint8Array, o: { limit: number }) => Uint8Array, b: Uint8Array): Outcome {
  try {
    return { ok: f(b, { limit: 1 << 22 }) };
  } catch (e) {
    if (!(e instanceof InflateError)) throw new Error(`not an InflateError on [${Array.from(b.subarray(0, 48)).join(",")}]: ${e}`);
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThanOrEqual(b.length);
    expect(e.message).toMatch(/\(at offset \d+\)$/);
    return { error: e.message };
  }
}

function theirs(f: (b: Uint8Array) => Uint8Array, b: Uint8Array): Outcome {
  try {
    return { ok: u8(f(b)) };
  } catch (e) {
    return { error: String(e) };
  }
}

describe("fuzz: random and mutated streams, zlib as the oracle", () => {
  const seeds = [inputs.words.subarray(0, 3000), inputs.random.subarray(0, 600), text("abcabcabcabc".repeat(40))];
  const raws = seeds.flatMap((d) => settings.map((o) => u8(zlib.deflateRawSync(d, o))));
  const gzs = seeds.flatMap((d) => [u8(zlib.gzipSync(d)), member(d, { name: "f", comment: "c", extra: new Uint8Array([1, 2, 3]), hcrc: true })]);

  // Each case must end quickly (a decoder that loops on bad input would not).
  function run(cases: number, make: () => Uint8Array, f: "raw" | "gzip"): { agree: number; ok: number; bad: number; slowest: number } {
    let agree = 0, ok = 0, bad = 0, slowest = 0;
    const disagreements: string[] = [];
    for (let i = 0; i < cases; i++) {
      const b = make();
      const t0 = performance.now();
      const mine = ours(f === "raw" ? inflateRaw : gunzip, b);
      slowest = Math.max(slowest, performance.now() - t0);
      const z = theirs(f === "raw" ? (x) => zlib.inflateRawSync(x) : (x) => zlib.gunzipSync(x), b);
      "ok" in mine ? ok++ : bad++;
      const same = "ok" in mine && "ok" in z ? diff(mine.ok, z.ok) === null : "error" in mine && "error" in z;
      if (same) agree++;
      else if (disagreements.length < 5) disagreements.push(`[${Array.from(b).join(",")}]: ours ${"ok" in mine ? `${mine.ok.length} bytes` : mine.error}, zlib ${"ok" in z ? `${z.ok.length} bytes` : z.error}`);
    }
    expect(disagreements).toEqual([]);
    return { agree, ok, bad, slowest };
  }

  it("random bytes, raw and behind a gzip header", () => {
    const rnd = xorshift(99);
    const t0 = Date.now();
    const raw = run(3000, () => randomBytes(rnd, rnd() % 300), "raw");
    const gz = run(3000, () => {
      const b = randomBytes(rnd, 10 + (rnd() % 300));
      b.set([0x1f, 0x8b, 8, rnd() % 4 === 0 ? rnd() & 0x1f : 0]);
      return b;
    }, "gzip");
    console.log(`fuzz random: raw ${raw.ok} decoded / ${raw.bad} rejected, gzip ${gz.ok} / ${gz.bad}; slowest case ${Math.max(raw.slowest, gz.slowest).toFixed(1)} ms`);
    expect(raw.bad).toBeGreaterThan(100);
    expect(Math.max(raw.slowest, gz.slowest)).toBeLessThan(250);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });

  it("mutated raw and gzip streams of every block type", () => {
    const rnd = xorshift(4242);
    const t0 = Date.now();
    const raw = run(4000, () => mutate(rnd, raws[rnd() % raws.length]), "raw");
    const gz = run(2000, () => mutate(rnd, gzs[rnd() % gzs.length]), "gzip");
    console.log(`fuzz mutants: raw ${raw.ok} decoded / ${raw.bad} rejected, gzip ${gz.ok} / ${gz.bad}; slowest case ${Math.max(raw.slowest, gz.slowest).toFixed(1)} ms`);
    expect(raw.ok).toBeGreaterThan(100);
    expect(raw.bad).toBeGreaterThan(100);
    expect(gz.bad).toBeGreaterThan(100);
    expect(Math.max(raw.slowest, gz.slowest)).toBeLessThan(250);
    expect(Date.now() - t0).toBeLessThan(40_000);
  });
});
