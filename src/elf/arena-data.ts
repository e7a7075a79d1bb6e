/**
 * Global `__arena` variables (clang's `__attribute__((address_space(1)))` globals, in section
 * `.addr_space.1`): they live in the object's one BPF_MAP_TYPE_ARENA map, as libbpf places them
 * (init_arena_map_data). The section's bytes become that map's initial contents and its DATASEC
 * its variables; Collection.load copies them into the mapped arena before any program loads.
 * @module
 */
import type { Btf } from "../btf/btf.ts";
import { MapType } from "../uapi/enums.gen.ts";
import { ElfError } from "./error.ts";
import type { ElfFile } from "./file.ts";
import type { ElfMapSpec } from "./map-spec.ts";
import { sectionContents, sectionVariables } from "./data-maps.ts";

/** The section clang puts `__arena` globals in (libbpf's ARENA_SEC). */
export const ARENA_SECTION = ".addr_space.1";

const isArena = (m: ElfMapSpec): boolean => m.source === "btf" && m.type === MapType.arena;

/** The object's arena map, declared in `.maps`; undefined when it has none. */
export function arenaMap(maps: readonly ElfMapSpec[]): ElfMapSpec | undefined {
  return maps.find(isArena);
}

/**
 * Gives the arena map of `maps` the `.addr_space.1` section's bytes and variables. An object
 * with `__arena` globals and no arena map, or with two arena maps, is an ElfError, as libbpf refuses it.
 */
export function attachArenaData(elf: ElfFile, btf: Btf | undefined, maps: readonly ElfMapSpec[]): void {
  const arenas = maps.filter(isArena);
  if (arenas.length > 1) throw new ElfError(`only one ARENA map is supported: ${arenas.map((m) => JSON.stringify(m.name)).join(" and ")} are both ARENA maps`, { section: ".maps" });
  const sec = elf.section(ARENA_SECTION);
  if (sec === undefined || sec.size === 0) return;
  if (arenas.length === 0) throw new ElfError(`global __arena variables need an ARENA map declared in SEC(".maps")`, { section: `${sec.index} (${sec.name})` });
  const m = arenas[0];
  m.contents = sectionContents(elf, sec);
  m.variables = sectionVariables(elf, btf, sec)?.variables ?? [];
}
