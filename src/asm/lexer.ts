/**
 * The assembler's lexer: splits LLVM-syntax source into statements (a line, or part of one up to
 * `;`) and each statement into tokens kept in reused typed arrays, so that lexing allocates
 * nothing per instruction. Comments are `#` or `//` to the end of the line and C's block
 * comments. Keywords and registers are recognised here, case-insensitively as llvm-mc does for
 * the mnemonic, so the parser compares small integers rather than strings. Numbers may carry C's
 * integer suffixes (u, l, ll, ul, ull in any case), which llvm-mc skips.
 * @module
 */

/** Token kinds. Punctuation kinds are their own spelling's id. */
export const Tok = {
  end: 0,
  ident: 1, // val = keyword id (Kw.*), or 0 for a plain name
  num: 2, // val = the value (big values also in big[])
  reg: 3, // val = register number; w[] says r or w
  badReg: 4, // r11..r99 / w11..w99
  labelRef: 5, // 1b / 1f: val = label number, dir[] = -1 or +1
  lparen: 10, rparen: 11, lbrack: 12, rbrack: 13, comma: 14, colon: 15, star: 16, plus: 17, minus: 18, assign: 19,
  addEq: 20, subEq: 21, mulEq: 22, divEq: 23, orEq: 24, andEq: 25, shlEq: 26, shrEq: 27, modEq: 28, xorEq: 29,
  eqEq: 30, ne: 31, gt: 32, ge: 33, lt: 34, le: 35, amp: 36,
  // Operators that only expressions use.
  slash: 37, percent: 38, caret: 39, pipe: 40, tilde: 41, bang: 42, shl: 43, shr: 44, andAnd: 45, orOr: 46, ltGt: 47,
} as const;

/** Keyword ids (values of an ident token's val). */
export const Kw = {
  none: 0, if: 1, goto: 2, gotol: 3, may_goto: 4, call: 5, callx: 6, exit: 7, lock: 8, ld_pseudo: 9, store_release: 10,
  load_acquire: 11, ll: 12, skb: 13, u8: 14, u16: 15, u32: 16, u64: 17, s8: 18, s16: 19, s32: 20, s: 21,
  le16: 22, le32: 23, le64: 24, be16: 25, be32: 26, be64: 27, bswap16: 28, bswap32: 29, bswap64: 30,
  addr_space_cast: 31, atomic_fetch_add: 32, atomic_fetch_or: 33, atomic_fetch_and: 34, atomic_fetch_xor: 35,
  xchg_64: 36, xchg32_32: 37, cmpxchg_64: 38, cmpxchg32_32: 39,
} as const;

const KW_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [k, v] of Object.entries(Kw)) if (v !== 0) names[v] = k;
  return names;
})();

// Keywords by length and first letter: an identifier is compared with the few keywords that
// share both, with one startsWith() each (cheap even before the JIT has optimised the lexer).
const KW_BUCKETS: (number[] | undefined)[] = (() => {
  const t: (number[] | undefined)[] = [];
  for (let id = 1; id < KW_NAMES.length; id++) {
    const name = KW_NAMES[id];
    const key = name.length * 128 + name.charCodeAt(0);
    (t[key] ??= []).push(id);
  }
  return t;
})();

// Character classes of ASCII: 1 starts an identifier, 2 continues one (digits), 4 is a digit.
const CLASS: Uint8Array = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 46 || c === 36) t[c] = 3;
    else if (c >= 48 && c <= 57) t[c] = 6;
  }
  return t;
})();
const isIdentChar = (c: number): boolean => c < 128 && (CLASS[c] & 2) !== 0;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** A lexing error at a position; the assembler turns it into an AsmError. */
export class LexError extends Error {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** The problem at line:column. */
  constructor(line: number, column: number, message: string) {
    super(message);
    this.line = line;
    this.column = column;
  }
}

