/**
 * The one BTF writer: decoded type objects and a deduplicated string table into a struct
 * btf_header, the type section, an optional layout section and the string section, in either
 * byte order. Btf.marshal, BtfBuilder and the sanitizer all emit through it.
 * @module
 */
import { utf8, utf8Text } from "../util/text.ts";
import { BtfError } from "./error.ts";
import { BTF_MAGIC, type BtfHeaderInfo } from "./header.ts";
import { KIND_MAX, kindLayouts } from "./layout.ts";
import { BTF_KIND_NAMES, type AnyBtfType } from "./types.ts";

/** BTF_MAX_VLEN: members, values, params or secinfos of one type. */
export const BTF_MAX_VLEN = 0xffffff;
/** BTF_MAX_TYPE: the largest type id. */
export const BTF_MAX_TYPE = 0xfffff;
/** BTF_MAX_NAME_OFFSET: the largest name_off. */
export const BTF_MAX_NAME_OFFSET = 0xffffff;

/** What the encoder reads: the types of ids [firstId, count), in order. */
export interface EncodeSource {
  /** The first id the blob defines: 1, or the base's count for split BTF. */
  readonly firstId: number;
  /** One past the last id. */
  readonly count: number;
  /** The string offset this blob's section starts at: the base's end for split BTF, else 0. */
  readonly strStart: number;
  /** The type with this id. */
  typeById(id: number): AnyBtfType;
  /**
   * Whether the name "" of type `id` (index -1) or of its member, value or param `index` sits at a
   * nonzero name_off (bpftool prints '' there, and (anon) for offset 0); false when absent.
   */
  emptyNamed?(id: number, index: number): boolean;
}

/** How to write the blob. */
export interface EncodeOptions {
  /** Byte order of every field. */
  littleEndian: boolean;
  /** Add a layout section (struct btf_layout per known kind) and the 32-byte header that points at it. */
  layout: boolean;
  /**
   * A string section to start from (a blob's own, for split BTF the part after the base): every
   * string keeps its offset and new names are appended, so offsets held outside the types
   * (.BTF.ext line_info, a program's func names) still point at the same text, as libbpf's
   * in-place fix-ups keep them.
   */
  strings?: Uint8Array;
}

const KIND_NUMBER = new Map<string, number>(BTF_KIND_NAMES.map((k, i) => [k, i]));

/** A deduplicated string section: offset 0 is "" (the base's, for split BTF). */
export class StringTable {
  #bytes = new Uint8Array(4096);
  #len = 0;
  readonly #offs = new Map<string, number>();
  #emptyOff = -1;

  /**
   * A table whose offsets start at `start` (a split BTF's base string length); a base table
   * starts with "". With `seed`, the table starts as those bytes, each string at its offset.
   */
  constructor(readonly start: number, seed?: Uint8Array) {
    if (seed !== undefined && seed.length > 0) {
      this.#room(seed.length);
      this.#bytes.set(seed);
      this.#len = seed.length;
      if (seed[seed.length - 1] !== 0) this.#bytes[this.#len++] = 0;
      for (let i = 0; i < seed.length;) {
        let j = i;
        while (j < seed.length && seed[j] !== 0) j++;
        if (j > i) {
          const text = utf8Text(seed.subarray(i, j));
          if (!this.#offs.has(text)) this.#offs.set(text, start + i);
        }
        i = j + 1;
      }
    } else if (start === 0) {
      this.#len = 1; // the leading NUL: "" at offset 0
    }
  }

  /** The offset of `s`, adding it once; "" is 0. */
  add(s: string): number {
    if (s === "") return 0;
    let off = this.#offs.get(s);
    if (off !== undefined) return off;
    off = this.start + this.#len;
    if (s.includes("\0")) throw new TypeError(`BTF name ${JSON.stringify(s)} contains a NUL byte`);
    let ascii = s.length < 256;
    for (let i = 0; ascii && i < s.length; i++) if (s.charCodeAt(i) > 0x7f) ascii = false;
    if (ascii) {
      this.#room(s.length + 1);
      for (let i = 0; i < s.length; i++) this.#bytes[this.#len++] = s.charCodeAt(i);
    } else {
      const b = utf8(s, "BTF name");
      this.#room(b.length + 1);
      this.#bytes.set(b, this.#len);
      this.#len += b.length;
    }
    this.#bytes[this.#len++] = 0;
    this.#offs.set(s, off);
    return off;
  }

  /** A nonzero offset holding "": a string of its own, added on first use. */
  empty(): number {
    if (this.#emptyOff < 0) {
      this.#room(1);
      this.#emptyOff = this.start + this.#len;
      this.#bytes[this.#len++] = 0;
    }
    return this.#emptyOff;
  }

  /** Bytes of the section so far. */
  get length(): number {
    return this.#len;
  }

  /** The section's bytes. */
  bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.#len);
  }

