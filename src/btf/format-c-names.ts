/**
 * C names for BTF types as libbpf's btf_dump gives them: the N-th distinct type to claim a
 * struct/union/enum tag (or a typedef/enumerator identifier) gets `name___N`, N counted in the
 * order the dump first prints each name. Names are counted by their bytes (COut holds them), so
 * counting makes no JS strings.
 * @module
 */
import { type CTypeTable, K_ENUM, K_ENUM64, K_FWD, K_TYPEDEF, K_UNION } from "./format-c-table.ts";
import type { COut } from "./format-c-out.ts";

/** Use counts of names, keyed by string offset and compared by bytes (btf_dump's name hashmaps). */
class NameCounts {
  readonly #out: COut;
  #keys: Int32Array;
  #counts: Int32Array;
  #used = 0;

  // Sized for `names` up front: a rehash runs too rarely to be compiled, and costs that much.
  constructor(out: COut, names: number) {
    this.#out = out;
    let size = 1 << 10;
    while (size < names * 2) size *= 2;
    this.#keys = new Int32Array(size);
    this.#counts = new Int32Array(size);
  }

  #hash(off: number): number {
    return this.#out.nameHash(off);
  }

  #same(a: number, b: number): boolean {
    return this.#out.sameName(a, b);
  }

  /** Counts one more use of the name at `off`, returning the count so far. */
  add(off: number): number {
    if (this.#used * 2 >= this.#keys.length) this.#grow();
    const keys = this.#keys, mask = keys.length - 1;
    let i = this.#hash(off) & mask, k = keys[i];
    while (k !== 0 && !this.#same(k - 1, off)) {
      i = (i + 1) & mask;
      k = keys[i];
    }
    // A new name and a repeated one end alike (the first repeat comes late in a dump).
    if (k === 0) {
      keys[i] = off + 1;
      this.#used++;
    }
    return ++this.#counts[i];
  }

  #grow(): void {
    const keys = this.#keys, counts = this.#counts;
    this.#keys = new Int32Array(keys.length * 2);
    this.#counts = new Int32Array(keys.length * 2);
    const mask = this.#keys.length - 1;
    for (let j = 0; j < keys.length; j++) {
      if (keys[j] === 0) continue;
      let i = this.#hash(keys[j] - 1) & mask;
      while (this.#keys[i] !== 0) i = (i + 1) & mask;
      this.#keys[i] = keys[j];
      this.#counts[i] = counts[j];
    }
  }
}

/** btf_dump's two name spaces and the per-type resolved names. */
export class CNames {
  readonly #t: CTypeTable;
  // struct/union/enum tags (and INT names, which libbpf counts there too).
  readonly #tags: NameCounts;
  // typedef names and enumerators: C's ordinary identifiers.
  readonly #idents: NameCounts;
  /** Per type id: 0 not yet resolved; 1 the plain name; N > 1 the name with ___N. */
  readonly dup: Uint32Array;

  /** Names for the types of `t`, whose name bytes `out` holds. */
  constructor(t: CTypeTable, out: COut) {
    this.#t = t;
    // At most one claim per type or enumerator (re-printed inline enums aside).
    let tags = 0, idents = 0;
    for (let id = 1; id < t.count; id++) {
      const k = t.kind[id];
      if (k === K_TYPEDEF) idents++;
      else if (k === K_ENUM || k === K_ENUM64) idents += t.info[id] & 0xffffff;
      if (k <= K_UNION || k === K_ENUM || k === K_ENUM64) tags++;
    }
    this.#tags = new NameCounts(out, tags);
    this.#idents = new NameCounts(out, idents);
    this.dup = new Uint32Array(t.count);
  }

  /** btf_dump_name_dups: counts one more use of the name at `off` as an identifier (an enumerator). */
  identUse(off: number): number {
    return this.#idents.add(off);
  }

  /** btf_dump_type_name: the ___N suffix number (1: none) of a struct, union, enum or fwd tag (or an INT's name). */
  tag(id: number): number {
    return this.dup[id] || this.#resolve(id, this.#tags);
  }

  /** btf_dump_ident_name: the ___N suffix number (1: none) of a typedef's name. */
  ident(id: number): number {
    return this.dup[id] || this.#resolve(id, this.#idents);
  }

  #resolve(id: number, counts: NameCounts): number {
    const t = this.#t, off = t.nameOff[id];
    if (off === 0) return 1;
    const kind = t.kind[id];
    // Forward declarations and empty enums name their type without claiming the name.
    if (kind === K_FWD || (kind === K_ENUM && (t.info[id] & 0xffffff) === 0)) return (this.dup[id] = 1);
    return (this.dup[id] = counts.add(off));
  }
}
