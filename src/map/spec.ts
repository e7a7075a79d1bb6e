/**
 * What a map is made from: a spec (BPF_MAP_CREATE's attributes plus key and value codecs), or the
 * codecs given when opening an existing map. The value type follows the map type: per-CPU types
 * hold arrays, fd maps take fds and give ids, maps made without codecs hold raw bytes.
 * @module
 */
import type { Btf } from "../btf/btf.ts";
import type { LoadedBtf } from "../btf/loaded.ts";
import type { AnyBtfType } from "../btf/types.ts";
import { bytes } from "../codec/bytes.ts";
import type { AnyCodec, Codec, Decoded, Encodable } from "../codec/codec.ts";
import type { MapCreateOptions } from "../cmd/map.ts";
import type { PerCpuCodec } from "../codec/percpu.ts";
import type { FdRef } from "./of-maps.ts";
import type { FdMapType, PerCpuMapType } from "./types.ts";

/** The codec of a map made without one: the raw bytes of its keys or values. */
export interface RawCodec extends Codec<Uint8Array> {
  /** Marks the default, so the value type of a per-CPU map without codec stays Uint8Array. */
  readonly raw: true;
}

/** Raw bytes of size `n` as the default codec. */
export function rawCodec(n: number): RawCodec {
  return { ...bytes(n), raw: true };
}

/** True for the default codec. */
export function isRaw(c: AnyCodec): boolean {
  return (c as Partial<RawCodec>).raw === true;
}

/**
 * The BTF types of a map's key and value (BPF_MAP_CREATE's btf_fd, btf_key_type_id and
 * btf_value_type_id): the kernel checks them against key_size and value_size, and bpftool
 * prints the map's elements through them. Unless the spec gives codecs, the map's codecs are
 * made from these types (codecFromBtf), and sizes left out are taken from them.
 */
export interface MapBtf {
  /**
   * Where the types are: a Btf, which is loaded (btf.load()) for the map and closed once the
   * map holds the kernel's reference to it; or a BTF object already loaded, used by fd and left open.
   */
  types: Btf | LoadedBtf;
  /** The key type: a type of `types`, or its id. Leave out for maps without keys. */
  key?: AnyBtfType | number;
  /** The value type (one CPU's value for per-CPU maps): a type of `types`, or its id. */
  value: AnyBtfType | number;
}

/** The inner map of a map of maps: an existing map (any object with an fd), or a spec for a template. */
export type InnerMap = { readonly fd: number } | MapSpec<AnyCodec, AnyCodec, number>;

/**
 * BPF_MAP_CREATE as data. Give codecs (`key: u32, value: u64`) or sizes (`keySize: 4`; values
 * are then Uint8Array). For per-CPU types give the codec of one CPU's value: the map's values are
 * arrays of possibleCpus() of them. Maps of maps and program arrays take no value codec: fds go in,
 * ids come out.
 */
export interface MapSpec<KC extends AnyCodec = RawCodec, VC extends AnyCodec = RawCodec, T extends number = number>
  extends Omit<MapCreateOptions, "innerMapFd"> {
  /** map_type: a MapType value. */
  type: T;
  /** Key codec; its size is key_size. Leave out for queue, stack, bloom filter. */
  key?: KC;
  /** Value codec; its size is value_size (one CPU's value for per-CPU maps). */
  value?: VC;
  /** key_size, when no key codec is given (keys are then Uint8Array). */
  keySize?: number;
  /** value_size, when no value codec is given. */
  valueSize?: number;
  /** max_entries (the ring size in bytes for ring buffers). */
  maxEntries: number;
  /** Maps of maps: a map every stored map must resemble (it may be closed after creation), or a spec for one. */
  inner?: InnerMap;
  /** BTF types of the key and value, in place of btfFd, btfKeyTypeId and btfValueTypeId. */
  btf?: MapBtf;
}

/** What values of a map of type `T` made with value codec `VC` decode to. */
export type ValueOf<T, VC> = T extends FdMapType ? number
  : VC extends PerCpuCodec<infer E, infer _I> ? E[]
  : VC extends RawCodec ? Uint8Array
  : T extends PerCpuMapType ? Decoded<VC>[]
  : Decoded<VC>;

/** What values of a map of type `T` made with value codec `VC` accept. */
export type ValueIn<T, VC> = T extends FdMapType ? FdRef
  : VC extends PerCpuCodec<infer _E, infer I> ? readonly I[]
  : VC extends RawCodec ? Uint8Array
  : T extends PerCpuMapType ? readonly Encodable<VC>[]
  : Encodable<VC>;

/** Codecs and access mode for opening an existing map (by pin, id or fd). */
export interface OpenOptions<K, V, KIn = K, VIn = V> {
  /** Key codec (its size must be the map's key_size); raw bytes when left out. */
  key?: Codec<K, KIn>;
  /** Value codec; for a per-CPU map a perCpu() codec; raw bytes (all CPUs' slots) when left out. */
  value?: Codec<V, VIn>;
  /** Open read-only (BPF_F_RDONLY); not used by fromFd. */
  readOnly?: boolean;
  /** Open write-only (BPF_F_WRONLY); not used by fromFd. */
  writeOnly?: boolean;
  /**
   * Codecs from the map's own BTF (bpf_map_info's btf_id, btf_key_type_id, btf_value_type_id)
   * for the key and value not given: a TypeError when the map has none.
   */
  btf?: boolean;
}
