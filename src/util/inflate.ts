/**
 * DEFLATE (RFC 1951) and gzip (RFC 1952) decompression, pure and synchronous: the kernel's
 * /proc/config.gz must be read while an object loads, and the core may use no runtime's zlib.
 * Decoding is table-driven (a 2^10-entry first level, short second levels for longer codes, as
 * zlib's inflate_table lays them out), with the bit buffer and output cursor in locals.
 * @module
 */
import { crc32 } from "./crc32.ts";

/** Malformed or truncated compressed data, with the input byte offset where it showed. */
export class InflateError extends Error {
  /** Byte offset into the input given to gunzip/inflateRaw. */
  readonly offset: number;

  /** An error saying `what`, found at input byte `offset`. */
  constructor(what: string, offset: number) {
    super(`${what} (at offset ${offset})`);
    this.name = "InflateError";
    this.offset = offset;
  }
}

/** Options of gunzip and inflateRaw. */
export interface InflateOptions {
  /** Most output bytes to produce before failing (a bomb's guard); default 64 MiB. */
  limit?: number;
}

const DEFAULT_LIMIT = 64 << 20;

// RFC 1951 3.2.5: base values and extra bits of length codes 257..285 and distance codes 0..29.
const LEN_BASE = new Uint16Array([3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]);
const LEN_EXTRA = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]);
const DIST_BASE = new Uint16Array([1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]);
const DIST_EXTRA = new Uint8Array([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]);
// RFC 1951 3.2.7: the order in which code length code lengths are stored.
const CLEN_ORDER = new Uint8Array([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);

const LIT_ROOT = 10;
const DIST_ROOT = 8;
const CLEN_ROOT = 7;

const REV8 = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let r = 0;
  for (let b = 0; b < 8; b++) r |= ((i >>> b) & 1) << (7 - b);
  REV8[i] = r;
}

/**
 * A decoding table for the canonical Huffman code of `lengths`, or a reason it is not one.
 * Entry: 0 = no code; leaf = sym << 5 | length; link to a second level = offset << 5 | 16 | bits.
 * Incomplete codes are accepted only as zlib's inflate_table accepts them: for literal/length and
 * distance codes, none at all or a single code of length 1 (one distance); over-subscribed never.
 */
function buildTable(lengths: Uint8Array, root: number, incomplete = true): Int32Array | string {
  const count = new Uint16Array(16);
  let max = 0;
  for (let s = 0; s < lengths.length; s++) {
    const n = lengths[s];
    count[n]++;
    if (n > max) max = n;
  }
  count[0] = 0;
  let left = 1;
  for (let n = 1; n <= 15; n++) {
    left = (left << 1) - count[n];
    if (left < 0) return "over-subscribed";
  }
  if (left > 0 && (max > 1 || !incomplete)) return "incomplete";
  const next = new Uint16Array(16);
  for (let n = 1, code = 0; n <= 15; n++) next[n] = code = (code + count[n - 1]) << 1;
  const rootSize = 1 << root, rootMask = rootSize - 1;
  // Codes longer than the root: the widest such code under each root prefix sizes its second level.
  const codes = new Uint16Array(lengths.length);
  let sub: Uint8Array | undefined;
  for (let s = 0; s < lengths.length; s++) {
    const n = lengths[s];
    if (n === 0) continue;
    const c = next[n]++;
    const rev = ((REV8[c & 0xff] << 8) | REV8[c >>> 8]) >>> (16 - n);
    codes[s] = rev;
    if (n > root) {
      sub ??= new Uint8Array(rootSize);
      const p = rev & rootMask;
      if (n - root > sub[p]) sub[p] = n - root;
    }
  }
  let size = rootSize;
  const offsetOf = sub ? new Uint32Array(rootSize) : undefined;
  if (sub && offsetOf) {
    for (let p = 0; p < rootSize; p++) {
      if (sub[p] === 0) continue;
      offsetOf[p] = size;
      size += 1 << sub[p];
    }
  }
  const table = new Int32Array(size);
  if (sub && offsetOf) for (let p = 0; p < rootSize; p++) if (sub[p]) table[p] = (offsetOf[p] << 5) | 16 | sub[p];
  for (let s = 0; s < lengths.length; s++) {
    const n = lengths[s];
    if (n === 0) continue;
    const rev = codes[s], leaf = (s << 5) | n;
    if (n <= root) {
      for (let i = rev; i < rootSize; i += 1 << n) table[i] = leaf;
    } else if (sub && offsetOf) {
      const p = rev & rootMask, bits = sub[p], at = offsetOf[p];
      for (let i = rev >>> root; i < 1 << bits; i += 1 << (n - root)) table[at + i] = leaf;
    }
  }
  return table;
}

