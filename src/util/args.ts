/**
 * Argument checks every layer shares (a leaf): a bad value is a TypeError or RangeError that
 * names it, raised before any syscall.
 * @module
 */

/** `v` as a u32 argument. */
export function u32Arg(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} must be an integer in [0, 2^32), got ${v}`);
  return v;
}

/** `fd` as a file descriptor argument: a non-negative int32 (a larger number would wrap in the kernel's int). */
export function checkFd(fd: number, what = "fd"): number {
  if ((fd | 0) !== fd || fd < 0) throw new RangeError(`${what} must be a non-negative integer below 2^31, got ${fd}`);
  return fd;
}

/**
 * `x` as bytes the kernel reads or writes: a Uint8Array (a Node Buffer is one), else a TypeError.
 * Other views are refused rather than taken by their bytes: a Uint16Array key would mean different
 * bytes on hosts of different byte order. Detachment is checked where it cannot cost the hot path.
 */
export function checkBytes(x: unknown, what: string): Uint8Array {
  if (!(x instanceof Uint8Array)) throw notBytes(x, what);
  if (x.byteLength === 0 && isDetached(x)) throw new TypeError(`${what} is a view of a detached ArrayBuffer`);
  return x;
}

/** The TypeError for a value that is not a Uint8Array, naming what it is. */
export function notBytes(x: unknown, what: string): TypeError {
  const kind = x === null ? "null" : typeof x !== "object" ? typeof x
    : ArrayBuffer.isView(x) || x instanceof ArrayBuffer ? (x as object).constructor.name : "an object";
  return new TypeError(`${what} must be a Uint8Array, got ${kind}`);
}

/** True when `v`'s buffer was transferred or detached (its views then read as empty). */
export function isDetached(v: ArrayBufferView): boolean {
  const b = v.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof b.detached === "boolean") return b.detached;
  if (b.byteLength !== 0) return false;
  // Node 20 lacks ArrayBuffer.prototype.detached; a new view of a detached buffer throws.
  try {
    new Uint8Array(b);
    return false;
  } catch {
    return true;
  }
}

/** A u64 flags argument kept as a number: a non-negative safe integer, else a RangeError. */
export function flagsArg(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) throw new RangeError(`${what} must be a non-negative integer, got ${v}`);
  return v;
}

const U64_MAX = (1n << 64n) - 1n;

/** `v` as a u64 argument: a bigint in [0, 2^64) or a non-negative safe integer, else a RangeError. */
export function u64Arg(v: number | bigint, what: string): number | bigint {
  if (typeof v === "bigint" ? v >= 0n && v <= U64_MAX : Number.isSafeInteger(v) && v >= 0) return v;
  throw new RangeError(`${what} must be an integer in [0, 2^64) (a bigint above 2^53), got ${String(v)}`);
}
