/**
 * The type rules as booleans for callers outside relocation: libbpf checks typed ksyms and kfunc
 * prototypes against vmlinux with bpf_core_types_are_compat, where too deep a nesting is as
 * much a refusal as a mismatch.
 * @module
 */
import type { Btf } from "../btf.ts";
import { typesAreCompat } from "./compat.ts";
import { CoreFailure } from "./error.ts";
import { typesMatch } from "./match.ts";

function asBool(f: () => boolean): boolean {
  try {
    return f();
  } catch (e) {
    if (e instanceof CoreFailure) return false;
    throw e;
  }
}

/** bpf_core_types_are_compat: whether local type `localId` is compatible with target type `targetId` (names not compared). */
export function coreTypesAreCompat(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  return asBool(() => typesAreCompat(local, localId, target, targetId));
}

/** bpf_core_types_match: whether local type `localId` matches target type `targetId` (TYPE_MATCHES' rules). */
export function coreTypesMatch(local: Btf, localId: number, target: Btf, targetId: number): boolean {
  return asBool(() => typesMatch(local, localId, target, targetId));
}
