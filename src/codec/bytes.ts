/**
 * Fixed-size byte arrays (`__u8 addr[16]`, opaque keys) and fixed-size C strings (`char comm[16]`).
 * @module
 */
import { utf8, cStringAt } from "../util/text.ts";
import { type Codec, show } from "./codec.ts";

function checkLength(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`${what}: length must be a non-negative integer, got ${n}`);
}

/**
 * `__u8 x[n]`: exactly `n` bytes, as a Uint8Array (decode returns a copy the caller may keep).
 * This is the default codec of a map created or opened without codecs.
 */
export function bytes(n: number): Codec<Uint8Array> {
  checkLength(n, "bytes(n)");
  const name = `bytes(${n})`;
  return {
    size: n,
    align: 1,
    name,
    encode(v: Uint8Array, buf: Uint8Array, off: number): void {
      if (!(v instanceof Uint8Array)) throw new TypeError(`${name}: expects a Uint8Array of ${n} bytes, got ${show(v)}`);
      if (v.length !== n) throw new RangeError(`${name}: expects a Uint8Array of ${n} bytes, got ${v.length} bytes`);
      if (n > 32) buf.set(v, off);
      else for (let i = 0; i < n; i++) buf[off + i] = v[i];
    },
    decode(buf: Uint8Array, off: number): Uint8Array {
      return buf.slice(off, off + n);
    },
  };
}

/**
 * `char s[n]`: a string stored as UTF-8, NUL-padded to `n` bytes (it may fill all `n`, as C
 * allows); decode stops at the first NUL. Longer strings throw a RangeError, never truncate; a
 * lone surrogate, which UTF-8 cannot encode, is a TypeError rather than a U+FFFD.
 */
export function chars(n: number): Codec<string> {
  checkLength(n, "chars(n)");
  const name = `chars(${n})`;
  return {
    size: n,
    align: 1,
    name,
    encode(v: string, buf: Uint8Array, off: number): void {
      if (typeof v !== "string") throw new TypeError(`${name}: expects a string, got ${show(v)}`);
      const b = utf8(v, name);
      if (b.length > n) throw new RangeError(`${name}: ${show(v)} is ${b.length} bytes of UTF-8; the field holds ${n}`);
      if (b.includes(0)) throw new TypeError(`${name}: ${show(v)} contains a NUL byte`);
      buf.set(b, off);
      buf.fill(0, off + b.length, off + n);
    },
    decode(buf: Uint8Array, off: number): string {
      return cStringAt(buf, off, n);
    },
  };
}
