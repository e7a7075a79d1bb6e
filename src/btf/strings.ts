/**
 * The BTF string section: NUL-terminated names addressed by byte offset (btf_type.name_off),
 * decoded only when asked for and then cached. A split BTF's offsets continue after its base's.
 * @module
 */
import { cStringAt } from "../util/text.ts";
import { BtfError } from "./error.ts";

/** The string section of one BTF blob, chained to its base's for split BTF. */
export class BtfStrings {
  /** The section's bytes. */
  readonly bytes: Uint8Array;
  /** The offset this section's first byte has (the base's end for split BTF, else 0). */
  readonly start: number;
  /** The first offset past this section: where a split BTF on top of it starts. */
  readonly end: number;
  /** Where the section starts in the blob, for error offsets. */
  readonly blobStart: number;
  readonly #base: BtfStrings | undefined;
  readonly #cache = new Map<number, string>();

  /** Checks the section's terminators, as the kernel's btf_check_sec_info/libbpf do. */
  constructor(bytes: Uint8Array, blobStart: number, base?: BtfStrings) {
    this.bytes = bytes;
    this.blobStart = blobStart;
    this.#base = base;
    this.start = base ? base.end : 0;
    this.end = this.start + bytes.length;
    const n = bytes.length;
    // A split BTF may have no strings at all; a base must at least hold "" at offset 0.
    if (n === 0 && !base) throw new BtfError("empty string section: offset 0 must hold the empty string", { offset: blobStart });
    if (n && bytes[n - 1] !== 0) throw new BtfError("string section does not end with a NUL", { offset: blobStart + n - 1 });
    if (n && !base && bytes[0] !== 0) throw new BtfError("string section does not start with the empty string", { offset: blobStart });
  }

  /** True when `off` names a string here or in the base. */
  has(off: number): boolean {
    return off >= 0 && off < this.end;
  }

  /** The string at `off` (a name_off); a BtfError naming `typeId` when it is out of range. */
  get(off: number, typeId?: number): string {
    if (off < this.start) {
      if (this.#base) return this.#base.get(off, typeId);
      throw new BtfError(`string offset ${off} is out of range`, { typeId });
    }
    if (off >= this.end) throw new BtfError(`string offset ${off} is past the ${this.end}-byte string section`, { typeId });
    let s = this.#cache.get(off);
    if (s === undefined) {
      s = this.#decode(off - this.start);
      this.#cache.set(off, s);
    }
    return s;
  }

  // The section ends in NUL (checked above), so the scan always stops inside it.
  #decode(at: number): string {
    const b = this.bytes;
    let end = at, ascii = true;
    for (; b[end] !== 0; end++) if (b[end] > 0x7f) ascii = false;
    if (end === at) return "";
    if (ascii && end - at < 4096) return String.fromCharCode.apply(null, b.subarray(at, end) as unknown as number[]);
    return cStringAt(b, at, end - at);
  }

  /** Whether the string at `off` equals the UTF-8 bytes `want`, without decoding it. */
  equals(off: number, want: Uint8Array): boolean {
    if (off < this.start) return this.#base ? this.#base.equals(off, want) : false;
    const at = off - this.start, b = this.bytes;
    if (at + want.length >= b.length) return false;
    for (let i = 0; i < want.length; i++) if (b[at + i] !== want[i]) return false;
    return b[at + want.length] === 0;
  }

  /** FNV-1a hash of the string at `off`, for the name index; needs no decoding. */
  hash(off: number): number {
    if (off < this.start) return this.#base ? this.#base.hash(off) : 0;
    const b = this.bytes;
    let h = 0x811c9dc5;
    for (let i = off - this.start; b[i] !== 0; i++) h = Math.imul(h ^ b[i], 0x01000193);
    return h >>> 0;
  }
}

/** FNV-1a hash of UTF-8 bytes, matching {@link BtfStrings.hash}. */
export function hashBytes(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h >>> 0;
}