let fixedLit: Int32Array | undefined;
let fixedDist: Int32Array | undefined;

// RFC 1951 3.2.6: the fixed codes (literal/length 0-287, distance 0-31).
function fixedTables(): [Int32Array, Int32Array] {
  if (!fixedLit || !fixedDist) {
    const l = new Uint8Array(288);
    l.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
    fixedLit = buildTable(l, LIT_ROOT) as Int32Array;
    fixedDist = buildTable(new Uint8Array(32).fill(5), DIST_ROOT) as Int32Array;
  }
  return [fixedLit, fixedDist];
}

/**
 * One output buffer filled by one or more DEFLATE streams. Bits are taken LSB first; past the
 * input's end the buffer is padded with zero bytes (counted in `over`) so that a table lookup may
 * peek 15 bits, and consuming any padding bit is the truncation error.
 */
class Inflater {
  pos: number;
  bits = 0;
  cnt = 0;
  over = 0;
  out: Uint8Array;
  len = 0;
  /** Where the current stream's output starts: no distance may reach before it. */
  base = 0;

  constructor(readonly src: Uint8Array, readonly limit: number, hint: number) {
    this.pos = 0;
    this.out = new Uint8Array(Math.min(limit, Math.max(hint, 1024)));
  }

  /** The input byte offset of the next unread bit. */
  at(): number {
    return Math.min(this.src.length, ((this.pos + this.over) * 8 - this.cnt) >>> 3);
  }

  fail(what: string, offset: number = this.at()): InflateError {
    return new InflateError(`deflate: ${what}`, offset);
  }

  truncated(): InflateError {
    return new InflateError("deflate: unexpected end of input", this.src.length);
  }

  /** Room for `n` more output bytes: the buffer doubled (at least), never past the limit. */
  grow(n: number): Uint8Array {
    const need = this.len + n;
    if (need > this.limit) throw this.fail(`output exceeds the limit of ${this.limit} bytes`);
    if (need <= this.out.length) return this.out;
    const bigger = new Uint8Array(Math.min(this.limit, Math.max(need, this.out.length * 2)));
    bigger.set(this.out.subarray(0, this.len));
    return (this.out = bigger);
  }

  /** The low `n` (<= 24) bits, consumed. */
  take(n: number): number {
    while (this.cnt < n) {
      if (this.pos < this.src.length) this.bits |= this.src[this.pos++] << this.cnt;
      else this.over++;
      this.cnt += 8;
    }
    const v = this.bits & ((1 << n) - 1);
    this.bits >>>= n;
    this.cnt -= n;
    if (this.cnt < this.over << 3) throw this.truncated();
    return v;
  }

  /** One symbol of `table` (a code-length code: slow path, a few hundred per block). */
  symbol(table: Int32Array, root: number, what: string): number {
    while (this.cnt < 15) {
      if (this.pos < this.src.length) this.bits |= this.src[this.pos++] << this.cnt;
      else this.over++;
      this.cnt += 8;
    }
    let e = table[this.bits & ((1 << root) - 1)];
    if (e & 16) e = table[(e >>> 5) + ((this.bits >>> root) & ((1 << (e & 15)) - 1))];
    const n = e & 15;
    if (n === 0) throw this.fail(`invalid ${what} code`);
    this.bits >>>= n;
    this.cnt -= n;
    if (this.cnt < this.over << 3) throw this.truncated();
    return e >>> 5;
  }

