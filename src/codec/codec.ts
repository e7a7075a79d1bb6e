/**
 * The codec contract: how a JS value becomes the bytes of a map key or value (the C object the
 * kernel stores) and back. Codecs are plain data-free objects, so one instance serves every map.
 * @module
 */

/**
 * Converts between JS values and a fixed-size C object (a map key or value). `T` is what decode
 * returns, `In` what encode accepts (u64 decodes to bigint but accepts a safe-integer number too).
 */
export interface Codec<T, In = T> {
  /** sizeof the C object, in bytes. */
  readonly size: number;
  /** _Alignof the C object: where it may start inside a struct. */
  readonly align: number;
  /** What it is, for error messages: "u32", "bytes(16)", "struct { a: u32, b: u64 }". */
  readonly name: string;
  /** Writes `v` at `buf[off .. off + size)`; throws TypeError/RangeError for a value it cannot hold. */
  encode(v: In, buf: Uint8Array, off: number): void;
  /** Reads the object at `buf[off .. off + size)`. */
  decode(buf: Uint8Array, off: number): T;
}

/** Any codec, whatever it decodes to. */
export type AnyCodec = Codec<any, any>;

/** What codec `C` decodes to. */
export type Decoded<C> = C extends Codec<infer T, any> ? T : never;

/** What codec `C` accepts. */
export type Encodable<C> = C extends Codec<any, infer I> ? I : never;

let lastArray: Uint8Array | undefined;
let lastView: DataView = new DataView(new ArrayBuffer(0));

/**
 * A DataView over `buf`'s whole ArrayBuffer (index it with `buf.byteOffset + off`). Maps reuse
 * their scratch buffers, so a one-entry cache makes this allocation-free on the hot path; it is
 * keyed by the array itself because V8's `.buffer` getter costs ~20 ns a read.
 */
export function viewOf(buf: Uint8Array): DataView {
  if (buf !== lastArray) {
    lastArray = buf;
    lastView = new DataView(buf.buffer);
  }
  return lastView;
}

/** The little-endian u32 at `buf[off]`, from bytes (cheaper than a DataView in every engine). */
export function getU32(buf: Uint8Array, off: number): number {
  return (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
}

/** Writes `v` (a u32) little-endian at `buf[off]`. */
export function putU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v;
  buf[off + 1] = v >>> 8;
  buf[off + 2] = v >>> 16;
  buf[off + 3] = v >>> 24;
}

/** Describes a bad value for an error message: its type and a short rendering. */
export function show(v: unknown): string {
  if (typeof v === "string") return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === "bigint") return `bigint ${v}n`;
  if (typeof v === "number") return `${v}`;
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (v instanceof Uint8Array) return `Uint8Array of ${v.length} bytes`;
  if (Array.isArray(v)) return `array of ${v.length}`;
  return typeof v === "object" ? `${(v as object).constructor?.name ?? "object"}` : typeof v;
}

/** The same kind of error (TypeError, RangeError, ...) with `prefix` in front of the message. */
export function prefixed(e: unknown, prefix: string): unknown {
  if (!(e instanceof Error)) return e;
  const Ctor = e instanceof RangeError ? RangeError : e instanceof TypeError ? TypeError : Error;
  return new Ctor(`${prefix}${e.message}`, { cause: e });
}

/** Rounds `n` up to a multiple of `a` (a power of two or any positive integer). */
export function roundUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
