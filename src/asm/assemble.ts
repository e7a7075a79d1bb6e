/**
 * The assembler: LLVM's BPF syntax (what llvm-objdump prints and llvm-mc reads) to bytes,
 * byte-exact with `llvm-mc -triple bpfel|bpfeb -mcpu=v4`. Labels (`name:`, numeric `1:` with
 * `1b`/`1f`) work for jumps, gotol, may_goto and bpf-to-bpf calls; numbers may be llvm-mc's
 * expressions, with `.set`/`.equ`/`.equiv` symbols and C's integer suffixes. Where llvm-mc
 * silently truncates a value that does not fit its field, or makes bytes the text does not say
 * (or crashes), this is an error naming line and column.
 * @module
 */
import { AtomicOp, BPF, Pseudo } from "../uapi/flags.gen.ts";
import { AsmError } from "./asm-error.ts";
import { writeSlot } from "./encode.ts";
import { ExprReader } from "./expr.ts";
import { FixField, LabelError, Labels } from "./labels.ts";
import { Kw, Lexer, LexError, Tok } from "./lexer.ts";
import { type Endian, isLittle } from "./slot.ts";
import { Symbols } from "./symbols.ts";
import { SIZE_BITS, TokenCursor } from "./token-cursor.ts";

export { AsmError } from "./asm-error.ts";

/** Options of assemble(). */
export interface AssembleOptions {
  /** Byte order of the output (default "little", as llvm-mc -triple bpfel). */
  readonly endian?: Endian;
}

// Compound assignment token -> ALU op bits.
const ALU_TOK: Readonly<Record<number, number>> = {
  [Tok.addEq]: BPF.ADD, [Tok.subEq]: BPF.SUB, [Tok.mulEq]: BPF.MUL, [Tok.divEq]: BPF.DIV, [Tok.orEq]: BPF.OR,
  [Tok.andEq]: BPF.AND, [Tok.shlEq]: BPF.LSH, [Tok.shrEq]: BPF.RSH, [Tok.modEq]: BPF.MOD, [Tok.xorEq]: BPF.XOR,
};

// Comparison token -> jump op bits (unsigned spelling; "s" before it selects the signed one).
const JMP_TOK: Readonly<Record<number, number>> = {
  [Tok.eqEq]: BPF.JEQ, [Tok.ne]: BPF.JNE, [Tok.gt]: BPF.JGT, [Tok.ge]: BPF.JGE, [Tok.lt]: BPF.JLT, [Tok.le]: BPF.JLE, [Tok.amp]: BPF.JSET,
};
const SIGNED_JMP: Readonly<Record<number, number>> = {
  [Tok.gt]: BPF.JSGT, [Tok.ge]: BPF.JSGE, [Tok.lt]: BPF.JSLT, [Tok.le]: BPF.JSLE,
};

const ATOMIC_TOK: Readonly<Record<number, number>> = {
  [Tok.addEq]: BPF.ADD, [Tok.orEq]: BPF.OR, [Tok.andEq]: BPF.AND, [Tok.xorEq]: BPF.XOR,
};
const FETCH_KW: Readonly<Record<number, number>> = {
  [Kw.atomic_fetch_add]: BPF.ADD, [Kw.atomic_fetch_or]: BPF.OR, [Kw.atomic_fetch_and]: BPF.AND, [Kw.atomic_fetch_xor]: BPF.XOR,
};
const SWAP_KW: Readonly<Record<number, readonly [number, number]>> = {
  [Kw.le16]: [BPF.ALU | BPF.END | BPF.TO_LE, 16], [Kw.le32]: [BPF.ALU | BPF.END | BPF.TO_LE, 32], [Kw.le64]: [BPF.ALU | BPF.END | BPF.TO_LE, 64],
  [Kw.be16]: [BPF.ALU | BPF.END | BPF.TO_BE, 16], [Kw.be32]: [BPF.ALU | BPF.END | BPF.TO_BE, 32], [Kw.be64]: [BPF.ALU | BPF.END | BPF.TO_BE, 64],
  [Kw.bswap16]: [BPF.ALU64 | BPF.END, 16], [Kw.bswap32]: [BPF.ALU64 | BPF.END, 32], [Kw.bswap64]: [BPF.ALU64 | BPF.END, 64],
};