  #room(n: number): void {
    if (this.#len + n <= this.#bytes.length) return;
    let size = this.#bytes.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#bytes.subarray(0, this.#len));
    this.#bytes = next;
  }
}

/** Bytes of struct btf_type plus its trailer, for the kinds this encoder writes. */
function recordSize(t: AnyBtfType): number {
  switch (t.kind) {
    case "int": case "var": case "decl_tag": return 16;
    case "array": return 24;
    case "struct": case "union": return 12 + 12 * t.members.length;
    case "enum": return 12 + 8 * t.values.length;
    case "enum64": return 12 + 12 * t.values.length;
    case "func_proto": return 12 + 8 * t.params.length;
    case "datasec": return 12 + 12 * t.vars.length;
    case "ptr": case "typedef": case "volatile": case "const": case "restrict": case "type_tag":
    case "fwd": case "func": case "float":
      return 12;
    default:
      throw new BtfError(`cannot encode a ${t.kind === "unknown" ? `kind ${t.kindNumber} type (unknown to this library)` : t.kind}`, { typeId: t.id });
  }
}

function vlenOf(t: AnyBtfType, n: number): number {
  if (n > BTF_MAX_VLEN) throw new RangeError(`type id ${t.id}: vlen ${n} exceeds BTF_MAX_VLEN 0xffffff`);
  return n;
}

