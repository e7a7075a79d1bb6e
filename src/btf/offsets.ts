/**
 * Alignment of types and member offsets by path (btf__align_of, and C's offsetof through
 * anonymous members).
 * @module
 */
import { BtfError } from "./error.ts";
import type { AnyBtfType, BtfCompositeType, BtfStructMember } from "./types.ts";
import { resolveType, sizeOfType, type TypeSource } from "./resolve.ts";

/** Where a member lies in its outermost struct or union. */
export interface BtfMemberLocation {
  /** Bit offset from the start of the outermost type. */
  bitOffset: number;
  /** Bitfield size in bits; 0 when the member is not a bitfield. */
  bitfieldSize: number;
  /** The member's type id. */
  type: number;
}

// Nesting deeper than this is a cycle in malformed BTF (a struct holding itself), not C.
const MAX_NESTING = 1024;

function checkPointerSize(pointerSize: number): void {
  if (pointerSize !== 4 && pointerSize !== 8) throw new RangeError(`pointer size must be 4 or 8 bytes, got ${pointerSize}`);
}

/**
 * Alignment in bytes of a value of `t`, by libbpf's rules: scalars their size capped at the
 * pointer size, arrays their element's, structs and unions their widest member's - or 1 when a
 * member sits off its alignment or the size is no multiple of it (the type is packed).
 */
export function alignOfType(src: TypeSource, t: AnyBtfType, pointerSize: number): number {
  checkPointerSize(pointerSize);
  return alignOf(src, t, pointerSize, 0);
}

function alignOf(src: TypeSource, t: AnyBtfType, ptr: number, depth: number): number {
  if (depth > MAX_NESTING) throw new BtfError(`types nest more than ${MAX_NESTING} deep: a cycle`, { typeId: t.id });
  for (let steps = 0; ; steps++) {
    if (steps > src.count) throw new BtfError("reference cycle while aligning", { typeId: t.id });
    switch (t.kind) {
      case "int": case "enum": case "enum64": case "float":
        if (t.size === 0) throw new BtfError(`a ${t.size}-byte ${t.kind} has no alignment`, { typeId: t.id });
        return Math.min(ptr, t.size);
      case "ptr":
        return ptr;
      case "typedef": case "const": case "volatile": case "restrict": case "type_tag": case "array":
        t = src.typeById(t.type);
        break;
      case "struct": case "union":
        return compositeAlign(src, t, ptr, depth);
      default:
        throw new BtfError(`a ${t.kind} has no alignment`, { typeId: t.id });
    }
  }
}

function compositeAlign(src: TypeSource, t: BtfCompositeType, ptr: number, depth: number): number {
  let widest = 1;
  for (const m of t.members) {
    const a = alignOf(src, src.typeById(m.type), ptr, depth + 1);
    if (a > widest) widest = a;
    // A whole member off its own alignment can only be there in a packed struct.
    if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) return 1;
  }
  return t.size % widest === 0 ? widest : 1;
}

/** One step of a path: a member name (possibly none, before a leading index) and its indexes. */
interface Step {
  name: string;
  indexes: number[];
  /** The path up to and including this step, for messages. */
  upTo: string;
}

const STEP = /^([A-Za-z_$][\w$]*)?((?:\[\d+\])*)$/;

function parsePath(path: string): Step[] {
  if (typeof path !== "string") throw new TypeError(`member path must be a string, got ${typeof path}`);
  if (path === "") throw new TypeError(`member path is empty`);
  const steps: Step[] = [];
  let upTo = "";
  for (const [i, part] of path.split(".").entries()) {
    const m = STEP.exec(part);
    if (!m || part === "" || (i > 0 && m[1] === undefined)) {
      throw new TypeError(`member path ${JSON.stringify(path)}: ${JSON.stringify(part)} is not a member name with optional [index]es`);
    }
    const indexes = m[2] ? m[2].slice(1, -1).split("][").map(Number) : [];
    for (const x of indexes) if (!Number.isSafeInteger(x)) throw new RangeError(`member path ${JSON.stringify(path)}: index ${x} is too large`);
    upTo = i === 0 ? part : `${upTo}.${part}`;
    steps.push({ name: m[1] ?? "", indexes, upTo });
  }
  return steps;
}