const IGNORED_DIRECTIVES = new Set([".text", ".globl", ".global", ".type", ".size", ".file", ".p2align", ".align", ".section", ".local", ".weak", ".hidden"]);

/**
 * Assembles LLVM-syntax BPF source to bytes, 8 per slot, byte-exact with `llvm-mc -triple bpfel`;
 * an AsmError (line, column) on bad input.
 *
 * @example
 * ```ts
 * import { assemble } from "tsbpf";
 * const bytes = assemble("r0 = 0\nif r1 == 0 goto out\nr0 = *(u32 *)(r1 + 16)\nout:\nexit");
 * bytes.length; // 32: four 8-byte instructions
 * ```
 */
export function assemble(source: string, opts: AssembleOptions = {}): Uint8Array {
  if (typeof source !== "string") throw new TypeError(`source must be a string, got ${typeof source}`);
  return new Assembler(source, isLittle(opts.endian), undefined).run();
}

/**
 * assemble() that also accepts map symbols (`r1 = my_map ll`): each becomes a BPF_PSEUDO_MAP_FD
 * load of fd 0, listed as [slot, symbol] for the caller to relocate (ProgramBuilder.asm()).
 */
export function assembleWithSymbols(source: string): { bytes: Uint8Array; symbols: [number, string][] } {
  if (typeof source !== "string") throw new TypeError(`source must be a string, got ${typeof source}`);
  const symbols: [number, string][] = [];
  return { bytes: new Assembler(source, true, symbols).run(), symbols };
}

class Assembler extends TokenCursor {
  private readonly little: boolean;
  private out: Uint8Array;
  private n = 0; // slots written
  private readonly labels: Labels;
  private readonly setSymbols: Symbols;

  private readonly symbols: [number, string][] | undefined;

  constructor(source: string, little: boolean, symbols: [number, string][] | undefined) {
    const lx = new Lexer(source);
    const labels = new Labels();
    const setSymbols = new Symbols();
    super(lx, new ExprReader(lx, setSymbols, labels));
    this.labels = labels;
    this.setSymbols = setSymbols;
    this.little = little;
    this.symbols = symbols;
    this.out = new Uint8Array(Math.max(64, (source.length >> 1) & ~7));
  }

  run(): Uint8Array {
    const lx = this.lx;
    try {
      while (lx.next()) this.statement();
    } catch (e) {
      if (e instanceof LexError) throw new AsmError(e.line, e.column, e.message);
      throw e;
    }
    try {
      this.labels.resolve(this.out, this.little);
    } catch (e) {
      if (!(e instanceof LabelError)) throw e;
      const [line, column] = lx.position(e.at);
      throw new AsmError(line, column, e.message);
    }
    return this.out.slice(0, this.n * 8);
  }

  // --- output -------------------------------------------------------------------------------

  private emit(code: number, dst: number, src: number, off: number, imm: number): void {
    const at = this.n * 8;
    if (at + 8 > this.out.length) {
      const bigger = new Uint8Array(this.out.length * 2);
      bigger.set(this.out);
      this.out = bigger;
    }
    writeSlot(this.out, at, code, dst, src, off, imm, this.little);
    this.n++;
  }

  // --- labels --------------------------------------------------------------------------------

  private defineLabel(i: number): void {
    const lx = this.lx;
    const name = lx.kind[i] === Tok.num ? lx.val[i] : lx.src.slice(lx.start[i], lx.end[i]);
    // llvm-mc lets a label take over a .set symbol's name; the uses before and after then mean different things.
    if (typeof name === "string" && this.setSymbols.has(name)) this.fail(i, `label "${name}" has the name of a .set symbol`);
    if (!this.labels.define(name, this.n)) this.fail(i, `label "${name}" is already defined`);
  }

