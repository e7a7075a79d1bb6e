/**
 * Btf: a parsed BTF blob (struct btf_header, type and string sections), vmlinux, module (split)
 * or program BTF. Parsing indexes type offsets in one pass; types are decoded on first use.
 * @module
 */
import { HOST_LITTLE } from "../util/endian.ts";
import { BtfError } from "./error.ts";
import { decodeType, type DecodeContext } from "./decode.ts";
import { parseHeader, type BtfHeaderInfo } from "./header.ts";
import { indexTypes } from "./index-types.ts";
import { kindLayouts } from "./layout.ts";
import { findIds, nameIndex, scanFirst, type NameIndex } from "./name-index.ts";
import { utf8 } from "../util/text.ts";
import { formatRaw } from "./format-raw.ts";
import { BtfStrings } from "./strings.ts";
import { BTF_KIND_NAMES, type BtfKindName, type AnyBtfType } from "./types.ts";
import { resolveType, sizeOfType } from "./resolve.ts";
import { formatC } from "./format-c.ts";
import { marshalBtf, type BtfMarshalOptions } from "./marshal.ts";
import { alignOfType, offsetOfPath, type BtfMemberLocation } from "./offsets.ts";
import type { BtfLoadOptions, LoadedBtf } from "./loaded.ts";

/** Options of {@link Btf.parse}. */
export interface BtfParseOptions {
  /** The base BTF of a split BTF (vmlinux for a module's /sys/kernel/btf/<module>). */
  base?: Btf;
}

/** Output formats of {@link Btf.format}: bpftool's raw dump, or a C header (bpftool's format c). */
export type BtfFormat = "raw" | "c";

/**
 * What only the live layer can do (src/btf/kernel.ts, src/btf/handle.ts install these when the
 * "tsbpf" entry is imported); the pure "tsbpf/btf" subpath has none, and says so.
 */
export const btfLive: {
  kernel?: () => Btf;
  kernelModule?: (name: string) => Btf;
  load?: (btf: Btf, options: BtfLoadOptions) => LoadedBtf;
} = {};

function live<K extends keyof typeof btfLive>(what: K, call: string): NonNullable<(typeof btfLive)[K]> {
  const fn = btfLive[what];
  if (!fn) throw new Error(`${call} talks to the kernel: take Btf from the "tsbpf" entry, not the pure "tsbpf/btf" subpath`);
  return fn as NonNullable<(typeof btfLive)[K]>;
}

const VOID: AnyBtfType = { id: 0, name: "", kind: "void", kindNumber: 0, kflag: false };

/** A parsed BTF blob; ids continue after the base's for split BTF, as libbpf's btf__new_split. */
export class Btf {
  /** The header, with absolute section offsets. */
  readonly header: BtfHeaderInfo;
  /** The base BTF of a split BTF. */
  readonly base: Btf | undefined;
  /** The first type id this blob defines (1, or the base's count for split BTF). */
  readonly firstId: number;
  /** Number of type ids including void and the base's: btf__type_cnt. */
  readonly count: number;
  /** The string section, chained to the base's. */
  readonly strings: BtfStrings;
  readonly #ctx: DecodeContext;
  readonly #offsets: Uint32Array;
  // Decoded types in chunks of 1024 ids, allocated on first use: a start-up that decodes a few
  // types pays for no array as long as vmlinux's id count.
  readonly #cache: ((AnyBtfType | undefined)[] | undefined)[];
  #names: NameIndex | undefined;
  #scans = 0;
  readonly #words: Uint32Array | undefined;

