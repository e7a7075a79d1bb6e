/**
 * C declarations from BTF type chains, as libbpf's btf_dump_emit_type_decl and
 * btf_dump_emit_type_chain write them: qualifiers left of base types and right of pointers,
 * parentheses for pointers to arrays and functions, anonymous structs, unions and enums inline;
 * and the definitions those inline (struct/union/enum bodies) and typedefs.
 *
 * A declaration's text depends only on its type and name once the names in it are resolved,
 * unless it defines something inline; so each type's first declaration of a member or param is
 * remembered (where in the output its text before and after the name lies) and later ones copy
 * it. vmlinux declares ~100k members with ~20k distinct types.
 * @module
 */
import { BtfError } from "./error.ts";
import { emitEnumSize } from "./format-c-enum.ts";
import { emitPadding } from "./format-c-pad.ts";
import { literal } from "./format-c-out.ts";
import { type CDump, writeIdent, writeTag } from "./format-c-state.ts";
import {
  K_ARRAY, K_CONST, K_ENUM, K_ENUM64, K_FLOAT, K_FUNC_PROTO, K_FWD, K_INT, K_PTR, K_RESTRICT, K_STRUCT, K_TYPE_TAG,
  K_TYPEDEF, K_UNION, K_VOLATILE,
} from "./format-c-table.ts";

const L_VOLATILE_ = literal("volatile ");
const L_CONST_ = literal("const ");
const L_RESTRICT_ = literal("restrict ");
const L_VOID = literal("void");
const L_ENUM_ = literal("enum ");
const L__VOLATILE = literal(" volatile");
const L__CONST = literal(" const");
const L__RESTRICT = literal(" restrict");
const L_PAREN = literal(" (");
const L_VOID_PAREN = literal("void)");
const L_COMMA = literal(", ");
const L_COMMA_VARARGS = literal(", ...");
const L_OPEN = literal(" {");
const L_COLON = literal(": ");
const L_PACKED = literal(" __attribute__((packed))");
const L_ENUM = literal("enum");
const L_EQ = literal(" = ");
const L_TYPEDEF_ = literal("typedef ");
const L_STRUCT = literal("struct");
const L_UNION = literal("union");
const L_UNION_ = literal("union ");
const L_STRUCT_ = literal("struct ");
const L_PTR = literal("*");
const L_PTR_ = literal(" *");
// The qualifier written after what it qualifies, by kind.
const AFTER = new Int32Array(K_ENUM64 + 1);
AFTER[K_VOLATILE] = L__VOLATILE;
AFTER[K_CONST] = L__CONST;
AFTER[K_RESTRICT] = L__RESTRICT;

/**
 * The name a declaration declares: a member's or param's name_off (0 for none), or a typedef's
 * resolved name, as minus the typedef's id.
 */
export type DeclName = number;

function noName(d: CDump, n: DeclName): boolean {
  if (n > 0) return d.out.emptyAt(n);
  const off = d.t.nameOff[-n];
  return n === 0 || off === 0 || (d.out.emptyAt(off) && d.names.ident(-n) === 1);
}

// Declaration cache states (CDump.declState).
const UNKNOWN = 0, CACHED = 1, UNCACHEABLE = 2, CHECKING = 3, CACHEABLE = 4;

// Whether declarations of `id` print the same text every time: nothing anonymous defined inline
// (an inline enum counts its enumerators again at each printing), nothing libbpf refuses.
function cacheable(d: CDump, id: number): boolean {
  const st = d.declState, s = st[id];
  if (s !== UNKNOWN) return s === CACHED || s === CACHEABLE;
  const t = d.t;
  st[id] = CHECKING;
  let ok: boolean;
  const k = t.kind[id];
  if (id === 0 || k === K_INT || k === K_FLOAT || k === K_FWD || k === K_TYPEDEF) ok = true;
  else if (k === K_STRUCT || k === K_UNION || k === K_ENUM || k === K_ENUM64) ok = t.nameOff[id] !== 0;
  else if (k === K_PTR || k === K_VOLATILE || k === K_CONST || k === K_RESTRICT || k === K_TYPE_TAG) ok = cacheable(d, t.st[id]);
  else if (k === K_ARRAY) ok = cacheable(d, t.words[t.at[id]]);
  else if (k === K_FUNC_PROTO) {
    ok = cacheable(d, t.st[id]);
    const vlen = t.info[id] & 0xffffff;
    for (let i = 0, w = t.at[id]; ok && i < vlen; i++, w += 2) ok = cacheable(d, t.words[w + 1]);
  } else ok = false;
  st[id] = ok ? CACHEABLE : UNCACHEABLE;
  return ok;
}

