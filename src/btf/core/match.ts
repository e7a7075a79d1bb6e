/**
 * TYPE_MATCHES (libbpf's __bpf_core_types_match): stricter than compatibility - same kinds,
 * ints of equal size and signedness, arrays of equal length, every local member or enumerator
 * present by name in the target, prototypes of equal arity; behind a pointer a struct or union
 * matches by name and kind alone (or a fwd of its kind). Names compare without flavours.
 * @module
 */
import type { Btf } from "../btf.ts";
import type { AnyBtfType, BtfCompositeType, BtfEnum64Type, BtfEnumType } from "../types.ts";
import { COMPAT_DEPTH } from "./compat.ts";
import { fail } from "./error.ts";
import { namesMatch } from "./names.ts";
import { skipMods } from "./spec.ts";

type AnyEnum = BtfEnumType | BtfEnum64Type;

function isEnum(t: AnyBtfType): t is AnyEnum {
  return t.kind === "enum" || t.kind === "enum64";
}

// bpf_core_enums_match: equal sizes, each local enumerator's name somewhere in the target.
function enumsMatch(l: AnyEnum, t: AnyEnum): boolean {
  if (l.size !== t.size || l.values.length > t.values.length) return false;
  return l.values.every((lv) => t.values.some((tv) => namesMatch(lv.name, tv.name)));
}

// bpf_core_composites_match: each local member matches some target member of its name.
function compositesMatch(local: Btf, l: BtfCompositeType, target: Btf, t: BtfCompositeType, behindPtr: boolean, level: number): boolean {
  if (l.members.length > t.members.length) return false;
  for (const lm of l.members) {
    let matched = false;
    for (const tm of t.members) {
      if (!namesMatch(lm.name, tm.name)) continue;
      if (typesMatchAt(local, lm.type, target, tm.type, behindPtr, level - 1)) {
        matched = true;
        break;
      }
    }
    if (!matched) return false;
  }
  return true;
}

/** bpf_core_types_match: whether local type `localId` matches target type `targetId` (roots' names already compared). */
export function typesMatch(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  return typesMatchAt(local, localId, target, targetId, false, COMPAT_DEPTH);
}

function typesMatchAt(local: Btf, localId: number, target: Btf, targetId: number, behindPtr: boolean, level: number): boolean {
  if (level <= 0) fail("types nest more than 32 deep");
  for (let depth = COMPAT_DEPTH; ; ) {
    if (--depth < 0) fail("types nest more than 32 deep");
    const l = skipMods(local, localId), t = skipMods(target, targetId);
    if (!namesMatch(l.name, t.name)) return false;
    switch (l.kind) {
      case "void":
        return t.kind === "void";
      case "fwd":
        if (behindPtr) {
          if (t.kind === "fwd") return l.kflag === t.kflag;
          return (t.kind === "struct" && !l.kflag) || (t.kind === "union" && l.kflag);
        }
        return t.kind === "fwd" && l.kflag === t.kflag;
      case "enum": case "enum64":
        return isEnum(t) && enumsMatch(l, t);
      case "struct": case "union":
        if (behindPtr) {
          if (t.kind === l.kind) return true;
          return t.kind === "fwd" && (l.kind === "union") === t.kflag;
        }
        return t.kind === l.kind && compositesMatch(local, l, target, t, behindPtr, level);
      case "int":
        return t.kind === "int" && l.size === t.size && (l.encoding & 1) === (t.encoding & 1);
      case "ptr":
        if (t.kind !== "ptr") return false;
        behindPtr = true;
        localId = l.type;
        targetId = t.type;
        continue;
      case "array":
        if (t.kind !== "array" || l.nelems !== t.nelems) return false;
        localId = l.type;
        targetId = t.type;
        continue;
      case "func_proto": {
        if (t.kind !== "func_proto" || l.params.length !== t.params.length) return false;
        for (let i = 0; i < l.params.length; i++) {
          if (!typesMatchAt(local, l.params[i].type, target, t.params[i].type, behindPtr, level - 1)) return false;
        }
        localId = l.returnType;
        targetId = t.returnType;
        continue;
      }
      default:
        return false;
    }
  }
}
