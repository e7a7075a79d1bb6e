/**
 * CollectionSpec: the pure, deterministic description of a BPF ELF object (cilium/ebpf's
 * CollectionSpec, aya-obj's Object): its maps, programs, global variables, BTF and license, to
 * inspect or change before Collection.load() makes them real.
 * @module
 */
import type { Btf } from "../btf/btf.ts";
import { type BtfCodec, codecFromBtf } from "../btf/codec.ts";
import type { ElfMapSpec } from "../elf/map-spec.ts";
import type { ElfProgramSpec } from "../elf/program-spec.ts";
import type { ElfExternSpec } from "../elf/externs.ts";
import { objectNameFromPath } from "../elf/data-maps.ts";
import { type ElfObject, parseObject } from "../elf/object.ts";
import { MapCreateFlags } from "../uapi/flags.gen.ts";
import { readFileBytes } from "../sys/file.ts";
import { HOST_LITTLE } from "../util/endian.ts";

/** One global variable of a `.data`, `.rodata`, `.bss` or `.kconfig` section. */
export class VariableSpec {
  /** The variable's name (its BTF VAR). */
  readonly name: string;
  /** The global-data map that holds it ("obj.rodata"). */
  readonly map: string;
  /** Its byte offset in the map's value. */
  readonly offset: number;
  /** Its size in bytes. */
  readonly size: number;
  /** Its BTF type id (the VAR's type). */
  readonly typeId: number;
  /** True in `.rodata*` and `.kconfig` (BPF_F_RDONLY_PROG): a constant the verifier sees. */
  readonly constant: boolean;
  readonly #spec: ElfMapSpec;
  readonly #btf: Btf | undefined;
  readonly #little: boolean;
  #codec: BtfCodec | undefined;

  /** A variable of map spec `spec`; `btf` types it; `little` is the object's byte order. */
  constructor(spec: ElfMapSpec, v: { name: string; offset: number; size: number; typeId: number }, btf: Btf | undefined, little: boolean = HOST_LITTLE) {
    this.name = v.name;
    this.map = spec.name;
    this.offset = v.offset;
    this.size = v.size;
    this.typeId = v.typeId;
    this.constant = (spec.flags & MapCreateFlags.rdonly_prog) !== 0;
    this.#spec = spec;
    this.#btf = btf;
    this.#little = little;
  }

  /** The codec of the variable's BTF type (structs as objects, ints as numbers or bigints, ...). */
  get codec(): BtfCodec {
    if (this.#btf === undefined) throw new TypeError(`variable ${this.name}: the object has no BTF to type it`);
    return (this.#codec ??= codecFromBtf(this.#btf, this.typeId, { littleEndian: this.#little }));
  }

  /** The initial value, decoded from the map spec's contents in the object's byte order. */
  get(): unknown {
    return this.codec.decode(this.#contents(), this.offset);
  }

  /** Writes the initial value into the map spec's contents in the object's byte order (for a constant: what the verifier will see). */
  set(value: unknown): void {
    this.codec.encode(value, this.#contents(), this.offset);
  }

  /** The initial bytes of the variable (a view into the map spec's contents). */
  bytes(): Uint8Array {
    return this.#contents().subarray(this.offset, this.offset + this.size);
  }

  #contents(): Uint8Array {
    const c = this.#spec.contents;
    if (c === undefined) throw new TypeError(`variable ${this.name}: map ${this.map} has no contents`);
    return c;
  }
}

/** Options of {@link CollectionSpec.parse}. */
export interface CollectionSpecOptions {
  /** The object's name, prefixed to global-data map names ("obj.rodata"); from the file name in fromFile. */
  objectName?: string;
}

/**
 * A BPF object's maps, programs and variables, parsed from the ELF file clang wrote, before any
 * kernel is involved.
 *
 * @example
 * ```ts
 * import { CollectionSpec } from "tsbpf";
 * const spec = CollectionSpec.fromFile("counter.bpf.o");
 * Object.keys(spec.programs);     // ["count_packets"]
 * spec.maps.counts.maxEntries;    // 1024
 * spec.variables.target_pid.set(1234);
 * ```
 */
export class CollectionSpec {
  /** Maps by name: declared (`.maps`, legacy `maps`) and global data ("obj.bss"). */
  readonly maps: Record<string, ElfMapSpec>;
  /** Entry programs by function name. */
  readonly programs: Record<string, ElfProgramSpec>;
  /** Global variables by name. */
  readonly variables: Record<string, VariableSpec>;
  /** Externs (kconfig, ksyms, kfuncs), resolved at load. */
  readonly externs: readonly ElfExternSpec[];
  /** The object's BTF as the kernel will get it (undefined without .BTF). */
  readonly btf: Btf | undefined;
  /** The license section's string. */
  readonly license: string;
  /** The version section's value (kern_version). */
  readonly kernVersion: number;
  /** The parsed object underneath. */
  readonly object: ElfObject;

  private constructor(object: ElfObject) {
    this.object = object;
    this.btf = object.loadBtf;
    this.license = object.license;
    this.kernVersion = object.kernVersion;
    this.externs = object.externs;
    this.maps = Object.create(null);
    this.programs = Object.create(null);
    this.variables = Object.create(null);
    for (const m of object.maps) this.maps[m.name] = m;
    for (const p of object.programs) this.programs[p.name] = p;
    for (const m of object.maps) {
      for (const v of m.variables ?? []) {
        // A static variable may share its name with one in another section: the first keeps it.
        if (!(v.name in this.variables)) this.variables[v.name] = new VariableSpec(m, v, object.loadBtf, object.elf.little);
      }
    }
  }

  /** Parses the bytes of a BPF ELF object; an ElfError or BtfError names a malformed part. */
  static parse(bytes: Uint8Array, options: CollectionSpecOptions = {}): CollectionSpec {
    return new CollectionSpec(parseObject(bytes, options));
  }

  /** Reads and parses the object at `path`; its object name is the file name up to the first dot. */
  static fromFile(path: string, options: CollectionSpecOptions = {}): CollectionSpec {
    if (typeof path !== "string" || path === "") throw new TypeError(`CollectionSpec.fromFile takes a path, got ${String(path)}`);
    return CollectionSpec.parse(readFileBytes(path), { objectName: options.objectName ?? objectNameFromPath(path) });
  }
}
