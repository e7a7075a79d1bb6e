/**
 * llvm-mc's expressions over the assembler's tokens: integers, `.set` symbols, labels and `.`,
 * parentheses, the prefix operators - + ~ ! and the binary operators of fold.ts. A value is a
 * constant or a label plus a constant; anything else llvm-mc leaves to a relocation (or crashes
 * on), so it is an error here. Integers are 64-bit, as llvm-mc reads them: 0xffffffffffffffff
 * is -1, but a minus sign before a number asks for that number negated, which must fit.
 * @module
 */
import { AsmError } from "./asm-error.ts";
import { BINARY_PRECEDENCE, foldBinary, foldUnary } from "./fold.ts";
import type { Labels } from "./labels.ts";
import { Kw, type Lexer, Tok } from "./lexer.ts";
import type { Symbols, Value } from "./symbols.ts";

const TWO_63 = 1n << 63n;
const TWO_64 = 1n << 64n;

/** Reads expressions out of the current statement of a lexer. */
export class ExprReader {
  /** Constant part of the last value read (the whole value when `place` is undefined). */
  cst = 0n;
  /** Label part of the last value read. */
  place: Value["place"] = undefined;
  /** Whether the last expression was one name alone, the only label llvm-mc takes as a jump's. */
  bare = false;
  /** The slot being assembled, which `.` stands for. */
  here = 0;

  private readonly lx: Lexer;
  private readonly symbols: Symbols;
  private readonly labels: Labels;
  private i = 0;

  /** A reader of `lx`'s tokens that looks names up in `symbols`, else in `labels`. */
  constructor(lx: Lexer, symbols: Symbols, labels: Labels) {
    this.lx = lx;
    this.symbols = symbols;
    this.labels = labels;
  }

  /** Whether an expression goes on at token `p`: a binary operator, or the b/f after a label's number. */
  continues(p: number): boolean {
    const lx = this.lx;
    return BINARY_PRECEDENCE[lx.kind[p]] !== 0 || this.direction(p) !== 0;
  }

  /**
   * Reads the expression at token `p`; returns the token after it. `operand`: it starts as llvm-mc's
   * BPF parser lets an instruction operand start (a number, a sign and a number, or a name);
   * otherwise, as in a directive, with anything an expression may start with.
   */
  read(p: number, what: string, operand: boolean): number {
    const lx = this.lx;
    const k = lx.kind[p];
    if (operand) {
      const sign = (k === Tok.plus || k === Tok.minus) && lx.kind[p + 1] === Tok.num;
      const name = k === Tok.ident && lx.val[p] === Kw.none && !this.isDot(p);
      if (!sign && !name && k !== Tok.num && k !== Tok.labelRef) this.expected(p, what);
    }
    this.i = p;
    let v = this.primary(what);
    const one = this.i;
    v = this.binary(1, v);
    this.bare = this.i === one && (one === p + 1 ? k === Tok.ident || k === Tok.labelRef : k === Tok.num && one === p + 2);
    this.cst = v.cst;
    this.place = v.place;
    return this.i;
  }

  /**
   * Number token `i` as a 64-bit value, negated when `neg` (the sign being token `from`): it must
   * fit in 64 bits, and a negated one in 64 signed bits.
   */
  literal(i: number, from: number, neg: boolean): bigint {
    const lx = this.lx;
    const big = lx.big[i];
    if (big === undefined) return BigInt(neg ? -lx.val[i] : lx.val[i]);
    if (big >= TWO_64 || (neg && big > TWO_63)) this.fail(from, `${lx.src.slice(lx.start[from], lx.end[i])} does not fit in 64 bits`);
    return BigInt.asIntN(64, neg ? -big : big);
  }

