/**
 * The C dumper's output: bytes appended to one growing buffer and decoded once. The buffer
 * starts with a pool of the dumper's literals and a copy of the BTF string sections, so that
 * names, literals and remembered declarations are all appended by copyWithin: vmlinux's header
 * is 2.8 MB of ~1M pieces, and per-byte loops or per-piece JS strings would cost more than the
 * dump's logic (and far more while the engine still interprets the code, which is most of one
 * dump's run).
 * @module
 */
import type { BtfStrings } from "./strings.ts";

const g = globalThis as unknown as { TextDecoder: new (label: string) => { decode(b: Uint8Array): string } };

const poolText: string[] = [];
const litAt: number[] = [];
const litLen: number[] = [];
let poolLen = 0;

/** Registers an ASCII literal for {@link COut.w}, returning its id (call at module load). */
export function literal(text: string): number {
  litAt.push(poolLen);
  litLen.push(text.length);
  poolText.push(text);
  poolLen += text.length;
  return litAt.length - 1;
}

// A newline and 13 tabs: btf_dump's pfx() stops at 13.
const NL = literal("\n\t\t\t\t\t\t\t\t\t\t\t\t\t");
const DUP = literal("___");

/** A growing byte buffer of ASCII text and BTF names. */
export class COut {
  #buf: Uint8Array;
  #n: number;
  // Where string offset 0 lies in the buffer, the string sections' end, the output's start.
  readonly #base: number;
  readonly #strEnd: number;
  readonly #start: number;
  readonly #pool: number;
  readonly #last: BtfStrings;

  /** An empty output with room for `hint` bytes, naming from `sections` (a split BTF's base first). */
  constructor(sections: BtfStrings[], hint: number) {
    const pool = poolLen, last = sections[sections.length - 1];
    this.#pool = litAt.length;
    this.#last = last;
    this.#base = pool;
    this.#strEnd = last.end;
    this.#start = pool + last.end;
    this.#buf = new Uint8Array(this.#start + Math.max(hint, 4096));
    for (let i = 0, at = 0; i < poolText.length; i++) {
      const s = poolText[i];
      for (let j = 0; j < s.length; j++) this.#buf[at++] = s.charCodeAt(j);
    }
    // Split BTF's offsets continue its base's: the sections lie end to end.
    for (const s of sections) this.#buf.set(s.bytes, pool + s.start);
    this.#n = this.#start;
  }

