/**
 * Alignment of types and member offsets by path (btf__align_of, and C's offsetof through
 * anonymous members).
 * @module
 */
import type { AnyBtfType } from "./types.ts";
import type { TypeSource } from "./resolve.ts";

/** Where a member lies in its outermost struct or union. */
export interface BtfMemberLocation {
  /** Bit offset from the start of the outermost type. */
  bitOffset: number;
  /** Bitfield size in bits; 0 when the member is not a bitfield. */
  bitfieldSize: number;
  /** The member's type id. */
  type: number;
}

/** Alignment in bytes of a value of `t`. */
export function alignOfType(src: TypeSource, t: AnyBtfType, pointerSize: number): number {
  throw new Error(`alignof is not written yet (${src.count}, ${t.id}, ${pointerSize})`);
}

/** The member of `t` at the dotted `path`. */
export function offsetOfPath(src: TypeSource, t: AnyBtfType, path: string): BtfMemberLocation {
  throw new Error(`offsetOf is not written yet (${src.count}, ${t.id}, ${path})`);
}
