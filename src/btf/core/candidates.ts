/**
 * Candidate target types of a local type (libbpf's bpf_core_find_cands / bpf_core_add_cands):
 * types of a CO-RE-compatible kind whose essential name equals the local one's, in id order,
 * from the first target (vmlinux, or the BTF the user gives) and only when it has none from the
 * others (module BTFs, their own types). Each target's names are indexed once, on first use.
 * @module
 */
import type { Btf } from "../btf.ts";
import { essentialName } from "./names.ts";

/** A candidate target type. */
export interface CoreCandidate {
  /** The BTF it is in: a target, or a module BTF's base when the module is split over it. */
  btf: Btf;
  /** Its type id there. */
  id: number;
}

const ENUM = 6, ENUM64 = 19;

/** btf_kind_core_compat: the same BTF_KIND_*, or both ENUM/ENUM64. */
export function kindCoreCompat(a: number, b: number): boolean {
  return a === b || ((a === ENUM || a === ENUM64) && (b === ENUM || b === ENUM64));
}

// Each Btf's own named types by essential name, ids ascending.
const indexes = new WeakMap<Btf, Map<string, number[]>>();

function ownIndex(btf: Btf): Map<string, number[]> {
  let index = indexes.get(btf);
  if (index) return index;
  index = new Map();
  for (let id = btf.firstId; id < btf.count; id++) {
    const off = btf.nameOffOf(id);
    if (off === 0) continue;
    const name = essentialName(btf.strings.get(off, id));
    if (name === "") continue;
    const list = index.get(name);
    if (list) list.push(id);
    else index.set(name, [id]);
  }
  indexes.set(btf, index);
  return index;
}

function addFrom(out: CoreCandidate[], btf: Btf, ids: readonly number[] | undefined, kind: number): void {
  if (ids) for (const id of ids) if (kindCoreCompat(btf.kindNumberOf(id), kind)) out.push({ btf, id });
}

/**
 * Candidates for local type `localId` of `local`: from `targets[0]` (all its types, a split
 * BTF's base included, as libbpf searches vmlinux from id 1), else from each further target's
 * own types (libbpf starts module searches at vmlinux's type count). The local type must be named.
 */
export function findCandidates(local: Btf, localId: number, targets: readonly Btf[]): CoreCandidate[] {
  const name = essentialName(local.typeById(localId).name);
  const kind = local.kindNumberOf(localId);
  const out: CoreCandidate[] = [];
  if (targets.length === 0) return out;
  const chain: Btf[] = [];
  for (let b: Btf | undefined = targets[0]; b; b = b.base) chain.unshift(b);
  for (const b of chain) addFrom(out, b, ownIndex(b).get(name), kind);
  if (out.length) return out;
  for (const t of targets.slice(1)) addFrom(out, t, ownIndex(t).get(name), kind);
  return out;
}
