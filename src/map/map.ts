/**
 * BpfMap: a live BPF map as an object, in the idiom of cilium/ebpf's Map and aya's typed maps.
 * Created from a spec or opened by pin path, id or fd; typed through key and value codecs;
 * element calls, iteration (batched where the kernel can), bulk writes, queue/stack ops, maps of
 * maps, info, pinning, and an fd that is closed exactly once (close(), `using`, or the GC with a
 * warning).
 * @module
 */
import type { AnyCodec, Decoded, Encodable } from "../codec/codec.ts";
import { checkFd, checkName } from "../cmd/args.ts";
import { close as closeFd } from "../cmd/fd.ts";
import { mapGetFdById } from "../cmd/ids.ts";
import { type MapCreateOptions, mapCreate, mapFreeze } from "../cmd/map.ts";
import { mapMeta, rememberMap } from "../cmd/mapmeta.ts";
import { objGet } from "../cmd/obj.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { MapCreateFlags } from "../uapi/flags.gen.ts";
import { FdObject, pinHint } from "../fd-object.ts";
import { ensureMemlock, memlockHint } from "../sys/rlimit.ts";
import { fdTarget } from "../sys/syscalls.ts";
import { deleteMany, setMany } from "./bulk.ts";
import { describe, MapCore, type Shape } from "./core.ts";
import { type BpfMapInfo, mapInfo } from "./info.ts";
import { type IterOptions, walk } from "./iter.ts";
import { listMaps, mapIds } from "./list.ts";
import { fdId } from "./of-maps.ts";
import { mayContain, peek, pop, push } from "./queue.ts";
import { deleteRaw, lookupAndDeleteRaw, lookupRaw, updateRaw } from "../cmd/elem.ts";
import { openCodecs, specCodecs } from "./resolve.ts";
import { btfOpenOptions, btfSpec } from "./btf.ts";
import type { BtfCodec } from "../btf/codec.ts";
import { type MapBtf, type MapSpec, type OpenOptions, rawCodec, type RawCodec, type ValueIn, type ValueOf } from "./spec.ts";
import { cannotDelete, isOfMaps, mapTypeName } from "./types.ts";

const BPF_F_RDONLY = MapCreateFlags.rdonly;
const BPF_F_WRONLY = MapCreateFlags.wronly;

function openFlags(opts: OpenOptions<unknown, unknown>): number {
  return (opts.readOnly ? BPF_F_RDONLY : 0) | (opts.writeOnly ? BPF_F_WRONLY : 0);
}

/**
 * A BPF map (BPF_MAP_CREATE): typed element calls, iteration, bulk and queue operations.
 * `K`/`V` are what keys and values decode to, `KIn`/`VIn` what they accept.
 *
 * @example
 * ```ts
 * import { BpfMap, MapType, u32, u64 } from "tsbpf";
 * using counts = BpfMap.create({ type: MapType.hash, key: u32, value: u64, maxEntries: 64, name: "counts" });
 * counts.set(7, 1n);
 * counts.get(7); // 1n
 * for (const [k, v] of counts) console.log(k, v);
 * ```
 */
export class BpfMap<K = Uint8Array, V = Uint8Array, KIn = K, VIn = V> extends FdObject {
  readonly #c: MapCore;
  #id = 0;

  private constructor(fd: number, shape: Shape, key: AnyCodec, value: AnyCodec) {
    super(fd, describe(shape.name, shape.type));
    this.#c = new MapCore(this, shape, key, value);
  }

