/**
 * Exception callbacks (libbpf's bpf_prog_assign_exc_cb): a `exception_callback:<name>` BTF
 * decl tag on an entry program's FUNC names the global `.text` function libbpf appends to that
 * program after linking, so the verifier finds it (bpf_throw's handler).
 * @module
 */
import type { Btf } from "../btf/btf.ts";
import { ElfError } from "./error.ts";
import { type ElfCode, type ElfFunction, sectionLabel } from "./functions.ts";

const PREFIX = "exception_callback:";
const FUNC_GLOBAL = 1;

/** The whole-declaration exception_callback tags of `btf`: the tagged type id and the tag's value. */
export function exceptionTags(btf: Btf | undefined): { target: number; value: string }[] {
  const out: { target: number; value: string }[] = [];
  if (btf === undefined) return out;
  for (const t of btf.types()) {
    if (t.kind === "decl_tag" && t.componentIdx === -1 && t.name.startsWith(PREFIX)) out.push({ target: t.type, value: t.name.slice(PREFIX.length) });
  }
  return out;
}

/** The exception callback of entry program `prog`, if a tag names one; a misplaced or dangling tag is an ElfError. */
export function exceptionCallback(btf: Btf | undefined, tags: readonly { target: number; value: string }[], code: ElfCode, prog: ElfFunction): ElfFunction | undefined {
  if (btf === undefined) return undefined;
  const where = { section: sectionLabel(prog.section) };
  let found: ElfFunction | undefined;
  for (const tag of tags) {
    const t = btf.typeById(tag.target);
    if (t.kind !== "func" || t.linkage !== FUNC_GLOBAL) {
      throw new ElfError(`program ${JSON.stringify(prog.name)}: an exception_callback:${tag.value} decl tag is not on a global function (type ${tag.target})`, where);
    }
    if (t.name !== prog.name) continue;
    // Two callbacks for one program: libbpf appends neither and leaves it to the verifier.
    if (found !== undefined) return undefined;
    if (tag.value === "") throw new ElfError(`program ${JSON.stringify(prog.name)}: its exception_callback: decl tag has an empty value`, where);
    const sub = code.text ? code.bySection.get(code.text.index)?.find((f) => f.name === tag.value) : undefined;
    if (sub === undefined) throw new ElfError(`program ${JSON.stringify(prog.name)}: exception callback ${JSON.stringify(tag.value)} is no .text function`, where);
    if (!sub.global || sub.hidden) throw new ElfError(`program ${JSON.stringify(prog.name)}: exception callback ${JSON.stringify(tag.value)} must be a global, non-hidden function`, where);
    found = sub;
  }
  return found;
}
