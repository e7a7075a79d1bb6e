/**
 * struct_ops maps: each VAR of a `.struct_ops` or `.struct_ops.link` section (a leading '?' makes
 * it not created by default) is a BPF_MAP_TYPE_STRUCT_OPS map of one entry whose value is a
 * kernel struct of function pointers (tcp_congestion_ops, sched_ext_ops, ...), as libbpf's
 * init_struct_ops_maps and bpf_object__collect_st_ops_relos read them: the variable's bytes,
 * and, from the section's relocations, which struct_ops program each member points to.
 * Pure: the kernel's layout of the struct is found at load (collection/struct-ops.ts).
 * @module
 */
import type { Btf } from "../btf/btf.ts";
import type { BtfCompositeType } from "../btf/types.ts";
import { MapType, ProgType } from "../uapi/enums.gen.ts";
import { MapCreateFlags } from "../uapi/flags.gen.ts";
import { ElfError } from "./error.ts";
import type { ElfFile, ElfSection } from "./file.ts";
import { SectionFlag, SectionIndex, SectionType, SymbolType } from "./constants.ts";
import { emptySpec, type ElfMapSpec } from "./map-spec.ts";
import { sectionProgramType } from "./section-type.ts";

const STRUCT_OPS = ".struct_ops", STRUCT_OPS_LINK = ".struct_ops.link";

/** Whether `name` is a struct_ops section by libbpf's rules: exactly one of the four names. */
export function isStructOpsSection(name: string): boolean {
  const n = name.startsWith("?") ? name.slice(1) : name;
  return n === STRUCT_OPS || n === STRUCT_OPS_LINK;
}

interface Placed {
  spec: ElfMapSpec;
  struct: BtfCompositeType;
  offset: number;
}

const label = (s: ElfSection) => `${s.index} (${s.name})`;

/** The struct_ops maps of every struct_ops section, in section order, then DATASEC order. */
export function structOpsMapSpecs(elf: ElfFile, btf: Btf | undefined): ElfMapSpec[] {
  const out: ElfMapSpec[] = [];
  for (const sec of elf.sections) {
    if (!isStructOpsSection(sec.name)) continue;
    const placed = sectionMaps(elf, btf, sec);
    const rel = elf.sections.find((s) => (s.type === SectionType.rel || s.type === SectionType.rela) && s.info === sec.index);
    if (rel !== undefined) assignPrograms(elf, btf!, rel, placed);
    out.push(...placed.map((p) => p.spec));
  }
  return out;
}

function sectionMaps(elf: ElfFile, btf: Btf | undefined, sec: ElfSection): Placed[] {
  const where = { section: label(sec) };
  if (sec.type !== SectionType.progbits) throw new ElfError(`a struct_ops section must be SHT_PROGBITS, not type ${sec.type}`, where);
  if (btf === undefined) throw new ElfError("a struct_ops section needs the object's .BTF to describe its structs", where);
  const ds = btf.find(sec.name, "datasec");
  if (ds === undefined || ds.kind !== "datasec") throw new ElfError(`no DATASEC ${JSON.stringify(sec.name)} in the object's BTF`, where);
  const bytes = elf.data(sec);
  const optional = sec.name.startsWith("?");
  const link = (optional ? sec.name.slice(1) : sec.name) === STRUCT_OPS_LINK;
  const out: Placed[] = [];
  for (const v of ds.vars) {
    const vt = btf.typeById(v.type);
    if (vt.kind !== "var") throw new ElfError(`DATASEC ${sec.name} entry type ${v.type} is a ${vt.kind}, not a VAR`, where);
    const t = btf.resolve(vt.type);
    if (t.kind !== "struct") throw new ElfError(`struct_ops variable ${JSON.stringify(vt.name)} is a ${t.kind} [${t.id}], not a struct`, where);
    if (t.name === "") throw new ElfError(`struct_ops variable ${JSON.stringify(vt.name)} has an anonymous struct [${t.id}]: the kernel's is found by name`, where);
    if (v.offset + t.size > bytes.length) throw new ElfError(`struct_ops variable ${JSON.stringify(vt.name)} at ${v.offset} (+${t.size}) runs past the section's ${bytes.length} bytes`, where);
    const spec = emptySpec(vt.name, "struct_ops", sec.name);
    spec.type = MapType.struct_ops;
    spec.keySize = 4;
    spec.valueSize = t.size; // the local struct's; the kernel's value type's at load
    spec.maxEntries = 1;
    spec.flags = link ? MapCreateFlags.link : 0;
    spec.valueTypeId = t.id;
    spec.structOps = { typeName: t.name, typeId: t.id, data: bytes.slice(v.offset, v.offset + t.size), programs: Object.create(null), autocreate: !optional };
    out.push({ spec, struct: t, offset: v.offset });
  }
  return out;
}