  // LLVM's parseBinOpRHS: operators of at least `min` precedence, left to right.
  private binary(min: number, lhs: Value): Value {
    const lx = this.lx;
    for (;;) {
      const op = this.i;
      const prec = BINARY_PRECEDENCE[lx.kind[op]];
      if (prec === 0 || prec < min) return lhs;
      this.i++;
      let rhs = this.primary(`an operand after ${lx.text(op)}`);
      if (prec < BINARY_PRECEDENCE[lx.kind[this.i]]) rhs = this.binary(prec + 1, rhs);
      lhs = this.combine(op, lhs, rhs);
    }
  }

  private combine(op: number, a: Value, b: Value): Value {
    const k = this.lx.kind[op];
    if (a.place === undefined && b.place === undefined) {
      const r = foldBinary(k, a.cst, b.cst);
      if (typeof r === "string") this.fail(op, r);
      return { cst: r, place: undefined };
    }
    // A label moves by a constant; llvm-mc computes nothing else from one without a relocation.
    if ((k === Tok.plus && (a.place === undefined || b.place === undefined)) || (k === Tok.minus && b.place === undefined)) {
      return { cst: foldBinary(k, a.cst, b.cst) as bigint, place: a.place ?? b.place };
    }
    this.fail(op, `${this.lx.text(op)} of a label: only label + constant and label - constant can be computed without a relocation`);
  }

  // LLVM's parsePrimaryExpr, for what BPF assembly can use.
  private primary(what: string): Value {
    const lx = this.lx;
    const i = this.i;
    const k = lx.kind[i];
    this.i++;
    switch (k) {
      case Tok.num: {
        const dir = this.direction(i + 1);
        if (dir === 0) return { cst: this.literal(i, i, false), place: undefined };
        this.i++; // "1 b": llvm-mc's numeric label reference, even with a space
        return { cst: 0n, place: this.labels.place(lx.val[i], dir) };
      }
      case Tok.labelRef:
        return { cst: 0n, place: this.labels.place(lx.val[i], lx.flag[i]) };
      case Tok.ident:
      case Tok.reg:
      case Tok.badReg: {
        // Inside an expression every name is a symbol's, even one spelled like a keyword or register.
        if (this.isDot(i)) return { cst: 0n, place: { name: undefined, which: this.here } };
        const name = lx.src.slice(lx.start[i], lx.end[i]);
        return this.symbols.use(name) ?? { cst: 0n, place: this.labels.place(name, 0) };
      }
      case Tok.lparen: {
        const v = this.binary(1, this.primary(what));
        if (lx.kind[this.i] !== Tok.rparen) this.expected(this.i, "\")\"");
        this.i++;
        return v;
      }
      case Tok.minus:
      case Tok.plus:
      case Tok.tilde:
      case Tok.bang: {
        if (k === Tok.minus && lx.kind[this.i] === Tok.num && this.direction(this.i + 1) === 0) {
          this.i++;
          return { cst: this.literal(i + 1, i, true), place: undefined };
        }
        const v = this.primary(what);
        if (v.place === undefined) return { cst: foldUnary(k, v.cst), place: undefined };
        if (k === Tok.plus) return v;
        this.fail(i, `${lx.text(i)} of a label: only label + constant and label - constant can be computed without a relocation`);
      }
    }
    this.expected(i, what);
  }

  // -1 / +1 when token p is the name b / f (after a number: a numeric label reference), else 0.
  private direction(p: number): number {
    const lx = this.lx;
    if (lx.kind[p] !== Tok.ident || lx.end[p] - lx.start[p] !== 1) return 0;
    const c = lx.src.charCodeAt(lx.start[p]);
    return c === 98 ? -1 : c === 102 ? 1 : 0;
  }

  private isDot(p: number): boolean {
    const lx = this.lx;
    return lx.end[p] - lx.start[p] === 1 && lx.src.charCodeAt(lx.start[p]) === 46;
  }

  private expected(p: number, what: string): never {
    this.fail(p, `expected ${what}, found ${this.lx.text(p)}`);
  }

  private fail(p: number, message: string): never {
    const [line, column] = this.lx.position(this.lx.start[p]);
    throw new AsmError(line, column, message);
  }
}