  /** Decodes one DEFLATE stream from input byte `start`; returns the offset after its final block. */
  stream(start: number): number {
    this.pos = start;
    this.bits = this.cnt = this.over = 0;
    this.base = this.len;
    let final = 0;
    do {
      const blockAt = this.at();
      final = this.take(1);
      const type = this.take(2);
      if (type === 0) this.stored();
      else if (type === 1) this.codes(...fixedTables());
      else if (type === 2) this.dynamic();
      else throw this.fail("invalid block type 3", blockAt);
    } while (!final);
    // The rest of the last byte is padding; whole bytes still buffered go back to the input.
    const end = this.pos - ((this.cnt >>> 3) - this.over);
    this.bits = this.cnt = this.over = 0;
    return end;
  }

  stored(): void {
    this.take(this.cnt & 7);
    this.pos -= (this.cnt >>> 3) - this.over;
    this.bits = this.cnt = this.over = 0;
    const src = this.src, p = this.pos;
    if (p + 4 > src.length) throw this.truncated();
    const n = src[p] | (src[p + 1] << 8), check = src[p + 2] | (src[p + 3] << 8);
    if ((n ^ 0xffff) !== check) throw this.fail(`stored block length ${n} does not match its complement ${check}`, p);
    if (p + 4 + n > src.length) throw this.truncated();
    const out = this.len + n > this.out.length ? this.grow(n) : this.out;
    out.set(src.subarray(p + 4, p + 4 + n), this.len);
    this.len += n;
    this.pos = p + 4 + n;
  }

  dynamic(): void {
    const headerAt = this.at();
    const nlit = this.take(5) + 257, ndist = this.take(5) + 1, nclen = this.take(4) + 4;
    if (nlit > 286 || ndist > 30) throw this.fail(`too many length or distance codes (${nlit}, ${ndist})`, headerAt);
    const clens = new Uint8Array(19);
    for (let i = 0; i < nclen; i++) clens[CLEN_ORDER[i]] = this.take(3);
    const clTable = buildTable(clens, CLEN_ROOT, false);
    if (typeof clTable === "string") throw this.fail(`invalid code length code lengths (${clTable})`, headerAt);
    const total = nlit + ndist, lens = new Uint8Array(total);
    for (let i = 0; i < total;) {
      const at = this.at();
      const sym = this.symbol(clTable, CLEN_ROOT, "code length");
      if (sym < 16) {
        lens[i++] = sym;
        continue;
      }
      let value = 0, rep: number;
      if (sym === 16) {
        if (i === 0) throw this.fail("code length repeat with no previous length", at);
        value = lens[i - 1];
        rep = 3 + this.take(2);
      } else rep = sym === 17 ? 3 + this.take(3) : 11 + this.take(7);
      if (i + rep > total) throw this.fail("code length repeat past the last code", at);
      lens.fill(value, i, i + rep);
      i += rep;
    }
    if (lens[256] === 0) throw this.fail("no end-of-block code", headerAt);
    const lit = buildTable(lens.subarray(0, nlit), LIT_ROOT);
    if (typeof lit === "string") throw this.fail(`invalid literal/length code lengths (${lit})`, headerAt);
    const dist = buildTable(lens.subarray(nlit), DIST_ROOT);
    if (typeof dist === "string") throw this.fail(`invalid distance code lengths (${dist})`, headerAt);
    this.codes(lit, dist);
  }

