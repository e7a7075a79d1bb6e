/**
 * Test-side BTF byte work, written apart from src/btf so that it checks the parser rather than
 * repeating it: fixture loading, byte-order swapping, re-headering, and a small blob writer.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** test/fixtures/btf/, where build.sh leaves kinds.{el,eb}.btf and kinds.raw.txt. */
export const fixtureDir: string = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "btf");

/** A fixture file's bytes. */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(fixtureDir, name)));
}

// Trailer bytes per kind, from the table in linux/btf.h's comments: [fixed, per vlen element].
const TRAILER: Record<number, [number, number]> = {
  1: [4, 0], 3: [12, 0], 4: [0, 12], 5: [0, 12], 6: [0, 8], 13: [0, 8], 14: [4, 0], 15: [0, 12], 17: [4, 0], 19: [0, 12],
};

/** The same BTF in the other byte order: every header and type-section field is a u16/u32. */
export function swapOrder(src: Uint8Array): Uint8Array {
  const b = src.slice();
  const dv = new DataView(b.buffer);
  const little = dv.getUint16(0, true) === 0xeb9f;
  const u32 = (at: number) => dv.getUint32(at, little);
  const swap32 = (at: number) => dv.setUint32(at, dv.getUint32(at, little), !little);
  const hdr = u32(4);
  const typeStart = hdr + u32(8), typeEnd = typeStart + u32(12);
  dv.setUint16(0, 0xeb9f, !little);
  for (let at = 4; at < 24; at += 4) swap32(at);
  for (let pos = typeStart; pos < typeEnd;) {
    const info = u32(pos + 4);
    const kind = (info >>> 24) & 0x7f, vlen = info & 0xffffff;
    const [fixed, each] = TRAILER[kind] ?? [0, 0];
    const next = pos + 12 + fixed + each * vlen;
    for (let at = pos; at < next; at += 4) swap32(at);
    pos = next;
  }
  return b;
}

/** Sections of a blob, to re-assemble under another header. */
export interface Sections {
  /** Type section bytes. */
  types: Uint8Array;
  /** String section bytes. */
  strings: Uint8Array;
}

/** The type and string sections of a little-endian blob. */
export function sections(b: Uint8Array): Sections {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const hdr = dv.getUint32(4, true), u = (at: number) => dv.getUint32(at, true);
  return {
    types: b.subarray(hdr + u(8), hdr + u(8) + u(12)),
    strings: b.subarray(hdr + u(16), hdr + u(16) + u(20)),
  };
}

/** A little-endian blob: header of `hdrLen` bytes, then layout (if any), types, strings. */
export function assemble(s: Sections, hdrLen = 24, layout?: Uint8Array): Uint8Array {
  const lay = layout ?? new Uint8Array(0);
  const out = new Uint8Array(hdrLen + lay.length + s.types.length + s.strings.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  dv.setUint8(2, 1);
  dv.setUint32(4, hdrLen, true);
  dv.setUint32(8, lay.length, true);
  dv.setUint32(12, s.types.length, true);
  dv.setUint32(16, lay.length + s.types.length, true);
  dv.setUint32(20, s.strings.length, true);
  if (hdrLen >= 32 && lay.length) {
    dv.setUint32(24, 0, true);
    dv.setUint32(28, lay.length, true);
  }
  out.set(lay, hdrLen);
  out.set(s.types, hdrLen + lay.length);
  out.set(s.strings, hdrLen + lay.length + s.types.length);
  return out;
}

/** Builds a type section and string section from words and names (names get offsets). */
export class Writer {
  /** Words of the type section so far. */
  readonly words: number[] = [];
  readonly #strs: number[];
  readonly #offs = new Map<string, number>();

  /** Creates a writer whose string offsets start at `strStart` (a split BTF's base string length). */
  constructor(readonly strStart = 0) {
    // A split BTF's strings continue the base's, whose leading "" serves for both.
    this.#strs = strStart ? [] : [0];
  }

  /** The offset of `s`, adding it. */
  str(s: string): number {
    if (s === "") return 0;
    let off = this.#offs.get(s);
    if (off === undefined) {
      off = this.strStart + this.#strs.length;
      this.#offs.set(s, off);
      this.#strs.push(...new TextEncoder().encode(s), 0);
    }
    return off;
  }

  /** Appends one struct btf_type and its trailer words. */
  type(nameOff: number, kind: number, vlen: number, kflag: boolean, sizeOrType: number, ...trailer: number[]): this {
    this.words.push(nameOff, ((kflag ? 1 : 0) << 31 | kind << 24 | vlen) >>> 0, sizeOrType, ...trailer);
    return this;
  }

  /** The sections, little-endian. */
  sections(): Sections {
    const types = new Uint8Array(this.words.length * 4);
    const dv = new DataView(types.buffer);
    this.words.forEach((w, i) => dv.setUint32(i * 4, w >>> 0, true));
    return { types, strings: new Uint8Array(this.#strs) };
  }
}
