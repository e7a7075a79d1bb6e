/**
 * .BTF.ext records of a linked program (libbpf's reloc_prog_func_and_line_info and
 * adjust_prog_btf_ext_info): each part's records - those of its section whose instruction lies
 * in it - are taken in file order, converted from byte offsets to instruction indexes, and moved
 * to where the part sits in the linked program. CO-RE records follow the same parts.
 * @module
 */
import type { BtfExt } from "../btf/ext.ts";
import { ElfError } from "./error.ts";
import { sectionLabel } from "./functions.ts";
import type { ElfCoreRelo, ElfFuncInfo, ElfLineInfo } from "./program-spec.ts";
import type { LinkedPart } from "./subprogs.ts";

/** The rebased .BTF.ext records of one linked program. */
export interface ProgramExtInfo {
  /** func_info, in part order. */
  funcInfo: ElfFuncInfo[];
  /** line_info, in part order. */
  lineInfo: ElfLineInfo[];
  /** CO-RE relocations, in part order. */
  coreRelos: ElfCoreRelo[];
}

/**
 * The records of `recs` that belong to `part`, rebased, as adjust_prog_btf_ext_info picks them:
 * from the first record in the part to the last before one past its end (records are sorted).
 */
function pick<T extends { insnOff: number }>(recs: readonly T[] | undefined, part: LinkedPart): { rec: T; insn: number }[] | undefined {
  if (recs === undefined) return undefined;
  const start = part.fn.insnOff, end = start + part.fn.insns.count;
  let first = -1, last = -1;
  for (let i = 0; i < recs.length; i++) {
    const insn = Math.floor(recs[i].insnOff / 8);
    if (insn < start) continue;
    if (insn >= end) break;
    if (first < 0) first = i;
    last = i;
  }
  if (first < 0) return undefined;
  const adj = part.at - start;
  return recs.slice(first, last + 1).map((rec) => ({ rec, insn: Math.floor(rec.insnOff / 8) + adj }));
}

/**
 * func_info and line_info as libbpf gathers them: when the entry program has none, none is kept
 * for the whole program; when it has some, a subprogram without any is an ElfError (libbpf
 * fails the load: "missing .BTF.ext function info").
 */
function gather<T extends { insnOff: number }, R>(
  bySection: ReadonlyMap<string, readonly T[]>,
  parts: readonly LinkedPart[],
  what: string,
  make: (rec: T, insn: number) => R,
): R[] {
  const out: R[] = [];
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k];
    const got = pick(bySection.get(part.fn.section.name), part);
    if (got === undefined) {
      if (k === 0) return [];
      throw new ElfError(`program ${JSON.stringify(parts[0].fn.name)}: subprogram ${JSON.stringify(part.fn.name)} has no .BTF.ext ${what} while the program has`, {
        section: sectionLabel(part.fn.section),
      });
    }
    for (const { rec, insn } of got) out.push(make(rec, insn));
  }
  return out;
}

/** The .BTF.ext records of the program linked from `parts`; all empty without `ext`. */
export function programExtInfo(ext: BtfExt | undefined, parts: readonly LinkedPart[]): ProgramExtInfo {
  if (ext === undefined) return { funcInfo: [], lineInfo: [], coreRelos: [] };
  const funcInfo = gather(ext.funcInfo, parts, "func_info", (r, insn): ElfFuncInfo => ({ insn, typeId: r.typeId }));
  const lineInfo = gather(ext.lineInfo, parts, "line_info", (r, insn): ElfLineInfo => ({ insn, fileNameOff: r.fileNameOff, lineOff: r.lineOff, lineCol: r.lineCol }));
  // CO-RE records go with whichever function holds their instruction (bpf_object__relocate_core),
  // each one on its own: no contiguity rule, and a function may have none.
  const coreRelos: ElfCoreRelo[] = [];
  for (const part of parts) {
    const recs = ext.coreRelos.get(part.fn.section.name);
    if (recs === undefined) continue;
    const start = part.fn.insnOff, end = start + part.fn.insns.count;
    for (const r of recs) {
      const insn = r.insnOff / 8;
      if (insn >= start && insn < end) coreRelos.push({ insn: insn - start + part.at, typeId: r.typeId, accessStrOff: r.accessStrOff, access: r.access, kind: r.kind });
    }
  }
  return { funcInfo, lineInfo, coreRelos };
}