/** Whether member type `id` is a pointer to a function (modifiers and typedefs skipped), as libbpf's resolve_func_ptr. */
function isFuncPtr(btf: Btf, id: number): boolean {
  const p = btf.resolve(id);
  return p.kind === "ptr" && btf.resolve(p.type).kind === "func_proto";
}

// Each relocation points a function-pointer member at a struct_ops program: by the symbol's
// section and offset, as libbpf finds the program (find_prog_by_sec_insn).
function assignPrograms(elf: ElfFile, btf: Btf, rel: ElfSection, placed: Placed[]): void {
  const table = elf.sectionAt(rel.link, "relocation section's sh_link", rel);
  const syms = elf.symbols(table);
  for (const r of elf.relocations(rel)) {
    const where = { section: label(rel), offset: r.offset };
    const p = placed.find((m) => r.offset >= m.offset && r.offset < m.offset + m.struct.size);
    if (p === undefined) throw new ElfError(`struct_ops relocation at offset ${r.offset} lies in no struct_ops variable`, where);
    const map = JSON.stringify(p.spec.name);
    const moff = r.offset - p.offset;
    const member = p.struct.members.find((m) => m.bitOffset === moff * 8);
    if (member === undefined) throw new ElfError(`struct_ops map ${map}: no member of struct ${p.struct.name} at byte ${moff}`, where);
    if (!isFuncPtr(btf, member.type)) throw new ElfError(`struct_ops map ${map}: member ${member.name} is not a function pointer, and cannot hold a program`, where);
    const sym = syms[r.symbol];
    if (sym.shndx === SectionIndex.undef || sym.shndx >= SectionIndex.loreserve) {
      throw new ElfError(`struct_ops map ${map}: member ${member.name} points to ${JSON.stringify(sym.name)}, which is not defined in the object`, where);
    }
    if (sym.value % 8 !== 0) throw new ElfError(`struct_ops map ${map}: member ${member.name}'s target offset ${sym.value} is not an instruction boundary`, where);
    const code = elf.sections[sym.shndx];
    if (code === undefined || (code.flags & SectionFlag.execinstr) === 0) {
      throw new ElfError(`struct_ops map ${map}: member ${member.name} points to ${JSON.stringify(sym.name)}, which is not code`, where);
    }
    const fn = syms.find((s) => s.shndx === sym.shndx && s.type === SymbolType.func && s.value === sym.value && s.name !== "");
    if (fn === undefined) throw new ElfError(`struct_ops map ${map}: member ${member.name}: no function at offset ${sym.value} of ${label(code)}`, where);
    if (sectionProgramType(code.name)?.type !== ProgType.struct_ops) {
      throw new ElfError(`struct_ops map ${map}: member ${member.name} points to ${JSON.stringify(fn.name)} of section ${JSON.stringify(code.name)}, not a SEC("struct_ops/...") program`, where);
    }
    p.spec.structOps!.programs[member.name] = fn.name;
  }
  // Members in declaration order, whatever order the relocations came in.
  for (const p of placed) {
    const got = p.spec.structOps!.programs;
    const sorted: Record<string, string> = Object.create(null);
    for (const m of p.struct.members) if (m.name in got) sorted[m.name] = got[m.name];
    p.spec.structOps!.programs = sorted;
  }
}