/** Statement-at-a-time lexer over one source string. */
export class Lexer {
  /** The source text. */
  readonly src: string;
  /** Number of tokens of the current statement, the last being Tok.end. */
  count = 0;
  /** Token kinds. */
  kind: Uint8Array = new Uint8Array(64);
  /** Token start offsets into src. */
  start: Int32Array = new Int32Array(64);
  /** Token end offsets into src. */
  end: Int32Array = new Int32Array(64);
  /** Numeric value: keyword id, number, register number. */
  val: Float64Array = new Float64Array(64);
  /** 1 for a w register; the direction (-1 back, +1 forward) of a numeric label reference. */
  flag: Int8Array = new Int8Array(64);
  /** Exact value of a number token past 2^53. */
  big: (bigint | undefined)[] = [];

  private pos = 0;

  /** A lexer at the start of `src`. */
  constructor(src: string) {
    this.src = src;
  }

  private grow(): void {
    const n = this.kind.length * 2;
    const g = <T extends Uint8Array | Int32Array | Float64Array | Int8Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.kind = g(this.kind, new Uint8Array(n));
    this.start = g(this.start, new Int32Array(n));
    this.end = g(this.end, new Int32Array(n));
    this.val = g(this.val, new Float64Array(n));
    this.flag = g(this.flag, new Int8Array(n));
  }

  private push(kind: number, start: number, end: number, val: number, flag: number): void {
    const i = this.count;
    if (i === this.kind.length) this.grow();
    this.kind[i] = kind;
    this.start[i] = start;
    this.end[i] = end;
    this.val[i] = val;
    this.flag[i] = flag;
    this.big[i] = undefined;
    this.count = i + 1;
  }

  private error(at: number, message: string): never {
    const [line, column] = this.position(at);
    throw new LexError(line, column, message);
  }

  /**
   * [line, column] (1-based) of source offset `at`. Computed on demand - it is only needed for
   * an error message - so that lexing does not store a position per token.
   */
  position(at: number): [number, number] {
    const s = this.src;
    let line = 1;
    let start = 0;
    for (let k = s.indexOf("\n"); k >= 0 && k < at; k = s.indexOf("\n", k + 1)) {
      line++;
      start = k + 1;
    }
    return [line, at - start + 1];
  }

  /** The source text of token `i`. */
  text(i: number): string {
    return this.kind[i] === Tok.end ? "the end of the statement" : JSON.stringify(this.src.slice(this.start[i], this.end[i]));
  }

  /** The name of keyword `id`. */
  static keyword(id: number): string {
    return KW_NAMES[id] ?? "";
  }

  /**
   * Lexes the next statement into the token arrays; false at the end of the source. A statement
   * may be empty (a blank or comment-only line): then count is 1 (just the end token).
   */
  next(): boolean {
    const s = this.src;
    const n = s.length;
    let p = this.pos;
    if (p > n) return false;
    this.count = 0;
    for (;;) {
      if (p >= n) {
        this.push(Tok.end, p, p, 0, 0);
        this.pos = n + 1;
        return true;
      }
      const c = s.charCodeAt(p);
      if (c === 32) {
        p++;
        continue;
      }
      const cls = c < 128 ? CLASS[c] : 0;
      if ((cls & 1) !== 0) {
        p = this.ident(p);
        continue;
      }
      if ((cls & 4) !== 0) {
        p = this.number(p);
        continue;
      }
      if (c === 10 || c === 59) { // newline or ';' ends the statement
        this.push(Tok.end, p, p, 0, 0);
        this.pos = p + 1;
        return true;
      }
      if (c === 9 || c === 13 || c === 11 || c === 12) {
        p++;
        continue;
      }
      if (c === 35 || (c === 47 && s.charCodeAt(p + 1) === 47)) { // # or // comment
        while (p < n && s.charCodeAt(p) !== 10) p++;
        continue;
      }
      if (c === 47 && s.charCodeAt(p + 1) === 42) { // /* comment */
        const close = s.indexOf("*/", p + 2);
        if (close < 0) this.error(p, "unterminated /* comment");
        p = close + 2;
        continue;
      }
      if (c === 39) { // 'c'
        p = this.char(p);
        continue;
      }
      p = this.punct(p, c);
    }
  }