  #grow(len: number): void {
    const bigger = new Uint8Array(Math.max(this.#buf.length * 2, this.#n + len));
    bigger.set(this.#buf.subarray(0, this.#n));
    this.#buf = bigger;
  }

  /** Appends a literal registered by {@link literal}. */
  w(lit: number): void {
    if (lit >= this.#pool) {
      this.s(poolText[lit]);
      return;
    }
    const len = litLen[lit];
    if (this.#n + len > this.#buf.length) this.#grow(len);
    const at = litAt[lit];
    this.#buf.copyWithin(this.#n, at, at + len);
    this.#n += len;
  }

  /** Appends ASCII text. */
  s(text: string): void {
    const len = text.length;
    if (this.#n + len > this.#buf.length) this.#grow(len);
    const b = this.#buf;
    let n = this.#n;
    for (let i = 0; i < len; i++) b[n++] = text.charCodeAt(i);
    this.#n = n;
  }

  /** Appends one ASCII character by code. */
  c(code: number): void {
    if (this.#n >= this.#buf.length) this.#grow(1);
    this.#buf[this.#n++] = code;
  }

  /** Appends a newline and `lvl` tabs (13 at most, as btf_dump's pfx). */
  nl(lvl: number): void {
    const len = (lvl < 13 ? lvl : 13) + 1, at = litAt[NL];
    if (this.#n + len > this.#buf.length) this.#grow(len);
    this.#buf.copyWithin(this.#n, at, at + len);
    this.#n += len;
  }

  /** Appends the decimal digits of an integer (either sign). */
  num(v: number): void {
    if (v >= 0 && v < 10) {
      this.c(48 + v);
      return;
    }
    this.s(String(v));
  }

  /**
   * Appends `___n` for n > 1 (btf_dump's suffix of a repeated name), nothing otherwise: through
   * the same calls either way, as the first repeated name comes late in a dump, and a path the
   * engine's optimized code has not seen by then makes it throw that code away.
   */
  dup(n: number): void {
    const suffixed = n > 1, digits = String(n);
    this.copy(litAt[DUP], suffixed ? 3 : 0);
    this.s(suffixed ? digits : "");
  }

  /** The number of bytes so far: where the next one goes. */
  get pos(): number {
    return this.#n;
  }

  // Where the name at `off` lies in the buffer, or -1 when `off` is out of range.
  #at(off: number): number {
    return off >= 0 && off < this.#strEnd ? this.#base + off : -1;
  }

  /** Byte length of the name at string offset `off` (a BtfError when out of range). */
  nameLen(off: number): number {
    const p = this.#at(off);
    if (p < 0) return this.#last.get(off).length;
    return this.#buf.indexOf(0, p) - p;
  }

  /** Appends the name at string offset `off`, as its UTF-8 bytes. */
  name(off: number): void {
    const p = this.#at(off);
    // Out of range: BtfStrings says so in its own words.
    if (p < 0) {
      this.s(this.#last.get(off));
      return;
    }
    const len = this.#buf.indexOf(0, p) - p;
    if (this.#n + len > this.#buf.length) this.#grow(len);
    this.#buf.copyWithin(this.#n, p, p + len);
    this.#n += len;
  }

  /** Whether the name at string offset `off` is "" (a nonzero offset may point at a NUL too). */
  emptyAt(off: number): boolean {
    const p = this.#at(off);
    return p < 0 ? this.#last.get(off) === "" : this.#buf[p] === 0;
  }

  /** A hash of the name at `off` from its length and a few of its bytes. */
  nameHash(off: number): number {
    const p = this.#at(off);
    if (p < 0) return this.#last.get(off).length;
    const b = this.#buf, len = b.indexOf(0, p) - p;
    if (len === 0) return 0;
    let h = Math.imul(len, 0x9e3779b1) ^ b[p] ^ (b[p + len - 1] << 8) ^ (b[p + (len >> 1)] << 16) ^ (b[p + (len >> 2)] << 24);
    if (len > 2) h = Math.imul(h ^ b[p + 1] ^ (b[p + len - 2] << 8) ^ (b[p + len - 3] << 16), 0x85ebca6b);
    return (h ^ (h >>> 15)) >>> 0;
  }

  /** Whether the names at offsets `a` and `b` are equal. */
  sameName(a: number, b: number): boolean {
    if (a === b) return true;
    const pa = this.#at(a), pb = this.#at(b), buf = this.#buf;
    if (pa < 0 || pb < 0) return this.#last.get(a) === this.#last.get(b);
    for (let i = 0; ; i++) {
      const x = buf[pa + i];
      if (x !== buf[pb + i]) return false;
      if (x === 0) return true;
    }
  }

  /** Appends a copy of `len` bytes already written at `from`. */
  copy(from: number, len: number): void {
    if (this.#n + len > this.#buf.length) this.#grow(len);
    this.#buf.copyWithin(this.#n, from, from + len);
    this.#n += len;
  }

  /**
   * Appends a remembered declaration around the name at `nameOff`: the `preLen` bytes at
   * `prePos`, a space if `sep`, the name, the `postLen` bytes at `postPos`. False, writing
   * nothing, when the name is "" or out of range (the caller takes the long way).
   */
  declCopy(prePos: number, preLen: number, sep: number, nameOff: number, postPos: number, postLen: number): boolean {
    const p = this.#at(nameOff);
    if (p < 0) return false;
    const len = this.#buf.indexOf(0, p) - p;
    if (len === 0) return false;
    const total = preLen + sep + len + postLen;
    if (this.#n + total > this.#buf.length) this.#grow(total);
    const b = this.#buf;
    let n = this.#n;
    b.copyWithin(n, prePos, prePos + preLen);
    n += preLen;
    if (sep) b[n++] = 32;
    b.copyWithin(n, p, p + len);
    n += len;
    b.copyWithin(n, postPos, postPos + postLen);
    this.#n = n + postLen;
    return true;
  }

  /**
   * A struct member's line from a remembered declaration (see {@link COut.declCopy}): a newline,
   * `lvl` tabs, the declaration around the name at `nameOff`, `;`. False, writing nothing, as
   * declCopy is.
   */
  memberLine(lvl: number, prePos: number, preLen: number, sep: number, nameOff: number, postPos: number, postLen: number): boolean {
    const p = this.#at(nameOff);
    if (p < 0) return false;
    const len = this.#buf.indexOf(0, p) - p;
    if (len === 0) return false;
    const tabs = lvl < 13 ? lvl : 13, total = tabs + 2 + preLen + sep + len + postLen;
    if (this.#n + total > this.#buf.length) this.#grow(total);
    const b = this.#buf, nl = litAt[NL];
    let n = this.#n;
    b.copyWithin(n, nl, nl + tabs + 1);
    n += tabs + 1;
    b.copyWithin(n, prePos, prePos + preLen);
    n += preLen;
    if (sep) b[n++] = 32;
    b.copyWithin(n, p, p + len);
    n += len;
    b.copyWithin(n, postPos, postPos + postLen);
    n += postLen;
    b[n++] = 59;
    this.#n = n;
    return true;
  }

  /** An enumerator's line: a newline, `lvl` tabs, the name at `nameOff` (with ___`dup` past 1), ` = `, `value`, `,`. */
  enumeratorLine(lvl: number, nameOff: number, dup: number, value: number): void {
    this.nl(lvl);
    this.name(nameOff);
    this.dup(dup);
    const digits = String(value), len = digits.length + 4;
    if (this.#n + len > this.#buf.length) this.#grow(len);
    const b = this.#buf;
    let n = this.#n;
    b[n++] = 32;
    b[n++] = 61;
    b[n++] = 32;
    for (let i = 0; i < digits.length; i++) b[n++] = digits.charCodeAt(i);
    b[n++] = 44;
    this.#n = n;
  }

  /** Everything appended, as one string. */
  text(): string {
    return new g.TextDecoder("utf-8").decode(this.#buf.subarray(this.#start, this.#n));
  }
}
