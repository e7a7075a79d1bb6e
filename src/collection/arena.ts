/**
 * The arena of a collection (BPF_MAP_TYPE_ARENA, 6.9+), made ready as libbpf's
 * bpf_object__create_maps makes it: mapped into the process right after it is created, since the
 * verifier takes no program using an arena whose user address is not set yet (map_extra or the
 * first mmap), with the object's `__arena` globals copied in, at the arena's end where the kernel
 * lets an ld_imm64 reach that far (libbpf 1.6+'s placement) and at its start before.
 * @module
 */
import type { ElfMapSpec } from "../elf/map-spec.ts";
import { haveLdimm64FullRange } from "../features/misc.ts";
import { FeatureError } from "../errors.ts";
import type { BpfMap } from "../map/map.ts";
import { type MappedRegion, mapRegion } from "../ringbuf/mapping.ts";
import { Prot } from "../sys/mmap.ts";
import { pageSize } from "../sys/page-size.ts";
import { MapType } from "../uapi/enums.gen.ts";
import { MapCreateFlags } from "../uapi/flags.gen.ts";

/** An arena's mapping and where its `__arena` globals are in it. */
export interface ArenaPlacement {
  /** The mapping; its buffer shows the whole arena unless `viewless`. */
  region: MappedRegion;
  /** True for an arena of BPF_F_SEGV_ON_FAULT: mapped with no view, as a page no program has allocated faults the process there. */
  viewless: boolean;
  /** The arena's size in bytes. */
  size: number;
  /** Byte offset of the globals in the arena: what an ld_imm64 of one adds to its own offset. */
  dataOffset: number;
  /** The globals' size in bytes. */
  dataSize: number;
}

/**
 * Refuses, before any syscall, what cannot work: globals in an arena of BPF_F_SEGV_ON_FAULT (the
 * process itself would fault writing them in: the kernel gives user space no page there until a
 * program allocates one), and globals bigger than the arena.
 */
export function checkArena(m: ElfMapSpec): void {
  if (m.type !== MapType.arena) return;
  const size = m.contents?.length ?? 0;
  if (size === 0) return;
  if (m.flags & MapCreateFlags.segv_on_fault) {
    throw new TypeError(`map "${m.name}": an arena with BPF_F_SEGV_ON_FAULT cannot hold __arena globals (${size} bytes): user space could not write them in, nor read them`);
  }
  const pages = Math.ceil(size / pageSize());
  if (pages > m.maxEntries) throw new RangeError(`map "${m.name}": the arena's ${m.maxEntries} pages are too few for its ${size} bytes of __arena globals (${pages} pages)`);
}

/** Maps the whole arena `map` read-write (at its map_extra address when it has one) and, when `fill`, copies the globals in. */
export function mapArena(map: BpfMap<any, any, any, any>, m: ElfMapSpec, fill: boolean): ArenaPlacement {
  const pg = pageSize();
  const len = pg * m.maxEntries;
  const dataSize = m.contents?.length ?? 0;
  const dataPages = Math.ceil(dataSize / pg) * pg;
  // The probe only matters when there are globals and room after them.
  const spare = len - dataPages;
  const dataOffset = dataSize > 0 && spare > 0 && fullRange() ? spare : 0;
  const viewless = (m.flags & MapCreateFlags.segv_on_fault) !== 0;
  const region = mapRegion(map.fd, len, Prot.read | Prot.write, 0, `arena map ${m.name}`, {
    at: m.mapExtra === 0n ? undefined : Number(m.mapExtra),
    viewless,
  });
  if (fill && dataSize > 0) new Uint8Array(region.buffer, dataOffset, dataSize).set(m.contents!);
  return { region, viewless, size: len, dataOffset, dataSize };
}

// Where the probe cannot tell, the start of the arena: every kernel with arenas takes that.
function fullRange(): boolean {
  try {
    return haveLdimm64FullRange();
  } catch (e) {
    if (e instanceof FeatureError) return false;
    throw e;
  }
}
