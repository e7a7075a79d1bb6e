/**
 * Reading 8-byte instruction slots out of a byte buffer in either byte order, into one reused
 * object so that walking 100k instructions allocates nothing per slot.
 * @module
 */

/** The endianness of encoded instructions. */
export type Endian = "little" | "big";

/** "little" unless `endian` is "big"; a TypeError for anything else. */
export function isLittle(endian: Endian | undefined): boolean {
  if (endian === undefined || endian === "little") return true;
  if (endian === "big") return false;
  throw new TypeError(`endian must be "little" or "big", got ${JSON.stringify(endian)}`);
}

/** A cursor over encoded instructions: read(at) fills code/dst/src/off/imm from the slot at byte `at`. */
export class SlotReader {
  /** The encoded instructions. */
  readonly bytes: Uint8Array;
  /** True for little-endian encoding. */
  readonly little: boolean;
  /** Opcode of the last slot read. */
  code = 0;
  /** Destination register number of the last slot read. */
  dst = 0;
  /** Source register number of the last slot read. */
  src = 0;
  /** Signed 16-bit offset of the last slot read. */
  off = 0;
  /** Signed 32-bit immediate of the last slot read. */
  imm = 0;

  /** A reader over `bytes` in the given byte order. */
  constructor(bytes: Uint8Array, little: boolean) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`expected a Uint8Array of encoded instructions, got ${Object.prototype.toString.call(bytes)}`);
    this.bytes = bytes;
    this.little = little;
  }

  /** Reads the slot at byte offset `at` (which must leave 8 bytes). */
  read(at: number): void {
    const b = this.bytes;
    this.code = b[at];
    const regs = b[at + 1];
    if (this.little) {
      this.dst = regs & 15;
      this.src = regs >> 4;
      this.off = ((b[at + 3] << 24) | (b[at + 2] << 16)) >> 16;
      this.imm = b[at + 4] | (b[at + 5] << 8) | (b[at + 6] << 16) | (b[at + 7] << 24);
    } else {
      this.dst = regs >> 4;
      this.src = regs & 15;
      this.off = ((b[at + 2] << 24) | (b[at + 3] << 16)) >> 16;
      this.imm = (b[at + 4] << 24) | (b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7];
    }
  }

  /** The imm of the slot at byte `at`, without touching the other fields. */
  immAt(at: number): number {
    const b = this.bytes;
    return this.little
      ? b[at + 4] | (b[at + 5] << 8) | (b[at + 6] << 16) | (b[at + 7] << 24)
      : (b[at + 4] << 24) | (b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7];
  }
}
