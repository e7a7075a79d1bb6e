/**
 * Sizes and alignments as libbpf 1.1's btf__resolve_size and btf__align_of compute them for the
 * C dumper, errors included (a size of -1, an alignment of 0), since btf_dump's padding and
 * packed-ness decisions follow from exactly those numbers.
 * @module
 */
import {
  type CTypeTable, K_ARRAY, K_CONST, K_DATASEC, K_DECL_TAG, K_ENUM, K_ENUM64, K_FLOAT, K_INT, K_PTR, K_RESTRICT,
  K_STRUCT, K_TYPE_TAG, K_TYPEDEF, K_UNION, K_VAR, K_VOLATILE,
} from "./format-c-table.ts";

const U32_MAX = 0xffffffff;
const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;
// libbpf's MAX_RESOLVE_DEPTH.
const MAX_RESOLVE_DEPTH = 32;

/** btf__resolve_size: bytes of a value of type `id`, or -1 where libbpf returns an error. */
export function resolveSize(t: CTypeTable, id: number): number {
  let nelems = 1, size = -1;
  for (let i = 0; i < MAX_RESOLVE_DEPTH && id !== 0; i++) {
    const k = t.kind[id];
    if (k === K_INT || k === K_STRUCT || k === K_UNION || k === K_ENUM || k === K_ENUM64 || k === K_DATASEC || k === K_FLOAT) {
      size = t.st[id];
      break;
    }
    if (k === K_PTR) {
      size = t.ptrSize;
      break;
    }
    if (k === K_TYPEDEF || k === K_VOLATILE || k === K_CONST || k === K_RESTRICT || k === K_VAR || k === K_DECL_TAG || k === K_TYPE_TAG) {
      id = t.st[id];
    } else if (k === K_ARRAY) {
      const n = t.words[t.at[id] + 2];
      if (nelems && n > Math.floor(U32_MAX / nelems)) return -1;
      nelems *= n;
      id = t.words[t.at[id]];
    } else {
      return -1;
    }
  }
  if (size < 0) return -1;
  if (nelems && size > Math.floor(U32_MAX / nelems)) return -1;
  return nelems * size;
}

/**
 * btf__align_of, btf__resolve_size and btf_is_struct_packed (libbpf 1.1), worked out up front for
 * what the dump reads: structs and unions and the types of their members.
 */
export interface CLayout {
  /** btf__align_of per struct, union and member type id; 0 where libbpf fails (FWD, void, a function, a cycle). */
  align: Int32Array;
  /** btf__resolve_size per member type id; -1 where libbpf fails. */
  size: Float64Array;
  /**
   * Per struct id: btf_dump would mark it `__attribute__((packed))`; per union id: its BTF size
   * is no multiple of its members' alignment, so it needs the attribute too (libbpf packs no unions).
   */
  packed: Uint8Array;
  /** Per union id that C would make narrower than the BTF says: its BTF size in bits, for an unnamed bitfield member `<type>: bits;` (a union's tail padding). */
  unionPad: Map<number, number>;
  /** Per union id wider than its members where no bitfield reaches (over a pointer's size): the `aligned(N)` that widens it. */
  unionAlign: Map<number, number>;
}

/**
 * The layout of `t`'s structs and unions, in one pass before any output: the dump's hot loops then
 * read arrays instead of calling into these rules, which keeps the engine's compiled code small.
 * Only what struct definitions read is computed (a third of vmlinux's ids are functions and
 * their prototypes): each struct's members are walked once, for its alignment, its packed-ness
 * and its members' sizes together.
 */
