/**
 * BTF to bytes: a parsed Btf's own types and names re-encoded (encode.ts) into a fresh blob - a
 * struct btf_header, the type section and the string section - in either byte order. The
 * strings keep their offsets (new ones are appended), so a program's .BTF.ext line_info, which
 * points into them, stays valid for the re-encoded blob.
 * @module
 */
import type { Btf } from "./btf.ts";
import { encodeBtf } from "./encode.ts";
import { HOST_LITTLE } from "../util/endian.ts";

/** Options of {@link Btf.marshal} (libbpf's btf__raw_data, with btf__set_endianness). */
export interface BtfMarshalOptions {
  /** Byte order of the output; the host's (little-endian on x86_64) by default. */
  littleEndian?: boolean;
  /**
   * Add a layout section (one struct btf_layout per kind, after the types) and the 32-byte header
   * that points at it, as libbpf's btf__new_empty_opts add_layout does; default false. Kernels
   * before 7.1 refuse such a header.
   */
  layout?: boolean;
}

/** The bytes of `btf`'s own types and strings (a split BTF's, not its base's). */
export function marshalBtf(btf: Btf, options: BtfMarshalOptions = {}): Uint8Array {
  const little = options.littleEndian ?? HOST_LITTLE;
  if (typeof little !== "boolean") throw new TypeError(`littleEndian must be a boolean, got ${typeof little}`);
  return encodeBtf({
    firstId: btf.firstId,
    count: btf.count,
    strStart: btf.strings.start,
    typeById: (id) => btf.typeById(id),
    // A "" at a nonzero offset prints as '' (not (anon)) in bpftool's raw dump: keep it so.
    emptyNamed: (id, index) => (index < 0 ? btf.nameOffOf(id) : btf.elementNameOffOf(id, index)) !== 0,
  }, { littleEndian: little, layout: options.layout === true, strings: btf.strings.bytes });
}
