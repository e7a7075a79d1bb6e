/**
 * Fixed-width integers and floats as the kernel stores them: little-endian host order (x86_64,
 * aarch64), plus big-endian be16/be32 for network-order fields such as ports and IPv4 addresses.
 * Encoders refuse what the C type cannot hold instead of wrapping it silently.
 * @module
 */
import { type Codec, getU32, putU32, show, viewOf } from "./codec.ts";

const TWO32 = 4294967296;
const MAX_U64 = (1n << 64n) - 1n;
const MIN_I64 = -(1n << 63n);
const MAX_I64 = (1n << 63n) - 1n;

function bad(name: string, v: unknown, range: string): Error {
  return typeof v === "number"
    ? new RangeError(`${name}: expects an integer in ${range}, got ${show(v)}`)
    : new TypeError(`${name}: expects a number (an integer in ${range}), got ${show(v)}`);
}

/** A small-integer codec: `fits(v)` is the fast exact check (it is false for non-numbers too). */
function small(
  name: string, size: 1 | 2 | 4, range: string, fits: (v: number) => boolean, signed: boolean, bigEndian = false,
): Codec<number> {
  return {
    size,
    align: size,
    name,
    encode(v: number, buf: Uint8Array, off: number): void {
      if (typeof v !== "number" || !fits(v)) throw bad(name, v, range);
      if (bigEndian) {
        for (let i = size - 1; i >= 0; i--, v >>>= 8) buf[off + i] = v & 0xff;
      } else {
        for (let i = 0; i < size; i++, v >>>= 8) buf[off + i] = v & 0xff;
      }
    },
    decode(buf: Uint8Array, off: number): number {
      let x: number;
      if (size === 1) x = buf[off];
      else if (size === 2) x = bigEndian ? (buf[off] << 8) | buf[off + 1] : buf[off] | (buf[off + 1] << 8);
      else if (bigEndian) x = ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
      else x = getU32(buf, off);
      if (signed) x = size === 1 ? (x << 24) >> 24 : size === 2 ? (x << 16) >> 16 : x | 0;
      return x;
    },
  };
}

// Each check is exact for numbers: it is true only for integers the C type holds.
/** __u8: an integer in [0, 255]. */
export const u8: Codec<number> = small("u8", 1, "[0, 255]", (v) => (v & 0xff) === v, false);
/** __u16: an integer in [0, 65535]. */
export const u16: Codec<number> = small("u16", 2, "[0, 65535]", (v) => (v & 0xffff) === v, false);
/** __u32: an integer in [0, 4294967295]. */
export const u32: Codec<number> = small("u32", 4, "[0, 4294967295]", (v) => v >>> 0 === v, false);
/** __s8: an integer in [-128, 127]. */
export const i8: Codec<number> = small("i8", 1, "[-128, 127]", (v) => (v << 24) >> 24 === v, true);
/** __s16: an integer in [-32768, 32767]. */
export const i16: Codec<number> = small("i16", 2, "[-32768, 32767]", (v) => (v << 16) >> 16 === v, true);
/** __s32: an integer in [-2147483648, 2147483647]. */
export const i32: Codec<number> = small("i32", 4, "[-2147483648, 2147483647]", (v) => (v | 0) === v, true);
/** __be16: a u16 stored big-endian (network byte order), e.g. a port. */
export const be16: Codec<number> = small("be16", 2, "[0, 65535]", (v) => (v & 0xffff) === v, false, true);
/** __be32: a u32 stored big-endian (network byte order), e.g. an IPv4 address. */
export const be32: Codec<number> = small("be32", 4, "[0, 4294967295]", (v) => v >>> 0 === v, false, true);

/** Writes a non-negative safe integer as a little-endian u64 without BigInt. */
function putU64Number(v: number, buf: Uint8Array, off: number): void {
  const lo = v % TWO32;
  putU32(buf, off, lo);
  putU32(buf, off + 4, (v - lo) / TWO32);
}

/** __u64 as a bigint; encode also takes a non-negative safe-integer number. */
export const u64: Codec<bigint, bigint | number> = {
  size: 8,
  align: 8,
  name: "u64",
  encode(v: bigint | number, buf: Uint8Array, off: number): void {
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`u64: expects a bigint in [0, 2^64) or a safe integer >= 0, got ${show(v)}`);
      putU64Number(v, buf, off);
      return;
    }
    if (typeof v !== "bigint") throw new TypeError(`u64: expects a bigint (or a safe integer number), got ${show(v)}`);
    if (v < 0n || v > MAX_U64) throw new RangeError(`u64: expects a bigint in [0, 2^64), got ${show(v)}`);
    viewOf(buf).setBigUint64(buf.byteOffset + off, v, true);
  },
  decode(buf: Uint8Array, off: number): bigint {
    return viewOf(buf).getBigUint64(buf.byteOffset + off, true);
  },
};

