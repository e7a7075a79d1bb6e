/**
 * BTF to bytes: a struct btf_header, the type section and a string section.
 * @module
 */
import type { Btf } from "./btf.ts";

/** Options of {@link marshalBtf}. */
export interface BtfMarshalOptions {
  /** Byte order of the output; the host's (little-endian on x86_64) by default. */
  littleEndian?: boolean;
}

/** The bytes of `btf`'s own types and strings. */
export function marshalBtf(btf: Btf, options: BtfMarshalOptions): Uint8Array {
  throw new Error(`marshal is not written yet (${btf.count} types, ${JSON.stringify(options)})`);
}
