/**
 * Name -> type id lookup without decoding names: an open-addressing table of type ids keyed
 * by the FNV hash of each btf_type.name_off's bytes, built in one pass on the first find.
 * @module
 */
import { utf8 } from "../util/text.ts";
import { BtfError } from "./error.ts";
import { type BtfStrings, hashBytes } from "./strings.ts";

/** The table: slot -> id (0 = empty) and that id's name hash; sized to stay under half full. */
export interface NameIndex {
  /** Type ids, 0 for an empty slot. */
  ids: Uint32Array;
  /** The hash of each slot's name. */
  hashes: Uint32Array;
}

/** Indexes the named types among `offsets` (struct btf_type positions), ids from `firstId`. */
export function nameIndex(strings: BtfStrings, dv: DataView, little: boolean, offsets: Uint32Array, firstId: number): NameIndex {
  let size = 16;
  while (size < offsets.length * 2) size *= 2;
  const ids = new Uint32Array(size), hashes = new Uint32Array(size), mask = size - 1;
  for (let i = 0; i < offsets.length; i++) {
    const off = dv.getUint32(offsets[i], little);
    if (off === 0) continue;
    if (!strings.has(off)) throw new BtfError(`name offset ${off} is past the ${strings.end}-byte string section`, { typeId: firstId + i, offset: offsets[i] });
    const h = strings.hash(off);
    // Linear probing in id order keeps equal names' ids ascending along the probe sequence.
    let s = h & mask;
    while (ids[s] !== 0) s = (s + 1) & mask;
    ids[s] = firstId + i;
    hashes[s] = h;
  }
  return { ids, hashes };
}

/** Ids in the table whose name is exactly `name`, lowest first. */
export function findIds(strings: BtfStrings, index: NameIndex, name: string, nameOff: (id: number) => number): number[] {
  const want = utf8(name, "type name"), h = hashBytes(want);
  const { ids, hashes } = index, mask = ids.length - 1;
  const out: number[] = [];
  for (let s = h & mask; ids[s] !== 0; s = (s + 1) & mask) {
    if (hashes[s] === h && strings.equals(nameOff(ids[s]), want)) out.push(ids[s]);
  }
  return out;
}
