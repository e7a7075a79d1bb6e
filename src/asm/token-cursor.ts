/**
 * The assembler's token-level reading: registers of a class, integers (literals or llvm-mc's
 * expressions) in range, memory operands and size casts, each failing with an AsmError at the
 * token's line and column. The grammar of whole instructions is in assemble.ts.
 * @module
 */
import { BPF } from "../uapi/flags.gen.ts";
import { AsmError } from "./asm-error.ts";
import type { ExprReader } from "./expr.ts";
import { Kw, Lexer, Tok } from "./lexer.ts";

/** Size keyword -> BPF size bits. */
export const SIZE_BITS: Readonly<Record<number, number>> = {
  [Kw.u8]: BPF.B, [Kw.u16]: BPF.H, [Kw.u32]: BPF.W, [Kw.u64]: BPF.DW, [Kw.s8]: BPF.B, [Kw.s16]: BPF.H, [Kw.s32]: BPF.W,
};

/** A position in one statement's tokens, with the helpers that read operands there. */
export class TokenCursor {
  /** The lexer holding the current statement's tokens. */
  protected readonly lx: Lexer;
  /** The current token. */
  protected p = 0;
  /** Where expressions are read (and what the last one came to). */
  protected readonly expr: ExprReader;

  /** A cursor over the statements of `lx`, reading expressions with `expr`. */
  constructor(lx: Lexer, expr: ExprReader) {
    this.lx = lx;
    this.expr = expr;
  }

  /** Throws an AsmError at token `i`. */
  protected fail(i: number, message: string): never {
    const [line, column] = this.lx.position(this.lx.start[i]);
    throw new AsmError(line, column, message);
  }

  /** Throws "expected <what>, found <token>" at the current token. */
  protected expected(what: string): never {
    this.fail(this.p, `expected ${what}, found ${this.lx.text(this.p)}`);
  }

  /** The kind of the current token. */
  protected kind(): number {
    return this.lx.kind[this.p];
  }

  /** True when the current token is keyword `id`. */
  protected isKw(id: number): boolean {
    return this.lx.kind[this.p] === Tok.ident && this.lx.val[this.p] === id;
  }

  /** Steps over a token of `kind`, or fails saying `what` was expected. */
  protected eat(kind: number, what: string): void {
    if (this.lx.kind[this.p] !== kind) this.expected(what);
    this.p++;
  }

  /** Steps over keyword `id`, or fails. */
  protected eatKw(id: number): void {
    if (!this.isKw(id)) this.expected(`"${Lexer.keyword(id)}"`);
    this.p++;
  }

  /** Whether the last register read was a w register. */
  protected lastW = false;
  /** Reads a register of class `cls` ("r", "w" or "" for either) and returns its number. */
  protected reg(cls: "r" | "w" | ""): number {
    const lx = this.lx;
    const i = this.p;
    if (lx.kind[i] === Tok.badReg) this.fail(i, `${lx.text(i)} is not a BPF register (r0..r10, w0..w10)`);
    if (lx.kind[i] !== Tok.reg) this.expected(cls === "w" ? "a 32-bit register w0..w10" : cls === "r" ? "a register r0..r10" : "a register");
    const w = lx.flag[i] === 1;
    if (cls === "r" && w) this.fail(i, `expected a 64-bit register r0..r10 here, found ${lx.text(i)}`);
    if (cls === "w" && !w) this.fail(i, `expected a 32-bit register w0..w10 here, found ${lx.text(i)}`);
    this.lastW = w;
    this.p++;
    return lx.val[i];
  }

  /** The exact value of the last integer read when it is past 2^53 (then the double is not). */
  protected lastBig: bigint | undefined;

  /**
   * Reads an expression (`operand`: starting as an instruction operand must): its value when it is
   * a constant, undefined when it is relative to a label (then expr says which and how far).
   */
  protected expression(what: string, operand: boolean): number | undefined {
    const lx = this.lx;
    const i = this.p;
    const k = lx.kind[i];
    const j = k === Tok.minus || k === Tok.plus ? i + 1 : i;
    if (lx.kind[j] === Tok.num && !this.expr.continues(j + 1)) {
      // One number, as nearly every operand is: no BigInt unless it needs one.
      this.p = j + 1;
      if (lx.big[j] === undefined) {
        this.lastBig = undefined;
        return k === Tok.minus ? -lx.val[j] : lx.val[j];
      }
      return this.exact(this.expr.literal(j, i, k === Tok.minus));
    }
    this.p = this.expr.read(i, what, operand);
    return this.expr.place === undefined ? this.exact(this.expr.cst) : undefined;
  }

  /** Reads a constant expression (`operand`: starting as an instruction operand must). */
  protected integer(what: string, operand = true): number {
    const i = this.p;
    const v = this.expression(what, operand);
    if (v === undefined) this.fail(i, `${JSON.stringify(this.spell(i))} refers to a label (or to a symbol not defined above), not to a constant`);
    return v;
  }

  private exact(v: bigint): number {
    const n = Number(v);
    this.lastBig = Number.isSafeInteger(n) ? undefined : v;
    return n;
  }

  /** Reads a 32-bit immediate. */
  protected imm32(what: string): number {
    const i = this.p;
    return this.fit32(i, this.integer(what), what);
  }

  /** `v`, read from token `i` on, as a 32-bit immediate: llvm-mc keeps the low 32 bits of anything; here it must fit. */
  protected fit32(i: number, v: number, what: string): number {
    if (v < -2147483648 || v > 4294967295) this.fail(i, `${what} ${this.spell(i)} does not fit in 32 bits`);
    return v | 0;
  }

  /** The source text from token `i` to the last token read. */
  protected spell(i: number): string {
    return this.lx.src.slice(this.lx.start[i], this.lx.end[this.p - 1]);
  }

  /**
   * Reads "(" reg "+"|"-" offset ")" (without the parens for xchg/cmpxchg): returns the offset
   * and leaves the base register in memBase (no tuple: this runs once per memory instruction).
   */
  protected memRef(parens: boolean): number {
    if (parens) this.eat(Tok.lparen, "\"(\"");
    const base = this.reg("r");
    const k = this.kind();
    if (k !== Tok.plus && k !== Tok.minus) this.expected("\"+\" or \"-\" and an offset");
    const i = this.p;
    // As in llvm-mc, the sign must come straight before a number; an expression may follow it.
    if (this.lx.kind[i + 1] !== Tok.num) {
      this.p++;
      this.expected("an offset");
    }
    const off = this.integer("an offset");
    if (off < -32768 || off > 32767) this.fail(i, `offset ${this.spell(i)} does not fit in 16 signed bits`);
    if (parens) this.eat(Tok.rparen, "\")\"");
    this.memBase = base;
    return off;
  }
  /** The base register of the last memory operand read. */
  protected memBase = 0;

  /** Reads "(" size "*" ")" and returns the size keyword's id. */
  protected sizeCast(): number {
    this.eat(Tok.lparen, "\"(\"");
    const lx = this.lx;
    const id = lx.kind[this.p] === Tok.ident ? lx.val[this.p] : 0;
    if (SIZE_BITS[id] === undefined) this.expected("a size u8, u16, u32, u64, s8, s16 or s32");
    this.p++;
    this.eat(Tok.star, "\"*\"");
    this.eat(Tok.rparen, "\")\"");
    return id;
  }

  /** Fails unless the statement ends here. */
  protected endOfStatement(): void {
    if (this.kind() !== Tok.end) this.fail(this.p, `unexpected ${this.lx.text(this.p)} after the instruction`);
  }
}
