/**
 * Maps of maps (array_of_maps, hash_of_maps, 4.12+) and program arrays: user space stores an fd,
 * the kernel keeps the object it names and a lookup hands back that object's id, not an fd.
 * Creating a map of maps needs a template inner map whose shape every stored map must match.
 * @module
 */
import { type Codec, getU32, putU32, show } from "../codec/codec.ts";

/** A map or program, or its fd: what a map of maps or a program array stores. */
export type FdRef = number | { readonly fd: number };

/**
 * The value codec of prog_array, array_of_maps and hash_of_maps: an fd (or an object with `.fd`,
 * such as a BpfMap) goes in; the stored object's kernel id comes out (open it with BpfMap.fromId).
 */
export const fdId: Codec<number, FdRef> = {
  size: 4,
  align: 4,
  name: "fd -> id",
  encode(v: FdRef, buf: Uint8Array, off: number): void {
    const fd = typeof v === "number" ? v : typeof v === "object" && v !== null ? v.fd : undefined;
    if (typeof fd !== "number" || (fd | 0) !== fd || fd < 0) {
      throw new TypeError(`fd -> id: expects a BpfMap (or another object with an fd) or an fd number, got ${show(v)}`);
    }
    putU32(buf, off, fd);
  },
  decode(buf: Uint8Array, off: number): number {
    return getU32(buf, off);
  },
};