/** Encodes `src`'s types and their names into a complete BTF blob. */
export function encodeBtf(src: EncodeSource, o: EncodeOptions): Uint8Array {
  if (src.count - 1 > BTF_MAX_TYPE) throw new RangeError(`${src.count - 1} type ids exceed BTF_MAX_TYPE 0xfffff`);
  const types: AnyBtfType[] = new Array(src.count - src.firstId);
  let typeLen = 0;
  for (let id = src.firstId; id < src.count; id++) {
    const t = src.typeById(id);
    types[id - src.firstId] = t;
    typeLen += recordSize(t);
  }
  const strs = new StringTable(src.strStart, o.strings);
  const typeBytes = new Uint8Array(typeLen);
  const dv = new DataView(typeBytes.buffer);
  const le = o.littleEndian;
  let p = 0;
  const w = (v: number) => {
    dv.setUint32(p, v >>> 0, le);
    p += 4;
  };
  const empty = src.emptyNamed;
  const name = (s: string, id: number, index: number): number => {
    const off = s === "" ? (empty?.(id, index) ? strs.empty() : 0) : strs.add(s);
    if (off > BTF_MAX_NAME_OFFSET) throw new RangeError(`type id ${id}: name offset ${off} exceeds BTF_MAX_NAME_OFFSET 0xffffff`);
    return off;
  };
  const head = (t: AnyBtfType, vlen: number, kflag: boolean, sizeOrType: number) => {
    w(name(t.name, t.id, -1));
    w(((kflag ? 0x80000000 : 0) | (KIND_NUMBER.get(t.kind)! << 24) | vlen) >>> 0);
    w(sizeOrType);
  };
  for (const t of types) {
    switch (t.kind) {
      case "int":
        head(t, 0, t.kflag, t.size);
        w(((t.encoding & 0xf) << 24) | ((t.bitOffset & 0xff) << 16) | (t.bits & 0xff));
        break;
      case "ptr": case "typedef": case "volatile": case "const": case "restrict": case "type_tag":
        head(t, 0, t.kflag, t.type);
        break;
      case "array":
        head(t, 0, t.kflag, 0);
        w(t.type);
        w(t.indexType);
        w(t.nelems);
        break;
      case "struct": case "union": {
        head(t, vlenOf(t, t.members.length), t.kflag, t.size);
        for (let i = 0; i < t.members.length; i++) {
          const m = t.members[i];
          if (!t.kflag && m.bitfieldSize) throw new BtfError(`member ${i} is a bitfield, which needs kind_flag set`, { typeId: t.id });
          if (t.kflag && (m.bitOffset > 0xffffff || m.bitfieldSize > 0xff)) {
            throw new RangeError(`type id ${t.id} member ${i}: bit offset ${m.bitOffset} or bitfield size ${m.bitfieldSize} does not fit kind_flag's 24+8 bits`);
          }
          w(name(m.name, t.id, i));
          w(m.type);
          w(t.kflag ? (m.bitfieldSize << 24) | m.bitOffset : m.bitOffset);
        }
        break;
      }
      case "enum":
        head(t, vlenOf(t, t.values.length), t.signed, t.size);
        for (let i = 0; i < t.values.length; i++) {
          w(name(t.values[i].name, t.id, i));
          w(t.values[i].value);
        }
        break;
      case "enum64":
        head(t, vlenOf(t, t.values.length), t.signed, t.size);
        for (let i = 0; i < t.values.length; i++) {
          const v = BigInt.asUintN(64, t.values[i].value);
          w(name(t.values[i].name, t.id, i));
          w(Number(v & 0xffffffffn));
          w(Number(v >> 32n));
        }
        break;
      case "fwd":
        head(t, 0, t.fwdKind === "union", 0);
        break;
      case "func":
        head(t, vlenOf(t, t.linkage), t.kflag, t.type);
        break;
      case "func_proto":
        head(t, vlenOf(t, t.params.length), t.kflag, t.returnType);
        for (let i = 0; i < t.params.length; i++) {
          w(name(t.params[i].name, t.id, i));
          w(t.params[i].type);
        }
        break;
      case "var":
        head(t, 0, t.kflag, t.type);
        w(t.linkage);
        break;
      case "datasec":
        head(t, vlenOf(t, t.vars.length), t.kflag, t.size);
        for (const v of t.vars) {
          w(v.type);
          w(v.offset);
          w(v.size);
        }
        break;
      case "float":
        head(t, 0, t.kflag, t.size);
        break;
      case "decl_tag":
        head(t, 0, t.kflag, t.type);
        w(t.componentIdx);
        break;
    }
  }
  return assemble(typeBytes, strs.bytes(), o);
}

// Header, types, layout (between types and strings, where libbpf and the kernel expect it), strings.
function assemble(types: Uint8Array, strings: Uint8Array, o: EncodeOptions): Uint8Array {
  const hdrLen = o.layout ? 32 : 24;
  const layoutLen = o.layout ? 4 * (KIND_MAX + 1) : 0;
  const out = new Uint8Array(hdrLen + types.length + layoutLen + strings.length);
  const dv = new DataView(out.buffer);
  const le = o.littleEndian;
  dv.setUint16(0, BTF_MAGIC, le);
  dv.setUint8(2, 1); // version
  dv.setUint8(3, 0); // flags
  dv.setUint32(4, hdrLen, le);
  dv.setUint32(8, 0, le); // type_off
  dv.setUint32(12, types.length, le);
  dv.setUint32(16, types.length + layoutLen, le); // str_off
  dv.setUint32(20, strings.length, le);
  out.set(types, hdrLen);
  if (o.layout) {
    dv.setUint32(24, types.length, le); // layout_off
    dv.setUint32(28, layoutLen, le);
    const known = kindLayouts(dv, NO_LAYOUT);
    for (let k = 0; k <= KIND_MAX; k++) {
      const at = hdrLen + types.length + 4 * k;
      out[at] = Math.max(0, known.info[k]);
      out[at + 1] = known.elem[k]; // flags (u16) stay 0
    }
  }
  out.set(strings, hdrLen + types.length + layoutLen);
  return out;
}

// A header without a layout section: kindLayouts() then gives just the kinds this library knows.
const NO_LAYOUT: BtfHeaderInfo = { little: true, hdrLen: 24, flags: 0, typeStart: 24, typeLen: 0, strStart: 24, strLen: 0, layoutStart: 0, layoutLen: 0 };
