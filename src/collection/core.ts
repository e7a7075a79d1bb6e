/**
 * CO-RE for a collection's programs: each program's relocations applied against the kernel's
 * BTF (vmlinux, then module BTFs for types vmlinux lacks, as libbpf searches) or the BTF the
 * caller gave, with one candidate cache for the whole object as libbpf keeps one.
 * @module
 */
import type { Btf } from "../btf/btf.ts";
import { applyCoreRelos, type CoreCandidateCache, type CoreResult } from "../btf/core/apply.ts";
import type { ElfProgramSpec } from "../elf/program-spec.ts";

/** Where CO-RE looks for target types, and the candidates found so far. */
export interface CoreTargets {
  /** vmlinux's BTF, or the caller's BTF. */
  vmlinux: Btf;
  /** Module BTFs, searched for types vmlinux lacks; absent for a caller's BTF. */
  modules?: () => Btf[];
  /** Candidate lists shared by the object's programs. */
  cache: CoreCandidateCache;
}

/** Applies `p`'s CO-RE relocations to `code` (a copy of p.insns) in place; a CoreError names a relocation that cannot be applied. */
export function relocateProgram(code: Uint8Array, p: ElfProgramSpec, local: Btf, targets: CoreTargets): CoreResult[] {
  if (p.coreRelos.length === 0) return [];
  const all = [targets.vmlinux, ...(targets.modules?.() ?? [])];
  return applyCoreRelos(code, p.coreRelos, local, all, { section: p.section, cache: targets.cache });
}
