/**
 * A reusable, zeroed byte buffer an attr struct is written into with DataView, by offsets from
 * the generated layouts. It holds every buffer whose address it wrote until `release()`, so the
 * garbage collector cannot free memory the kernel is about to read or write.
 * @module
 */
import { utf8 } from "../util/text.ts";
import { type Backend, getBackend } from "./backend.ts";

const TWO32 = 4294967296;

/** One attr buffer: write fields, call `bpf()` with it, read outputs back, release. */
export class Attr {
  /** The bytes handed to the kernel. Off-heap, so its address never moves. */
  readonly u8: Uint8Array;
  /** DataView over `u8`, little-endian host order on the supported architectures. */
  readonly dv: DataView;
  #addr = 0;
  #addrOf: Backend | undefined;
  #keep: unknown[] = [];

  /** A zeroed attr of `capacity` bytes (large enough for any command of the newest UAPI by default). */
  constructor(capacity = 256) {
    this.u8 = new Uint8Array(new ArrayBuffer(capacity));
    this.dv = new DataView(this.u8.buffer);
  }

  /** The buffer's address for backend `b` (computed once per backend). */
  addr(b: Backend): number {
    if (this.#addrOf !== b) {
      this.#addr = b.address(this.u8);
      this.#addrOf = b;
    }
    return this.#addr;
  }

  /** Zeroes the first `size` bytes (the kernel rejects non-zero bytes past the fields it knows). */
  zero(size: number = this.u8.length): this {
    this.u8.fill(0, 0, size);
    return this;
  }

  /** Writes a u32 field. */
  u32(off: number, v: number): this {
    this.dv.setUint32(off, v >>> 0, true);
    return this;
  }

  /** Writes an s32 field. */
  s32(off: number, v: number): this {
    this.dv.setInt32(off, v | 0, true);
    return this;
  }

  /** Writes a u64 field from a non-negative safe integer or a bigint, as two u32 halves. */
  u64(off: number, v: number | bigint): this {
    if (typeof v === "bigint") {
      this.dv.setBigUint64(off, BigInt.asUintN(64, v), true);
    } else {
      this.dv.setUint32(off, v >>> 0, true);
      this.dv.setUint32(off + 4, Math.floor(v / TWO32) >>> 0, true);
    }
    return this;
  }

  /** Writes a pointer field: the address of `buf` (0 for null), keeping `buf` alive until `release()`. */
  ptr(off: number, buf: Uint8Array | null | undefined): this {
    if (buf == null) return this.u64(off, 0);
    // A DataView or ArrayBuffer has no `length`: its size would be misread, and the kernel would run past it.
    if (!(buf instanceof Uint8Array)) throw new TypeError(`a buffer the kernel reads or writes must be a Uint8Array, got ${Object.prototype.toString.call(buf).slice(8, -1)}`);
    if (buf.length === 0) return this.u64(off, 0);
    this.#keep.push(buf);
    return this.u64(off, getBackend().address(buf));
  }

  /** Keeps `x` (memory some written pointer refers to indirectly) alive until `release()`. */
  hold(x: unknown): this {
    this.#keep.push(x);
    return this;
  }

  /** Writes a NUL-padded char array field of `len` bytes; throws if `s` does not fit with its NUL or holds a lone surrogate. */
  chars(off: number, len: number, s: string): this {
    const bytes = utf8(s, `char[${len}] field`);
    if (bytes.length >= len) throw new RangeError(`"${s}" is ${bytes.length} bytes; the field holds ${len - 1} and a NUL`);
    this.u8.set(bytes, off);
    return this;
  }

  /** Reads a u32 field. */
  getU32(off: number): number {
    return this.dv.getUint32(off, true);
  }

  /** Reads an s32 field. */
  getS32(off: number): number {
    return this.dv.getInt32(off, true);
  }

  /** Reads a u64 field as a number (exact below 2^53). */
  getU64(off: number): number {
    return this.dv.getUint32(off, true) + this.dv.getUint32(off + 4, true) * TWO32;
  }

  /** Reads a u64 field as a bigint. */
  getBigU64(off: number): bigint {
    return this.dv.getBigUint64(off, true);
  }

  /** Drops the references taken by `ptr()`; call after the syscall returned. */
  release(): void {
    this.#keep.length = 0;
  }
}

/** A NUL-terminated UTF-8 copy of `s`, for path and name pointers. Throws if `s` holds a NUL. */
export function cString(s: string): Uint8Array {
  if (s.includes("\0")) throw new TypeError(`string contains a NUL byte: ${JSON.stringify(s)}`);
  const enc = utf8(s);
  const out = new Uint8Array(new ArrayBuffer(enc.length + 1));
  out.set(enc);
  return out;
}