  /**
   * BPF_MAP_CREATE of a map typed by BTF: `btf: { types, key, value }` names the key and value
   * types (MapBtf); the BTF is loaded for btf_fd and closed once the map holds it. Sizes left
   * out come from the types, sizes given must match them (RangeError), and the codecs are made
   * from them (codecFromBtf) unless the spec gives its own.
   *
   * @example
   * ```ts
   * import { BpfMap, Btf, MapType } from "tsbpf";
   * const btf = Btf.parse(bytes); // with struct key { u32 pid; char comm[16]; } and struct stats
   * using m = BpfMap.create({ type: MapType.hash, maxEntries: 64, btf: { types: btf, key: btf.find("key", "struct")!, value: btf.find("stats", "struct")! } });
   * m.set({ pid: 1, comm: "init" }, { calls: 3n });
   * ```
   */
  static create<KC extends AnyCodec = BtfCodec, VC extends AnyCodec = BtfCodec, T extends number = number>(
    spec: MapSpec<KC, VC, T> & { btf: MapBtf },
  ): BpfMap<Decoded<KC>, ValueOf<T, VC>, Encodable<KC>, ValueIn<T, VC>>;
  /**
   * BPF_MAP_CREATE from a spec: `BpfMap.create({ type: MapType.hash, key: u32, value: u64, maxEntries: 1024 })`.
   * Sizes, name and codecs are checked before the syscall.
   */
  static create<KC extends AnyCodec = RawCodec, VC extends AnyCodec = RawCodec, T extends number = number>(
    spec: MapSpec<KC, VC, T>,
  ): BpfMap<Decoded<KC>, ValueOf<T, VC>, Encodable<KC>, ValueIn<T, VC>>;
  static create(spec: MapSpec<AnyCodec, AnyCodec, number>): BpfMap<any, any, any, any> {
    if (typeof spec !== "object" || spec === null) throw new TypeError("BpfMap.create(): expects a map spec object");
    if (!Number.isInteger(spec.type) || spec.type < 0) throw new RangeError(`BpfMap.create(): type must be a MapType value, got ${spec.type}`);
    if (spec.name !== undefined) checkName(spec.name);
    const btf = spec.btf === undefined ? undefined : btfSpec(spec);
    if (btf) spec = btf.spec;
    const { key, value, keySize, valueSize } = specCodecs(spec);
    const opts: MapCreateOptions = {
      flags: spec.flags, name: spec.name, numaNode: spec.numaNode, ifindex: spec.ifindex, btfFd: spec.btfFd,
      btfKeyTypeId: spec.btfKeyTypeId, btfValueTypeId: spec.btfValueTypeId,
      btfVmlinuxValueTypeId: spec.btfVmlinuxValueTypeId, valueTypeBtfObjFd: spec.valueTypeBtfObjFd, mapExtra: spec.mapExtra, tokenFd: spec.tokenFd,
    };
    let template: BpfMap<unknown, unknown, unknown, unknown> | undefined;
    if (isOfMaps(spec.type)) {
      const inner = spec.inner;
      if (inner === undefined) throw new TypeError(`${describe(spec.name ?? "", spec.type)}: a map of maps needs inner: a map (or a map spec) the stored maps resemble`);
      if (inner instanceof FdObject || (typeof inner === "object" && inner !== null && "fd" in inner && !("maxEntries" in inner))) {
        opts.innerMapFd = (inner as { fd: number }).fd;
      } else {
        template = BpfMap.create(inner as MapSpec<AnyCodec, AnyCodec, number>);
        opts.innerMapFd = template.fd;
      }
    } else if (spec.inner !== undefined) {
      throw new TypeError(`${describe(spec.name ?? "", spec.type)}: inner is for array_of_maps and hash_of_maps only`);
    }
    let fd: number;
    let types: { fd: number; close(): void } | undefined;
    ensureMemlock(); // kernels before 5.11 charge maps to RLIMIT_MEMLOCK
    try {
      types = btf?.load();
      if (types) opts.btfFd = types.fd;
      fd = mapCreate(spec.type, keySize, valueSize, spec.maxEntries, opts);
    } catch (e) {
      throw memlockHint(e);
    } finally {
      // The kernel copied what it needs from the template, and holds its own reference to the
      // BTF: both only have to exist during creation.
      template?.close();
      types?.close();
    }
    const meta = mapMeta(fd)!;
    return new BpfMap(fd, { ...meta, name: spec.name ?? "" }, key, value);
  }

  /** Takes ownership of map fd `fd`, with the codecs of the map's own BTF (`btf: true`). */
  static fromFd(fd: number, opts: OpenOptions<any, any> & { btf: true }): BpfMap<any, any>;
  /**
   * Takes ownership of map fd `fd` (it is closed with the object). Throws, leaving the fd to
   * the caller, when `fd` is not a map or the codecs do not fit it.
   */
  static fromFd<K = Uint8Array, V = Uint8Array, KIn = K, VIn = V>(fd: number, opts?: OpenOptions<K, V, KIn, VIn>): BpfMap<K, V, KIn, VIn>;
  static fromFd<K = Uint8Array, V = Uint8Array, KIn = K, VIn = V>(fd: number, opts: OpenOptions<K, V, KIn, VIn> = {}): BpfMap<K, V, KIn, VIn> {
    checkFd(fd);
    const target = fdTarget(fd);
    if (target !== "anon_inode:bpf-map") throw new TypeError(`fd ${fd} is not a BPF map (it is ${kindOf(target)})`);
    const info = mapInfo(fd);
    const m = rememberMap(fd, info.type, info.keySize, info.valueSize, info.maxEntries, info.flags);
    const shape: Shape = { ...m, name: info.name };
    const o = opts as OpenOptions<unknown, unknown>;
    const { key, value } = openCodecs(shape, o.btf ? btfOpenOptions(info, o) : o);
    const map = new BpfMap<K, V, KIn, VIn>(fd, shape, key, value);
    map.#id = info.id;
    return map;
  }

