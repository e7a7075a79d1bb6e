/**
 * CO-RE, pure: BPF CO-RE relocations (every enum bpf_core_relo_kind) resolved against target
 * BTFs and patched into instructions as libbpf does - candidates by essential name, ambiguity an
 * error, failed relocations poisoned - plus the type compatibility rules libbpf applies to
 * typed ksyms and kfuncs.
 * @module
 */
export {
  applyCoreRelos, type CoreCandidateCache, type CoreOptions, type CoreReloInput, coreRelosFromExt, type CoreResult, type CoreTargetRef,
} from "./apply.ts";
export { CoreError, type CoreRelocationRef } from "./error.ts";
export { type CoreKindName, coreKindName } from "./kinds.ts";
export { CORE_POISON_IMM } from "./patch.ts";
export { type CoreCandidate, findCandidates as coreCandidates } from "./candidates.ts";
export { essentialName as coreEssentialName } from "./names.ts";
export { coreTypesAreCompat, coreTypesMatch } from "./public-compat.ts";