  /** The symbols of one Huffman block up to its end-of-block code: the hot loop, state in locals. */
  codes(lit: Int32Array, dist: Int32Array): void {
    const src = this.src, end = src.length, base = this.base;
    const litMask = (1 << LIT_ROOT) - 1, distMask = (1 << DIST_ROOT) - 1;
    let pos = this.pos, bits = this.bits, cnt = this.cnt, over = this.over;
    let out = this.out, len = this.len;
    const save = (): void => {
      this.pos = pos;
      this.bits = bits;
      this.cnt = cnt;
      this.over = over;
      this.len = len;
    };
    for (;;) {
      while (cnt < 15) {
        if (pos < end) bits |= src[pos++] << cnt;
        else over++;
        cnt += 8;
      }
      let e = lit[bits & litMask];
      if (e & 16) e = lit[(e >>> 5) + ((bits >>> LIT_ROOT) & ((1 << (e & 15)) - 1))];
      let n = e & 15;
      if (n === 0) {
        save();
        throw this.fail("invalid literal/length code");
      }
      bits >>>= n;
      cnt -= n;
      if (cnt < over << 3) throw this.truncated();
      const sym = e >>> 5;
      if (sym < 256) {
        if (len === out.length) {
          save();
          out = this.grow(1);
        }
        out[len++] = sym;
        continue;
      }
      if (sym === 256) break;
      const li = sym - 257;
      if (li >= 29) {
        save();
        throw this.fail(`invalid literal/length symbol ${sym}`);
      }
      let length = LEN_BASE[li];
      const le = LEN_EXTRA[li];
      if (le) {
        while (cnt < le) {
          if (pos < end) bits |= src[pos++] << cnt;
          else over++;
          cnt += 8;
        }
        length += bits & ((1 << le) - 1);
        bits >>>= le;
        cnt -= le;
      }
      while (cnt < 15) {
        if (pos < end) bits |= src[pos++] << cnt;
        else over++;
        cnt += 8;
      }
      e = dist[bits & distMask];
      if (e & 16) e = dist[(e >>> 5) + ((bits >>> DIST_ROOT) & ((1 << (e & 15)) - 1))];
      n = e & 15;
      const ds = e >>> 5;
      if (n === 0 || ds >= 30) {
        save();
        throw this.fail(n === 0 ? "invalid distance code" : `invalid distance symbol ${ds}`);
      }
      bits >>>= n;
      cnt -= n;
      let d = DIST_BASE[ds];
      const de = DIST_EXTRA[ds];
      if (de) {
        while (cnt < de) {
          if (pos < end) bits |= src[pos++] << cnt;
          else over++;
          cnt += 8;
        }
        d += bits & ((1 << de) - 1);
        bits >>>= de;
        cnt -= de;
      }
      if (cnt < over << 3) throw this.truncated();
      if (d > len - base) {
        save();
        throw this.fail(`distance ${d} reaches before the start of the output (${len - base} bytes)`);
      }
      if (len + length > out.length) {
        save();
        out = this.grow(length);
      }
      for (let from = len - d, stop = len + length; len < stop;) out[len++] = out[from++];
    }
    save();
  }

  result(): Uint8Array {
    return this.len === this.out.length ? this.out : this.out.slice(0, this.len);
  }
}

function limitOf(bytes: Uint8Array, options: InflateOptions | undefined): number {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`compressed data must be a Uint8Array, not ${typeof bytes}`);
  const limit = options?.limit ?? DEFAULT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`inflate limit must be a non-negative integer, not ${limit}`);
  return limit;
}

/**
 * Decompresses a raw DEFLATE stream (RFC 1951: stored, fixed and dynamic Huffman blocks), as
 * zlib's inflateRaw; bytes after the final block are ignored. Malformed input is an InflateError.
 */
export function inflateRaw(bytes: Uint8Array, options?: InflateOptions): Uint8Array {
  const limit = limitOf(bytes, options);
  const inf = new Inflater(bytes, limit, bytes.length * 4);
  inf.stream(0);
  return inf.result();
}

