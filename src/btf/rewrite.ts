/**
 * A Btf with some of its types replaced (ids kept, new ones appended): what sanitizing for an
 * older kernel and fixing up an object's BTF for loading both make, re-encoded with the original
 * strings kept at their offsets (line_info points into them) and parsed again.
 * @module
 */
import { Btf } from "./btf.ts";
import { encodeBtf } from "./encode.ts";
import type { AnyBtfType } from "./types.ts";

/** Options of {@link rewriteBtf}. */
export interface RewriteOptions {
  /** Whether an empty name of type `id` (index -1) or of its element `index` sits at a nonzero name_off; by default as in `btf`. */
  emptyNamed?: (id: number, index: number) => boolean;
  /** Write a layout section; by default when `btf` has one. */
  layout?: boolean;
}

/** `btf` with its own types (from firstId on) replaced by `types`, which may add some at the end. */
export function rewriteBtf(btf: Btf, types: readonly AnyBtfType[], options: RewriteOptions = {}): Btf {
  const first = btf.firstId;
  const same = (id: number, index: number) => (id >= btf.count ? false : index < 0 ? btf.nameOffOf(id) !== 0 : btf.elementNameOffOf(id, index) !== 0);
  const bytes = encodeBtf({
    firstId: first, count: first + types.length, strStart: btf.strings.start,
    typeById: (id) => types[id - first],
    emptyNamed: options.emptyNamed ?? same,
  }, { littleEndian: btf.little, strings: btf.strings.bytes, layout: options.layout ?? btf.header.layoutLen > 0 });
  return Btf.parse(bytes, { base: btf.base });
}
