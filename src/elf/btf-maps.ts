/**
 * BTF-defined maps: each VAR of the `.maps` DATASEC is an anonymous struct whose members encode
 * the map's attributes (bpf_helpers.h's __uint, __type, __array, __ulong), and `.rel.maps`
 * relocations fill a map-in-map's or prog array's `values` slots.
 * @module
 */
import type { Btf } from "../btf/btf.ts";
import type { AnyBtfType, BtfCompositeType, BtfDatasecType } from "../btf/types.ts";
import { ElfError } from "./error.ts";
import type { ElfFile, ElfSection } from "./file.ts";
import { SectionType, SymbolType } from "./constants.ts";
import { emptySpec, type ElfMapSlot, type ElfMapSpec } from "./map-spec.ts";
import { MapType } from "../uapi/enums.gen.ts";

/** Byte range of one map's definition in `.maps`, for matching relocations to maps. */
interface Placed {
  spec: ElfMapSpec;
  offset: number;
  size: number;
  valuesOffset: number;
}

const fail = (map: string, what: string): never => {
  throw new ElfError(`map ${JSON.stringify(map)}: ${what}`, { section: ".maps" });
};

// __uint(name, val) is `int (*name)[val]`: the value is the pointed-to array's length.
function uintField(btf: Btf, map: string, m: { name: string; type: number }): number {
  const p = btf.resolve(m.type);
  if (p.kind !== "ptr") return fail(map, `field ${m.name} is a ${p.kind}, not __uint's pointer to an array`);
  const arr = btf.typeById(p.type);
  if (arr.kind !== "array") return fail(map, `field ${m.name} points to a ${arr.kind}, not __uint's array`);
  return arr.nelems;
}

// __ulong(name, val) is an enum member with one enumerator whose value is val; __uint also works.
function ulongField(btf: Btf, map: string, m: { name: string; type: number }): bigint {
  const t = btf.resolve(m.type);
  if ((t.kind === "enum" || t.kind === "enum64") && t.values.length === 1) {
    const v = BigInt(t.values[0].value);
    // A 32-bit enum's value may decode signed; the field is unsigned.
    return t.kind === "enum" && v < 0n ? v + (1n << 32n) : BigInt.asUintN(64, v);
  }
  if (t.kind === "enum" || t.kind === "enum64") return fail(map, `field ${m.name} is an enum of ${t.values.length} values, not __ulong's one`);
  return BigInt(uintField(btf, map, m));
}

// __type(name, T) is `typeof(T) *name`: the pointee's id and size.
function typeField(btf: Btf, map: string, m: { name: string; type: number }): { id: number; size: number } {
  const p = btf.resolve(m.type);
  if (p.kind !== "ptr") return fail(map, `field ${m.name} is a ${p.kind}, not __type's pointer`);
  return { id: p.type, size: btf.sizeof(p.type) };
}

function setSize(map: string, what: "key" | "value", have: number, got: number): number {
  if (have !== 0 && have !== got) fail(map, `${what}_size ${have} disagrees with the ${what} type's ${got} bytes`);
  return got;
}

/** Parses one map definition struct; `inner` forbids what an inner map may not have. */
function parseDef(btf: Btf, name: string, def: BtfCompositeType, inner: boolean): { spec: ElfMapSpec; valuesOffset: number } {
  const spec = emptySpec(name, "btf", ".maps");
  let valuesOffset = -1;
  def.members.forEach((m, i) => {
    switch (m.name) {
      case "type": spec.type = uintField(btf, name, m); break;
      case "max_entries": spec.maxEntries = uintField(btf, name, m); break;
      case "map_flags": spec.flags = uintField(btf, name, m); break;
      case "numa_node": spec.numaNode = uintField(btf, name, m); break;
      case "key_size": spec.keySize = setSize(name, "key", spec.keySize, uintField(btf, name, m)); break;
      case "value_size": spec.valueSize = setSize(name, "value", spec.valueSize, uintField(btf, name, m)); break;
      case "key": { const t = typeField(btf, name, m); spec.keyTypeId = t.id; spec.keySize = setSize(name, "key", spec.keySize, t.size); break; }
      case "value": { const t = typeField(btf, name, m); spec.valueTypeId = t.id; spec.valueSize = setSize(name, "value", spec.valueSize, t.size); break; }
      case "map_extra": spec.mapExtra = ulongField(btf, name, m); break;
      case "pinning": {
        if (inner) fail(name, "an inner map cannot be pinned");
        const v = uintField(btf, name, m);
        if (v !== 0 && v !== 1) fail(name, `pinning ${v} is neither LIBBPF_PIN_NONE 0 nor LIBBPF_PIN_BY_NAME 1`);
        spec.pinning = v;
        break;
      }
      case "values": {
        if (inner) fail(name, "an inner map cannot have values: one level of nesting only");
        if (i !== def.members.length - 1) fail(name, "values must be the last field");
        const arr = btf.typeById(m.type);
        if (arr.kind !== "array" || arr.nelems !== 0) fail(name, "values is not __array's zero-length array");
        const p = btf.resolve((arr as { type: number }).type);
        if (p.kind !== "ptr") fail(name, `values holds ${p.kind}s, not pointers`);
        const target = btf.resolve((p as { type: number }).type);
        if (spec.type === MapType.array_of_maps || spec.type === MapType.hash_of_maps) {
          if (target.kind !== "struct") fail(name, `values of a map-in-map point to a ${target.kind}, not an inner map struct`);
          spec.inner = parseDef(btf, `${name}.inner`, target as BtfCompositeType, true).spec;
        } else if (spec.type === MapType.prog_array) {
          if (target.kind !== "func_proto") fail(name, `values of a prog array point to a ${target.kind}, not a function`);
        } else {
          fail(name, `values is only for map-in-map and prog arrays, not map type ${spec.type}`);
        }
        // The slots hold fds (or ids): 4 bytes whatever the pointer size.
        if (spec.valueSize !== 0 && spec.valueSize !== 4) fail(name, `value_size ${spec.valueSize} of a map with values is not 4`);
        spec.valueSize = 4;
        if (m.bitOffset % 8 !== 0) fail(name, "values is not byte-aligned");
        valuesOffset = m.bitOffset / 8;
        break;
      }
      // libbpf's default (non-strict) mode skips fields it does not know.
      default: break;
    }
  });
  if (spec.type === 0) fail(name, "map type isn't specified");
  return { spec, valuesOffset };
}

