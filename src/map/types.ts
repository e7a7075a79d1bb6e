/**
 * What the map types (enum bpf_map_type) allow from user space: which have no keys, which hold
 * per-CPU values, which store fds and return ids, which cannot delete. Checked before syscalls so
 * a wrong call is a clear TypeError rather than an EINVAL.
 * @module
 */
import { MapType } from "../uapi/enums.gen.ts";

export { mapTypeName } from "../uapi/names.gen.ts";

/** Map types whose values are per CPU: one 8-byte-aligned slot per possible CPU. */
export type PerCpuMapType =
  | typeof MapType.percpu_hash | typeof MapType.percpu_array | typeof MapType.lru_percpu_hash | typeof MapType.percpu_cgroup_storage;

/** Map types that store an object's fd and hand back its id on lookup. */
export type FdMapType = typeof MapType.prog_array | typeof MapType.array_of_maps | typeof MapType.hash_of_maps;

/** Map types that hold maps. */
export type OfMapsType = typeof MapType.array_of_maps | typeof MapType.hash_of_maps;

// Types without keys: element calls take a NULL key (queue, stack, bloom filter) or none at all.
const KEYLESS = new Set<number>([MapType.queue, MapType.stack, MapType.bloom_filter, MapType.ringbuf, MapType.user_ringbuf, MapType.arena]);
const QUEUES = new Set<number>([MapType.queue, MapType.stack]);
const FD_MAPS = new Set<number>([MapType.prog_array, MapType.array_of_maps, MapType.hash_of_maps]);
const OF_MAPS = new Set<number>([MapType.array_of_maps, MapType.hash_of_maps]);
// Arrays preallocate every index: the kernel refuses deletes with EINVAL.
const NO_DELETE = new Set<number>([MapType.array, MapType.percpu_array]);

// Arrays indexed by a u32 key: an index past max_entries is E2BIG on update.
const INDEXED = new Set<number>([MapType.array, MapType.percpu_array, MapType.prog_array, MapType.array_of_maps, MapType.perf_event_array, MapType.cgroup_array]);

/** True for array-like types whose key is a u32 index below max_entries. */
export function isIndexed(type: number): boolean {
  return INDEXED.has(type);
}
/** True for types with no keys (queue, stack, bloom filter, ring buffers, arena). */
export function isKeyless(type: number): boolean {
  return KEYLESS.has(type);
}
/** True for queue and stack. */
export function isQueue(type: number): boolean {
  return QUEUES.has(type);
}
/** True for prog_array, array_of_maps, hash_of_maps: values are fds going in, ids coming out. */
export function isFdMap(type: number): boolean {
  return FD_MAPS.has(type);
}
/** True for array_of_maps and hash_of_maps. */
export function isOfMaps(type: number): boolean {
  return OF_MAPS.has(type);
}
/** True for array and percpu_array, whose elements cannot be deleted. */
export function cannotDelete(type: number): boolean {
  return NO_DELETE.has(type);
}
