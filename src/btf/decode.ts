/**
 * Inflates one struct btf_type (and its trailer) at a known offset into a type object. Called
 * lazily by Btf.typeById; the index pass has already checked the record fits in the section.
 * @module
 */
import { BtfError } from "./error.ts";
import type { BtfStrings } from "./strings.ts";
import { BTF_KIND_NAMES, type BtfEnumValue, type BtfStructMember, type BtfFuncParam, type AnyBtfType, type BtfDatasecVar } from "./types.ts";

/** What decoding one type needs from its Btf. */
export interface DecodeContext {
  /** The whole blob. */
  dv: DataView;
  /** Byte order of the blob. */
  little: boolean;
  /** Strings of this BTF, chained to the base's. */
  strings: BtfStrings;
  /** Number of type ids, void and any base's included: every reference must be below it. */
  count: number;
}

/** Decodes type `id`, whose struct btf_type starts at byte `pos`. */
export function decodeType(c: DecodeContext, id: number, pos: number): AnyBtfType {
  const { dv, little, strings, count } = c;
  const u = (at: number) => dv.getUint32(at, little);
  const name = (off: number) => strings.get(off, id);
  const ref = (t: number, what: string) => {
    if (t >= count) throw new BtfError(`${what} refers to type id ${t}, past the last id ${count - 1}`, { typeId: id, offset: pos });
    return t;
  };
  const info = u(pos + 4), kindNumber = (info >>> 24) & 0x7f, vlen = info & 0xffffff, kflag = info >>> 31 === 1;
  const n = name(u(pos));
  const st = u(pos + 8), at = pos + 12;
  const kind = BTF_KIND_NAMES[kindNumber] ?? "unknown";
  switch (kind) {
    case "int": {
      const v = u(at);
      return { id, name: n, kindNumber, kflag, kind, size: st, encoding: (v >>> 24) & 0xf, bitOffset: (v >>> 16) & 0xff, bits: v & 0xff };
    }
    case "ptr": case "typedef": case "volatile": case "const": case "restrict": case "type_tag":
      return { id, name: n, kindNumber, kflag, kind, type: ref(st, kind) };
    case "array":
      return { id, name: n, kindNumber, kflag, kind, type: ref(u(at), "array element"), indexType: ref(u(at + 4), "array index"), nelems: u(at + 8) };
    case "struct": case "union": {
      const members: BtfStructMember[] = new Array(vlen);
      for (let i = 0, p = at; i < vlen; i++, p += 12) {
        const off = u(p + 8);
        members[i] = {
          name: name(u(p)), type: ref(u(p + 4), `member ${i}`),
          bitOffset: kflag ? off & 0xffffff : off, bitfieldSize: kflag ? off >>> 24 : 0,
        };
      }
      return { id, name: n, kindNumber, kflag, kind, size: st, members };
    }
    case "enum": {
      const values: BtfEnumValue<number>[] = new Array(vlen);
      for (let i = 0, p = at; i < vlen; i++, p += 8) {
        values[i] = { name: name(u(p)), value: kflag ? dv.getInt32(p + 4, little) : u(p + 4) };
      }
      return { id, name: n, kindNumber, kflag, kind, size: st, signed: kflag, values };
    }
    case "enum64": {
      const values: BtfEnumValue<bigint>[] = new Array(vlen);
      for (let i = 0, p = at; i < vlen; i++, p += 12) {
        const v = (BigInt(u(p + 8)) << 32n) | BigInt(u(p + 4));
        values[i] = { name: name(u(p)), value: kflag ? BigInt.asIntN(64, v) : v };
      }
      return { id, name: n, kindNumber, kflag, kind, size: st, signed: kflag, values };
    }
    case "fwd":
      return { id, name: n, kindNumber, kflag, kind, fwdKind: kflag ? "union" : "struct" };
    case "func":
      return { id, name: n, kindNumber, kflag, kind, type: ref(st, "func"), linkage: vlen };
    case "func_proto": {
      const params: BtfFuncParam[] = new Array(vlen);
      for (let i = 0, p = at; i < vlen; i++, p += 8) params[i] = { name: name(u(p)), type: ref(u(p + 4), `param ${i}`) };
      return { id, name: n, kindNumber, kflag, kind, returnType: ref(st, "return type"), params };
    }
    case "var":
      return { id, name: n, kindNumber, kflag, kind, type: ref(st, "var"), linkage: u(at) };
    case "datasec": {
      const vars: BtfDatasecVar[] = new Array(vlen);
      for (let i = 0, p = at; i < vlen; i++, p += 12) vars[i] = { type: ref(u(p), `secinfo ${i}`), offset: u(p + 4), size: u(p + 8) };
      return { id, name: n, kindNumber, kflag, kind, size: st, vars };
    }
    case "float":
      return { id, name: n, kindNumber, kflag, kind, size: st };
    case "decl_tag":
      return { id, name: n, kindNumber, kflag, kind, type: ref(st, "decl_tag"), componentIdx: dv.getInt32(at, little) };
    default:
      return { id, name: n, kindNumber, kflag, kind: "unknown" as const, sizeOrType: st, vlen };
  }
}