export function layoutOf(t: CTypeTable): CLayout {
  const { kind, st, info, at, words, count, ptrSize } = t;
  const align = new Int32Array(count), size = new Float64Array(count), packed = new Uint8Array(count);
  const unionPad = new Map<number, number>(), unionAlign = new Map<number, number>();
  // 0 not yet; 1 under way; 2 done.
  const state = new Uint8Array(count);
  // Per id: its size is in `size`.
  const sized = new Uint8Array(count);

  function alignOf(id: number, depth: number): number {
    if (state[id] === 2) return align[id];
    // A loop or an endless chain (invalid BTF) is libbpf's failure, 0; the ordering pass
    // reports it properly.
    if (state[id] === 1 || depth > 2048) return 0;
    state[id] = 1;
    const k = kind[id];
    let a = 0;
    if (k === K_INT || k === K_ENUM || k === K_ENUM64 || k === K_FLOAT) a = Math.min(ptrSize, st[id]);
    else if (k === K_PTR) a = ptrSize;
    else if (k === K_TYPEDEF || k === K_VOLATILE || k === K_CONST || k === K_RESTRICT || k === K_TYPE_TAG) a = alignOf(st[id], depth + 1);
    else if (k === K_ARRAY) a = alignOf(words[at[id]], depth + 1);
    else if (k === K_STRUCT || k === K_UNION) a = composite(id, k, depth);
    align[id] = a;
    state[id] = 2;
    return a;
  }

  // btf__align_of of a struct or union, which stops at the first member that fails or sits off
  // its alignment; and, all members considered, btf_is_struct_packed: a member off its natural
  // alignment, or a size no multiple of the largest. The members' alignments are the same
  // memoized values either way (a cycle, where they could differ, fails the ordering pass).
  function composite(id: number, k: number, depth: number): number {
    const vlen = info[id] & 0xffffff, kflag = info[id] >>> 31;
    let a = -1, max = 1, pmax = 1, isPacked = false, widest = 0;
    for (let i = 0, w = at[id]; i < vlen; i++, w += 3) {
      const m = words[w + 1];
      if (!sized[m]) {
        size[m] = resolveSize(t, m);
        sized[m] = 1;
      }
      const ma = alignOf(m, depth + 1);
      const off = words[w + 2];
      const bitfield = kflag ? off >>> 24 : 0, bitOff = kflag ? off & 0xffffff : off;
      const bytes = bitfield ? Math.ceil(bitfield / 8) : size[m];
      if (bytes > widest) widest = bytes;
      const misplaced = bitfield === 0 && ma > 0 && bitOff % (8 * ma) !== 0;
      if (ma && misplaced) isPacked = true;
      if (ma > pmax) pmax = ma;
      if (a >= 0) continue;
      if (ma <= 0) a = ma;
      else {
        if (ma > max) max = ma;
        if (misplaced) a = 1;
      }
    }
    if (k === K_STRUCT && (isPacked || st[id] % pmax !== 0)) packed[id] = 1;
    else if (k === K_UNION) fitUnion(id, widest, pmax);
    if (a >= 0) return a;
    return st[id] % max !== 0 ? 1 : max;
  }

  // A union's C size is its widest member rounded up to its members' alignment, and btf_dump
  // writes nothing that could change it. A union the kernel declared __packed (Linux 6.12's
  // ec_response_get_next_data_v3: 18 bytes with a u64 member) would come out bigger, one
  // declared __aligned(N) or with members BTF lost (a transparent union: size 8, no members)
  // smaller, and every struct holding it wrong after it. The first gets `packed`, as btf_dump
  // would decide for a struct of that size; the other a tail pad, as btf_dump pads structs: a
  // union's members all start at 0, so one unnamed bitfield as wide as the union, which widens it
  // without raising its alignment. Past a pointer's size no bitfield reaches, and the smallest
  // `aligned(N)` that rounds the widest member up to the BTF size stands in.
  function fitUnion(id: number, widest: number, natural: number): void {
    const bytes = st[id];
    let a = natural;
    if (bytes % natural !== 0) {
      packed[id] = 1;
      a = 1;
    }
    if (roundUp(widest, a) >= bytes) return;
    if (bytes <= ptrSize) {
      unionPad.set(id, bytes * 8);
      return;
    }
    for (let n = a * 2; n <= bytes; n *= 2) {
      if (roundUp(widest, n) === bytes) {
        unionAlign.set(id, n);
        return;
      }
    }
  }

  for (let id = 1; id < count; id++) {
    const k = kind[id];
    if (k === K_STRUCT || k === K_UNION) alignOf(id, 0);
  }
  size[0] = -1;
  return { align, size, packed, unionPad, unionAlign };
}
