/**
 * The C dumper's view of a BTF: struct btf_type's words and trailers for every id (a split BTF's
 * base included) in flat typed arrays, read straight from the blob in one pass. Inflating 100k+
 * type objects through Btf.typeById costs several times the whole dump, and libbpf's btf_dump
 * reads the raw records too.
 * @module
 */
import type { Btf } from "./btf.ts";
import { BtfError } from "./error.ts";
import type { BtfStrings } from "./strings.ts";

// BTF_KIND_* numbers of linux/btf.h that the dumper switches on.
/** BTF_KIND_INT. */
export const K_INT = 1;
/** BTF_KIND_PTR. */
export const K_PTR = 2;
/** BTF_KIND_ARRAY. */
export const K_ARRAY = 3;
/** BTF_KIND_STRUCT. */
export const K_STRUCT = 4;
/** BTF_KIND_UNION. */
export const K_UNION = 5;
/** BTF_KIND_ENUM. */
export const K_ENUM = 6;
/** BTF_KIND_FWD. */
export const K_FWD = 7;
/** BTF_KIND_TYPEDEF. */
export const K_TYPEDEF = 8;
/** BTF_KIND_VOLATILE. */
export const K_VOLATILE = 9;
/** BTF_KIND_CONST. */
export const K_CONST = 10;
/** BTF_KIND_RESTRICT. */
export const K_RESTRICT = 11;
/** BTF_KIND_FUNC. */
export const K_FUNC = 12;
/** BTF_KIND_FUNC_PROTO. */
export const K_FUNC_PROTO = 13;
/** BTF_KIND_VAR. */
export const K_VAR = 14;
/** BTF_KIND_DATASEC. */
export const K_DATASEC = 15;
/** BTF_KIND_FLOAT. */
export const K_FLOAT = 16;
/** BTF_KIND_DECL_TAG. */
export const K_DECL_TAG = 17;
/** BTF_KIND_TYPE_TAG. */
export const K_TYPE_TAG = 18;
/** BTF_KIND_ENUM64. */
export const K_ENUM64 = 19;

/** Every type of a BTF chain as flat arrays indexed by type id (0 is void). */
export interface CTypeTable {
  /** btf__type_cnt: ids are below it. */
  count: number;
  /** BTF_INFO_KIND per id. */
  kind: Uint8Array;
  /** btf_type.info per id (vlen in bits 0-23, kind_flag in bit 31). */
  info: Uint32Array;
  /** btf_type.name_off per id. */
  nameOff: Uint32Array;
  /** btf_type's size/type union per id. */
  st: Uint32Array;
  /** Index into `words` of the id's trailer (btf_array, btf_member[], btf_enum[], ...). */
  at: Uint32Array;
  /** Every trailer's u32 words, in host order. */
  words: Uint32Array;
  /** The string at a name_off. */
  name(off: number): string;
  /** The string sections, a split BTF's base first. */
  strings: BtfStrings[];
  /** Whether the name at `off` is `want` (UTF-8), compared without decoding. */
  nameIs(off: number, want: Uint8Array): boolean;
  /** Bytes of a pointer, as libbpf's btf__pointer_size (8 when no `long` type says otherwise). */
  ptrSize: number;
}

// u32 words after struct btf_type: [fixed, per vlen element], as the table in linux/btf.h.
const FIXED = [0, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0];
const EACH = [0, 0, 0, 0, 3, 3, 2, 0, 0, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 3];

/** The blob a Btf was parsed from, when its string section is still a view of it (else undefined). */
function blobOf(btf: Btf): DataView | undefined {
  const s = btf.strings.bytes, h = btf.header;
  if (s.byteOffset < btf.strings.blobStart || btf.strings.blobStart !== h.strStart) return undefined;
  const start = s.byteOffset - h.strStart;
  const len = Math.max(h.typeStart + h.typeLen, h.strStart + h.strLen);
  if (start + len > s.buffer.byteLength) return undefined;
  const dv = new DataView(s.buffer, start, len);
  const u = (at: number) => dv.getUint32(at, h.little);
  // The header must be this Btf's own: magic, and every section field as parsed.
  if (dv.getUint16(0, h.little) !== 0xeb9f || u(4) !== h.hdrLen) return undefined;
  if (h.hdrLen + u(8) !== h.typeStart || u(12) !== h.typeLen || h.hdrLen + u(16) !== h.strStart || u(20) !== h.strLen) return undefined;
  return dv;
}

