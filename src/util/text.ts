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

const wellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;

/** Index of the first lone surrogate in `s` (which UTF-8 cannot encode), or -1. */
export function loneSurrogate(s: string): number {
  if (wellFormed !== undefined && wellFormed.call(s)) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = s.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
    else return i;
  }
  return -1;
}

/**
 * UTF-8 bytes of `s`. A lone surrogate is a TypeError naming `what` and its index: TextEncoder
 * would store U+FFFD instead, a different string from the one given.
 */
export function utf8(s: string, what = "string"): Uint8Array {
  const at = loneSurrogate(s);
  if (at >= 0) {
    const hex = s.charCodeAt(at).toString(16).toUpperCase();
    throw new TypeError(`${what} ${JSON.stringify(s)} has a lone surrogate U+${hex} at index ${at}, which UTF-8 cannot encode`);
  }
  return enc.encode(s);
}

/** Decodes UTF-8 up to the first NUL (or the end): C strings in fixed char arrays and log buffers. */
export function cStringAt(b: Uint8Array, off = 0, len: number = b.length - off): string {
  let end = off;
  const stop = off + len;
  while (end < stop && b[end] !== 0) end++;
  return dec.decode(b.subarray(off, end));
}

/** Decodes all of `b` as UTF-8, NULs included (malformed bytes become U+FFFD): program output such as an iterator's. */
export function utf8Text(b: Uint8Array): string {
  return dec.decode(b);
}

/** `b` as lowercase hex, two digits a byte, as bpftool prints a program's tag. */
export function hexBytes(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
}
