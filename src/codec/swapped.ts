/**
 * Codecs of the other byte order: a scalar's bytes reversed. The codecs of this folder are
 * little-endian, as the kernels this library runs on store data; the values of a big-endian
 * object (`clang -target bpfeb`) read through these.
 * @module
 */
import type { Codec } from "./codec.ts";

// Scalars are at most 16 bytes (__int128); a bitfield's bytes at most 17.
const scratch = new Uint8Array(32);

/** Copies `buf[off, off + n)` into `scratch[0, n)` reversed, and returns scratch. */
export function reversedIn(buf: Uint8Array, off: number, n: number): Uint8Array {
  if (n > scratch.length) throw new RangeError(`reversedIn: ${n} bytes, more than ${scratch.length}`);
  for (let i = 0; i < n; i++) scratch[i] = buf[off + n - 1 - i];
  return scratch;
}

/** Copies `scratch[0, n)` into `buf[off, off + n)` reversed (after reversedIn and a write to scratch). */
export function reversedOut(buf: Uint8Array, off: number, n: number): void {
  for (let i = 0; i < n; i++) buf[off + i] = scratch[n - 1 - i];
}

/** Scalar codec `c` (an int, float, pointer or enum) in the other byte order. */
export function swapped<T, In>(c: Codec<T, In>): Codec<T, In> {
  const n = c.size;
  if (n <= 1) return c;
  if (n > scratch.length) throw new RangeError(`swapped(${c.name}): a ${n}-byte scalar`);
  return {
    size: n, align: c.align, name: c.name,
    encode(v: In, buf: Uint8Array, off: number): void {
      c.encode(v, scratch, 0);
      reversedOut(buf, off, n);
    },
    decode: (buf: Uint8Array, off: number): T => c.decode(reversedIn(buf, off, n), 0),
  };
}