function unknownKind(id: number, kind: number): BtfError {
  return new BtfError(`kind ${kind} is not one format("c") knows (libbpf 1.1's btf_dump neither)`, { typeId: id });
}

interface Fill {
  t: CTypeTable;
  nw: number;
}

// One pass over the blob's type section, as the parser's index pass walks it.
function fillRaw(f: Fill, btf: Btf, dv: DataView): void {
  const { t } = f, h = btf.header, little = h.little, end = h.typeStart + h.typeLen;
  let id = btf.firstId;
  for (let pos = h.typeStart; pos < end; id++) {
    const info = dv.getUint32(pos + 4, little), kind = (info >>> 24) & 0x7f, vlen = info & 0xffffff;
    if (kind === 0 || kind >= FIXED.length) throw unknownKind(id, kind);
    t.kind[id] = kind;
    t.info[id] = info;
    t.nameOff[id] = dv.getUint32(pos, little);
    t.st[id] = dv.getUint32(pos + 8, little);
    t.at[id] = f.nw;
    const n = FIXED[kind] + EACH[kind] * vlen;
    for (let i = 0, p = pos + 12; i < n; i++, p += 4) t.words[f.nw++] = dv.getUint32(p, little);
    pos += 12 + 4 * n;
  }
  if (id !== btf.count) throw new BtfError(`the type section holds ${id - btf.firstId} types, the parser counted ${btf.count - btf.firstId}`, { offset: h.typeStart });
}

// The per-type arrays over a type section used in place as `words`.
function fillView(t: CTypeTable, btf: Btf, w: Uint32Array): void {
  const { kind: kinds, info: infos, nameOff, st, at } = t, end = w.length;
  let id = 1;
  for (let i = 0; i < end; id++) {
    const info = w[i + 1], kind = (info >>> 24) & 0x7f;
    if (kind === 0 || kind >= FIXED.length) throw unknownKind(id, kind);
    kinds[id] = kind;
    infos[id] = info;
    nameOff[id] = w[i];
    st[id] = w[i + 2];
    at[id] = i + 3;
    i += 3 + FIXED[kind] + EACH[kind] * (info & 0xffffff);
  }
  if (id !== btf.count) throw new BtfError(`the type section holds ${id - 1} types, the parser counted ${btf.count - 1}`, { offset: btf.header.typeStart });
}

// The same words from decoded types, for a Btf whose blob cannot be reached.
function fillDecoded(f: Fill, btf: Btf): void {
  const { t } = f;
  const w = (v: number) => (t.words[f.nw++] = v >>> 0);
  for (let id = btf.firstId; id < btf.count; id++) {
    const x = btf.typeById(id);
    const kind = x.kindNumber;
    if (kind === 0 || kind >= FIXED.length || x.kind === "unknown") throw unknownKind(id, kind);
    let vlen = 0, st = 0;
    t.at[id] = f.nw;
    switch (x.kind) {
      case "int": st = x.size; w(x.encoding << 24 | x.bitOffset << 16 | x.bits); break;
      case "ptr": case "typedef": case "volatile": case "const": case "restrict": case "type_tag": st = x.type; break;
      case "array": w(x.type); w(x.indexType); w(x.nelems); break;
      case "struct": case "union":
        st = x.size; vlen = x.members.length;
        x.members.forEach((m, i) => { w(btf.elementNameOffOf(id, i)); w(m.type); w(x.kflag ? m.bitfieldSize << 24 | m.bitOffset : m.bitOffset); });
        break;
      case "enum":
        st = x.size; vlen = x.values.length;
        x.values.forEach((v, i) => { w(btf.elementNameOffOf(id, i)); w(v.value); });
        break;
      case "enum64":
        st = x.size; vlen = x.values.length;
        x.values.forEach((v, i) => { w(btf.elementNameOffOf(id, i)); w(Number(BigInt.asUintN(32, v.value))); w(Number(BigInt.asUintN(64, v.value) >> 32n)); });
        break;
      case "fwd": break;
      case "func": st = x.type; vlen = x.linkage; break;
      case "func_proto":
        st = x.returnType; vlen = x.params.length;
        x.params.forEach((p, i) => { w(btf.elementNameOffOf(id, i)); w(p.type); });
        break;
      case "var": st = x.type; w(x.linkage); break;
      case "datasec": st = x.size; vlen = x.vars.length; x.vars.forEach((v) => { w(v.type); w(v.offset); w(v.size); }); break;
      case "float": st = x.size; break;
      case "decl_tag": st = x.type; w(x.componentIdx); break;
    }
    t.kind[id] = kind;
    t.info[id] = ((x.kflag ? 1 : 0) << 31 | kind << 24 | vlen) >>> 0;
    t.nameOff[id] = btf.nameOffOf(id);
    t.st[id] = st;
  }
}

