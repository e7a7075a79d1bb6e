/**
 * BtfError: malformed BTF, with where it was found - the byte offset into the blob, the type id,
 * or both - so a bad file can be inspected with a hex dump or `bpftool btf dump`.
 * @module
 */

/** Where in the BTF blob a problem lies. */
export interface BtfErrorWhere {
  /** Byte offset into the blob given to `Btf.parse` (struct btf_header starts at 0). */
  offset?: number;
  /** The type id (index into the type section, after any base's ids). */
  typeId?: number;
}

/** Malformed or inconsistent BTF (struct btf_header, struct btf_type and their trailers). */
export class BtfError extends Error {
  /** Byte offset into the blob, when the problem has one. */
  readonly offset?: number;
  /** The type id involved, when there is one. */
  readonly typeId?: number;

  /** An error saying `what`, and where in the blob it was found. */
  constructor(what: string, where: BtfErrorWhere = {}) {
    const at = [
      where.typeId !== undefined ? `type id ${where.typeId}` : "",
      where.offset !== undefined ? `offset ${where.offset}` : "",
    ].filter(Boolean).join(", ");
    super(`BTF: ${what}${at ? ` (at ${at})` : ""}`);
    this.name = "BtfError";
    if (where.offset !== undefined) this.offset = where.offset;
    if (where.typeId !== undefined) this.typeId = where.typeId;
  }
}
