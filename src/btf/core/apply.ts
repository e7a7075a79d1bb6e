/**
 * applyCoreRelos: every CO-RE relocation of a program resolved against target BTFs and patched
 * into its instructions, as libbpf's bpf_object__relocate_core does: candidates per local type
 * searched once and shared (narrowed by each relocation that matches), ambiguity an error,
 * relocations with no target poisoned. All or nothing: on a CoreError no instruction changes.
 * @module
 */
import type { Btf } from "../btf.ts";
import { BtfError } from "../error.ts";
import type { BtfExtCoreRelo } from "../ext.ts";
import { type CoreCandidate, findCandidates } from "./candidates.ts";
import { CoreError, CoreFailure, type CoreRelocationRef } from "./error.ts";
import { coreKindName, CoreReloKind } from "./kinds.ts";
import { patchInsn } from "./patch.ts";
import { resolveRelo } from "./resolve.ts";
import { formatSpec } from "./spec.ts";

/** One relocation to apply: a bpf_core_relo with its instruction as an index into the instructions given. */
export interface CoreReloInput {
  /** Index of the instruction to patch (bpf_core_relo.insn_off / 8, less the program's start). */
  insn: number;
  /** bpf_core_relo.type_id: the local root type. */
  typeId: number;
  /** The access string at bpf_core_relo.access_str_off. */
  access: string;
  /** bpf_core_relo.kind, a {@link CoreReloKind}. */
  kind: number;
}

/** Candidate lists by local type id; one per (program BTF, targets), as libbpf keeps one per object. */
export type CoreCandidateCache = Map<number, CoreCandidate[]>;

/** Options of {@link applyCoreRelos}. */
export interface CoreOptions {
  /** The ELF section the instructions come from, named in errors and results. */
  section?: string;
  /**
   * Candidate lists to share with other calls for the same program BTF and targets: libbpf
   * searches once per object and narrows the list as relocations match, across all its programs.
   */
  cache?: CoreCandidateCache;
  /** Instruction byte order; by default the local BTF's (for a program this host loads, the host's). */
  little?: boolean;
}

/** The candidate a relocation resolved against. */
export interface CoreTargetRef {
  /** The target BTF holding it (a module's, or vmlinux). */
  btf: Btf;
  /** Its type id there (what TYPE_ID_TARGET patches in). */
  id: number;
  /** libbpf's text of the target spec: `<byte_off> [114] struct task_struct.pid (0:67 @ offset 2464)`. */
  spec: string;
}

/** What one relocation did. */
export interface CoreResult extends CoreRelocationRef {
  /** libbpf's text of the local spec: `<byte_off> [5] struct fld.b (0:1 @ offset 4)`. */
  spec: string;
  /** The value the program was compiled with (orig_val, a u64). */
  localValue: bigint;
  /** The value patched in (new_val, a u64); undefined when poisoned. */
  targetValue: bigint | undefined;
  /** The instruction was poisoned: a call of helper 0xbad2310, which fails verification if reachable. */
  poisoned: boolean;
  /** Why it was poisoned. */
  reason?: string;
  /** The first matching candidate, when one matched (all that matched agree). */
  target?: CoreTargetRef;
  /** How many candidates matched. */
  matched: number;
  /** A load or store whose field changed size: its access size in bytes before and after (LDX W -> DW). */
  sizes?: { local: number; target: number };
}

function describeType(btf: Btf, id: number): string {
  try {
    const t = btf.typeById(id);
    return `${t.kind} ${t.name || "<anon>"}`;
  } catch {
    return "?";
  }
}

