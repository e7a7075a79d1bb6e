/**
 * Matching a local spec to one candidate target type (libbpf's bpf_core_spec_match): type
 * kinds by compatibility or TYPE_MATCHES' rules, enum kinds by the enumerator's essential name,
 * field kinds by finding each named member in the target (looking into anonymous members) and
 * each array index within the target's bounds, building the target spec and its bit offset.
 * @module
 */
import type { Btf } from "../btf.ts";
import type { BtfCompositeType } from "../types.ts";
import { fieldsAreCompat, typesAreCompat } from "./compat.ts";
import { fail } from "./error.ts";
import { CoreReloKind, isEnumKind, isFieldKind, isTypeKind } from "./kinds.ts";
import { typesMatch } from "./match.ts";
import { essentialName } from "./names.ts";
import { checkOffset, type CoreAccessor, type CoreSpec, isFlexArray, sizeOf, skipMods, SPEC_MAX_LEN } from "./spec.ts";

/**
 * bpf_core_match_member: finds the member `local` names in target type `targetId`, recursing into
 * anonymous members and adding each level to `spec`; returns the member's type id when it is
 * there and compatible, else undefined (leaving `spec` as it was).
 */
function matchMember(localBtf: Btf, local: CoreAccessor, target: Btf, targetId: number, spec: CoreSpec): number | undefined {
  const t = skipMods(target, targetId);
  if (t.kind !== "struct" && t.kind !== "union") return undefined;
  const lm = (localBtf.typeById(local.typeId) as BtfCompositeType).members[local.idx];
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i];
    if (spec.raw.length === SPEC_MAX_LEN) fail(`members nest more than ${SPEC_MAX_LEN} deep`, "E2BIG");
    spec.bitOffset += m.bitOffset;
    spec.raw.push(i);
    if (m.name === "") {
      const found = matchMember(localBtf, local, target, m.type, spec);
      if (found !== undefined) return found;
    } else if (m.name === lm.name) {
      if (fieldsAreCompat(localBtf, lm.type, target, m.type)) {
        spec.acc.push({ typeId: t.id, idx: i, name: m.name });
        return m.type;
      }
      // A name is unique among the members C reaches: an incompatible one ends the search.
      spec.bitOffset -= m.bitOffset;
      spec.raw.pop();
      return undefined;
    }
    spec.bitOffset -= m.bitOffset;
    spec.raw.pop();
  }
  return undefined;
}

/** The spec of `local` in candidate `targetId` of `target`, or undefined when it does not match. */
export function matchSpec(local: CoreSpec, target: Btf, targetId: number): CoreSpec | undefined {
  const spec: CoreSpec = { btf: target, rootId: targetId, kind: local.kind, raw: [], acc: [], bitOffset: 0 };
  if (isTypeKind(local.kind)) {
    const ok = local.kind === CoreReloKind.type_matches
      ? typesMatch(local.btf, local.rootId, target, targetId)
      : typesAreCompat(local.btf, local.rootId, target, targetId);
    return ok ? spec : undefined;
  }
  if (isEnumKind(local.kind)) {
    const t = skipMods(target, targetId);
    if (t.kind !== "enum" && t.kind !== "enum64") return undefined;
    const want = essentialName(local.acc[0].name!);
    const i = t.values.findIndex((v) => essentialName(v.name) === want);
    if (i < 0) return undefined;
    spec.acc.push({ typeId: t.id, idx: i, name: t.values[i].name });
    spec.raw.push(i);
    return spec;
  }
  if (!isFieldKind(local.kind)) fail(`unknown relocation kind ${local.kind}`);
  let id = targetId;
  for (let i = 0; i < local.acc.length; i++) {
    const la = local.acc[i];
    const t = skipMods(target, id);
    id = t.id;
    if (la.name !== undefined) {
      const next = matchMember(local.btf, la, target, id, spec);
      if (next === undefined) return undefined;
      id = next;
      continue;
    }
    // The root's index steps over whole root objects; later ones index arrays.
    if (i > 0) {
      if (t.kind !== "array") return undefined;
      if (!isFlexArray(target, spec.acc[spec.acc.length - 1], t.nelems) && la.idx >= t.nelems) return undefined;
      id = skipMods(target, t.type).id;
    }
    if (spec.raw.length === SPEC_MAX_LEN) fail(`members nest more than ${SPEC_MAX_LEN} deep`, "E2BIG");
    spec.acc.push({ typeId: id, idx: la.idx });
    spec.raw.push(la.idx);
    spec.bitOffset += la.idx * sizeOf(target, id) * 8;
  }
  checkOffset(spec);
  return spec;
}
