/**
 * struct btf_header: magic, byte order, and where the type, string and (newer UAPI) layout
 * sections lie, all checked against the blob's length before anything reads them.
 * @module
 */
import { BtfError } from "./error.ts";

/** The BTF magic number (BTF_MAGIC in linux/btf.h). */
export const BTF_MAGIC = 0xeb9f;

/** The fields of struct btf_header, with section offsets made absolute. */
export interface BtfHeaderInfo {
  /** True when the blob is little-endian (magic read as 0xeb9f that way). */
  little: boolean;
  /** btf_header.hdr_len: 24 on today's kernels, 32 with the layout section, more from the future. */
  hdrLen: number;
  /** btf_header.flags. */
  flags: number;
  /** Absolute start of the type section (hdr_len + type_off). */
  typeStart: number;
  /** btf_header.type_len. */
  typeLen: number;
  /** Absolute start of the string section (hdr_len + str_off). */
  strStart: number;
  /** btf_header.str_len. */
  strLen: number;
  /** Absolute start of the layout section (hdr_len + layout_off), 0 when absent. */
  layoutStart: number;
  /** btf_header.layout_len, 0 when absent. */
  layoutLen: number;
}

function section(name: string, start: number, len: number, total: number, at: number): void {
  // Sums stay exact: both are u32 read from the blob, far below 2^53.
  if (start + len > total) {
    throw new BtfError(`${name} section [${start}, ${start + len}) runs past the end of the ${total}-byte blob`, { offset: at });
  }
}

function overlap(a: string, as: number, al: number, b: string, bs: number, bl: number): void {
  if (al && bl && as < bs + bl && bs < as + al) {
    throw new BtfError(`${a} section [${as}, ${as + al}) overlaps ${b} section [${bs}, ${bs + bl})`, { offset: as });
  }
}

/** Reads and checks struct btf_header at the start of `dv`. */
export function parseHeader(dv: DataView): BtfHeaderInfo {
  const total = dv.byteLength;
  if (total < 8) throw new BtfError(`blob of ${total} bytes is shorter than the 8-byte header prefix`, { offset: 0 });
  const m = dv.getUint16(0, true);
  if (m !== BTF_MAGIC && m !== 0x9feb) {
    throw new BtfError(`bad magic 0x${m.toString(16).padStart(4, "0")}, want 0xeb9f in either byte order`, { offset: 0 });
  }
  const little = m === BTF_MAGIC;
  const version = dv.getUint8(2);
  if (version !== 1) throw new BtfError(`unsupported version ${version}, want 1`, { offset: 2 });
  const hdrLen = dv.getUint32(4, little);
  if (hdrLen < 24) throw new BtfError(`hdr_len ${hdrLen} is below the 24 bytes of struct btf_header`, { offset: 4 });
  if (hdrLen > total) throw new BtfError(`hdr_len ${hdrLen} runs past the end of the ${total}-byte blob`, { offset: 4 });
  const u = (at: number) => dv.getUint32(at, little);
  const typeOff = u(8), typeLen = u(12), strOff = u(16), strLen = u(20);
  if (typeOff % 4) throw new BtfError(`type_off ${typeOff} is not 4-byte aligned`, { offset: 8 });
  const hasLayout = hdrLen >= 32;
  const layoutOff = hasLayout ? u(24) : 0, layoutLen = hasLayout ? u(28) : 0;
  const h: BtfHeaderInfo = {
    little, hdrLen, flags: dv.getUint8(3),
    typeStart: hdrLen + typeOff, typeLen, strStart: hdrLen + strOff, strLen,
    layoutStart: layoutLen ? hdrLen + layoutOff : 0, layoutLen,
  };
  section("type", h.typeStart, typeLen, total, 8);
  section("string", h.strStart, strLen, total, 16);
  if (layoutLen) {
    section("layout", h.layoutStart, layoutLen, total, 24);
    if (layoutLen % 4) throw new BtfError(`layout_len ${layoutLen} is not a whole number of struct btf_layout`, { offset: 28 });
    overlap("layout", h.layoutStart, layoutLen, "type", h.typeStart, typeLen);
    overlap("layout", h.layoutStart, layoutLen, "string", h.strStart, strLen);
  }
  overlap("type", h.typeStart, typeLen, "string", h.strStart, strLen);
  return h;
}
