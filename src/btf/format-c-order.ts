/**
 * The order definitions must come in for C to compile them: libbpf's btf_dump_order_type, a
 * depth-first topological sort in which a path through a pointer to a named struct or union is a
 * weak link (a forward declaration will do) and anything else a strong one (the definition must
 * come first). Types are visited by id, so the header follows the BTF's own order, as bpftool 7.1
 * prints it (it has no sorting).
 * @module
 */
import { BtfError } from "./error.ts";
import {
  type CTypeTable, K_ARRAY, K_CONST, K_DATASEC, K_DECL_TAG, K_ENUM, K_ENUM64, K_FLOAT, K_FUNC, K_FUNC_PROTO, K_FWD,
  K_INT, K_PTR, K_RESTRICT, K_STRUCT, K_TYPE_TAG, K_TYPEDEF, K_UNION, K_VAR, K_VOLATILE,
} from "./format-c-table.ts";

const ORDERING = 1, ORDERED = 2;
// Deeper than any real declaration chain: a reference cycle, which libbpf would recurse on forever.
const MAX_DEPTH = 2048;

/** Marks of btf_dump_mark_referenced: types some other type refers to. */
export function referencedTypes(t: CTypeTable): Uint8Array {
  const r = new Uint8Array(t.count), w = t.words;
  for (let id = 1; id < t.count; id++) {
    const k = t.kind[id], vlen = t.info[id] & 0xffffff, at = t.at[id];
    switch (k) {
      case K_VOLATILE: case K_CONST: case K_RESTRICT: case K_PTR: case K_TYPEDEF: case K_FUNC: case K_VAR: case K_DECL_TAG: case K_TYPE_TAG:
        r[t.st[id]] = 1;
        break;
      case K_ARRAY:
        r[w[at + 1]] = 1;
        r[w[at]] = 1;
        break;
      case K_STRUCT: case K_UNION:
        for (let i = 0; i < vlen; i++) r[w[at + 3 * i + 1]] = 1;
        break;
      case K_FUNC_PROTO:
        for (let i = 0; i < vlen; i++) r[w[at + 2 * i + 1]] = 1;
        break;
      case K_DATASEC:
        for (let i = 0; i < vlen; i++) r[w[at + 3 * i]] = 1;
        break;
    }
  }
  return r;
}

/** The topological sort's state across all of a dump's types (btf_dump's order_state). */
export interface COrder {
  /** Queues what `id` needs defined, then `id` (btf_dump__dump_type's first pass); returns how many were queued. */
  order(id: number): number;
  /** The ids the last {@link COrder.order} queued, in order (the first ones of the array). */
  readonly queue: Int32Array;
}

/** A sort over `t`, with `referenced` from {@link referencedTypes}. */
export function typeOrder(t: CTypeTable, referenced: Uint8Array): COrder {
  const { kind, st: ref, info, at, words, nameOff } = t;
  const state = new Uint8Array(t.count);
  state[0] = ORDERED;
  // Each type is queued at most once over the whole dump.
  const queue = new Int32Array(t.count);
  let qn = 0;

  // 1 when the link to `id` is strong, 0 when a forward declaration can stand in. Qualifiers
  // and arrays pass straight through (a loop here, recursion in libbpf).
  function visit(id: number, throughPtr: boolean, depth: number): number {
    for (let steps = 0; ; steps++) {
      if (state[id] === ORDERED) return 1;
      const k = kind[id];
      if (depth + steps > MAX_DEPTH) throw new BtfError(`declaration chain deeper than ${MAX_DEPTH}: a reference cycle`, { typeId: id });
      if (k === K_VOLATILE || k === K_CONST || k === K_RESTRICT || k === K_TYPE_TAG) id = ref[id];
      else if (k === K_ARRAY) {
        id = words[at[id]];
        throughPtr = false;
      } else if (k === K_PTR) {
        const r = visit(ref[id], true, depth + steps + 1);
        state[id] = ORDERED;
        return r;
      } else return visitDef(id, k, throughPtr, depth + steps);
    }
  }

  function visitDef(id: number, k: number, throughPtr: boolean, depth: number): number {
    // A named struct or union through a pointer: its forward declaration serves (worked out on
    // every visit, as the loop back below is first met late in a dump).
    const weak = throughPtr && nameOff[id] !== 0 && (k === K_STRUCT || k === K_UNION);
    if (state[id] === ORDERING) {
      if (weak) return 0;
      throw new BtfError("unsatisfiable type cycle (no pointer to a named struct or union breaks it)", { typeId: id });
    }
    switch (k) {
      case K_INT: case K_FLOAT:
        state[id] = ORDERED;
        return 0;
      case K_STRUCT: case K_UNION: {
        // Only an embedded or anonymous struct needs its members' definitions first.
        if (weak) return 0;
        state[id] = ORDERING;
        const vlen = info[id] & 0xffffff;
        for (let i = 0, w = at[id]; i < vlen; i++, w += 3) visit(words[w + 1], false, depth + 1);
        if (nameOff[id] !== 0) queue[qn++] = id;
        state[id] = ORDERED;
        return 1;
      }
      case K_ENUM: case K_ENUM64: case K_FWD:
        // Named enums and anonymous ones nothing refers to (constants) stand alone.
        if (nameOff[id] !== 0 || !referenced[id]) queue[qn++] = id;
        state[id] = ORDERED;
        return 1;
      case K_TYPEDEF: {
        const strong = visit(ref[id], throughPtr, depth + 1);
        if (throughPtr && !strong) return 0;
        queue[qn++] = id;
        state[id] = ORDERED;
        return 1;
      }
      case K_FUNC_PROTO: {
        let strong = visit(ref[id], throughPtr, depth + 1);
        const vlen = info[id] & 0xffffff;
        for (let i = 0, w = at[id]; i < vlen; i++, w += 2) if (visit(words[w + 1], throughPtr, depth + 1) > 0) strong = 1;
        return strong;
      }
      default:
        // FUNC, VAR, DATASEC, DECL_TAG: nothing to define (bpftool 7.1 prints no kfuncs or variables).
        state[id] = ORDERED;
        return 0;
    }
  }

  return {
    queue,
    order(id: number): number {
      const k = kind[id];
      // Kinds that define nothing just become ordered, as visit() would make them.
      if (k === K_INT || k === K_FLOAT || k === K_FUNC || k === K_VAR || k === K_DATASEC || k === K_DECL_TAG) {
        state[id] = ORDERED;
        return 0;
      }
      qn = 0;
      visit(id, false, 0);
      return qn;
    },
  };
}