/** __s64 as a bigint; encode also takes a safe-integer number. */
export const i64: Codec<bigint, bigint | number> = {
  size: 8,
  align: 8,
  name: "i64",
  encode(v: bigint | number, buf: Uint8Array, off: number): void {
    if (typeof v === "number") {
      if (!Number.isSafeInteger(v)) throw new RangeError(`i64: expects a bigint in [-2^63, 2^63) or a safe integer, got ${show(v)}`);
      viewOf(buf).setBigInt64(buf.byteOffset + off, BigInt(v), true);
      return;
    }
    if (typeof v !== "bigint") throw new TypeError(`i64: expects a bigint (or a safe integer number), got ${show(v)}`);
    if (v < MIN_I64 || v > MAX_I64) throw new RangeError(`i64: expects a bigint in [-2^63, 2^63), got ${show(v)}`);
    viewOf(buf).setBigInt64(buf.byteOffset + off, v, true);
  },
  decode(buf: Uint8Array, off: number): bigint {
    return viewOf(buf).getBigInt64(buf.byteOffset + off, true);
  },
};

/**
 * __u64 as a plain number, for counters that stay below 2^53: no BigInt on either side. Decoding
 * a value above Number.MAX_SAFE_INTEGER throws a RangeError rather than losing precision.
 */
export const u64n: Codec<number> = {
  size: 8,
  align: 8,
  name: "u64n",
  encode(v: number, buf: Uint8Array, off: number): void {
    if (typeof v !== "number") throw new TypeError(`u64n: expects a number (a safe integer >= 0), got ${show(v)}`);
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`u64n: expects a safe integer in [0, 2^53), got ${show(v)}`);
    putU64Number(v, buf, off);
  },
  decode(buf: Uint8Array, off: number): number {
    const hi = getU32(buf, off + 4);
    if (hi >= 0x200000) throw new RangeError(`u64n: ${viewOf(buf).getBigUint64(buf.byteOffset + off, true)} is above 2^53 - 1; use the u64 codec (bigint) for this value`);
    return hi * TWO32 + getU32(buf, off);
  },
};

/** __s64 as a plain number within ±(2^53 - 1); decoding anything larger throws a RangeError. */
export const i64n: Codec<number> = {
  size: 8,
  align: 8,
  name: "i64n",
  encode(v: number, buf: Uint8Array, off: number): void {
    if (typeof v !== "number") throw new TypeError(`i64n: expects a number (a safe integer), got ${show(v)}`);
    if (!Number.isSafeInteger(v)) throw new RangeError(`i64n: expects a safe integer, got ${show(v)}`);
    if (v >= 0) return putU64Number(v, buf, off);
    viewOf(buf).setBigInt64(buf.byteOffset + off, BigInt(v), true);
  },
  decode(buf: Uint8Array, off: number): number {
    const v = (getU32(buf, off + 4) | 0) * TWO32 + getU32(buf, off);
    if (!Number.isSafeInteger(v)) throw new RangeError(`i64n: ${viewOf(buf).getBigInt64(buf.byteOffset + off, true)} is beyond ±(2^53 - 1); use the i64 codec (bigint) for this value`);
    return v;
  },
};

function float(name: string, size: 4 | 8): Codec<number> {
  return {
    size,
    align: size,
    name,
    encode(v: number, buf: Uint8Array, off: number): void {
      if (typeof v !== "number") throw new TypeError(`${name}: expects a number, got ${show(v)}`);
      const dv = viewOf(buf);
      if (size === 4) dv.setFloat32(buf.byteOffset + off, v, true);
      else dv.setFloat64(buf.byteOffset + off, v, true);
    },
    decode(buf: Uint8Array, off: number): number {
      const dv = viewOf(buf);
      return size === 4 ? dv.getFloat32(buf.byteOffset + off, true) : dv.getFloat64(buf.byteOffset + off, true);
    },
  };
}

/** C float (IEEE 754 binary32); encode rounds to the nearest float. */
export const f32: Codec<number> = float("f32", 4);
/** C double (IEEE 754 binary64). */
export const f64: Codec<number> = float("f64", 8);

/** C _Bool / a u8 flag: true or false, stored as 1 or 0 (decode treats any non-zero byte as true). */
export const bool: Codec<boolean> = {
  size: 1,
  align: 1,
  name: "bool",
  encode(v: boolean, buf: Uint8Array, off: number): void {
    if (typeof v !== "boolean") throw new TypeError(`bool: expects true or false, got ${show(v)}`);
    buf[off] = v ? 1 : 0;
  },
  decode(buf: Uint8Array, off: number): boolean {
    return buf[off] !== 0;
  },
};
