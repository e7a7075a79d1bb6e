/**
 * CRC-32 as gzip (RFC 1952), zlib and PNG compute it: the reflected polynomial 0xedb88320,
 * one table lookup per byte.
 * @module
 */

let crcTable: Int32Array | undefined;

/** CRC-32 (ISO 3309, as gzip uses it) of b[from, to), continuing from `crc`. */
export function crc32(b: Uint8Array, from = 0, to: number = b.length, crc = 0): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c;
    }
  }
  const t = crcTable;
  let c = ~crc;
  for (let i = from; i < to; i++) c = t[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