  private constructor(bytes: Uint8Array, base: Btf | undefined) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const h = parseHeader(dv);
    this.header = h;
    this.base = base;
    this.firstId = base ? base.count : 1;
    this.strings = new BtfStrings(bytes.subarray(h.strStart, h.strStart + h.strLen), h.strStart, base?.strings);
    this.#offsets = indexTypes(dv, h, kindLayouts(dv, h), this.firstId);
    this.count = this.firstId + this.#offsets.length;
    this.#ctx = { dv, little: h.little, strings: this.strings, count: this.count };
    this.#cache = new Array(Math.ceil(this.#offsets.length / 1024));
    this.#words = h.little === HOST_LITTLE && bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2) : undefined;
  }

  /** Parses BTF bytes (either byte order); throws a BtfError naming the offset of any flaw found. */
  static parse(bytes: Uint8Array, options: BtfParseOptions = {}): Btf {
    return new Btf(bytes, options.base);
  }

  /**
   * The running kernel's BTF (/sys/kernel/btf/vmlinux, mapped read-only where the kernel allows,
   * else read), parsed lazily and cached: libbpf's btf__load_vmlinux_btf.
   * @example
   * ```ts
   * const task = Btf.kernel().find("task_struct", "struct");
   * ```
   */
  static kernel(): Btf {
    return live("kernel", "Btf.kernel()")();
  }

  /** A kernel module's split BTF (/sys/kernel/btf/<name>) over {@link Btf.kernel}, cached: btf__load_module_btf. */
  static kernelModule(name: string): Btf {
    return live("kernelModule", "Btf.kernelModule()")(name);
  }

  /** True when the blob is little-endian. */
  get little(): boolean {
    return this.header.little;
  }

  /** The type with this id (0 is void); ids below firstId come from the base. */
  typeById(id: number): AnyBtfType {
    if (id === 0) return VOID;
    if (!Number.isInteger(id) || id < 0 || id >= this.count) {
      throw new BtfError(`type id ${id} out of range [0, ${this.count - 1}]`, { typeId: id });
    }
    if (id < this.firstId) return this.base!.typeById(id);
    const i = id - this.firstId;
    const chunk = (this.#cache[i >>> 10] ??= new Array(1024));
    return (chunk[i & 1023] ??= decodeType(this.#ctx, id, this.#offsets[i]));
  }

  // A type without caching it: printing every type once should not keep them all alive.
  #peek(id: number): AnyBtfType {
    if (id === 0 || id < this.firstId) return this.typeById(id);
    const i = id - this.firstId;
    return this.#cache[i >>> 10]?.[i & 1023] ?? decodeType(this.#ctx, id, this.#offsets[i]);
  }

  /** btf_type.info's kind number of type `id`, without decoding it. */
  kindNumberOf(id: number): number {
    if (id === 0) return 0;
    if (id < this.firstId) return this.base!.kindNumberOf(id);
    return (this.#ctx.dv.getUint32(this.#offsets[id - this.firstId] + 4, this.#ctx.little) >>> 24) & 0x7f;
  }

  /** btf_type.name_off of type `id`, without decoding it. */
  nameOffOf(id: number): number {
    if (id === 0) return 0;
    if (id < this.firstId) return this.base!.nameOffOf(id);
    return this.#ctx.dv.getUint32(this.#offsets[id - this.firstId], this.#ctx.little);
  }

  /** name_off of element `index` of type `id`'s btf_member, btf_enum, btf_enum64 or btf_param array. */
  elementNameOffOf(id: number, index: number): number {
    if (id < this.firstId) return this.base!.elementNameOffOf(id, index);
    const kind = this.kindNumberOf(id);
    // btf_enum and btf_param are 8 bytes; btf_member and btf_enum64 12; name_off leads each.
    const size = kind === 6 || kind === 13 ? 8 : 12;
    return this.#ctx.dv.getUint32(this.#offsets[id - this.firstId] + 12 + index * size, this.#ctx.little);
  }

  /** Ids of the types named `name`, base first, lowest id first (names indexed on first use). */
  findIds(name: string): number[] {
    const off = (id: number) => this.nameOffOf(id);
    this.#names ??= nameIndex(this.strings, this.#ctx.dv, this.#ctx.little, this.#offsets, this.firstId);
    const own = findIds(this.strings, this.#names, name, off);
    return this.base ? [...this.base.findIds(name), ...own] : own;
  }

  /** The first type named `name`, of `kind` if given, as libbpf's btf__find_by_name_kind. */
  find(name: string, kind?: BtfKindName): AnyBtfType | undefined {
    // The first few finds scan in id order and stop at the match, as libbpf does: one find must
    // not pay for indexing every name. Later ones build the index.
    if (this.#names === undefined && name !== "" && this.#scans < 8 && this.#words) {
      this.#scans++;
      const id = this.#scanFirst(utf8(name, "type name"), kind);
      return id ? this.typeById(id) : undefined;
    }
    for (const id of this.findIds(name)) {
      if (kind === undefined || BTF_KIND_NAMES[this.kindNumberOf(id)] === kind) return this.typeById(id);
    }
    return undefined;
  }

  // The first match in id order, base first.
  #scanFirst(want: Uint8Array, kind: BtfKindName | undefined): number {
    const inBase = this.base ? this.base.#scanFirst(want, kind) : 0;
    if (inBase) return inBase;
    const accept = (id: number) => kind === undefined || BTF_KIND_NAMES[this.kindNumberOf(id)] === kind;
    return scanFirst(this.strings, this.#words!, this.#offsets, this.firstId, want, accept);
  }

  /** Every type named `name`, lowest id first. */
  findAll(name: string): AnyBtfType[] {
    return this.findIds(name).map((id) => this.typeById(id));
  }

  /** The types this blob defines, in id order (a split BTF's own, not its base's). */
  *types(): IterableIterator<AnyBtfType> {
    for (let id = this.firstId; id < this.count; id++) yield this.typeById(id);
  }

  /** The type under any typedef, const, volatile, restrict and type_tag. */
  resolve(type: AnyBtfType | number): AnyBtfType {
    return resolveType(this, typeof type === "number" ? this.typeById(type) : type);
  }

  /** Size in bytes of a value of the type (btf__resolve_size); pointers are `pointerSize` bytes. */
  sizeof(type: AnyBtfType | number, pointerSize = 8): number {
    return sizeOfType(this, typeof type === "number" ? this.typeById(type) : type, pointerSize);
  }

  /** Alignment in bytes of a value of the type (btf__align_of); pointers are `pointerSize` bytes. */
  alignof(type: AnyBtfType | number, pointerSize = 8): number {
    return alignOfType(this, typeof type === "number" ? this.typeById(type) : type, pointerSize);
  }

  /**
   * Where the member at a dotted path ("sk.__sk_common.skc_family") lies in a struct or union,
   * looking through anonymous members as C does; throws a TypeError naming the missing part.
   */
  offsetOf(type: AnyBtfType | number, path: string): BtfMemberLocation {
    return offsetOfPath(this, typeof type === "number" ? this.typeById(type) : type, path);
  }

  /** The BTF as bytes: a struct btf_header, its types and strings (this blob's own, for split BTF). */
  marshal(options: BtfMarshalOptions = {}): Uint8Array {
    return marshalBtf(this, options);
  }

  /**
   * Loads the BTF into the kernel (BPF_BTF_LOAD), rewritten first for what the running kernel
   * lacks, and returns the handle that owns its fd.
   */
  load(options: BtfLoadOptions = {}): LoadedBtf {
    return live("load", "btf.load()")(this, options);
  }

  /**
   * The BTF as text: "raw" is `bpftool btf dump file F` (format raw), line for line; "c" a C header
   * as `bpftool btf dump file F format c` prints it, with enums sized as the BTF says.
   */
  format(format: BtfFormat = "raw"): string {
    if (format === "c") return formatC(this);
    if (format !== "raw") throw new TypeError(`unknown BTF format ${JSON.stringify(format)}`);
    return formatRaw({ firstId: this.firstId, count: this.count, typeById: (id) => this.#peek(id), nameOffOf: (id) => this.nameOffOf(id), elementNameOffOf: (id, i) => this.elementNameOffOf(id, i) });
  }
}
