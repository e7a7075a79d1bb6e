/**
 * Verifier errors of poisoned instructions told in the object's terms, as libbpf's
 * fixup_verifier_log does: a reachable call of helper 0xbad2310 is a CO-RE relocation that
 * failed, one of POISON_CALL_KFUNC_BASE + i a weak kfunc the kernel lacks, one of
 * POISON_LDIMM64_MAP_BASE + i a map that was not created.
 * @module
 */
import type { CoreResult } from "../btf/core/apply.ts";
import { CORE_POISON_IMM } from "../btf/core/patch.ts";
import type { ElfExternSpec } from "../elf/externs.ts";
import type { ElfMapSpec } from "../elf/map-spec.ts";
import type { ElfProgramSpec } from "../elf/program-spec.ts";
import { VerifierError } from "../program/verifier-error.ts";
import { POISON_CALL_KFUNC_BASE, POISON_LDIMM64_MAP_BASE } from "./load-programs.ts";

/** `e` again with what the poisoned instruction it failed on stands for, or `e` itself. */
export function explainPoison(e: unknown, p: ElfProgramSpec, core: readonly CoreResult[], externs: readonly ElfExternSpec[], maps: readonly ElfMapSpec[]): unknown {
  if (!(e instanceof VerifierError)) return e;
  const m = /invalid func unknown#(\d+)/.exec(e.log);
  if (m === null) return e;
  const imm = Number(m[1]);
  let why: string | undefined;
  if (imm === CORE_POISON_IMM) {
    const r = core.find((x) => x.poisoned && x.insn === e.insn) ?? core.find((x) => x.poisoned);
    if (r) why = `instruction ${r.insn} was poisoned by CO-RE relocation #${r.index} (${r.kindName} of ${r.spec}): ${r.reason ?? "no matching kernel type"}`;
  } else if (imm >= POISON_CALL_KFUNC_BASE && imm < POISON_CALL_KFUNC_BASE + externs.length) {
    why = `a reachable call of weak kfunc ${externs[imm - POISON_CALL_KFUNC_BASE].name}, which the kernel does not have (guard it with bpf_ksym_exists())`;
  } else if (imm >= POISON_LDIMM64_MAP_BASE && imm < POISON_LDIMM64_MAP_BASE + maps.length) {
    why = `a reachable use of map ${maps[imm - POISON_LDIMM64_MAP_BASE].name}, which was not created`;
  }
  if (why === undefined) return e;
  const err = new VerifierError(e.errno, e.log, { context: `program "${p.name}" (section ${p.section}): ${why}`, truncated: e.truncated });
  (err as { cause?: unknown }).cause = e;
  return err;
}
