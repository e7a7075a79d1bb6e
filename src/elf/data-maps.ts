/**
 * Global data: each non-empty `.data*`, `.rodata*` and `.bss*` section becomes a one-entry ARRAY
 * map named as libbpf's internal_map_name does, holding the section's bytes, with its variables
 * from the section's DATASEC.
 * @module
 */
import type { Btf } from "../btf/btf.ts";
import type { BtfDatasecType } from "../btf/types.ts";
import { ElfError } from "./error.ts";
import type { ElfFile, ElfSection } from "./file.ts";
import { SectionType, SymbolType } from "./constants.ts";
import { emptySpec, type ElfMapSpec, type ElfMapVariable } from "./map-spec.ts";
import { MapType } from "../uapi/enums.gen.ts";
import { MapCreateFlags } from "../uapi/flags.gen.ts";

const OBJ_NAME_LEN = 16; // BPF_OBJ_NAME_LEN, with its NUL

/** Which global-data kind a section is, by libbpf's name rules; undefined for any other section. */
export function dataSectionKind(s: ElfSection): "data" | "rodata" | "bss" | undefined {
  const is = (base: string) => s.name === base || s.name.startsWith(`${base}.`);
  if (s.type === SectionType.progbits && is(".data")) return "data";
  if (s.type === SectionType.progbits && is(".rodata")) return "rodata";
  if (s.type === SectionType.nobits && is(".bss")) return "bss";
  return undefined;
}

/**
 * libbpf's name for a global-data map: the object name cut to leave room for the section name
 * (15 characters in all), or the section name alone for a custom ".data.foo"; other characters
 * than [A-Za-z0-9_.] become "_".
 */
export function internalMapName(objectName: string, section: string): string {
  const sfx = section.slice(0, OBJ_NAME_LEN - 1);
  const custom = section.indexOf(".", 1) >= 0;
  // libbpf keeps room for a 7-character suffix whatever the section: "my_objec.bss".
  const pfx = custom ? 0 : Math.min(OBJ_NAME_LEN - Math.max(7, sfx.length) - 1, objectName.length);
  return (objectName.slice(0, pfx) + sfx).slice(0, OBJ_NAME_LEN - 1).replace(/[^A-Za-z0-9_.]/g, "_");
}

/** libbpf's object name of a file: its base name up to the first dot ("maps.el.o" is "maps"). */
export function objectNameFromPath(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.indexOf(".");
  return dot >= 0 ? base.slice(0, dot) : base;
}

/** The global-data map of one section, or undefined when it is empty. */
export function dataMapSpec(elf: ElfFile, btf: Btf | undefined, sec: ElfSection, objectName: string): ElfMapSpec | undefined {
  const kind = dataSectionKind(sec);
  if (kind === undefined || sec.size === 0) return undefined;
  const contents = sectionContents(elf, sec);
  const spec = emptySpec(internalMapName(objectName, sec.name), "data", sec.name);
  spec.type = MapType.array;
  spec.keySize = 4;
  spec.valueSize = sec.size;
  spec.maxEntries = 1;
  spec.contents = contents;
  if (kind === "rodata") spec.flags |= MapCreateFlags.rdonly_prog;
  const vars = sectionVariables(elf, btf, sec);
  if (vars !== undefined) {
    spec.valueTypeId = vars.datasecId;
    spec.variables = vars.variables;
    // Only maps with a non-static variable are mmapable: libbpf's map_is_mmapable.
    if (vars.variables.some((v) => v.linkage !== 0)) spec.flags |= MapCreateFlags.mmapable;
  }
  return spec;
}

/** A copy of data section `sec`'s initial bytes (zeros for SHT_NOBITS); an ElfError when they run past the file. */
export function sectionContents(elf: ElfFile, sec: ElfSection): Uint8Array {
  if (sec.type === SectionType.nobits) return new Uint8Array(sec.size);
  if (sec.offset + sec.size > elf.bytes.length) throw new ElfError(`section's ${sec.size} bytes run past the file`, { section: `${sec.index} (${sec.name})` });
  return elf.data(sec).slice();
}

/**
 * The variables of data section `sec` from its DATASEC, offsets taken from the ELF symbols as
 * libbpf fixes them up (clang leaves them 0); undefined when the BTF has no DATASEC of that name.
 */
export function sectionVariables(elf: ElfFile, btf: Btf | undefined, sec: ElfSection): { datasecId: number; variables: ElfMapVariable[] } | undefined {
  const ds = btf?.find(sec.name, "datasec") as BtfDatasecType | undefined;
  if (btf === undefined || ds === undefined) return undefined;
  const where = { section: `${sec.index} (${sec.name})` };
  const symAt = new Map<string, number>();
  for (const s of elf.symbols()) if (s.shndx === sec.index && s.type === SymbolType.object && s.name) symAt.set(s.name, s.value);
  const variables: ElfMapVariable[] = [];
  for (const v of ds.vars) {
    const t = btf.typeById(v.type);
    if (t.kind !== "var") throw new ElfError(`DATASEC ${sec.name} entry type ${v.type} is a ${t.kind}, not a VAR`, where);
    const offset = symAt.get(t.name) ?? v.offset;
    if (offset + v.size > sec.size) throw new ElfError(`variable ${JSON.stringify(t.name)} at ${offset} (+${v.size}) runs past the section's ${sec.size} bytes`, where);
    variables.push({ name: t.name, offset, size: v.size, varTypeId: t.id, typeId: t.type, linkage: t.linkage });
  }
  return { datasecId: ds.id, variables };
}