function checkArgs(insns: Uint8Array, relos: readonly CoreReloInput[], local: Btf, targets: readonly Btf[]): void {
  if (!(insns instanceof Uint8Array)) throw new TypeError("applyCoreRelos: insns must be a Uint8Array");
  if (insns.length % 8) throw new RangeError(`applyCoreRelos: ${insns.length} bytes is not a whole number of 8-byte instructions`);
  if (!Array.isArray(relos)) throw new TypeError("applyCoreRelos: relos must be an array");
  if (typeof local?.typeById !== "function") throw new TypeError("applyCoreRelos: local must be a Btf");
  if (!Array.isArray(targets)) throw new TypeError("applyCoreRelos: targets must be an array of Btf");
  for (const t of targets) {
    if (typeof t?.typeById !== "function") throw new TypeError("applyCoreRelos: targets must be an array of Btf");
    if (t.little !== local.little) throw new TypeError("applyCoreRelos: a target BTF's byte order differs from the program's");
  }
}

/**
 * Applies `relos` to `insns` (patched in place, in the program's byte order), resolving each
 * against `targets`: the first is vmlinux (or the BTF to use instead), the rest module BTFs,
 * searched only for types the first lacks, as libbpf does. Returns one result per relocation,
 * in order; throws a CoreError naming the relocation when one cannot be applied.
 * @example
 * ```ts
 * const ext = parseBtfExt(elf.data(elf.section(".BTF.ext")!), btf);
 * const relos = coreRelosFromExt(ext.coreRelos.get("kprobe/x") ?? []);
 * applyCoreRelos(insns, relos, btf, [Btf.kernel()]);
 * ```
 */
export function applyCoreRelos(insns: Uint8Array, relos: readonly CoreReloInput[], local: Btf, targets: readonly Btf[], options: CoreOptions = {}): CoreResult[] {
  checkArgs(insns, relos, local, targets);
  const little = options.little ?? local.little;
  const cache = options.cache ?? new Map<number, CoreCandidate[]>();
  // Patched on a copy, so that an error leaves the caller's instructions as they were.
  const work = insns.slice();
  const results = relos.map((relo, index): CoreResult => {
    const { insn, typeId, access, kind } = relo ?? ({} as CoreReloInput);
    const ref: CoreRelocationRef = {
      index, insn, kind, kindName: coreKindName(kind) ?? "unknown", access: String(access), localTypeId: typeId,
      localType: describeType(local, typeId),
    };
    if (options.section !== undefined) ref.section = options.section;
    try {
      if (ref.kindName === "unknown") throw new CoreFailure(`unknown relocation kind ${kind}`, "EOPNOTSUPP");
      if (typeof access !== "string") throw new CoreFailure("the access string is not a string");
      if (!Number.isInteger(typeId) || typeId <= 0 || typeId >= local.count) throw new CoreFailure(`local type id ${typeId} is not in the program BTF's ${local.count} types`);
      let cands: CoreCandidate[] | undefined;
      if (kind !== CoreReloKind.type_id_local) {
        cands = cache.get(typeId);
        if (!cands) cache.set(typeId, (cands = findCandidates(local, typeId, targets)));
      }
      const r = resolveRelo(local, typeId, access, kind, cands, little);
      const patched = patchInsn(work, insn, r.calc, little);
      const out: CoreResult = {
        ...ref, spec: formatSpec(r.local), localValue: r.calc.origVal, targetValue: patched.poisoned ? undefined : r.calc.newVal,
        poisoned: patched.poisoned, matched: r.matched,
      };
      if (patched.reason !== undefined) out.reason = patched.reason;
      if (r.target) out.target = { btf: r.target.btf, id: r.target.rootId, spec: formatSpec(r.target) };
      if (patched.resized) out.sizes = patched.resized;
      return out;
    } catch (e) {
      if (e instanceof CoreFailure) throw new CoreError(e.message, ref);
      if (e instanceof BtfError) throw new CoreError(`malformed BTF: ${e.message}`, ref, { cause: e });
      throw e;
    }
  });
  insns.set(work);
  return results;
}

/**
 * The relocations of one program from a .BTF.ext section's records: instruction indexes from
 * byte offsets, less `startInsn` (where the program starts in its ELF section, in instructions).
 */
export function coreRelosFromExt(relos: readonly BtfExtCoreRelo[], startInsn = 0): CoreReloInput[] {
  return relos.map((r) => ({ insn: r.insnOff / 8 - startInsn, typeId: r.typeId, access: r.access, kind: r.kind }));
}