  /** BPF_OBJ_GET: opens the map pinned at `path`, with the codecs of the map's own BTF (`btf: true`). */
  static fromPin(path: string, opts: OpenOptions<any, any> & { btf: true }): BpfMap<any, any>;
  /**
   * BPF_OBJ_GET: opens the map pinned at `path` on a bpffs (mounting the bpffs is the caller's job;
   * the error says so when the path is missing).
   */
  static fromPin<K = Uint8Array, V = Uint8Array, KIn = K, VIn = V>(path: string, opts?: OpenOptions<K, V, KIn, VIn>): BpfMap<K, V, KIn, VIn>;
  static fromPin<K = Uint8Array, V = Uint8Array, KIn = K, VIn = V>(path: string, opts: OpenOptions<K, V, KIn, VIn> = {}): BpfMap<K, V, KIn, VIn> {
    let fd: number;
    try {
      fd = objGet(path, { flags: openFlags(opts as OpenOptions<unknown, unknown>) });
    } catch (e) {
      throw pinHint(e, path);
    }
    return adopt(fd, opts, `${path}`);
  }

  /** BPF_MAP_GET_FD_BY_ID: opens map `id` with the codecs of the map's own BTF (`btf: true`). */
  static fromId(id: number, opts: OpenOptions<any, any> & { btf: true }): BpfMap<any, any>;
  /** BPF_MAP_GET_FD_BY_ID: opens map `id` (ids come from list(), info(), or a map of maps). */
  static fromId<K = Uint8Array, V = Uint8Array, KIn = K, VIn = V>(id: number, opts?: OpenOptions<K, V, KIn, VIn>): BpfMap<K, V, KIn, VIn>;
  static fromId<K = Uint8Array, V = Uint8Array, KIn = K, VIn = V>(id: number, opts: OpenOptions<K, V, KIn, VIn> = {}): BpfMap<K, V, KIn, VIn> {
    const fd = mapGetFdById(id, openFlags(opts as OpenOptions<unknown, unknown>));
    return adopt(fd, opts, `map id ${id}`);
  }

  /** Info on every map loaded in the kernel, like `bpftool map` (BPF_MAP_GET_NEXT_ID, GET_FD_BY_ID, OBJ_GET_INFO_BY_FD). */
  static list(): BpfMapInfo[] {
    return listMaps();
  }

  /** Ids of every map loaded in the kernel (BPF_MAP_GET_NEXT_ID). */
  static ids(): number[] {
    return mapIds();
  }

