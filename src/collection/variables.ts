/**
 * Live global variables of a loaded collection (cilium/ebpf's Variable, libbpf's skeleton
 * `bss`/`data`/`rodata` pointers): a BPF_F_MMAPABLE global-data map is mapped into the process,
 * so a read or write is a memory access, no syscall. Maps without that flag (only static
 * variables, or kernels before 5.5) are read and written through map lookup/update instead.
 * @module
 */
import type { BtfCodec } from "../btf/codec.ts";
import { mapLookupElem, mapUpdateElem } from "../cmd/map.ts";
import type { BpfMap } from "../map/map.ts";
import { type MappedRegion, mapRegion } from "../ringbuf/mapping.ts";
import { Prot } from "../sys/mmap.ts";
import { pageSize } from "../sys/page-size.ts";
import type { VariableSpec } from "./spec.ts";

/**
 * How a DataMemory reaches its map's value: mapped (BPF_F_MMAPABLE) or shadowed by lookups, or
 * part of a mapping made already (an arena's globals, at `offset` in its region).
 */
export type DataBacking = { mmapable: boolean; readOnly: boolean } | { region: MappedRegion; offset: number };

/** The memory of one global-data map, shared by its variables. */
export class DataMemory {
  /** The map's value: a live view of the mapping, or a buffer refreshed by lookups. */
  readonly bytes: Uint8Array;
  /** True when `bytes` is the mapped memory itself. */
  readonly mapped: boolean;
  /** True for `.rodata`/`.kconfig`: frozen, read-only from user space. */
  readonly readOnly: boolean;
  readonly #map: BpfMap<any, any, any, any>;
  readonly #region: MappedRegion | undefined;
  #live = true;

  /** Maps (when `mmapable`) or shadows the `size`-byte value of `map`; or shows it in a region mapped already. */
  constructor(map: BpfMap<any, any, any, any>, size: number, backing: DataBacking) {
    this.#map = map;
    this.readOnly = "region" in backing ? false : backing.readOnly;
    if ("region" in backing) {
      this.#region = backing.region;
      this.bytes = new Uint8Array(backing.region.buffer, backing.offset, size);
      this.mapped = true;
    } else if (backing.mmapable) {
      const len = Math.ceil(size / pageSize()) * pageSize();
      this.#region = mapRegion(map.fd, len, backing.readOnly ? Prot.read : Prot.read | Prot.write, 0, `global data map ${map.name}`);
      this.bytes = new Uint8Array(this.#region.buffer, 0, size);
      this.mapped = true;
    } else {
      this.bytes = new Uint8Array(size);
      this.mapped = false;
    }
  }

  /** Reads the map's value into `bytes` where it is not mapped. */
  refresh(): void {
    this.#check();
    if (!this.mapped) mapLookupElem(this.#map.fd, new Uint8Array(4), this.bytes);
  }

  /** Writes `bytes` back where it is not mapped. */
  flush(): void {
    this.#check();
    if (!this.mapped) mapUpdateElem(this.#map.fd, new Uint8Array(4), this.bytes, 0);
  }

  /** Unmaps (views left behind read zeros); idempotent. */
  release(): void {
    this.#live = false;
    this.#region?.release();
  }

  #check(): void {
    if (!this.#live) throw new TypeError(`global data map ${this.#map.name}: the collection is closed`);
  }

  /** Whether the collection is still open. */
  get live(): boolean {
    return this.#live;
  }
}

/** One global variable of a loaded collection. */
export class Variable {
  /** The variable's name. */
  readonly name: string;
  /** Byte offset in its map's value. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
  /** True for `.rodata` and `.kconfig` variables: set() throws. */
  readonly readOnly: boolean;
  readonly #mem: DataMemory;
  readonly #spec: VariableSpec;

  /** Variable `spec` in memory `mem`. */
  constructor(spec: VariableSpec, mem: DataMemory) {
    this.name = spec.name;
    this.offset = spec.offset;
    this.size = spec.size;
    this.readOnly = mem.readOnly;
    this.#mem = mem;
    this.#spec = spec;
  }

  /** The codec of its BTF type. */
  get codec(): BtfCodec {
    return this.#spec.codec;
  }

  /** True when reads and writes go straight to mapped memory (no syscall). */
  get mapped(): boolean {
    return this.#mem.mapped;
  }

  /** The current value, decoded through the variable's BTF type. */
  get(): unknown {
    this.#mem.refresh();
    if (!this.#mem.live) throw new TypeError(`variable ${this.name}: the collection is closed`);
    return this.#spec.codec.decode(this.#mem.bytes, this.offset);
  }

  /** Writes a new value (programs see it at once). A TypeError for a read-only variable. */
  set(value: unknown): void {
    if (this.readOnly) throw new TypeError(`variable ${this.name} is read-only (.rodata/.kconfig are frozen; set constants before load)`);
    if (!this.#mem.live) throw new TypeError(`variable ${this.name}: the collection is closed`);
    if (!this.#mem.mapped) this.#mem.refresh();
    this.#spec.codec.encode(value, this.#mem.bytes, this.offset);
    this.#mem.flush();
  }

  /**
   * The variable's bytes: for a mapped variable a live view of its memory (valid until close(),
   * zeros after), otherwise a copy read now.
   */
  bytes(): Uint8Array {
    this.#mem.refresh();
    const b = this.#mem.bytes.subarray(this.offset, this.offset + this.size);
    return this.#mem.mapped ? b : b.slice();
  }
}
