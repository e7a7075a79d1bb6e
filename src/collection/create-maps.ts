/**
 * The maps of a collection, made as libbpf's bpf_object__create_maps makes them: in the object's
 * order, typed by the object's BTF (left out for the map types whose values the kernel will not
 * type, and retried without it where the kernel refuses), inner map templates first, by-name
 * pinned maps reused from (or pinned to) the pin directory, global data filled with its initial
 * contents and `.rodata`/`.kconfig` frozen.
 * @module
 */
import type { Btf } from "../btf/btf.ts";
import { codecFromBtf } from "../btf/codec.ts";
import type { AnyCodec } from "../codec/codec.ts";
import type { ElfMapSpec } from "../elf/map-spec.ts";
import { BpfError } from "../errors.ts";
import { BpfMap } from "../map/map.ts";
import type { MapSpec } from "../map/spec.ts";
import { isFdMap } from "../map/types.ts";
import { mapTypeName } from "../map/types.ts";
import { MapType } from "../uapi/enums.gen.ts";
import { MapCreateFlags } from "../uapi/flags.gen.ts";
import { mapUpdateElem } from "../cmd/map.ts";

/** Map types libbpf creates without BTF key/value types (the kernel cannot type their values). */
const UNTYPED = new Set<number>([
  MapType.perf_event_array, MapType.cgroup_array, MapType.stack_trace, MapType.array_of_maps, MapType.hash_of_maps,
  MapType.devmap, MapType.devmap_hash, MapType.cpumap, MapType.xskmap, MapType.sockmap, MapType.sockhash,
  MapType.queue, MapType.stack, MapType.arena,
]);

const PER_CPU = new Set<number>([MapType.percpu_hash, MapType.percpu_array, MapType.lru_percpu_hash, MapType.percpu_cgroup_storage]);

/** Where libbpf pins maps declared with `__uint(pinning, LIBBPF_PIN_BY_NAME)` unless told another root. */
export const DEFAULT_PIN_PATH = "/sys/fs/bpf";

/** The kernel's object names are 15 characters; libbpf cuts longer map and program names. */
export function objName(name: string): string {
  return name.slice(0, 15).replace(/[^A-Za-z0-9_.]/g, "_");
}

function codec(btf: Btf | undefined, id: number, size: number): AnyCodec | undefined {
  if (btf === undefined || id === 0) return undefined;
  try {
    const c = codecFromBtf(btf, id);
    return c.size === size ? c : undefined;
  } catch {
    // A type no codec can read (a function pointer, an incomplete struct): raw bytes then.
    return undefined;
  }
}

/** The BpfMap.create spec of `m`; `btfFd` types it where the kernel accepts that. */
export function mapCreateSpec(m: ElfMapSpec, btf: Btf | undefined, btfFd: number | undefined, typed = true): MapSpec<AnyCodec, AnyCodec, number> {
  const keyless = m.keySize === 0;
  const key = keyless ? undefined : codec(btf, m.keyTypeId, m.keySize);
  const value = isFdMap(m.type) || PER_CPU.has(m.type) ? undefined : codec(btf, m.valueTypeId, m.valueSize);
  const spec: MapSpec<AnyCodec, AnyCodec, number> = {
    type: m.type, name: objName(m.name), maxEntries: m.maxEntries, flags: m.flags,
    ...(key ? { key } : { keySize: m.keySize }),
    ...(value ? { value } : { valueSize: m.valueSize }),
  };
  if (m.numaNode) spec.numaNode = m.numaNode;
  if (m.mapExtra) spec.mapExtra = m.mapExtra;
  if (typed && btfFd !== undefined && !UNTYPED.has(m.type) && (m.keyTypeId || m.valueTypeId)) {
    spec.btfFd = btfFd;
    spec.btfKeyTypeId = m.keyTypeId;
    spec.btfValueTypeId = m.type === MapType.struct_ops ? 0 : m.valueTypeId;
  }
  if (m.inner) spec.inner = mapCreateSpec(m.inner, btf, btfFd, typed);
  return spec;
}

/** Creates `m`, retrying without BTF as libbpf does when the kernel refuses the types. */
export function createMap(m: ElfMapSpec, btf: Btf | undefined, btfFd: number | undefined): BpfMap<any, any, any, any> {
  const spec = mapCreateSpec(m, btf, btfFd);
  try {
    try {
      return BpfMap.create(spec);
    } catch (e) {
      if (!(e instanceof BpfError) || spec.btfFd === undefined) throw e;
      return BpfMap.create(mapCreateSpec(m, btf, btfFd, false));
    }
  } catch (e) {
    if (!(e instanceof BpfError)) throw e;
    const what = `map "${m.name}": ${mapTypeName(m.type)}, key ${m.keySize}, value ${m.valueSize}, max_entries ${m.maxEntries}, flags 0x${m.flags.toString(16)}${m.numaNode ? `, numa_node ${m.numaNode}` : ""}`;
    const err = new BpfError(e.cmd, e.errno, { context: what, kind: e.kind });
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
}

/** A pinned map that does not match its declaration is an error naming both, as libbpf's map_is_reuse_compat. */
export function checkPinned(m: ElfMapSpec, got: BpfMap<any, any, any, any>, path: string): void {
  const want = { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags };
  const have = { type: got.type, keySize: got.keySize, valueSize: got.valueSize, maxEntries: got.maxEntries, flags: got.flags };
  const diff = (Object.keys(want) as (keyof typeof want)[]).filter((k) => want[k] !== have[k]);
  if (diff.length) {
    const show = (o: typeof want) => `${mapTypeName(o.type)} key ${o.keySize} value ${o.valueSize} max ${o.maxEntries} flags 0x${o.flags.toString(16)}`;
    throw new TypeError(`map "${m.name}": the map pinned at ${path} (${show(have)}) does not match the object's (${show(want)}): differs in ${diff.join(", ")}`);
  }
}

/** The path a by-name pinned map lives at. */
export function pinPathOf(m: ElfMapSpec, dir: string): string {
  return `${dir.replace(/\/+$/, "")}/${m.name}`;
}

/** The map pinned at `path` with the codecs `m` would get, or undefined when nothing is pinned there (then it is created and pinned). */
export function openPinned(path: string, m: ElfMapSpec, btf: Btf | undefined): BpfMap<any, any, any, any> | undefined {
  const spec = mapCreateSpec(m, btf, undefined, false);
  try {
    return BpfMap.fromPin(path, { ...(spec.key ? { key: spec.key } : {}), ...(spec.value ? { value: spec.value } : {}) });
  } catch (e) {
    if (e instanceof BpfError && e.errno === 2 /* ENOENT */) return undefined;
    throw e;
  }
}

/** Writes a global-data map's initial value and freezes `.rodata*` and `.kconfig` (BPF_F_RDONLY_PROG). */
export function populateDataMap(map: BpfMap<any, any, any, any>, m: ElfMapSpec, contents: Uint8Array): void {
  // Raw bytes, whatever the map's codec: the value codec is for users reading it later.
  mapUpdateElem(map.fd, new Uint8Array(4), contents, 0);
  if (m.flags & MapCreateFlags.rdonly_prog) map.freeze();
}
