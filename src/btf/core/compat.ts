/**
 * Compatibility of types for CO-RE (relo_core.c): bpf_core_fields_are_compat, for a member
 * found by name in a target, and __bpf_core_types_are_compat, for type-based relocations
 * (and, in libbpf, typed ksyms and kfuncs). Typedefs and modifiers are looked through.
 * @module
 */
import type { Btf } from "../btf.ts";
import type { AnyBtfType } from "../types.ts";
import { kindCoreCompat } from "./candidates.ts";
import { fail } from "./error.ts";
import { anonOrSameEssential } from "./names.ts";
import { skipMods } from "./spec.ts";

/** libbpf's recursion limit for type comparisons (depth and level 32). */
export const COMPAT_DEPTH = 32;

function isComposite(t: AnyBtfType): boolean {
  return t.kind === "struct" || t.kind === "union";
}

// BTF_INT_OFFSET != 0: the deprecated bitfield-in-an-int encoding, never relocated.
function plainInt(t: AnyBtfType): boolean {
  return t.kind === "int" && t.bitOffset === 0;
}

/**
 * bpf_core_fields_are_compat: any two structs/unions; pointers, floats; fwds and enums of the
 * same essential name (or either anonymous); ints that are not bitfield-ints; arrays whose
 * elements are (dimensions ignored). Anything else is not.
 */
export function fieldsAreCompat(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  // Array nesting is finite in BTF the parser accepted; the bound only stops a crafted cycle.
  for (let depth = 0; depth <= local.count + target.count; depth++) {
    const l = skipMods(local, localId), t = skipMods(target, targetId);
    if (isComposite(l) && isComposite(t)) return true;
    if (!kindCoreCompat(l.kindNumber, t.kindNumber)) return false;
    switch (l.kind) {
      case "ptr": case "float": return true;
      case "fwd": case "enum": case "enum64": return anonOrSameEssential(l.name, t.name);
      case "int": return plainInt(l) && plainInt(t);
      case "array":
        localId = l.type;
        targetId = (t as typeof l).type;
        continue;
      default: return false;
    }
  }
  return fail("array element types nest without end");
}

/**
 * __bpf_core_types_are_compat: the root kinds agree (the caller matched names); then, modifiers
 * skipped, structs, unions, enums and fwds by kind alone, ints that are not bitfield-ints,
 * pointers and arrays by what they hold, function prototypes by arity and each parameter and
 * the return type. Deeper than `level` prototypes or 32 steps is a CoreFailure, as in libbpf.
 */
export function typesAreCompat(local: Btf, localId: number, target: Btf, targetId: number, level: number = COMPAT_DEPTH): boolean {
  if (!kindCoreCompat(local.kindNumberOf(localId), target.kindNumberOf(targetId))) return false;
  for (let depth = COMPAT_DEPTH; ; ) {
    if (--depth < 0) fail("types nest more than 32 deep");
    const l = skipMods(local, localId), t = skipMods(target, targetId);
    if (!kindCoreCompat(l.kindNumber, t.kindNumber)) return false;
    switch (l.kind) {
      case "void": case "struct": case "union": case "enum": case "fwd": case "enum64":
        return true;
      case "int":
        return plainInt(l) && plainInt(t);
      case "ptr":
      case "array":
        localId = l.type;
        targetId = (t as typeof l).type;
        continue;
      case "func_proto": {
        const tp = t as typeof l;
        if (l.params.length !== tp.params.length) return false;
        for (let i = 0; i < l.params.length; i++) {
          if (level <= 0) fail("function prototypes nest more than 32 deep");
          const lp = skipMods(local, l.params[i].type).id, tq = skipMods(target, tp.params[i].type).id;
          if (!typesAreCompat(local, lp, target, tq, level - 1)) return false;
        }
        localId = skipMods(local, l.returnType).id;
        targetId = skipMods(target, tp.returnType).id;
        continue;
      }
      default:
        return false;
    }
  }
}