  /** map_type (a MapType value). */
  get type(): number {
    return this.#c.type;
  }
  /** The map type's name: "hash", "percpu_array", ... */
  get typeName(): string {
    return mapTypeName(this.#c.type);
  }
  /** key_size in bytes. */
  get keySize(): number {
    return this.#c.keySize;
  }
  /** value_size in bytes (one CPU's value for per-CPU maps). */
  get valueSize(): number {
    return this.#c.valueSize;
  }
  /** max_entries. */
  get maxEntries(): number {
    return this.#c.maxEntries;
  }
  /** map_flags. */
  get flags(): number {
    return this.#c.flags;
  }
  /** map_name ("" when unnamed). */
  get name(): string {
    return this.#c.name;
  }
  /** The key codec. */
  get keyCodec(): AnyCodec {
    return this.#c.key;
  }
  /** The value codec (a perCpu() codec for per-CPU maps). */
  get valueCodec(): AnyCodec {
    return this.#c.value;
  }

  /** The map's kernel id (read once through BPF_OBJ_GET_INFO_BY_FD). */
  get id(): number {
    if (this.#id === 0) this.#id = this.info().id;
    return this.#id;
  }

  /** BPF_OBJ_GET_INFO_BY_FD: what the kernel reports about this map. */
  info(): BpfMapInfo {
    const info = mapInfo(this.fd);
    this.#id = info.id;
    return info;
  }

  /** BPF_MAP_LOOKUP_ELEM: the value of `key`, or undefined when there is none. Flags: UpdateFlags.lock. */
  get(key: KIn, flags = 0): V | undefined {
    const c = this.#c;
    const fd = this.fd;
    if (!c.keyed) c.needKeys("get");
    c.encodeKey(key);
    const rc = lookupRaw(fd, c.k, c.v, flags === 0 ? 0 : c.checkFlags(flags, "get"));
    if (rc === -Errno.ENOENT) return undefined;
    if (rc < 0) throw c.fail("map_lookup_elem", rc);
    return c.value.decode(c.v, 0) as V;
  }

  /** True when `key` has a value (a BPF_MAP_LOOKUP_ELEM whose value is not decoded). */
  has(key: KIn): boolean {
    const c = this.#c;
    const fd = this.fd;
    if (!c.keyed) c.needKeys("has");
    c.encodeKey(key);
    const rc = lookupRaw(fd, c.k, c.v, 0);
    if (rc === -Errno.ENOENT) return false;
    if (rc < 0) throw c.fail("map_lookup_elem", rc);
    return true;
  }

  /**
   * BPF_MAP_UPDATE_ELEM: sets `key` to `value`. Flags (UpdateFlags): any (default), noexist
   * (fails with AlreadyExists), exist (fails with NotFound), lock.
   */
  set(key: KIn, value: VIn, flags = 0): this {
    const c = this.#c;
    const fd = this.fd;
    if (!c.keyed) c.needKeys("set");
    c.encodeKey(key);
    if (c.indexed) c.checkIndex();
    c.encodeValue(value);
    const rc = updateRaw(fd, c.k, c.v, flags === 0 ? 0 : c.checkFlags(flags, "set"));
    if (rc < 0) throw c.fail("map_update_elem", rc);
    return this;
  }

  /** BPF_MAP_DELETE_ELEM: removes `key`; false when it was not there. Arrays cannot delete (TypeError). */
  delete(key: KIn): boolean {
    const c = this.#c;
    const fd = this.fd;
    if (!c.keyed) c.needKeys("delete");
    if (cannotDelete(c.type)) throw new TypeError(`${c.what}: array elements cannot be deleted (every index always exists); set a zero value instead`);
    c.encodeKey(key);
    const rc = deleteRaw(fd, c.k);
    if (rc === -Errno.ENOENT) return false;
    if (rc < 0) throw c.fail("map_delete_elem", rc);
    return true;
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM: removes `key` and returns its value, or undefined (hash maps: kernel 5.14+). */
  lookupAndDelete(key: KIn, flags = 0): V | undefined {
    const c = this.#c;
    const fd = this.fd;
    if (!c.keyed) c.needKeys("lookupAndDelete");
    c.encodeKey(key);
    const rc = lookupAndDeleteRaw(fd, c.k, c.v, flags === 0 ? 0 : c.checkFlags(flags, "lookupAndDelete"));
    if (rc === -Errno.ENOENT) return undefined;
    if (rc < 0) throw c.fail("map_lookup_and_delete_elem", rc);
    return c.value.decode(c.v, 0) as V;
  }

  /** BPF_MAP_FREEZE (5.2+): no more writes from user space; programs still write unless the map is rdonly_prog. */
  freeze(): void {
    mapFreeze(this.fd);
  }

  /** The keys; see entries() for how the walk reads the map. */
  keys(opts?: IterOptions): Generator<K, void, undefined> {
    return walk(this.#c, "keys", opts) as Generator<K, void, undefined>;
  }

  /** The values; see entries(). */
  values(opts?: IterOptions): Generator<V, void, undefined> {
    return walk(this.#c, "values", opts) as Generator<V, void, undefined>;
  }

  /**
   * [key, value] pairs, read with BPF_MAP_LOOKUP_BATCH where the kernel has it for this map type
   * (5.6+), else with BPF_MAP_GET_NEXT_KEY + lookup. Deleting the entry just yielded is safe;
   * other concurrent deletes may make the get_next_key walk see keys twice (src/map/iter.ts).
   */
  entries(opts?: IterOptions): Generator<[K, V], void, undefined> {
    return walk(this.#c, "entries", opts) as Generator<[K, V], void, undefined>;
  }

  /** Same as entries(): `for (const [k, v] of map)`. */
  [Symbol.iterator](): Generator<[K, V], void, undefined> {
    return this.entries();
  }

  /** Every [key, value] pair, read in batches where the kernel can. */
  getAll(opts?: IterOptions): [K, V][] {
    return Array.from(this.entries(opts));
  }

  /** Sets many entries with BPF_MAP_UPDATE_BATCH where the kernel has it (else one by one); returns how many. */
  setMany(entries: Iterable<readonly [KIn, VIn]>, flags = 0): number {
    const c = this.#c;
    void this.fd;
    return setMany(c, entries, c.checkFlags(flags, "setMany"));
  }

  /** Deletes the keys that exist with BPF_MAP_DELETE_BATCH where the kernel has it; returns how many were deleted. */
  deleteMany(keys: Iterable<KIn>): number {
    const c = this.#c;
    void this.fd;
    if (cannotDelete(c.type)) throw new TypeError(`${c.what}: array elements cannot be deleted (every index always exists)`);
    return deleteMany(c, keys);
  }

  /** Deletes every entry (keys are read first, then deleted in batches); returns how many. */
  clear(): number {
    const c = this.#c;
    void this.fd;
    if (cannotDelete(c.type)) throw new TypeError(`${c.what}: array elements cannot be deleted (every index always exists)`);
    const keys: Uint8Array[] = [];
    const raw = rawCodec(c.keySize);
    // Raw keys: no decode/encode round trip through the key codec.
    for (const k of walk(new MapCore(this, c, raw, rawCodec(c.valueBytes)), "keys")) keys.push(k as Uint8Array);
    return deleteMany(new MapCore(this, c, raw, rawCodec(c.valueBytes)), keys);
  }

  /** Queue/stack (4.20+): pushes `value` (UpdateFlags.exist replaces the oldest when full); bloom filter (5.16+): adds it. */
  push(value: VIn, flags = 0): void {
    push(this.#c, value, flags);
  }

  /** Queue/stack: removes and returns the front (queue) or top (stack); undefined when empty. */
  pop(): V | undefined {
    return pop(this.#c) as V | undefined;
  }

  /** Queue/stack: returns the front (queue) or top (stack) without removing it; undefined when empty. */
  peek(): V | undefined {
    return peek(this.#c) as V | undefined;
  }

  /** Bloom filter (5.16+): false when `value` was never pushed, true when it probably was. */
  mayContain(value: VIn): boolean {
    return mayContain(this.#c, value);
  }

  /**
   * Maps of maps: opens the map stored at `key` (the kernel stores it by fd and reports its id),
   * or undefined when the slot is empty. The caller owns (and closes) the returned map.
   */
  getMap<IK = Uint8Array, IV = Uint8Array, IKIn = IK, IVIn = IV>(key: KIn, opts: OpenOptions<IK, IV, IKIn, IVIn> = {}): BpfMap<IK, IV, IKIn, IVIn> | undefined {
    const c = this.#c;
    const fd = this.fd;
    if (!isOfMaps(c.type)) throw new TypeError(`${c.what}: getMap() needs an array_of_maps or hash_of_maps map`);
    c.encodeKey(key);
    const rc = lookupRaw(fd, c.k, c.v, 0);
    if (rc === -Errno.ENOENT) return undefined;
    if (rc < 0) throw c.fail("map_lookup_elem", rc);
    return BpfMap.fromId(fdId.decode(c.v, 0), opts);
  }

  /** How messages name this map: `map "counts" (hash)`. */
  override toString(): string {
    return this.#c.what;
  }
}

/** What an fd that is not a map is, for messages, from its /proc/self/fd link. */
function kindOf(target: string | null): string {
  if (target === null) return "not open";
  const kinds: Record<string, string> = {
    "anon_inode:bpf-prog": "a BPF program", "anon_inode:bpf_link": "a BPF link", "anon_inode:btf": "a BTF object",
  };
  return kinds[target] ?? target;
}

/** Wraps a freshly opened fd, closing it when it is not a map or the codecs do not fit. */
function adopt<K, V, KIn, VIn>(fd: number, opts: OpenOptions<K, V, KIn, VIn>, from: string): BpfMap<K, V, KIn, VIn> {
  try {
    const target = fdTarget(fd);
    if (target !== "anon_inode:bpf-map") throw new TypeError(`${from} is not a BPF map (it is ${kindOf(target)})`);
    return BpfMap.fromFd(fd, opts);
  } catch (e) {
    closeFd(fd);
    throw e;
  }
}
