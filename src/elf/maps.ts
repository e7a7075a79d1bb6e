/**
 * Map specs of a BPF ELF object, in the order libbpf and cilium create them: legacy `maps`
 * definitions, then BTF-defined `.maps`, then global data in section order. Pure: no kernel.
 * @module
 */
import type { Btf } from "../btf/btf.ts";
import type { ElfFile } from "./file.ts";
import type { ElfMapSpec } from "./map-spec.ts";
import { legacyMapSpecs } from "./legacy-maps.ts";
import { btfMapSpecs } from "./btf-maps.ts";
import { dataMapSpec } from "./data-maps.ts";
import { attachArenaData } from "./arena-data.ts";

/** Options of {@link mapSpecs}. */
export interface MapSpecsOptions {
  /** The object's name, prefixed to global-data map names (libbpf: the file name up to its first dot). */
  objectName?: string;
}

/**
 * Every map the object declares, the arena map holding the `__arena` globals. Malformed input is an ElfError (or a BtfError for bad BTF)
 * naming the section, map or offset.
 */
export function mapSpecs(elf: ElfFile, btf: Btf | undefined, options: MapSpecsOptions = {}): ElfMapSpec[] {
  const out: ElfMapSpec[] = [];
  for (const s of elf.sections) if (s.name === "maps" || s.name.startsWith("maps/")) out.push(...legacyMapSpecs(elf, s));
  const maps = elf.section(".maps");
  if (maps !== undefined) out.push(...btfMapSpecs(elf, btf, maps));
  attachArenaData(elf, btf, out);
  for (const s of elf.sections) {
    const spec = dataMapSpec(elf, btf, s, options.objectName ?? "");
    if (spec !== undefined) out.push(spec);
  }
  return out;
}
