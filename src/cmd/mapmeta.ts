/**
 * Key and value sizes of open map fds, so element calls check buffer sizes before the syscall
 * (a short value buffer would otherwise be overrun by the kernel). Filled when this library
 * creates or opens a map, or on first use through BPF_OBJ_GET_INFO_BY_FD; dropped by `close()`.
 * @module
 */
import { Cmd, MapType } from "../uapi/enums.gen.ts";
import { UpdateFlags } from "../uapi/flags.gen.ts";
import { Attr } from "../sys/attr.ts";
import { bpfCall } from "../sys/bpf.ts";
import { possibleCpus } from "../sys/cpus.ts";
import { InfoAttr, MapInfo } from "../uapi/layout.gen.ts";
import { fdTarget } from "../sys/syscalls.ts";

/**
 * A map's shape as created (the first fields of struct bpf_map_info): what element calls check
 * buffers against. The one definition: BpfMap's own state (map/core.ts) extends it.
 */
export class MapMeta {
  /** MapType value. */
  readonly type: number;
  /** Key size in bytes (0 for queue, stack, bloom filter). */
  readonly keySize: number;
  /** Value size in bytes as created. */
  readonly valueSize: number;
  /** Bytes a value buffer must have in syscalls: one 8-byte-aligned slot per possible CPU for per-CPU maps. */
  readonly valueBytes: number;
  /** max_entries. */
  readonly maxEntries: number;
  /** map_flags. */
  readonly flags: number;

  /** The shape of a map of `type` with these sizes, max_entries and map_flags. */
  constructor(type: number, keySize: number, valueSize: number, maxEntries: number, flags: number) {
    this.type = type;
    this.keySize = keySize;
    this.valueSize = valueSize;
    this.valueBytes = isPerCpu(type) ? Math.ceil(valueSize / 8) * 8 * possibleCpus() : valueSize;
    this.maxEntries = maxEntries;
    this.flags = flags;
  }
}

const PERCPU = new Set<number>([MapType.percpu_hash, MapType.percpu_array, MapType.lru_percpu_hash, MapType.percpu_cgroup_storage]);

/** True for map types whose values are per CPU. */
export function isPerCpu(type: number): boolean {
  return PERCPU.has(type);
}

const metas: (MapMeta | null | undefined)[] = [];

/** Records the shape of a map fd this library just obtained (any older entry for the number is stale). */
export function rememberMap(fd: number, type: number, keySize: number, valueSize: number, maxEntries: number, flags: number): MapMeta {
  const m = new MapMeta(type, keySize, valueSize, maxEntries, flags);
  metas[fd] = m;
  return m;
}

/** Forgets what is known about `fd` (it was closed, or now names another object). */
export function forgetFd(fd: number): void {
  if (fd >= 0 && fd < metas.length) metas[fd] = undefined;
}

const info = new Attr(InfoAttr.size);
const infoBuf = new Uint8Array(new ArrayBuffer(MapInfo.size));
const infoDv = new DataView(infoBuf.buffer);

/** Reads a map fd's shape from the kernel and records it. */
export function loadMapMeta(fd: number): MapMeta {
  infoBuf.fill(0);
  info.zero(InfoAttr.size)
    .u32(InfoAttr.fields.bpf_fd.off, fd)
    .u32(InfoAttr.fields.info_len.off, MapInfo.size)
    .ptr(InfoAttr.fields.info.off, infoBuf);
  bpfCall(Cmd.obj_get_info_by_fd, info, InfoAttr.size, { context: `fd ${fd}` });
  const f = MapInfo.fields;
  return rememberMap(
    fd,
    infoDv.getUint32(f.type.off, true),
    infoDv.getUint32(f.key_size.off, true),
    infoDv.getUint32(f.value_size.off, true),
    infoDv.getUint32(f.max_entries.off, true),
    infoDv.getUint32(f.map_flags.off, true),
  );
}

/**
 * The shape of map `fd`, or null when `fd` is open but not a map (the kernel then rejects the
 * call before touching any buffer). Unknown fds are looked up once.
 */
export function mapMeta(fd: number): MapMeta | null {
  const m = metas[fd];
  return m !== undefined ? m : unknownMeta(fd);
}

// Kept apart from mapMeta so the engines inline the cached case into every element call.
function unknownMeta(fd: number): MapMeta | null {
  if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`bad fd ${fd}`);
  const target = fdTarget(fd);
  if (target !== "anon_inode:bpf-map") {
    // Not cached: the fd may become a map later under the same number.
    return null;
  }
  return loadMapMeta(fd);
}

/** Bytes a value buffer needs for an element call with `flags` (BPF_F_CPU and BPF_F_ALL_CPUS take one value). */
export function valueBytesFor(m: MapMeta, flags: number): number {
  return flags & (UpdateFlags.cpu | UpdateFlags.all_cpus) ? m.valueSize : m.valueBytes;
}
