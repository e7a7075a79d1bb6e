/**
 * UTF-8 text helpers over the runtimes' global TextEncoder/TextDecoder (declared here because the
 * core compiles without DOM or runtime type libraries).
 * @module
 */

interface Encoder { encode(s: string): Uint8Array }
interface Decoder { decode(b: Uint8Array): string }
const g = globalThis as unknown as {
  TextEncoder: new () => Encoder;
  TextDecoder: new (label?: string, opts?: { fatal?: boolean }) => Decoder;
};
const enc = new g.TextEncoder();
const dec = new g.TextDecoder("utf-8");

/** UTF-8 bytes of `s`. */
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}

/** Decodes UTF-8 up to the first NUL (or the end): C strings in fixed char arrays and log buffers. */
export function cStringAt(b: Uint8Array, off = 0, len: number = b.length - off): string {
  let end = off;
  const stop = off + len;
  while (end < stop && b[end] !== 0) end++;
  return dec.decode(b.subarray(off, end));
}