  // A jump or call operand at the current token: a label, recorded to be patched into the slot
  // about to be emitted (returns undefined), or a constant (returned). llvm-mc takes a label
  // plus or minus a constant only in a call (`anyPlace`), where it counts in bytes.
  private jumpOperand(field: FixField, what: string, anyPlace: boolean): number | undefined {
    const lx = this.lx;
    const i = this.p;
    const k = lx.kind[i];
    if ((k === Tok.ident || k === Tok.labelRef) && !this.expr.continues(i + 1)) {
      const name = k === Tok.ident ? lx.src.slice(lx.start[i], lx.end[i]) : lx.val[i];
      if (typeof name === "number" || (!this.setSymbols.has(name) && name !== ".")) {
        this.labels.refer(this.n, field, name, lx.flag[i], lx.start[i]);
        this.p++;
        return undefined;
      }
    }
    const v = this.expression(`${what} or a label`, true);
    const { place, cst } = this.expr;
    if (v !== undefined || place === undefined) return v;
    if (!anyPlace && !this.expr.bare) {
      this.fail(i, `${this.spell(i)} is a label plus or minus something: llvm-mc takes a label alone or a constant as a jump's target`);
    }
    // llvm-mc's fixup: (target + cst - this slot's address - 8) / 8, rounded down.
    this.labels.referPlace(this.n, field, place, Number(cst >> 3n), lx.start[i]);
    return undefined;
  }

  // A jump target: the offset it gives (0 for a label, patched later).
  private target(field: FixField, what: string): number {
    const i = this.p;
    const v = this.jumpOperand(field, what, false);
    if (v === undefined) return 0;
    const bits = field === FixField.off16 ? 16 : 32;
    if (v < -(2 ** (bits - 1)) || v >= 2 ** (bits - 1)) this.fail(i, `${what} ${this.spell(i)} does not fit in ${bits} signed bits`);
    return v;
  }

  // --- statements ----------------------------------------------------------------------------

  private statement(): void {
    const lx = this.lx;
    this.p = 0;
    this.expr.here = this.n;
    // Leading labels: "name:" or "1:".
    while ((lx.kind[this.p] === Tok.ident || lx.kind[this.p] === Tok.num) && lx.kind[this.p + 1] === Tok.colon) {
      this.defineLabel(this.p);
      this.p += 2;
    }
    const k = lx.kind[this.p];
    if (k === Tok.end) return;
    if (k === Tok.reg) return this.regStatement();
    if (k === Tok.star) return this.store();
    if (k === Tok.badReg) this.fail(this.p, `${lx.text(this.p)} is not a BPF register (r0..r10, w0..w10)`);
    if (k !== Tok.ident) this.fail(this.p, `expected an instruction, found ${lx.text(this.p)}`);
    if (lx.src.charCodeAt(lx.start[this.p]) === 46) return this.directive();
    const kw = lx.val[this.p];
    this.p++;
    switch (kw) {
      case Kw.if: return this.condJump();
      case Kw.goto: {
        const off = this.target(FixField.off16, "jump offset");
        this.endOfStatement();
        return this.emit(BPF.JMP | BPF.JA, 0, 0, off, 0);
      }
      case Kw.gotol: {
        const off = this.target(FixField.imm32, "jump offset");
        this.endOfStatement();
        return this.emit(BPF.JMP32 | BPF.JA, 0, 0, 0, off);
      }
      case Kw.may_goto: {
        const off = this.target(FixField.off16, "jump offset");
        this.endOfStatement();
        return this.emit(BPF.JMP | BPF.JCOND, 0, 0, off, 0);
      }
      case Kw.call: return this.call();
      case Kw.callx: {
        const r = this.reg("r");
        this.endOfStatement();
        return this.emit(BPF.JMP | BPF.CALL | BPF.X, r, 0, 0, 0);
      }
      case Kw.exit:
        this.endOfStatement();
        return this.emit(BPF.JMP | BPF.EXIT, 0, 0, 0, 0);
      case Kw.lock: return this.lock();
      case Kw.ld_pseudo: return this.ldPseudo();
      case Kw.store_release: return this.storeRelease();
    }
    this.fail(this.p - 1, `unknown instruction ${lx.text(this.p - 1)}`);
  }

