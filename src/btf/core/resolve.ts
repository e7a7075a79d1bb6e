/**
 * One relocation against its candidates (libbpf's bpf_core_calc_relo_insn): every candidate
 * the local spec matches must agree on the bit offset and on the outcome, else the relocation
 * is ambiguous - an error, never a guess; the candidate list then keeps only those that matched,
 * so later relocations of the same local type choose among them. No match at all is not an
 * error: existence kinds give 0 and the rest are poisoned.
 * @module
 */
import type { Btf } from "../btf.ts";
import { calcRelo, type CoreCalc } from "./calc.ts";
import type { CoreCandidate } from "./candidates.ts";
import { fail } from "./error.ts";
import { CoreReloKind } from "./kinds.ts";
import { type CoreSpec, formatSpec, parseSpec } from "./spec.ts";
import { matchSpec } from "./spec-match.ts";

/** The outcome of resolving one relocation. */
export interface CoreResolution {
  /** The values and decision. */
  calc: CoreCalc;
  /** The local spec. */
  local: CoreSpec;
  /** The first matching candidate's spec, when one matched. */
  target?: CoreSpec;
  /** How many candidates matched (all agreeing). */
  matched: number;
}

/**
 * Resolves the relocation of local root `rootId` with `access` and `kind`. `cands` is the local
 * type's shared candidate list (not needed for TYPE_ID_LOCAL), narrowed in place to the matches.
 */
export function resolveRelo(local: Btf, rootId: number, access: string, kind: number, cands: CoreCandidate[] | undefined, little: boolean): CoreResolution {
  const spec = parseSpec(local, rootId, access, kind);
  if (kind === CoreReloKind.type_id_local) {
    // The local id is what the instruction should hold; linking may have renumbered it, so unchecked.
    const id = BigInt(rootId);
    return { calc: { origVal: id, newVal: id, poison: false, validate: false, failMemszAdjust: false, origSize: 0, newSize: 0, origTypeId: 0, newTypeId: 0 }, local: spec, matched: 0 };
  }
  if (local.typeById(rootId).name === "") fail("CO-RE does not relocate anonymous types: give the type a name", "EOPNOTSUPP");
  const list = cands ?? [];
  let best: { calc: CoreCalc; spec: CoreSpec } | undefined;
  const kept: CoreCandidate[] = [];
  for (const c of list) {
    const cs = matchSpec(spec, c.btf, c.id);
    if (!cs) continue;
    const calc = calcRelo(kind, spec, cs, little);
    if (!best) {
      best = { calc, spec: cs };
    } else if (cs.bitOffset !== best.spec.bitOffset) {
      fail(`field offset ambiguity: candidate ${formatSpec(cs)} puts it at bit ${cs.bitOffset}, candidate ${formatSpec(best.spec)} at bit ${best.spec.bitOffset}`);
    } else if (calc.poison !== best.calc.poison || calc.newVal !== best.calc.newVal) {
      const say = (x: CoreCalc) => (x.poison ? "failure" : `success ${x.newVal}`);
      fail(`relocation decision ambiguity: candidate ${formatSpec(cs)} gives ${say(calc)}, candidate ${formatSpec(best.spec)} ${say(best.calc)}`);
    }
    kept.push(c);
  }
  if (best) {
    if (cands) cands.splice(0, cands.length, ...kept);
    return { calc: best.calc, local: spec, target: best.spec, matched: kept.length };
  }
  return { calc: calcRelo(kind, spec, undefined, little), local: spec, matched: 0 };
}