  private ident(p: number): number {
    const s = this.src;
    const start = p;
    const n = s.length;
    for (p++; p < n; p++) {
      const c = s.charCodeAt(p);
      if (c >= 128 || (CLASS[c] & 2) === 0) break;
    }
    const len = p - start;
    const c0 = s.charCodeAt(start) | 32;
    const d1 = s.charCodeAt(start + 1) - 48;
    if ((c0 === 114 || c0 === 119) && d1 >= 0 && d1 <= 9 && len <= 3) {
      const d2 = len === 3 ? s.charCodeAt(start + 2) - 48 : 0;
      if (len === 2 || (d2 >= 0 && d2 <= 9)) {
        const num = len === 2 ? d1 : d1 * 10 + d2;
        this.push(num <= 10 ? Tok.reg : Tok.badReg, start, p, num, c0 === 119 ? 1 : 0);
        return p;
      }
    }
    let id = 0;
    const bucket = len < 32 ? KW_BUCKETS[len * 128 + c0] : undefined;
    if (bucket !== undefined) {
      for (let k = 0; k < bucket.length; k++) {
        if (s.startsWith(KW_NAMES[bucket[k]], start)) {
          id = bucket[k];
          break;
        }
      }
      if (id === 0) { // keywords in any case, as llvm-mc takes mnemonics
        const lower = s.slice(start, p).toLowerCase();
        for (let k = 0; k < bucket.length; k++) if (KW_NAMES[bucket[k]] === lower) id = bucket[k];
      }
    }
    this.push(Tok.ident, start, p, id, 0);
    return p;
  }

  private number(p: number): number {
    const s = this.src;
    const start = p;
    let radix = 10;
    let q = p;
    if (s.charCodeAt(p) === 48) {
      const x = s.charCodeAt(p + 1) | 32;
      if (x === 120) { // 0x
        radix = 16;
        q = p + 2;
      } else if (x === 98 && (s.charCodeAt(p + 2) === 48 || s.charCodeAt(p + 2) === 49)) { // 0b1...
        radix = 2;
        q = p + 2;
      } else if (isDigit(s.charCodeAt(p + 1))) {
        radix = 8;
        q = p + 1;
      }
    }
    let v = 0;
    let digits = 0;
    for (;; q++) {
      const c = s.charCodeAt(q);
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (radix === 16 && (c | 32) >= 97 && (c | 32) <= 102) d = (c | 32) - 87;
      else break;
      if (d >= radix) this.error(q, `digit ${s[q]} is not valid in a base-${radix} number`);
      v = v * radix + d;
      digits++;
    }
    if (digits === 0 && radix !== 8) this.error(start, `${s.slice(start, q)} has no digits`);
    const digitsEnd = q;
    // C's integer suffixes, which llvm-mc skips in any base and case: u, l, ll, ul, ull.
    if ((s.charCodeAt(q) | 32) === 117) q++;
    if ((s.charCodeAt(q) | 32) === 108) q++;
    if ((s.charCodeAt(q) | 32) === 108) q++;
    // "1b" / "1f": a reference to the nearest numeric label 1 before / after (llvm-mc reads a
    // number followed by the name b or f, so any base and a suffix work too).
    const tail = s.charCodeAt(q);
    if ((tail === 98 || tail === 102) && !isIdentChar(s.charCodeAt(q + 1))) {
      this.push(Tok.labelRef, start, q + 1, v, tail === 98 ? -1 : 1);
      return q + 1;
    }
    if (isIdentChar(tail)) this.error(q, `unexpected ${JSON.stringify(s[q])} after the number ${s.slice(start, q)}`);
    this.push(Tok.num, start, q, v, 0);
    if (v > Number.MAX_SAFE_INTEGER) {
      const prefix = radix === 16 ? "0x" : radix === 8 ? "0o" : radix === 2 ? "0b" : "";
      this.big[this.count - 1] = BigInt(prefix + s.slice(radix === 10 ? start : radix === 8 ? start + 1 : start + 2, digitsEnd));
    }
    return q;
  }