/** btf_dump_emit_type_decl: the declaration of `fname` as type `id` (fname 0 for a bare type). */
export function emitTypeDecl(d: CDump, id: number, fname: DeclName, lvl: number): void {
  const out = d.out;
  if (fname > 0 && d.declState[id] === CACHED) {
    const c = 4 * id, at = d.declAt;
    if (out.declCopy(at[c], at[c + 1], d.declSep[id], fname, at[c + 2], at[c + 3])) return;
  }
  const record = fname > 0 && !out.emptyAt(fname) && cacheable(d, id);
  // A param's declaration inside this one keeps its own capture.
  const armed = d.capArmed, a = d.capA, b = d.capB, c = d.capC;
  d.capArmed = record;
  d.capA = -1;
  const start = out.pos;
  emitChainOf(d, id, fname, lvl);
  if (record && d.capA >= 0) {
    const i = 4 * id, at = d.declAt;
    at[i] = start;
    at[i + 1] = d.capA - start;
    at[i + 2] = d.capC;
    at[i + 3] = out.pos - d.capC;
    d.declSep[id] = d.capB > d.capA ? 1 : 0;
    d.declState[id] = CACHED;
  }
  d.capArmed = armed;
  d.capA = a;
  d.capB = b;
  d.capC = c;
}

function emitChainOf(d: CDump, id: number, fname: DeclName, lvl: number): void {
  const t = d.t, stack = d.stack, start = d.sp;
  for (let steps = 0; ; steps++) {
    if (steps > t.count) throw new BtfError("reference cycle in a declaration", { typeId: id });
    stack[d.sp++] = id;
    if (id === 0) break;
    const k = t.kind[id];
    if (k === K_PTR || k === K_VOLATILE || k === K_CONST || k === K_RESTRICT || k === K_FUNC_PROTO || k === K_TYPE_TAG) id = t.st[id];
    else if (k === K_ARRAY) id = t.words[t.at[id]];
    // Base types end the chain; so do kinds no declaration can hold (libbpf warns and stops).
    else break;
  }
  emitChain(d, start, d.sp - start, fname, lvl);
  d.sp = start;
}

// Qualifiers on top of the frame [base, base + cnt), written before the base type they
// qualify; returns the frame's new count.
function emitMods(d: CDump, base: number, cnt: number): number {
  for (; cnt; cnt--) {
    const k = d.t.kind[d.stack[base + cnt - 1]];
    if (k === K_VOLATILE) d.out.w(L_VOLATILE_);
    else if (k === K_CONST) d.out.w(L_CONST_);
    else if (k === K_RESTRICT) d.out.w(L_RESTRICT_);
    else break;
  }
  return cnt;
}

// Qualifiers of arrays and functions mean nothing in C (GCC emits them anyway): dropped.
function dropMods(d: CDump, base: number, cnt: number): number {
  for (; cnt; cnt--) {
    const k = d.t.kind[d.stack[base + cnt - 1]];
    if (k !== K_VOLATILE && k !== K_CONST && k !== K_RESTRICT && k !== K_TYPE_TAG) break;
  }
  return cnt;
}

// A declarator's name, after a space unless right after a `*`.
function emitName(d: CDump, n: DeclName, lastWasPtr: boolean): void {
  if (noName(d, n)) return;
  const out = d.out, first = d.capArmed;
  if (first) d.capA = out.pos;
  if (!lastWasPtr) out.c(32);
  if (first) d.capB = out.pos;
  if (n > 0) out.name(n);
  else writeIdent(d, -n);
  if (first) {
    d.capC = out.pos;
    d.capArmed = false;
  }
}