  private directive(): void {
    const lx = this.lx;
    const name = lx.src.slice(lx.start[this.p], lx.end[this.p]).toLowerCase();
    if (name === ".quad" || name === ".8byte") {
      // Raw instruction data, as kernel selftests write instructions LLVM cannot spell.
      this.p++;
      for (;;) {
        const v = this.integer("a 64-bit value", false);
        const u = BigInt.asUintN(64, this.lastBig ?? BigInt(v));
        const at = this.n * 8;
        this.emit(0, 0, 0, 0, 0);
        for (let b = 0; b < 8; b++) {
          this.out[at + (this.little ? b : 7 - b)] = Number((u >> BigInt(8 * b)) & 0xffn);
        }
        if (this.kind() !== Tok.comma) break;
        this.p++;
      }
      return this.endOfStatement();
    }
    if (name === ".set" || name === ".equ" || name === ".equiv") return this.assign(name === ".equiv");
    if (IGNORED_DIRECTIVES.has(name)) {
      if (name === ".section") {
        const rest = lx.src.slice(lx.end[this.p], lx.start[lx.count - 1]).trim();
        if (!rest.startsWith(".text")) this.fail(this.p, `only the .text section is supported, not ${JSON.stringify(rest)}`);
      }
      return;
    }
    this.fail(this.p, `unsupported directive ${lx.text(this.p)}`);
  }

  // ".set name, expr" (also .equ, and .equiv when `once`): llvm-mc's rules for who may redefine what.
  private assign(once: boolean): void {
    const lx = this.lx;
    const i = ++this.p;
    const k = lx.kind[i];
    const name = lx.src.slice(lx.start[i], lx.end[i]);
    if ((k !== Tok.ident && k !== Tok.reg && k !== Tok.badReg) || name === ".") this.expected("a symbol name");
    this.p++;
    this.eat(Tok.comma, "\",\"");
    const e = this.p;
    this.p = this.expr.read(e, "an expression", false);
    this.endOfStatement();
    const value = { cst: this.expr.cst, place: this.expr.place };
    if (value.place?.name === name) this.fail(e, `recursive use of "${name}"`);
    if (this.labels.has(name)) this.fail(i, `redefinition of "${name}", a label`);
    // llvm-mc resolves a use before the definition only at the end (or crashes); here a name
    // used before it is defined is a label or a map, so defining it later is an error.
    if (this.labels.firstUse(name) >= 0 || this.setSymbols.refersTo(name) || this.symbols?.some((s) => s[1] === name)) {
      this.fail(i, `"${name}" is used above as a label or a map; define a symbol before its first use`);
    }
    const why = this.setSymbols.assign(name, value, once);
    if (why !== undefined) this.fail(i, why);
  }

  private call(): void {
    const i = this.p;
    // A call to a label is a bpf-to-bpf call: src = BPF_PSEUDO_CALL, imm relative.
    const v = this.jumpOperand(FixField.imm32, "a helper id", true);
    if (v === undefined) {
      this.endOfStatement();
      return this.emit(BPF.JMP | BPF.CALL, 0, Pseudo.call, 0, 0);
    }
    const imm = this.fit32(i, v, "helper id");
    this.endOfStatement();
    this.emit(BPF.JMP | BPF.CALL, 0, 0, 0, imm);
  }

  private condJump(): void {
    const lx = this.lx;
    const dst = this.reg("");
    const w = this.lastW;
    let op: number | undefined;
    const opTok = this.p;
    if (this.isKw(Kw.s)) {
      this.p++;
      op = SIGNED_JMP[this.kind()];
    } else {
      op = JMP_TOK[this.kind()];
    }
    if (op === undefined) this.fail(opTok, `expected a comparison (==, !=, >, >=, <, <=, &, s>, s>=, s<, s<=), found ${lx.text(this.p)}`);
    this.p++;
    const cls = w ? BPF.JMP32 : BPF.JMP;
    let src = 0;
    let imm = 0;
    let x = 0;
    if (this.kind() === Tok.reg || this.kind() === Tok.badReg) {
      src = this.reg(w ? "w" : "r");
      x = BPF.X;
    } else {
      imm = this.imm32("immediate");
    }
    this.eatKw(Kw.goto);
    const off = this.target(FixField.off16, "jump offset");
    this.endOfStatement();
    this.emit(cls | op | x, dst, src, off, imm);
  }

