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

/**
 * The first id in `offsets` (from `firstId`) named `want` whose kind `accept`s, scanning in id
 * order and stopping there: libbpf's btf__find_by_name_kind, for finds before the index exists.
 */
export function scanFirst(strings: BtfStrings, words: Uint32Array, offsets: Uint32Array, firstId: number, want: Uint8Array, accept: (id: number) => boolean): number {
  const b = strings.bytes, start = strings.start, end = strings.end, len = want.length, w0 = want[0];
  for (let i = 0; i < offsets.length; i++) {
    const off = words[offsets[i] >>> 2];
    if (off >= end) throw new BtfError(`name offset ${off} is past the ${end}-byte string section`, { typeId: firstId + i, offset: offsets[i] });
    if (off < start) {
      if (off !== 0 && strings.equals(off, want) && accept(firstId + i)) return firstId + i;
      continue;
    }
    const at = off - start;
    if (b[at] !== w0 || b[at + len] !== 0) continue;
    let k = 1;
    while (k < len && b[at + k] === want[k]) k++;
    if (k === len && accept(firstId + i)) return firstId + i;
  }
  return 0;
}
