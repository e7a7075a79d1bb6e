/**
 * Top-level definitions and the forward declarations they need, as libbpf's btf_dump_emit_type
 * writes them for each queued type: a named struct referred to (through a pointer) before its
 * definition gets `struct X;` first, a typedef can stand in as its own forward declaration, and
 * anonymous types go inline into whatever contains them.
 * @module
 */
import { utf8 } from "../util/text.ts";
import { BtfError } from "./error.ts";
import { emitEnumDef, emitFwdDef, emitStructDef, emitStructFwd, emitTypedefDef } from "./format-c-decl.ts";
import { literal } from "./format-c-out.ts";
import { type CDump, writeTag } from "./format-c-state.ts";
import {
  K_ARRAY, K_CONST, K_ENUM, K_ENUM64, K_FUNC_PROTO, K_FWD, K_INT, K_PTR, K_RESTRICT, K_STRUCT, K_TYPE_TAG, K_TYPEDEF,
  K_UNION, K_VOLATILE,
} from "./format-c-table.ts";

const EMITTING = 1, EMITTED = 2;
const BUILTIN_VA_LIST = utf8("__builtin_va_list");
const END = literal(";\n\n");

// GCC emits typedefs to these Arm SIMD internals (libbpf's missing_base_types).
const MISSING_BASE_TYPES = new Map([
  ["__Poly8_t", "unsigned char"], ["__Poly16_t", "unsigned short"], ["__Poly64_t", "unsigned long long"], ["__Poly128_t", "unsigned __int128"],
]);

/**
 * An emitter writing to `d`, keeping btf_dump's emit_state and fwd_emitted per type; call it
 * with each queued type at top level (btf_dump__dump_type's second pass).
 */
export function typeEmitter(d: CDump): (id: number) => void {
  const t = d.t, out = d.out, { kind, st: ref, info, at, words, nameOff } = t;
  const state = new Uint8Array(t.count);
  state[0] = EMITTED;
  const fwd = new Uint8Array(t.count);

  // A compiler built-in: its typedef would not compile under another compiler.
  const blacklisted = (id: number) => nameOff[id] !== 0 && t.nameIs(nameOff[id], BUILTIN_VA_LIST);

  // contId: the struct or typedef being defined (0 at top level), whose own references need no
  // forward declaration. Qualifiers, pointers and arrays pass straight through (a loop here,
  // recursion in libbpf).
  function emit(id: number, contId: number): void {
    const from = id;
    for (let steps = 0; ; steps++) {
      if (state[id] === EMITTED) {
        // A chain to something defined for good: later visits need not walk it (libbpf does).
        state[from] = EMITTED;
        return;
      }
      const k = kind[id];
      if (k === K_PTR || k === K_VOLATILE || k === K_CONST || k === K_RESTRICT || k === K_TYPE_TAG) id = ref[id];
      else if (k === K_ARRAY) id = words[at[id]];
      else break;
      if (steps > t.count) throw new BtfError("reference cycle through pointers or qualifiers", { typeId: id });
    }
    if (state[id] === EMITTING) emitAgain(id, contId);
    else emitDef(id, kind[id], contId);
  }

  // A reference back into a definition under way: a forward declaration, once.
  function emitAgain(id: number, contId: number): void {
    if (fwd[id]) return;
    const k = kind[id];
    if (k === K_STRUCT || k === K_UNION) {
      if (id === contId || nameOff[id] === 0) return;
      emitStructFwd(d, id);
      out.w(END);
      fwd[id] = 1;
    } else if (k === K_TYPEDEF) {
      // A typedef written now serves references through pointers, not embedding.
      if (!blacklisted(id)) {
        emitTypedefDef(d, id, 0);
        out.w(END);
      }
      fwd[id] = 1;
    }
  }

  function emitDef(id: number, k: number, contId: number): void {
    switch (k) {
      case K_INT: {
        // libbpf resolves (and so claims) every INT's name here.
        const dup = d.names.tag(id);
        const alias = nameOff[id] !== 0 && dup === 1 ? MISSING_BASE_TYPES.get(t.name(nameOff[id])) : undefined;
        if (alias !== undefined) {
          out.s(`typedef ${alias} `);
          writeTag(d, id);
          out.w(END);
        }
        state[id] = EMITTED;
        break;
      }
      case K_ENUM: case K_ENUM64:
        if (contId === 0) {
          emitEnumDef(d, id, 0);
          out.w(END);
        }
        state[id] = EMITTED;
        break;
      case K_FWD:
        emitFwdDef(d, id);
        out.w(END);
        state[id] = EMITTED;
        break;
      case K_TYPEDEF:
        state[id] = EMITTING;
        emit(ref[id], id);
        if (!fwd[id] && !blacklisted(id)) {
          emitTypedefDef(d, id, 0);
          out.w(END);
        }
        state[id] = EMITTED;
        break;
      case K_STRUCT: case K_UNION: {
        state[id] = EMITTING;
        const top = contId === 0, named = nameOff[id] !== 0;
        if (top || !named) {
          // The body will be written out here: what its members name must be declared first.
          const vlen = info[id] & 0xffffff, inner = named ? id : contId;
          for (let i = 0, w = at[id]; i < vlen; i++, w += 3) if (state[words[w + 1]] !== EMITTED) emit(words[w + 1], inner);
        } else if (!fwd[id] && id !== contId) {
          emitStructFwd(d, id);
          out.w(END);
          fwd[id] = 1;
        }
        if (top) {
          emitStructDef(d, id, 0);
          out.w(END);
          state[id] = EMITTED;
        } else {
          state[id] = 0;
        }
        break;
      }
      case K_FUNC_PROTO: {
        emit(ref[id], contId);
        const vlen = info[id] & 0xffffff;
        for (let i = 0, w = at[id]; i < vlen; i++, w += 2) emit(words[w + 1], contId);
        break;
      }
    }
  }

  return (id) => emit(id, 0);
}