const HOST_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const LONG_NAMES = new Set([
  "long", "long int", "int long", "unsigned long", "long unsigned", "unsigned long int", "unsigned int long",
  "long unsigned int", "long int unsigned", "int unsigned long", "int long unsigned",
]);

/** The flat table of `btf` and its bases. */
export function typeTable(btf: Btf): CTypeTable {
  const chain: Btf[] = [];
  for (let b: Btf | undefined = btf; b; b = b.base) chain.unshift(b);
  const count = btf.count;
  const blobs = chain.map(blobOf);
  let words = 0;
  chain.forEach((b, i) => (words += blobs[i] ? b.header.typeLen >>> 2 : 0));
  for (const [i, b] of chain.entries()) if (!blobs[i]) for (let id = b.firstId; id < b.count; id++) words += wordsOf(b, id);
  // One blob in the host's byte order, 4-aligned: its type section serves as `words` as it is.
  const only = chain.length === 1 && blobs[0] && btf.little === HOST_LITTLE && (blobs[0].byteOffset + btf.header.typeStart) % 4 === 0
    ? new Uint32Array(blobs[0].buffer, blobs[0].byteOffset + btf.header.typeStart, btf.header.typeLen >>> 2) : undefined;
  const t: CTypeTable = {
    count, kind: new Uint8Array(count), info: new Uint32Array(count), nameOff: new Uint32Array(count),
    st: new Uint32Array(count), at: new Uint32Array(count), words: only ?? new Uint32Array(words),
    name: (off) => btf.strings.get(off), nameIs: (off, want) => btf.strings.equals(off, want), strings: chain.map((b) => b.strings), ptrSize: 8,
  };
  if (only) fillView(t, btf, only);
  else {
    const f: Fill = { t, nw: 0 };
    chain.forEach((b, i) => (blobs[i] ? fillRaw(f, b, blobs[i]) : fillDecoded(f, b)));
  }
  for (let id = 1; id < count; id++) {
    const s = t.st[id];
    if (t.kind[id] === K_INT && (s === 4 || s === 8) && LONG_NAMES.has(t.name(t.nameOff[id]))) {
      t.ptrSize = s;
      break;
    }
  }
  return t;
}

// Trailer words of a type without its blob: from the kind and vlen alone.
function wordsOf(b: Btf, id: number): number {
  const kind = b.kindNumberOf(id);
  if (kind === 0 || kind >= FIXED.length) throw unknownKind(id, kind);
  const x = b.typeById(id);
  const vlen = x.kind === "struct" || x.kind === "union" ? x.members.length : x.kind === "enum" || x.kind === "enum64" ? x.values.length
    : x.kind === "func_proto" ? x.params.length : x.kind === "datasec" ? x.vars.length : 0;
  return FIXED[kind] + EACH[kind] * vlen;
}
