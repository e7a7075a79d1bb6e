/**
 * The operators of llvm-mc's expressions and how it folds them: GNU precedence, 64-bit two's
 * complement arithmetic, comparisons that give -1 for true, a logical `>>`. Where llvm-mc's
 * result is not defined (a shift by 64 or more, INT64_MIN / -1) or it refuses (division by
 * zero), the fold gives a message instead of a value.
 * @module
 */
import { Tok } from "./lexer.ts";

/** Precedence of each binary operator token, by token kind (1 binds loosest; 0: not one). */
export const BINARY_PRECEDENCE: Readonly<Uint8Array> = (() => {
  const t = new Uint8Array(256);
  t[Tok.orOr] = 1;
  t[Tok.andAnd] = 2;
  for (const k of [Tok.eqEq, Tok.ne, Tok.ltGt, Tok.lt, Tok.le, Tok.gt, Tok.ge]) t[k] = 3;
  t[Tok.plus] = t[Tok.minus] = 4;
  for (const k of [Tok.pipe, Tok.bang, Tok.caret, Tok.amp]) t[k] = 5;
  for (const k of [Tok.star, Tok.slash, Tok.percent, Tok.shl, Tok.shr]) t[k] = 6;
  return t;
})();

const MIN = -(1n << 63n);
const wrap = (v: bigint): bigint => BigInt.asIntN(64, v);
const truth = (b: boolean): bigint => (b ? -1n : 0n);

/** `a op b` for binary operator token `kind`, as llvm-mc folds it; a message where it does not. */
export function foldBinary(kind: number, a: bigint, b: bigint): bigint | string {
  switch (kind) {
    case Tok.plus: return wrap(a + b);
    case Tok.minus: return wrap(a - b);
    case Tok.star: return wrap(a * b);
    case Tok.slash:
    case Tok.percent:
      if (b === 0n) return "division by zero";
      if (a === MIN && b === -1n) return "INT64_MIN divided by -1 overflows (llvm-mc crashes on it)";
      return kind === Tok.slash ? a / b : a % b; // both truncate toward zero, as C++ does
    case Tok.shl:
    case Tok.shr:
      if (b < 0n || b > 63n) return `shift count ${b} is not 0..63 (what llvm-mc makes of it depends on the host CPU)`;
      return kind === Tok.shl ? wrap(a << b) : wrap(BigInt.asUintN(64, a) >> b);
    case Tok.amp: return a & b;
    case Tok.pipe: return a | b;
    case Tok.caret: return a ^ b;
    case Tok.bang: return a | ~b; // GNU as's "or not"
    case Tok.eqEq: return truth(a === b);
    case Tok.ne:
    case Tok.ltGt: return truth(a !== b);
    case Tok.lt: return truth(a < b);
    case Tok.le: return truth(a <= b);
    case Tok.gt: return truth(a > b);
    case Tok.ge: return truth(a >= b);
    case Tok.andAnd: return a !== 0n && b !== 0n ? 1n : 0n;
    case Tok.orOr: return a !== 0n || b !== 0n ? 1n : 0n;
  }
  return `token kind ${kind} is not a binary operator`;
}

/** `op v` for prefix operator token `kind` (- + ~ !), as llvm-mc folds it. */
export function foldUnary(kind: number, v: bigint): bigint {
  if (kind === Tok.minus) return wrap(-v);
  if (kind === Tok.tilde) return ~v;
  if (kind === Tok.bang) return v === 0n ? 1n : 0n;
  return v;
}
