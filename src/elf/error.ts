/**
 * ElfError: a malformed ELF file, with where the flaw is - the byte offset into the file, the
 * section - so it can be inspected with `readelf` or a hex dump.
 * @module
 */

/** Where in the ELF file a problem lies. */
export interface ElfErrorWhere {
  /** Byte offset into the file. */
  offset?: number;
  /** The section involved, as "index (name)" or its index. */
  section?: string;
}

/** A malformed or unsupported ELF file (Elf64_Ehdr, Elf64_Shdr, Elf64_Sym, Elf64_Rel[a]). */
export class ElfError extends Error {
  /** Byte offset into the file, when the problem has one. */
  readonly offset?: number;
  /** The section involved, when there is one. */
  readonly section?: string;

  /** An error saying `what`, and where in the file it was found. */
  constructor(what: string, where: ElfErrorWhere = {}) {
    const at = [
      where.section !== undefined ? `section ${where.section}` : "",
      where.offset !== undefined ? `offset ${where.offset}` : "",
    ].filter(Boolean).join(", ");
    super(`ELF: ${what}${at ? ` (at ${at})` : ""}`);
    this.name = "ElfError";
    if (where.offset !== undefined) this.offset = where.offset;
    if (where.section !== undefined) this.section = where.section;
  }
}
