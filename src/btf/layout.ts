/**
 * How many bytes follow struct btf_type for each kind: the fixed rule for the kinds of
 * linux/btf.h, and struct btf_layout entries from the BTF itself for kinds newer than this parser.
 * @module
 */
import type { BtfHeaderInfo } from "./header.ts";

/** Known kinds: BTF_KIND_ENUM64 is the last. */
export const KIND_MAX = 19;

// Per kind: bytes of the single trailer struct, and bytes per vlen element.
const INFO = [0, 4, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 4, 0, 0];
const ELEM = [0, 0, 0, 0, 12, 12, 8, 0, 0, 0, 0, 0, 0, 8, 0, 12, 0, 0, 0, 12];

/** Trailer sizes per kind number: info_sz and elem_sz of struct btf_layout; -1 for kinds not allowed. */
export interface KindLayouts {
  /** Bytes of the one struct after btf_type, per kind. */
  info: Int32Array;
  /** Bytes per vlen element, per kind. */
  elem: Int32Array;
}

/** The trailer sizes to use: the known ones, plus the blob's layout section for later kinds. */
export function kindLayouts(dv: DataView, h: BtfHeaderInfo): KindLayouts {
  const info = new Int32Array(128).fill(-1), elem = new Int32Array(128);
  // Kind 0 never appears in the type section: id 0 is void by definition.
  for (let k = 1; k <= KIND_MAX; k++) {
    info[k] = INFO[k];
    elem[k] = ELEM[k];
  }
  const n = Math.min(h.layoutLen / 4, 128);
  for (let k = KIND_MAX + 1; k < n; k++) {
    const at = h.layoutStart + 4 * k;
    info[k] = dv.getUint8(at);
    elem[k] = dv.getUint8(at + 1);
  }
  return { info, elem };
}