  private store(): void {
    this.p++; // "*"
    const id = this.sizeCast();
    if (id === Kw.s8 || id === Kw.s16 || id === Kw.s32) this.fail(this.p - 3, "a store takes an unsigned size u8, u16, u32 or u64");
    const size = SIZE_BITS[id];
    const off = this.memRef(true);
    const base = this.memBase;
    this.eat(Tok.assign, "\"=\"");
    if (this.kind() === Tok.reg || this.kind() === Tok.badReg) {
      const src = this.reg(size === BPF.DW ? "r" : "");
      this.endOfStatement();
      return this.emit(BPF.STX | BPF.MEM | size, base, src, off, 0);
    }
    const imm = this.imm32("immediate");
    this.endOfStatement();
    this.emit(BPF.ST | BPF.MEM | size, base, 0, off, imm);
  }

  private lock(): void {
    this.eat(Tok.star, "\"*\" after lock");
    const id = this.sizeCast();
    if (id !== Kw.u32 && id !== Kw.u64) this.fail(this.p - 3, "atomic operations work on u32 or u64");
    const off = this.memRef(true);
    const base = this.memBase;
    const opTok = this.p;
    const op = ATOMIC_TOK[this.kind()];
    if (op === undefined) this.fail(opTok, `expected +=, |=, &= or ^=, found ${this.lx.text(opTok)}`);
    this.p++;
    // llvm-mc also reads the legacy "lock *(u32 *)(r1 + 0) += r2" with a 64-bit register.
    const src = this.reg(id === Kw.u64 ? "r" : op === BPF.ADD ? "" : "w");
    this.endOfStatement();
    this.emit(BPF.STX | BPF.ATOMIC | SIZE_BITS[id], base, src, off, op);
  }

  private ldPseudo(): void {
    const dst = this.reg("r");
    this.eat(Tok.comma, "\",\"");
    const i = this.p;
    const kind = this.integer("a BPF_PSEUDO_* source");
    if (!Number.isInteger(kind) || kind < 0 || kind > 6) this.fail(i, `pseudo source ${this.spell(i)} is not 0 or a BPF_PSEUDO_* value 1..6`);
    this.eat(Tok.comma, "\",\"");
    const imm = this.imm32("immediate");
    this.endOfStatement();
    this.emit(BPF.LD | BPF.IMM | BPF.DW, dst, kind, 0, imm);
    this.emit(0, 0, 0, 0, 0);
  }

  private storeRelease(): void {
    this.eat(Tok.lparen, "\"(\"");
    const id = this.sizeCast();
    if (id === Kw.s8 || id === Kw.s16 || id === Kw.s32) this.fail(this.p - 3, "store_release takes u8, u16, u32 or u64");
    const off = this.memRef(true);
    const base = this.memBase;
    this.eat(Tok.comma, "\",\"");
    const src = this.reg(id === Kw.u64 ? "r" : "w");
    this.eat(Tok.rparen, "\")\"");
    this.endOfStatement();
    this.emit(BPF.STX | BPF.ATOMIC | SIZE_BITS[id], base, src, off, AtomicOp.store_rel);
  }