function describe(t: AnyBtfType): string {
  return t.name ? `${t.kind} ${t.name}` : `an anonymous ${t.kind}`;
}

/**
 * The member called `name` in `t` and its bit offset: a direct member, or one inside an
 * anonymous struct or union member (as C makes those members the outer type's own), first in
 * member order.
 */
function findMember(src: TypeSource, t: BtfCompositeType, name: string, depth: number): { m: BtfStructMember; bitOffset: number } | undefined {
  if (depth > MAX_NESTING) throw new BtfError(`anonymous members nest more than ${MAX_NESTING} deep: a cycle`, { typeId: t.id });
  for (const m of t.members) {
    if (m.name === name) return { m, bitOffset: m.bitOffset };
    if (m.name !== "") continue;
    const inner = resolveType(src, src.typeById(m.type));
    if (inner.kind !== "struct" && inner.kind !== "union") continue;
    const found = findMember(src, inner, name, depth + 1);
    if (found) return { m: found.m, bitOffset: m.bitOffset + found.bitOffset };
  }
  return undefined;
}

/**
 * The member of `t` at `path`: member names joined by dots ("sk.__sk_common.skc_family"), each
 * optionally indexed ("u6_addr32[2]", "[1].x" on an array); typedefs and qualifiers are looked
 * through, anonymous struct and union members searched as C does. A TypeError names the part of
 * the path that is missing or of the wrong kind; a RangeError an index past an array's end (a
 * flexible array, of 0 elements, takes any). Array elements are sized with `pointerSize`-byte pointers.
 */
export function offsetOfPath(src: TypeSource, t: AnyBtfType, path: string, pointerSize = 8): BtfMemberLocation {
  checkPointerSize(pointerSize);
  const steps = parsePath(path);
  let at: AnyBtfType = t;
  let loc: BtfMemberLocation = { bitOffset: 0, bitfieldSize: 0, type: t.id };
  // The path walked so far, for messages; the starting type describes itself.
  let walked: string | undefined;
  const here = () => (walked === undefined ? describe(t) : JSON.stringify(walked));
  for (const step of steps) {
    if (step.name !== "") {
      const outer = resolveType(src, at);
      if (outer.kind !== "struct" && outer.kind !== "union") {
        const what = walked === undefined && outer === t ? here() : `${here()} (${describe(outer)})`;
        throw new TypeError(`member path ${JSON.stringify(path)}: ${what} is not a struct or union, so it has no member ${JSON.stringify(step.name)}`);
      }
      const found = findMember(src, outer, step.name, 0);
      if (!found) throw new TypeError(`member path ${JSON.stringify(path)}: ${describe(outer)} has no member ${JSON.stringify(step.name)} (at ${JSON.stringify(step.upTo)})`);
      loc = { bitOffset: loc.bitOffset + found.bitOffset, bitfieldSize: found.m.bitfieldSize, type: found.m.type };
      at = src.typeById(found.m.type);
      walked = walked === undefined ? step.name : `${walked}.${step.name}`;
    }
    for (const index of step.indexes) {
      const arr = resolveType(src, at);
      if (arr.kind !== "array") throw new TypeError(`member path ${JSON.stringify(path)}: ${here()} is ${describe(arr)}, not an array, so it cannot take [${index}]`);
      if (arr.nelems !== 0 && index >= arr.nelems) {
        throw new RangeError(`member path ${JSON.stringify(path)}: index ${index} is past the end of ${here()}, an array of ${arr.nelems}`);
      }
      const elem = src.typeById(arr.type);
      loc = { bitOffset: loc.bitOffset + index * 8 * sizeOfType(src, elem, pointerSize), bitfieldSize: 0, type: arr.type };
      at = elem;
      walked = `${walked ?? ""}[${index}]`;
    }
  }
  return loc;
}
