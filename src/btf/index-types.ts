/**
 * The index pass: each struct btf_type's byte offset, found by walking the type section once
 * with the trailer sizes of layout.ts, every record checked to end inside the section.
 * @module
 */
import { HOST_LITTLE } from "../util/endian.ts";
import { BtfError } from "./error.ts";
import type { BtfHeaderInfo } from "./header.ts";
import type { KindLayouts } from "./layout.ts";

/**
 * One pass over the type section recording each type's absolute byte offset: no per-type
 * allocation, and every record checked to end inside the section.
 */
export function indexTypes(dv: DataView, h: BtfHeaderInfo, lay: KindLayouts, firstId: number): Uint32Array {
  // Each record is at least 12 bytes, which bounds the count before the pass.
  const offsets = new Uint32Array(Math.floor(h.typeLen / 12));
  // Native-order, aligned data reads as a Uint32Array: several times faster than DataView on Bun.
  const at0 = dv.byteOffset + h.typeStart;
  const n = h.little === HOST_LITTLE && at0 % 4 === 0 && h.typeLen % 4 === 0 && wordSized(lay)
    ? walkWords(new Uint32Array(dv.buffer, at0, h.typeLen >>> 2), h, lay, offsets, firstId)
    : walkView(dv, h, lay, offsets, firstId);
  if (firstId + n > 0x100000) throw new BtfError(`${firstId + n} type ids exceed BTF_MAX_TYPE 0xfffff`, { offset: h.typeStart });
  return offsets.subarray(0, n);
}

// Whether every kind's trailer is whole words, so that records start on word boundaries.
function wordSized(lay: KindLayouts): boolean {
  for (let k = 0; k < lay.info.length; k++) if ((lay.info[k] > 0 && lay.info[k] % 4 !== 0) || lay.elem[k] % 4 !== 0) return false;
  return true;
}

// The pass over the type section as words: what vmlinux takes, ~126k records walked before a
// process's first find, most of them while the engine still runs the loop unoptimized, so the
// loop body is kept to a few local reads.
function walkWords(w: Uint32Array, h: BtfHeaderInfo, lay: KindLayouts, offsets: Uint32Array, firstId: number): number {
  const info = lay.info, elem = lay.elem, end = w.length, start = h.typeStart;
  let i = 0, n = 0;
  while (i < end) {
    if (i + 3 > end) throw truncated(h, firstId + n, start + 4 * i);
    const word = w[i + 1], kind = (word >>> 24) & 0x7f, fixed = info[kind];
    if (fixed < 0) throw new BtfError(`unknown kind ${kind}`, { typeId: firstId + n, offset: start + 4 * i + 4 });
    // Whole words (wordSized), so / 4 is exact; no >>> here, which would wrap past 2^32.
    const next = i + 3 + (fixed + (word & 0xff_ffff) * elem[kind]) / 4;
    if (next > end) throw tooLong(h, firstId + n, start + 4 * i, kind, word & 0xff_ffff, 4 * (next - i));
    offsets[n++] = start + 4 * i;
    i = next;
  }
  return n;
}

function walkView(dv: DataView, h: BtfHeaderInfo, lay: KindLayouts, offsets: Uint32Array, firstId: number): number {
  const end = h.typeStart + h.typeLen, little = h.little;
  let pos = h.typeStart, n = 0;
  while (pos < end) {
    if (pos + 12 > end) throw truncated(h, firstId + n, pos);
    const info = dv.getUint32(pos + 4, little);
    const kind = (info >>> 24) & 0x7f, vlen = info & 0xffff_ff;
    const fixed = lay.info[kind];
    if (fixed < 0) throw new BtfError(`unknown kind ${kind}`, { typeId: firstId + n, offset: pos + 4 });
    const next = pos + 12 + fixed + vlen * lay.elem[kind];
    if (next > end) throw tooLong(h, firstId + n, pos, kind, vlen, next - pos);
    offsets[n++] = pos;
    pos = next;
  }
  return n;
}

function truncated(h: BtfHeaderInfo, id: number, pos: number): BtfError {
  return new BtfError(`struct btf_type truncated: ${h.typeStart + h.typeLen - pos} of 12 bytes left`, { typeId: id, offset: pos });
}

function tooLong(h: BtfHeaderInfo, id: number, pos: number, kind: number, vlen: number, need: number): BtfError {
  return new BtfError(`kind ${kind} with vlen ${vlen} needs ${need} bytes, ${h.typeStart + h.typeLen - pos} left in the type section`, { typeId: id, offset: pos });
}