  // Statements that start with a register: ALU operations and every "reg = ..." form.
  private regStatement(): void {
    const lx = this.lx;
    const dstTok = this.p;
    const dst = this.reg("");
    const w = this.lastW;
    const cls = w ? BPF.ALU : BPF.ALU64;
    const opTok = this.p;
    let op: number | undefined;
    let signed = false;
    if (this.isKw(Kw.s)) {
      this.p++;
      const k = this.kind();
      op = k === Tok.shrEq ? BPF.ARSH : k === Tok.divEq ? BPF.DIV : k === Tok.modEq ? BPF.MOD : undefined;
      signed = op !== BPF.ARSH;
      if (op === undefined) this.fail(opTok, `expected s>>=, s/= or s%=, found "s" and ${lx.text(this.p)}`);
    } else if (this.kind() !== Tok.assign) {
      op = ALU_TOK[this.kind()];
      if (op === undefined) this.fail(opTok, `expected an assignment (=, +=, -=, ...), found ${lx.text(this.p)}`);
    }
    this.p++;
    if (op !== undefined) {
      // dst op= src
      if (this.kind() === Tok.reg || this.kind() === Tok.badReg) {
        const src = this.reg(w ? "w" : "r");
        this.endOfStatement();
        return this.emit(cls | op | BPF.X, dst, src, signed ? 1 : 0, 0);
      }
      const imm = this.imm32("immediate");
      this.endOfStatement();
      return this.emit(cls | op | BPF.K, dst, 0, signed ? 1 : 0, imm);
    }
    // dst = ...
    const k = this.kind();
    if (k === Tok.reg || k === Tok.badReg) {
      const src = this.reg(w ? "w" : "r");
      this.endOfStatement();
      return this.emit(cls | BPF.MOV | BPF.X, dst, src, 0, 0);
    }
    if (k === Tok.minus && (lx.kind[this.p + 1] === Tok.reg || lx.kind[this.p + 1] === Tok.badReg)) {
      this.p++;
      const i = this.p;
      const r = this.reg(w ? "w" : "r");
      if (r !== dst) this.fail(i, "negation works in place: write rN = -rN");
      this.endOfStatement();
      return this.emit(cls | BPF.NEG | BPF.K, dst, 0, 0, 0);
    }
    if (k === Tok.num || k === Tok.minus || k === Tok.plus || k === Tok.labelRef) return this.movImm(dst, w, dstTok);
    if (k === Tok.lparen) return this.movsx(dst, w);
    if (k === Tok.star) return this.load(dst, w, dstTok);
    if (k === Tok.ident) {
      const kw = lx.val[this.p];
      const swap = SWAP_KW[kw];
      if (swap !== undefined) {
        if (w) this.fail(dstTok, `byte swaps are written with 64-bit registers: r${dst} = ${Lexer.keyword(kw)} r${dst}`);
        this.p++;
        const i = this.p;
        const r = this.reg("r");
        if (r !== dst) this.fail(i, "a byte swap works in place: write rN = bswap16 rN");
        this.endOfStatement();
        return this.emit(swap[0], dst, 0, 0, swap[1]);
      }
      if (kw === Kw.addr_space_cast) return this.addrSpaceCast(dst, w, dstTok);
      if (FETCH_KW[kw] !== undefined) return this.fetch(dst, w, FETCH_KW[kw]);
      if (kw === Kw.xchg_64 || kw === Kw.xchg32_32) return this.xchg(dst, w, kw === Kw.xchg_64);
      if (kw === Kw.cmpxchg_64 || kw === Kw.cmpxchg32_32) return this.cmpxchg(dst, w, kw === Kw.cmpxchg_64, dstTok);
      if (kw === Kw.load_acquire) return this.loadAcquire(dst, w);
      if (kw === Kw.none) {
        const name = lx.src.slice(lx.start[this.p], lx.end[this.p]);
        if (lx.kind[this.p + 1] === Tok.ident && lx.val[this.p + 1] === Kw.ll && !this.setSymbols.has(name)) return this.ldSymbol(dst, w, dstTok);
        return this.movImm(dst, w, dstTok);
      }
    }
    this.expected("a register, a number or an expression after \"=\"");
  }

  // "rD = name ll": a map by symbol, as clang writes it. Only ProgramBuilder.asm() can keep the
  // relocation this needs; plain assemble() has nowhere to put it.
  private ldSymbol(dst: number, w: boolean, dstTok: number): void {
    const lx = this.lx;
    const i = this.p;
    if (this.symbols === undefined) {
      this.fail(i, `${lx.text(i)} is a symbol; a 64-bit load of a symbol needs a relocation, which assemble() does not make (use ProgramBuilder.asm() or ldMap())`);
    }
    if (w) this.fail(dstTok, "a 64-bit immediate load needs a 64-bit register r0..r10");
    this.symbols.push([this.n, lx.src.slice(lx.start[i], lx.end[i])]);
    this.p += 2;
    this.endOfStatement();
    this.emit(BPF.LD | BPF.IMM | BPF.DW, dst, Pseudo.map_fd, 0, 0);
    this.emit(0, 0, 0, 0, 0);
  }