// RFC 1952 2.3.1 FLG bits.
const FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16, FRESERVED = 0xe0;

/**
 * Decompresses gzip data (RFC 1952): the header with its optional fields (FEXTRA, FNAME, FCOMMENT,
 * FHCRC checked), each member's CRC-32 and ISIZE checked, members concatenated as gzip(1) writes
 * them; trailing zero bytes are ignored as zlib ignores them, other trailing bytes are an error.
 */
export function gunzip(bytes: Uint8Array, options?: InflateOptions): Uint8Array {
  const limit = limitOf(bytes, options);
  const size = bytes.length;
  if (size === 0) throw new InflateError("gzip: empty input", 0);
  // The last member's ISIZE sizes the output when it is plausible (DEFLATE expands at most 1032:1).
  const isize = size >= 18 ? (bytes[size - 4] | (bytes[size - 3] << 8) | (bytes[size - 2] << 16) | (bytes[size - 1] << 24)) >>> 0 : 0;
  const inf = new Inflater(bytes, limit, isize <= size * 1032 ? isize : size * 4);
  let p = 0;
  for (;;) {
    const member = p;
    if (size - p < 10) throw new InflateError("gzip: truncated header", size);
    if (bytes[p] !== 0x1f || bytes[p + 1] !== 0x8b) {
      throw new InflateError(`gzip: no gzip magic (0x1f 0x8b), found 0x${bytes[p].toString(16)} 0x${bytes[p + 1].toString(16)}`, p);
    }
    if (bytes[p + 2] !== 8) throw new InflateError(`gzip: compression method ${bytes[p + 2]}, only 8 (deflate) is defined`, p + 2);
    const flags = bytes[p + 3];
    if (flags & FRESERVED) throw new InflateError(`gzip: reserved header flags set (0x${flags.toString(16)})`, p + 3);
    p += 10;
    if (flags & FEXTRA) {
      if (p + 2 > size) throw new InflateError("gzip: truncated header extra field", size);
      p += 2 + (bytes[p] | (bytes[p + 1] << 8));
      if (p > size) throw new InflateError("gzip: truncated header extra field", size);
    }
    for (const flag of [FNAME, FCOMMENT]) {
      if (!(flags & flag)) continue;
      const nul = bytes.indexOf(0, p);
      if (nul < 0) throw new InflateError(`gzip: unterminated header ${flag === FNAME ? "file name" : "comment"}`, size);
      p = nul + 1;
    }
    if (flags & FHCRC) {
      if (p + 2 > size) throw new InflateError("gzip: truncated header CRC", size);
      const want = bytes[p] | (bytes[p + 1] << 8), got = crc32(bytes, member, p) & 0xffff;
      if (want !== got) throw new InflateError(`gzip: header CRC 0x${want.toString(16)} does not match the header's 0x${got.toString(16)}`, p);
      p += 2;
    }
    const from = inf.len;
    p = inf.stream(p);
    if (p + 8 > size) throw new InflateError("gzip: truncated trailer", size);
    const want = (bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16) | (bytes[p + 3] << 24)) >>> 0;
    const got = crc32(inf.out, from, inf.len);
    if (want !== got) throw new InflateError(`gzip: CRC-32 0x${want.toString(16)} does not match the data's 0x${got.toString(16)}`, p);
    const n = (bytes[p + 4] | (bytes[p + 5] << 8) | (bytes[p + 6] << 16) | (bytes[p + 7] << 24)) >>> 0;
    if (n !== (inf.len - from) >>> 0) throw new InflateError(`gzip: ISIZE ${n} does not match the ${inf.len - from} bytes decoded`, p + 4);
    p += 8;
    if (p === size) break;
    if (bytes[p] !== 0x1f) {
      for (let i = p; i < size; i++) if (bytes[i] !== 0) throw new InflateError("gzip: trailing bytes after the last member", p);
      break;
    }
  }
  return inf.result();
}
