/**
 * The whole arena of a loaded collection as the process sees it (libbpf's skeleton gives the
 * arena's mapped address the same way): the `__arena` globals and every page a program allocates
 * with bpf_arena_alloc_pages, at the address the kernel gives their pointers (user_vm_start).
 * @module
 */
import type { BpfMap } from "../map/map.ts";
import type { ArenaPlacement } from "./arena.ts";

/**
 * The live memory of a collection's BPF_MAP_TYPE_ARENA map (6.9+), mapped at load.
 *
 * @example
 * ```ts
 * import { Collection } from "tsbpf";
 * using obj = Collection.load("list.bpf.o");
 * obj.programs.grow.testRun();                          // allocates a node in the arena
 * const arena = obj.arena!;
 * const head = obj.variables.head.get() as bigint;      // an __arena pointer: a user address
 * new DataView(arena.bytes.buffer).getBigInt64(arena.offsetOf(head), true); // the node's value
 * ```
 */
export class ArenaMemory {
  /** The arena map. */
  readonly map: BpfMap<any, any, any, any>;
  /** Where the arena starts in this process (its user_vm_start): what `__arena` pointers count from. */
  readonly address: bigint;
  /** The arena's size in bytes (max_entries pages). */
  readonly size: number;
  /** Where the object's `__arena` globals are in it: bytes `[dataOffset, dataOffset + dataSize)`. */
  readonly dataOffset: number;
  /** The globals' size in bytes. */
  readonly dataSize: number;
  readonly #bytes: Uint8Array | undefined;

  /** The arena `map`, mapped (by mapArena) as `placement` says. */
  constructor(map: BpfMap<any, any, any, any>, placement: ArenaPlacement) {
    this.map = map;
    this.#bytes = placement.viewless ? undefined : new Uint8Array(placement.region.buffer, 0, placement.size);
    this.address = BigInt(placement.region.address);
    this.size = placement.size;
    this.dataOffset = placement.dataOffset;
    this.dataSize = placement.dataSize;
  }

  /**
   * The whole arena, live (zeros once the collection is closed). Touching a page no program has
   * allocated gives it to user space, as any access from user space does (the kernel allocates it,
   * and programs can no longer have it). A TypeError for an arena with BPF_F_SEGV_ON_FAULT: there
   * such a page kills the process, and nothing here can tell which pages a program has allocated.
   */
  get bytes(): Uint8Array {
    if (this.#bytes === undefined) {
      throw new TypeError(`arena map ${this.map.name} has BPF_F_SEGV_ON_FAULT: a page no program has allocated would kill the process on first touch, so it has no view (share data through a map or ring buffer)`);
    }
    return this.#bytes;
  }

  /**
   * The byte offset in {@link bytes} of an `__arena` pointer that a program stored (a user
   * address in this arena). A RangeError for a null pointer or one outside the arena.
   */
  offsetOf(pointer: bigint | number): number {
    if (typeof pointer !== "bigint" && (typeof pointer !== "number" || !Number.isSafeInteger(pointer))) {
      throw new TypeError(`arena map ${this.map.name}: a pointer is a bigint or a safe integer, got ${String(pointer)}`);
    }
    const p = BigInt(pointer);
    const off = p - this.address;
    if (off < 0n || off >= BigInt(this.size)) {
      throw new RangeError(`arena map ${this.map.name}: pointer 0x${p.toString(16)} is outside the arena [0x${this.address.toString(16)}, +${this.size})`);
    }
    return Number(off);
  }
}