  private movImm(dst: number, w: boolean, dstTok: number): void {
    const i = this.p;
    const v = this.integer("a number");
    if (this.isKw(Kw.ll)) {
      if (w) this.fail(dstTok, "a 64-bit immediate load needs a 64-bit register r0..r10");
      this.p++;
      this.endOfStatement();
      // Exact doubles split without BigInt; a bigint is a 64-bit value already.
      const big = this.lastBig;
      const lo = big === undefined ? v | 0 : Number(BigInt.asIntN(32, big));
      const hi = big === undefined ? Math.floor(v / 4294967296) | 0 : Number(BigInt.asIntN(32, big >> 32n));
      this.emit(BPF.LD | BPF.IMM | BPF.DW, dst, 0, 0, lo);
      this.emit(0, 0, 0, 0, hi);
      return;
    }
    if (v < -2147483648 || v > 4294967295) this.fail(i, `immediate ${this.spell(i)} does not fit in 32 bits (add "ll" for a 64-bit load)`);
    this.endOfStatement();
    this.emit((w ? BPF.ALU : BPF.ALU64) | BPF.MOV | BPF.K, dst, 0, 0, v | 0);
  }

  private movsx(dst: number, w: boolean): void {
    this.p++; // "("
    const lx = this.lx;
    const id = lx.kind[this.p] === Tok.ident ? lx.val[this.p] : 0;
    const bits = id === Kw.s8 ? 8 : id === Kw.s16 ? 16 : id === Kw.s32 ? 32 : 0;
    if (bits === 0 || (w && bits === 32)) this.expected(w ? "s8 or s16" : "s8, s16 or s32");
    this.p++;
    this.eat(Tok.rparen, "\")\"");
    const src = this.reg(w ? "w" : "r");
    this.endOfStatement();
    this.emit((w ? BPF.ALU : BPF.ALU64) | BPF.MOV | BPF.X, dst, src, bits, 0);
  }

  private load(dst: number, w: boolean, dstTok: number): void {
    this.p++; // "*"
    const sizeTok = this.p + 1;
    const id = this.sizeCast();
    const size = SIZE_BITS[id];
    const sx = id === Kw.s8 || id === Kw.s16 || id === Kw.s32;
    if (this.isKw(Kw.skb)) {
      this.p++;
      if (dst !== 0 || w) this.fail(dstTok, "legacy packet loads always load into r0");
      if (size === BPF.DW || sx) this.fail(sizeTok, "legacy packet loads take u8, u16 or u32");
      this.eat(Tok.lbrack, "\"[\"");
      if (this.kind() === Tok.reg || this.kind() === Tok.badReg) {
        const src = this.reg("r");
        this.eat(Tok.rbrack, "\"]\"");
        this.endOfStatement();
        return this.emit(BPF.LD | BPF.IND | size, 0, src, 0, 0);
      }
      const imm = this.imm32("offset");
      this.eat(Tok.rbrack, "\"]\"");
      this.endOfStatement();
      return this.emit(BPF.LD | BPF.ABS | size, 0, 0, 0, imm);
    }
    if (w && (size === BPF.DW || sx)) this.fail(dstTok, `a ${Lexer.keyword(id)} load needs a 64-bit register r0..r10`);
    const off = this.memRef(true);
    this.endOfStatement();
    this.emit(BPF.LDX | (sx ? BPF.MEMSX : BPF.MEM) | size, dst, this.memBase, off, 0);
  }

  private addrSpaceCast(dst: number, w: boolean, dstTok: number): void {
    if (w) this.fail(dstTok, "addr_space_cast needs 64-bit registers");
    this.p++;
    this.eat(Tok.lparen, "\"(\"");
    const src = this.reg("r");
    const as: number[] = [];
    for (let k = 0; k < 2; k++) {
      this.eat(Tok.comma, "\",\"");
      const i = this.p;
      const v = this.integer("an address space");
      if (v < 0 || v > 65535) this.fail(i, `address space ${this.spell(i)} does not fit in 16 bits`);
      as.push(v);
    }
    this.eat(Tok.rparen, "\")\"");
    this.endOfStatement();
    this.emit(BPF.ALU64 | BPF.MOV | BPF.X, dst, src, 1, ((as[0] << 16) | as[1]) | 0);
  }

