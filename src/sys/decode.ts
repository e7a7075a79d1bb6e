/**
 * Reads a struct out of bytes by its generated layout: integers as numbers (u64 as bigint),
 * char arrays as strings, byte arrays as Uint8Array copies, bitfields as numbers.
 * @module
 */
import { cStringAt } from "../util/text.ts";
import type { Field, Layout } from "../uapi/layout.gen.ts";

/** A decoded field value. */
export type FieldValue = number | bigint | string | Uint8Array | number[] | bigint[];

/** One field of `bytes` (a struct laid out by the layout `f` belongs to). */
export function readField(bytes: Uint8Array, f: Field): FieldValue {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (f.type === "char") return cStringAt(bytes, f.off, f.size);
  if (f.count !== undefined) {
    if (f.type === "u8") return bytes.slice(f.off, f.off + f.size);
    const n = f.count;
    const step = f.size / n;
    const out: (number | bigint)[] = [];
    for (let i = 0; i < n; i++) out.push(scalar(dv, f.type, f.off + i * step));
    return out as number[] | bigint[];
  }
  const v = scalar(dv, f.type, f.off);
  if (f.bits !== undefined) return (Number(v) >>> f.bit!) & (f.bits === 32 ? 0xffffffff : (1 << f.bits) - 1);
  return v;
}

function scalar(dv: DataView, type: Field["type"], off: number): number | bigint {
  switch (type) {
    case "u8": return dv.getUint8(off);
    case "s8": return dv.getInt8(off);
    case "u16": return dv.getUint16(off, true);
    case "s16": return dv.getInt16(off, true);
    case "be16": return dv.getUint16(off, false);
    case "u32": return dv.getUint32(off, true);
    case "s32": return dv.getInt32(off, true);
    case "be32": return dv.getUint32(off, false);
    case "u64": return dv.getBigUint64(off, true);
    case "s64": return dv.getBigInt64(off, true);
    case "be64": return dv.getBigUint64(off, false);
    default: return dv.getUint8(off);
  }
}

/** Every field of `bytes` laid out as `layout`, by member path. */
export function decodeStruct(layout: Layout, bytes: Uint8Array): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const [name, f] of Object.entries(layout.fields)) {
    if (f.off + f.size <= bytes.length) out[name] = readField(bytes, f);
  }
  return out;
}
