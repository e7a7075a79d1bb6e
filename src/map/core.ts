/**
 * The state a BpfMap's operations share: the map's shape, its codecs, and scratch buffers of
 * exactly the key and value sizes reused by every element call (no allocation per call beyond
 * the decoded result). The files of this directory take it so each can own one idea.
 * @module
 */
import { type AnyCodec, getU32, prefixed } from "../codec/codec.ts";
import { MapType } from "../uapi/enums.gen.ts";
import { UpdateFlags } from "../uapi/flags.gen.ts";
import { BpfError } from "../errors.ts";
import { MapMeta } from "../cmd/mapmeta.ts";
import { isFdMap, isIndexed, isKeyless, isQueue, mapTypeName } from "./types.ts";

/** The shape of a map as the kernel reports it: what element calls check, and the name. */
export interface Shape extends MapMeta {
  /** map_name ("" when unnamed). */
  readonly name: string;
}

/** Something that hands out an fd and throws once closed: the BpfMap itself. */
export interface FdOwner {
  /** The fd; a TypeError once closed. */
  readonly fd: number;
}

/** Map-wide state shared by the operation modules. */
export class MapCore extends MapMeta implements Shape {
  /** map_name ("" when unnamed). */
  readonly name: string;
  /** How messages name the map: `map "counts" (hash)` or `map (hash, unnamed)`. */
  readonly what: string;
  /** Key codec (size keySize). */
  readonly key: AnyCodec;
  /** Value codec (size valueBytes). */
  readonly value: AnyCodec;
  /** Key scratch: element calls encode into it. */
  readonly k: Uint8Array;
  /** Value scratch. */
  readonly v: Uint8Array;
  /** Whether element calls take a key (false for queue, stack, bloom filter). */
  readonly keyed: boolean;
  /** Whether keys are u32 indexes below maxEntries (arrays). */
  readonly indexed: boolean;
  readonly #owner: FdOwner;

  constructor(owner: FdOwner, shape: Shape, key: AnyCodec, value: AnyCodec) {
    super(shape.type, shape.keySize, shape.valueSize, shape.maxEntries, shape.flags);
    this.#owner = owner;
    this.name = shape.name;
    this.what = describe(shape.name, shape.type);
    this.key = key;
    this.value = value;
    this.k = new Uint8Array(new ArrayBuffer(shape.keySize));
    this.v = new Uint8Array(new ArrayBuffer(shape.valueBytes));
    this.keyed = !isKeyless(shape.type);
    this.indexed = isIndexed(shape.type) && shape.keySize === 4;
  }

  /** The fd, or a TypeError naming the map when it is closed: checked before any syscall. */
  get fd(): number {
    return this.#owner.fd;
  }

  /** Encodes `key` into `buf` at `off` (the key scratch by default); errors name the map and codec. */
  encodeKey(key: unknown, buf: Uint8Array = this.k, off = 0): void {
    try {
      this.key.encode(key, buf, off);
    } catch (e) {
      throw prefixed(e, `${this.what} key: `);
    }
  }

  /** Encodes `value` into `buf` at `off` (the value scratch by default). */
  encodeValue(value: unknown, buf: Uint8Array = this.v, off = 0): void {
    try {
      this.value.encode(value, buf, off);
    } catch (e) {
      throw prefixed(e, `${this.what} value: `);
    }
  }

  /** Throws a RangeError when the encoded key (at `buf[off]`) indexes past the end of an array. */
  checkIndex(buf: Uint8Array = this.k, off = 0): void {
    const i = getU32(buf, off);
    if (i >= this.maxEntries) throw new RangeError(`${this.what}: index ${i} is out of range: the array has ${this.maxEntries} entries (0..${this.maxEntries - 1})`);
  }

  /** A BpfError for `cmd` failing with `rc` (-errno) on this map. */
  fail(cmd: string, rc: number): BpfError {
    return new BpfError(cmd, -rc, { context: `${this.what}, fd ${this.#owner.fd}` });
  }

  /** Throws unless the map has keys (so get/set/delete/iteration make sense). */
  needKeys(op: string): void {
    if (this.keyed) return;
    const hint = isQueue(this.type) ? "use push(), pop() and peek()" : this.type === MapType.bloom_filter ? "use push() and mayContain()" : "it has no elements user space can address";
    throw new TypeError(`${this.what}: ${op}() needs a map with keys; a ${mapTypeName(this.type)} map has none (${hint})`);
  }

  /** Checks element-call flags: BPF_F_CPU/BPF_F_ALL_CPUS change the value layout, which these methods do not. */
  checkFlags(flags: number, op: string): number {
    if (flags === 0) return 0;
    if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) throw new RangeError(`${this.what}: ${op}() flags must be a u32, got ${flags}`);
    if (flags & (UpdateFlags.cpu | UpdateFlags.all_cpus)) {
      throw new RangeError(`${this.what}: ${op}() does not take BPF_F_CPU/BPF_F_ALL_CPUS (one CPU's value); use mapLookupElem/mapUpdateElem with a value of ${this.valueSize} bytes`);
    }
    return flags;
  }

  /** True for maps whose values are fds in and ids out. */
  get fdValues(): boolean {
    return isFdMap(this.type);
  }
}

/** How a map is named in messages. */
export function describe(name: string, type: number): string {
  return name ? `map "${name}" (${mapTypeName(type)})` : `map (${mapTypeName(type)}, unnamed)`;
}
