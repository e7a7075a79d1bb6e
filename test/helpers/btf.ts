/**
 * Just enough of a BTF reader for tests: the id of a named type in the kernel's own BTF
 * (/sys/kernel/btf/vmlinux), e.g. the FUNC an iterator program attaches to.
 */
import { readFileSync } from "node:fs";
import { BtfHeader, BtfKind } from "../../mod.ts";

// Bytes that follow struct btf_type for each kind (linux/btf.h).
function extra(kind: number, vlen: number): number {
  switch (kind) {
    case BtfKind.int: return 4;
    case BtfKind.array: return 12;
    case BtfKind.struct: case BtfKind.union: return 12 * vlen;
    case BtfKind.enum: return 8 * vlen;
    case BtfKind.func_proto: return 8 * vlen;
    case BtfKind.var: return 4;
    case BtfKind.datasec: return 12 * vlen;
    case BtfKind.decl_tag: return 4;
    case BtfKind.enum64: return 12 * vlen;
    default: return 0;
  }
}

/** The id of the first type of `kind` named `name` in vmlinux BTF, or null. */
export function vmlinuxTypeId(kind: number, name: string): number | null {
  const b = readFileSync("/sys/kernel/btf/vmlinux");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const H = BtfHeader.fields;
  const hdr = dv.getUint32(H.hdr_len.off, true);
  const types = hdr + dv.getUint32(H.type_off.off, true);
  const typesEnd = types + dv.getUint32(H.type_len.off, true);
  const strs = hdr + dv.getUint32(H.str_off.off, true);
  const want = new TextEncoder().encode(name);
  const nameIs = (off: number) => {
    const at = strs + off;
    for (let i = 0; i < want.length; i++) if (b[at + i] !== want[i]) return false;
    return b[at + want.length] === 0;
  };
  let id = 1;
  for (let p = types; p < typesEnd; id++) {
    const nameOff = dv.getUint32(p, true);
    const info = dv.getUint32(p + 4, true);
    const k = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    if (k === kind && nameIs(nameOff)) return id;
    p += 12 + extra(k, vlen);
  }
  return null;
}