/** The BTF-defined maps of `.maps` in DATASEC order, with their `values` slots filled from `.rel.maps`. */
export function btfMapSpecs(elf: ElfFile, btf: Btf | undefined, sec: ElfSection): ElfMapSpec[] {
  const where = { section: `${sec.index} (${sec.name})` };
  if (btf === undefined) throw new ElfError("a .maps section needs the object's .BTF to describe its maps", where);
  const ds = btf.find(".maps", "datasec") as BtfDatasecType | undefined;
  if (ds === undefined) throw new ElfError("no DATASEC .maps in the object's BTF", where);
  const syms = elf.symbols();
  const symAt = new Map<string, { value: number; size: number }>();
  for (const s of syms) if (s.shndx === sec.index && s.type !== SymbolType.section && s.name) symAt.set(s.name, s);
  const placed: Placed[] = [];
  for (const v of ds.vars) {
    const varType: AnyBtfType = btf.typeById(v.type);
    if (varType.kind !== "var") throw new ElfError(`DATASEC .maps entry type ${v.type} is a ${varType.kind}, not a VAR`, where);
    const def = btf.resolve(varType.type);
    if (def.kind !== "struct") fail(varType.name, `its definition is a ${def.kind}, not a struct`);
    const { spec, valuesOffset } = parseDef(btf, varType.name, def as BtfCompositeType, false);
    const sym = symAt.get(varType.name);
    const offset = sym?.value ?? v.offset;
    // A definition with `values` initialisers is longer than its struct: the symbol says by how much.
    const size = Math.max(sym?.size ?? 0, v.size, (def as BtfCompositeType).size);
    if (offset + size > sec.size) throw new ElfError(`map ${JSON.stringify(varType.name)} at ${offset} (+${size}) runs past the section's ${sec.size} bytes`, where);
    placed.push({ spec, offset, size, valuesOffset });
  }
  const rel = elf.sections.find((s) => (s.type === SectionType.rel || s.type === SectionType.rela) && s.info === sec.index);
  if (rel !== undefined) fillSlots(elf, rel, placed);
  return placed.map((p) => p.spec);
}

// Each relocation in .rel.maps points a `values` slot at an inner map or a program.
function fillSlots(elf: ElfFile, rel: ElfSection, placed: Placed[]): void {
  const table = elf.sectionAt(rel.link, "relocation section's sh_link", rel);
  const syms = elf.symbols(table);
  for (const r of elf.relocations(rel)) {
    const where = { section: `${rel.index} (${rel.name})`, offset: r.offset };
    const sym = syms[r.symbol];
    const p = placed.find((m) => r.offset >= m.offset && r.offset < m.offset + m.size);
    if (p === undefined) throw new ElfError(`relocation at .maps offset ${r.offset} lies in no map`, where);
    const name = p.spec.name;
    if (p.valuesOffset < 0) throw new ElfError(`map ${JSON.stringify(name)} has a relocation but no values field`, where);
    const moff = r.offset - p.offset - p.valuesOffset;
    if (moff < 0 || moff % 8 !== 0) throw new ElfError(`relocation at .maps offset ${r.offset} is not on a values slot of map ${JSON.stringify(name)}`, where);
    const isProg = p.spec.type === MapType.prog_array;
    if (isProg ? sym.type !== SymbolType.func : elf.sections[sym.shndx]?.name !== ".maps") {
      throw new ElfError(`map ${JSON.stringify(name)}'s slot ${moff / 8} refers to ${JSON.stringify(sym.name)}, not a ${isProg ? "program" : "map"}`, where);
    }
    const index = moff / 8;
    if (p.spec.maxEntries !== 0 && index >= p.spec.maxEntries) throw new ElfError(`map ${JSON.stringify(name)}'s slot ${index} is past max_entries ${p.spec.maxEntries}`, where);
    const slot: ElfMapSlot = { index, name: sym.name };
    (p.spec.slots ??= []).push(slot);
  }
  for (const p of placed) p.spec.slots?.sort((a, b) => a.index - b.index);
}