  // "(" "(" size "*" ")" "(" reg +- off ")" ... : the shared head of fetch and load_acquire.
  private atomicMem(wantDw: boolean | undefined): [number, number, number] {
    this.p++; // the function name
    this.eat(Tok.lparen, "\"(\"");
    const sizeTok = this.p + 1;
    const id = this.sizeCast();
    if (id === Kw.s8 || id === Kw.s16 || id === Kw.s32) this.fail(sizeTok, "expected an unsigned size");
    if (wantDw !== undefined && (id === Kw.u64) !== wantDw) this.fail(sizeTok, wantDw ? "a 64-bit register needs u64 here" : "a 32-bit register needs u8, u16 or u32 here");
    const off = this.memRef(true);
    return [SIZE_BITS[id], this.memBase, off];
  }

  private fetch(dst: number, w: boolean, op: number): void {
    const sizeTok = this.p + 3;
    const [size, base, off] = this.atomicMem(!w);
    if (size !== BPF.W && size !== BPF.DW) this.fail(sizeTok, "atomic operations work on u32 or u64");
    this.sameRegisterTail(dst, w, "the fetched value goes to the source register: write rN = atomic_fetch_add((u64 *)(rM + 0), rN)");
    this.emit(BPF.STX | BPF.ATOMIC | size, base, dst, off, op | AtomicOp.fetch);
  }

  private xchg(dst: number, w: boolean, is64: boolean): void {
    if (w === is64) this.fail(this.p, is64 ? "xchg_64 needs 64-bit registers" : "xchg32_32 needs 32-bit registers");
    this.p++;
    this.eat(Tok.lparen, "\"(\"");
    const off = this.memRef(false);
    const base = this.memBase;
    this.sameRegisterTail(dst, w, "xchg swaps in place: write rN = xchg_64(rM + 0, rN)");
    this.emit(BPF.STX | BPF.ATOMIC | (is64 ? BPF.DW : BPF.W), base, dst, off, AtomicOp.xchg);
  }

  // ", rN )" closing a fetch or xchg, where LLVM only accepts the destination register again.
  private sameRegisterTail(dst: number, w: boolean, message: string): void {
    this.eat(Tok.comma, "\",\"");
    const i = this.p;
    if (this.reg(w ? "w" : "r") !== dst) this.fail(i, message);
    this.eat(Tok.rparen, "\")\"");
    this.endOfStatement();
  }

  private cmpxchg(dst: number, w: boolean, is64: boolean, dstTok: number): void {
    if (w === is64) this.fail(this.p, is64 ? "cmpxchg_64 needs 64-bit registers" : "cmpxchg32_32 needs 32-bit registers");
    if (dst !== 0) this.fail(dstTok, `cmpxchg always returns in ${w ? "w0" : "r0"}`);
    this.p++;
    this.eat(Tok.lparen, "\"(\"");
    const off = this.memRef(false);
    const base = this.memBase;
    this.eat(Tok.comma, "\",\"");
    const i = this.p;
    if (this.reg(w ? "w" : "r") !== 0) this.fail(i, `cmpxchg compares with ${w ? "w0" : "r0"}`);
    this.eat(Tok.comma, "\",\"");
    const src = this.reg(w ? "w" : "r");
    this.eat(Tok.rparen, "\")\"");
    this.endOfStatement();
    this.emit(BPF.STX | BPF.ATOMIC | (is64 ? BPF.DW : BPF.W), base, src, off, AtomicOp.cmpxchg);
  }

  private loadAcquire(dst: number, w: boolean): void {
    const [size, base, off] = this.atomicMem(!w);
    this.eat(Tok.rparen, "\")\"");
    this.endOfStatement();
    this.emit(BPF.STX | BPF.ATOMIC | size, dst, base, off, AtomicOp.load_acq);
  }
}