function emitChain(d: CDump, base: number, cnt: number, fname: DeclName, lvl: number): void {
  const t = d.t, out = d.out;
  // No space before a pointer's `*` right after another `*` (or at a chain's start, for `(*f)`).
  let lastWasPtr = true;
  while (cnt) {
    const id = d.stack[base + --cnt];
    if (id === 0) {
      cnt = emitMods(d, base, cnt);
      out.w(L_VOID);
      lastWasPtr = false;
      continue;
    }
    const k = t.kind[id];
    switch (k) {
      case K_INT: case K_FLOAT:
        cnt = emitMods(d, base, cnt);
        out.name(t.nameOff[id]);
        break;
      case K_STRUCT: case K_UNION:
        cnt = emitMods(d, base, cnt);
        if (t.nameOff[id] === 0) emitStructDef(d, id, lvl);
        else emitStructFwd(d, id);
        break;
      case K_ENUM: case K_ENUM64:
        cnt = emitMods(d, base, cnt);
        if (t.nameOff[id] === 0) emitEnumDef(d, id, lvl);
        else {
          out.w(L_ENUM_);
          writeTag(d, id);
        }
        break;
      case K_FWD:
        cnt = emitMods(d, base, cnt);
        emitFwdDef(d, id);
        break;
      case K_TYPEDEF:
        cnt = emitMods(d, base, cnt);
        writeIdent(d, id);
        break;
      case K_PTR: case K_VOLATILE: case K_CONST: case K_RESTRICT:
        // One call for the four: a `restrict` first met late costs no optimized code.
        out.w(k === K_PTR ? (lastWasPtr ? L_PTR : L_PTR_) : AFTER[k]);
        break;
      case K_TYPE_TAG:
        cnt = emitMods(d, base, cnt);
        out.s(' __attribute__((btf_type_tag("');
        out.name(t.nameOff[id]);
        out.s('")))');
        break;
      case K_ARRAY: {
        const nelems = t.words[t.at[id] + 2];
        cnt = dropMods(d, base, cnt);
        if (cnt === 0) {
          emitName(d, fname, lastWasPtr);
        } else {
          const multidim = t.kind[d.stack[base + cnt - 1]] === K_ARRAY;
          if (!lastWasPtr && !noName(d, fname)) out.c(32);
          if (!multidim) out.c(40);
          emitChain(d, base, cnt, fname, lvl);
          if (!multidim) out.c(41);
        }
        out.c(91);
        out.num(nelems);
        out.c(93);
        return;
      }
      case K_FUNC_PROTO: {
        const vlen = t.info[id] & 0xffffff, w = t.at[id];
        cnt = dropMods(d, base, cnt);
        if (cnt) {
          out.w(L_PAREN);
          emitChain(d, base, cnt, fname, lvl);
          out.c(41);
        } else {
          emitName(d, fname, lastWasPtr);
        }
        out.c(40);
        // No params, or clang's single void param for `f(void)`: `(void)`, as Debian's libbpf 1.1
        // prints it (a later libbpf fix it carries; upstream 1.1.0 printed `()`).
        if (vlen === 0 || (vlen === 1 && t.words[w + 1] === 0)) {
          out.w(L_VOID_PAREN);
          return;
        }
        for (let i = 0; i < vlen; i++) {
          const pt = t.words[w + 2 * i + 1];
          // A last param of type void is `...` (never the first: that is `(void)` above).
          const varargs = i === vlen - 1 && pt === 0;
          if (i > 0) out.w(varargs ? L_COMMA_VARARGS : L_COMMA);
          if (varargs) break;
          emitTypeDecl(d, pt, t.words[w + 2 * i], lvl);
        }
        out.c(41);
        return;
      }
      default:
        // FUNC, VAR, DATASEC, DECL_TAG in a chain: libbpf warns and writes nothing more.
        return;
    }
    lastWasPtr = k === K_PTR;
  }
  emitName(d, fname, lastWasPtr);
}

/** `struct X` / `union X`: btf_dump_emit_struct_fwd. */
export function emitStructFwd(d: CDump, id: number): void {
  d.out.w(d.t.kind[id] === K_STRUCT ? L_STRUCT : L_UNION);
  if (d.t.nameOff[id] !== 0) d.out.c(32);
  writeTag(d, id);
}

/** A BTF_KIND_FWD: `struct X` or, with kind_flag, `union X`. */
export function emitFwdDef(d: CDump, id: number): void {
  d.out.w(d.t.info[id] >>> 31 ? L_UNION_ : L_STRUCT_);
  writeTag(d, id);
}

/**
 * btf_dump_emit_struct_def: a struct or union body with padding members, at indent `lvl`; a union
 * C would size otherwise also gets what gives it its BTF size (format-c-layout.ts's fitUnion).
 */
