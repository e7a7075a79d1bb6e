/**
 * The object's BTF as the kernel must get it (libbpf's bpf_object_fixup_btf and the DATASEC
 * rewrites of bpf_object__collect_externs): clang leaves DATASEC sizes and variable offsets at
 * zero for the loader to fill from the ELF, hidden globals (variables and .text functions) become static, and the `.kconfig` and
 * `.ksyms` sections, whose extern VARs and FUNCs the kernel refuses, become allocated variables.
 * Type ids stay as they are (one "dummy_ksym" VAR may be appended), so the map specs and
 * func_info that name ids keep pointing at the same types.
 * @module
 */
import type { Btf } from "../btf/btf.ts";
import { rewriteBtf } from "../btf/rewrite.ts";
import type { AnyBtfType, BtfDatasecType, BtfDatasecVar, BtfVarType } from "../btf/types.ts";
import { ElfError } from "./error.ts";
import type { ElfFile } from "./file.ts";
import { isHiddenVisibility, SymbolBind, SymbolType } from "./constants.ts";
import type { ElfExternSpec } from "./externs.ts";

const VAR_STATIC = 0, VAR_ALLOCATED = 1, VAR_EXTERN = 2, FUNC_STATIC = 0, FUNC_GLOBAL = 1;
const DUMMY = "dummy_ksym";

/** `btf` fixed up for loading, as libbpf loads an object's BTF; `btf` itself when nothing changes. */
export function objectBtf(btf: Btf, elf: ElfFile, externs: readonly ElfExternSpec[]): Btf {
  const first = btf.firstId;
  const out: AnyBtfType[] = [];
  for (let id = first; id < btf.count; id++) out.push(btf.typeById(id));
  const get = (id: number) => out[id - first];
  const put = (t: AnyBtfType) => {
    out[t.id - first] = t;
  };
  let changed = false;
  const extern = new Map(externs.map((e) => [e.name, e]));
  const objects = new Map<string, { value: number; visibility: number }>();
  // libbpf's mark_btf_static: a .text function that is global or weak but hidden is verified with
  // its caller, as a static one is (usdt.bpf.h's bpf_usdt_arg takes a pointer the caller owns).
  const hiddenFuncs = new Set<string>();
  const text = elf.section(".text")?.index;
  for (const s of elf.symbols()) {
    if (s.type === SymbolType.object && s.name) objects.set(s.name, s);
    else if (s.type === SymbolType.func && s.shndx === text && s.bind !== SymbolBind.local && isHiddenVisibility(s.visibility)) hiddenFuncs.add(s.name);
  }
  const int32 = out.find((t) => t.kind === "int" && t.bits === 32)?.id ?? 0;
  let dummy = 0;

  for (let i = 0; i < out.length; i++) {
    const sec = out[i];
    if (sec.kind !== "datasec") continue;
    const vars: BtfDatasecVar[] = sec.vars.map((v) => ({ ...v }));
    let size = sec.size;
    if (sec.name === ".ksyms") {
      let off = 0;
      for (const vs of vars) {
        const vt = get(vs.type);
        const ext = extern.get(vt.name);
        if (ext === undefined) throw new ElfError(`.ksyms entry ${JSON.stringify(vt.name)} [${vt.id}] has no extern symbol`);
        if (vt.kind === "func") {
          if (dummy === 0) {
            dummy = first + out.length;
            out.push({ id: dummy, name: DUMMY, kind: "var", kindNumber: 14, kflag: false, type: int32, linkage: VAR_ALLOCATED });
          }
          const proto = get(vt.type);
          if (proto.kind === "func_proto" && proto.params.some((p) => p.type !== 0 && p.name === "")) {
            put({ ...proto, params: proto.params.map((p) => (p.type !== 0 && p.name === "" ? { ...p, name: DUMMY } : p)) });
          }
          put({ ...vt, linkage: FUNC_GLOBAL });
          vs.type = dummy;
        } else if (vt.kind === "var") {
          put({ ...vt, linkage: VAR_ALLOCATED, type: int32 });
        }
        vs.offset = off;
        vs.size = 4;
        off += 4;
      }
      size = off;
    } else if (sec.name === ".kconfig") {
      size = 0;
      for (const vs of vars) {
        const vt = get(vs.type) as BtfVarType;
        const ext = extern.get(vt.name);
        if (ext?.kconfig === undefined) throw new ElfError(`.kconfig entry ${JSON.stringify(vt.name)} [${vt.id}] has no kconfig extern`);
        put({ ...vt, linkage: VAR_ALLOCATED });
        vs.offset = ext.kconfig.offset;
        size = Math.max(size, ext.kconfig.offset + ext.kconfig.size);
      }
      // libbpf sizes the section from the last extern in its sorted order: the same end.
      const all = externs.filter((e) => e.kconfig);
      if (all.length) size = all[all.length - 1].kconfig!.offset + all[all.length - 1].kconfig!.size;
    } else {
      const fix = size === 0;
      if (fix) {
        const s = elf.section(sec.name);
        if (s === undefined || s.size === 0) throw new ElfError(`DATASEC ${JSON.stringify(sec.name)}: no ELF section of that name gives its size`);
        size = s.size;
      }
      for (const vs of vars) {
        const vt = get(vs.type);
        if (vt.kind !== "var") throw new ElfError(`DATASEC ${JSON.stringify(sec.name)} holds a ${vt.kind} [${vt.id}], not a VAR`);
        if (vt.linkage === VAR_STATIC || vt.linkage === VAR_EXTERN) continue;
        const sym = objects.get(vt.name);
        if (sym === undefined) throw new ElfError(`DATASEC ${JSON.stringify(sec.name)}: no ELF symbol for variable ${JSON.stringify(vt.name)}`);
        if (fix) vs.offset = sym.value;
        if (isHiddenVisibility(sym.visibility)) put({ ...vt, linkage: VAR_STATIC });
      }
    }
    vars.sort((a, b) => a.offset - b.offset);
    const next: BtfDatasecType = { ...sec, size, vars };
    if (next.size !== sec.size || vars.some((v, j) => v.type !== sec.vars[j].type || v.offset !== sec.vars[j].offset || v.size !== sec.vars[j].size)) {
      out[i] = next;
      changed = true;
    }
  }
  if (hiddenFuncs.size) {
    for (let i = 0; i < out.length; i++) {
      const t = out[i];
      if (t.kind === "func" && t.linkage === FUNC_GLOBAL && hiddenFuncs.has(t.name)) out[i] = { ...t, linkage: FUNC_STATIC };
    }
  }
  for (let id = first; id < btf.count; id++) if (out[id - first] !== btf.typeById(id)) changed = true;
  if (!changed) return btf;
  return rewriteBtf(btf, out);
}
