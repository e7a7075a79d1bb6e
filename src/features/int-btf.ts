/**
 * The smallest BTF blob a kernel accepts, for probes that need one: a single type, [1] int.
 * @module
 */

/** BTF with one type, [1] int (signed, 32 bits): what struct btf_header and btf_type describe. */
export function intBtf(): Uint8Array {
  const strings = [0, ...[..."int"].map((c) => c.charCodeAt(0)), 0];
  const out = new Uint8Array(new ArrayBuffer(24 + 16 + strings.length));
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true); // magic
  dv.setUint8(2, 1); // version
  dv.setUint32(4, 24, true); // hdr_len
  dv.setUint32(8, 0, true); // type_off
  dv.setUint32(12, 16, true); // type_len
  dv.setUint32(16, 16, true); // str_off
  dv.setUint32(20, strings.length, true); // str_len
  dv.setUint32(24, 1, true); // name_off: "int"
  dv.setUint32(28, 1 << 24, true); // info: BTF_KIND_INT
  dv.setUint32(32, 4, true); // size
  dv.setUint32(36, (1 << 24) | 32, true); // BTF_INT_SIGNED, offset 0, 32 bits
  out.set(strings, 40);
  return out;
}
