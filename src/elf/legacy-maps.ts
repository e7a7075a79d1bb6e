/**
 * Legacy map definitions in a `maps` section: struct bpf_map_def (five u32s, 20 bytes) per
 * symbol, with any tail bytes kept (iproute2's bpf_elf_map, as aya emits it). libbpf 1.x refuses
 * these; cilium and aya load them, and so does tsbpf.
 * @module
 */
import { ElfError } from "./error.ts";
import type { ElfFile, ElfSection } from "./file.ts";
import { SectionType, SymbolType } from "./constants.ts";
import { emptySpec, type ElfMapSpec } from "./map-spec.ts";

const DEF = 20;

/** The specs of a legacy `maps` section, one per symbol in st_value order. */
export function legacyMapSpecs(elf: ElfFile, sec: ElfSection): ElfMapSpec[] {
  const where = { section: `${sec.index} (${sec.name})` };
  if (sec.type !== SectionType.progbits) throw new ElfError("legacy maps section is not SHT_PROGBITS", where);
  const syms = elf.symbols().filter((s) => s.shndx === sec.index && s.type !== SymbolType.section && s.name !== "").sort((a, b) => a.value - b.value);
  if (syms.length === 0) return [];
  // As libbpf did: every definition has the same size, the section's share per symbol.
  if (sec.size % syms.length !== 0) throw new ElfError(`size ${sec.size} is not a multiple of its ${syms.length} map symbols`, where);
  const size = sec.size / syms.length;
  if (size < DEF) throw new ElfError(`map definitions of ${size} bytes are shorter than struct bpf_map_def's 20`, where);
  const data = elf.data(sec);
  if (data.length !== sec.size) throw new ElfError(`section's ${sec.size} bytes run past the file`, where);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength), le = elf.little;
  return syms.map((sym) => {
    if (sym.value % 4 !== 0 || sym.value + size > sec.size) {
      throw new ElfError(`map symbol ${JSON.stringify(sym.name)} at ${sym.value} is not a ${size}-byte definition inside the section`, { ...where, offset: sec.offset + sym.value });
    }
    const u = (i: number) => dv.getUint32(sym.value + 4 * i, le);
    const spec = emptySpec(sym.name, "legacy", sec.name);
    spec.type = u(0); spec.keySize = u(1); spec.valueSize = u(2); spec.maxEntries = u(3); spec.flags = u(4);
    if (size > DEF) spec.extra = data.slice(sym.value + DEF, sym.value + size);
    // iproute2's pinning (PIN_OBJECT_NS 1, PIN_GLOBAL_NS 2) is not libbpf's: keep it in the tail only.
    if (size >= DEF + 16) {
      spec.legacyTail = { id: u(5), pinning: u(6), innerId: u(7), innerIdx: u(8) };
    }
    return spec;
  });
}