  private char(p: number): number {
    const s = this.src;
    let q = p + 1;
    let v = s.charCodeAt(q);
    if (v === 92) { // backslash escape
      const e = s[q + 1];
      const esc: Record<string, number> = { n: 10, t: 9, r: 13, "0": 0, "\\": 92, "'": 39, '"': 34 };
      if (e === undefined || !(e in esc)) this.error(q, `unknown escape \\${e ?? ""} in a character literal`);
      v = esc[e];
      q += 2;
    } else {
      q += 1;
    }
    if (Number.isNaN(v) || s.charCodeAt(q) !== 39) this.error(p, "a character literal is one character between single quotes");
    this.push(Tok.num, p, q + 1, v, 0);
    return q + 1;
  }

  private punct(p: number, c: number): number {
    const s = this.src;
    const c1 = s.charCodeAt(p + 1);
    const c2 = s.charCodeAt(p + 2);
    let kind: number;
    let len = 1;
    switch (c) {
      case 40: kind = Tok.lparen; break;
      case 41: kind = Tok.rparen; break;
      case 91: kind = Tok.lbrack; break;
      case 93: kind = Tok.rbrack; break;
      case 44: kind = Tok.comma; break;
      case 58: kind = Tok.colon; break;
      case 43: if (c1 === 61) { kind = Tok.addEq; len = 2; } else kind = Tok.plus; break;
      case 45: if (c1 === 61) { kind = Tok.subEq; len = 2; } else kind = Tok.minus; break;
      case 42: if (c1 === 61) { kind = Tok.mulEq; len = 2; } else kind = Tok.star; break;
      case 47: if (c1 === 61) { kind = Tok.divEq; len = 2; } else kind = Tok.slash; break;
      case 37: if (c1 === 61) { kind = Tok.modEq; len = 2; } else kind = Tok.percent; break;
      case 94: if (c1 === 61) { kind = Tok.xorEq; len = 2; } else kind = Tok.caret; break;
      case 124: // |= || |
        len = c1 === 61 || c1 === 124 ? 2 : 1;
        kind = c1 === 61 ? Tok.orEq : c1 === 124 ? Tok.orOr : Tok.pipe;
        break;
      case 38: // &= && &
        len = c1 === 61 || c1 === 38 ? 2 : 1;
        kind = c1 === 61 ? Tok.andEq : c1 === 38 ? Tok.andAnd : Tok.amp;
        break;
      case 61: if (c1 === 61) { kind = Tok.eqEq; len = 2; } else kind = Tok.assign; break;
      case 33: if (c1 === 61) { kind = Tok.ne; len = 2; } else kind = Tok.bang; break;
      case 126: kind = Tok.tilde; break;
      case 60: // <<= << <= <> <
        len = c1 === 60 ? (c2 === 61 ? 3 : 2) : c1 === 61 || c1 === 62 ? 2 : 1;
        kind = len === 3 ? Tok.shlEq : c1 === 60 ? Tok.shl : c1 === 61 ? Tok.le : c1 === 62 ? Tok.ltGt : Tok.lt;
        break;
      case 62: // >>= >> >= >
        len = c1 === 62 ? (c2 === 61 ? 3 : 2) : c1 === 61 ? 2 : 1;
        kind = len === 3 ? Tok.shrEq : c1 === 62 ? Tok.shr : c1 === 61 ? Tok.ge : Tok.gt;
        break;
      default:
        return this.error(p, `unexpected character ${JSON.stringify(s[p])}`);
    }
    this.push(kind, p, p + len, 0, 0);
    return p + len;
  }
}