export function emitStructDef(d: CDump, id: number, lvl: number): void {
  const t = d.t, out = d.out, lay = d.layout, isStruct = t.kind[id] === K_STRUCT;
  const info = t.info[id], vlen = info & 0xffffff, kflag = info >>> 31;
  const packed = lay.packed[id] === 1;
  out.w(isStruct ? L_STRUCT : L_UNION);
  if (t.nameOff[id]) out.c(32);
  writeTag(d, id);
  out.w(L_OPEN);
  let off = 0, prevBitfield = false;
  for (let i = 0, w = t.at[id]; i < vlen; i++, w += 3) {
    const mType = t.words[w + 1], raw = t.words[w + 2];
    const bits = kflag ? raw >>> 24 : 0, mOff = kflag ? raw & 0xffffff : raw;
    if (off < mOff) emitPadding(d, off, mOff, packed ? 1 : lay.align[mType], prevBitfield && bits !== 0, lvl + 1);
    // Most members: a remembered declaration, one call for the whole line.
    if (bits === 0 && d.declState[mType] === CACHED) {
      const c = 4 * mType, at = d.declAt;
      if (out.memberLine(lvl + 1, at[c], at[c + 1], d.declSep[mType], t.words[w], at[c + 2], at[c + 3])) {
        const size = lay.size[mType];
        off = mOff + (size > 0 ? size * 8 : 0);
        prevBitfield = false;
        continue;
      }
    }
    out.nl(lvl + 1);
    emitTypeDecl(d, mType, t.words[w], lvl + 1);
    if (bits) {
      out.w(L_COLON);
      out.num(bits);
      off = mOff + bits;
      prevBitfield = true;
    } else {
      const size = lay.size[mType];
      off = mOff + (size > 0 ? size * 8 : 0);
      prevBitfield = false;
    }
    out.c(59);
  }
  // A union's tail pad is one bitfield from 0, which emitPadding writes as such; through the
  // same call as a struct's, so the engine's optimized code meets no path it has not seen.
  if (isStruct) emitPadding(d, off, t.st[id] * 8, lay.align[id], false, lvl + 1);
  else emitPadding(d, 0, lay.unionPad.get(id) ?? 0, 1, false, lvl + 1);
  // `struct empty {}` stays on one line.
  if (vlen || t.st[id]) out.nl(lvl);
  out.c(125);
  if (packed) out.w(L_PACKED);
  if (!isStruct && lay.unionAlign.size) {
    const n = lay.unionAlign.get(id);
    if (n) out.s(` __attribute__((aligned(${n})))`);
  }
}

/** btf_dump_emit_enum_def: an enum (or enum64) and its enumerators, then its size if not 4 bytes. */
export function emitEnumDef(d: CDump, id: number, lvl: number): void {
  const t = d.t, out = d.out, info = t.info[id], vlen = info & 0xffffff, signed = info >>> 31 === 1;
  out.w(L_ENUM);
  if (t.nameOff[id]) out.c(32);
  writeTag(d, id);
  if (!vlen) return;
  out.w(L_OPEN);
  const wide = t.kind[id] === K_ENUM64;
  for (let i = 0, w = t.at[id]; i < vlen; i++, w += wide ? 3 : 2) {
    // Enumerators share C's identifier space with typedefs.
    const dup = d.names.identUse(t.words[w]);
    if (wide) {
      out.nl(lvl + 1);
      out.name(t.words[w]);
      out.dup(dup);
      out.w(L_EQ);
      const v = BigInt(t.words[w + 2]) << 32n | BigInt(t.words[w + 1]);
      out.s(signed ? `${BigInt.asIntN(64, v)}LL,` : `${v}ULL,`);
    } else {
      out.enumeratorLine(lvl + 1, t.words[w], dup, signed ? t.words[w + 1] | 0 : t.words[w + 1]);
    }
  }
  out.nl(lvl);
  out.c(125);
  emitEnumSize(d, id);
}

/** btf_dump_emit_typedef_def: `typedef <decl of name>` (no `;`). */
export function emitTypedefDef(d: CDump, id: number, lvl: number): void {
  const t = d.t;
  d.names.ident(id);
  // Old GCC's __gnuc_va_list typedef of void: the compiler's own built-in instead.
  if (t.st[id] === 0 && t.nameOff[id] !== 0 && t.name(t.nameOff[id]) === "__gnuc_va_list") {
    d.out.s("typedef __builtin_va_list __gnuc_va_list");
    return;
  }
  d.out.w(L_TYPEDEF_);
  emitTypeDecl(d, t.st[id], -id, lvl);
}
