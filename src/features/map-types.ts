/**
 * haveMapType(): creates the smallest map of the type that the kernel accepts and closes it.
 * Types that cannot exist without something else get it: maps of maps an inner map, the local
 * storages a one-type BTF, struct_ops (which needs a kernel struct's BTF id) is told apart by
 * the kernel's ENOTSUPP for an id that names no struct_ops type.
 * @module
 */
import { MapType } from "../uapi/enums.gen.ts";
import { MapCreateFlags } from "../uapi/flags.gen.ts";
import { mapTypeName } from "../uapi/names.gen.ts";
import { btfLoad } from "../cmd/btf.ts";
import { close } from "../cmd/fd.ts";
import { mapCreate, type MapCreateOptions } from "../cmd/map.ts";
import { ENOTSUPP } from "../errors.ts";
import { getBackend } from "../sys/backend.ts";
import { intBtf } from "./int-btf.ts";
import { cached, errnoOf, verdict } from "./probe.ts";
import type { MapTypeName } from "./versions.ts";

/** A MapType value or its name ("ringbuf"). */
export type MapTypeLike = number | MapTypeName;

interface Shape {
  key: number;
  value: number;
  max: number;
  opts?: MapCreateOptions;
  /** Needs an inner map fd. */
  inner?: true;
  /** Needs a BTF object with an int as type 1 for key and value. */
  btf?: true;
  /** The errno that means "known type" when a valid map cannot be made. */
  known?: number;
}

// A ring buffer's size must be a power-of-2 multiple of the page size: 64 KiB is one on any page size.
const ringSize = (): number => (getBackend().arch === "x86_64" ? 4096 : 65536);
const NO_PREALLOC = MapCreateFlags.no_prealloc;
const storage: Shape = { key: 4, value: 4, max: 0, opts: { flags: NO_PREALLOC }, btf: true };

function shapeOf(type: number): Shape {
  switch (type) {
    case MapType.stack_trace: return { key: 4, value: 8, max: 1 };
    case MapType.lpm_trie: return { key: 8, value: 8, max: 1, opts: { flags: NO_PREALLOC } };
    case MapType.array_of_maps:
    case MapType.hash_of_maps: return { key: 4, value: 4, max: 1, inner: true };
    case MapType.cgroup_storage:
    case MapType.percpu_cgroup_storage: return { key: 16, value: 8, max: 0 }; // struct bpf_cgroup_storage_key
    case MapType.queue:
    case MapType.stack:
    case MapType.bloom_filter: return { key: 0, value: 4, max: 1 };
    case MapType.sk_storage:
    case MapType.inode_storage:
    case MapType.task_storage:
    case MapType.cgrp_storage: return storage;
    case MapType.struct_ops: return { key: 4, value: 4, max: 1, opts: { btfVmlinuxValueTypeId: 1 }, known: ENOTSUPP };
    case MapType.ringbuf:
    case MapType.user_ringbuf: return { key: 0, value: 0, max: ringSize() };
    case MapType.arena: return { key: 0, value: 0, max: 1, opts: { flags: MapCreateFlags.mmapable, mapExtra: 0 } }; // one page
    case MapType.insn_array: return { key: 4, value: 16, max: 1 }; // struct bpf_insn_array_value
    case MapType.rhash: return { key: 4, value: 4, max: 1, opts: { flags: NO_PREALLOC } };
    default: return { key: 4, value: 4, max: 1 };
  }
}

function probe(type: number): boolean {
  const s = shapeOf(type);
  const held: number[] = [];
  try {
    const opts: MapCreateOptions = { ...s.opts };
    if (s.inner) held.push(opts.innerMapFd = mapCreate(MapType.array, 4, 4, 1));
    if (s.btf) {
      held.push(opts.btfFd = btfLoad(intBtf()));
      opts.btfKeyTypeId = 1;
      opts.btfValueTypeId = 1;
    }
    let errno = 0;
    try {
      held.push(mapCreate(type, s.key, s.value, s.max, opts));
    } catch (e) {
      errno = errnoOf(e);
    }
    if (s.known !== undefined && errno === s.known) return true;
    return verdict(errno, `map type ${typeLabel(type)}`, "map_create");
  } finally {
    for (const fd of held) close(fd);
  }
}

const typeLabel = (t: number): string => `${mapTypeName(t)} (${t})`;

function typeValue(t: MapTypeLike): number {
  if (typeof t === "number") {
    if (!Number.isInteger(t) || t <= 0) throw new RangeError(`map type must be a positive MapType value, got ${t}`);
    return t;
  }
  const n = (MapType as Record<string, number>)[t];
  if (n === undefined || n === 0) throw new TypeError(`unknown map type ${JSON.stringify(t)}`);
  return n;
}

/** Whether the running kernel has map type `type` (BPF_MAP_TYPE_*), by creating the smallest one. Cached. */
export function haveMapType(type: MapTypeLike): boolean {
  const n = typeValue(type);
  return cached(`map type ${typeLabel(n)}`, () => probe(n));
}
