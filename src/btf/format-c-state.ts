/**
 * What the parts of the C dumper share while one header is written: libbpf's struct btf_dump.
 * @module
 */
import type { CLayout } from "./format-c-layout.ts";
import type { CNames } from "./format-c-names.ts";
import type { COut } from "./format-c-out.ts";
import type { CTypeTable } from "./format-c-table.ts";

/** The dumper's state: the types, their names and alignments, the output so far. */
export interface CDump {
  /** The types. */
  t: CTypeTable;
  /** Resolved names and the two name spaces (btf_dump's type_names, ident_names). */
  names: CNames;
  /** Alignments, sizes and packed-ness of every type. */
  layout: CLayout;
  /** The header so far. */
  out: COut;
  /** btf_dump's decl_stack: type ids of declaration chains, one frame per nesting. */
  stack: number[];
  /** Entries of `stack` in use (the array only grows, so frames cost no allocation). */
  sp: number;
  /** Per type id: whether its member/param declarations are cached (format-c-decl.ts). */
  declState: Uint8Array;
  /** Per type id, 4 entries: output position and length of a cached declaration's text before and after the name. */
  declAt: Int32Array;
  /** Per type id: a cached declaration has a space before the name. */
  declSep: Uint8Array;
  /** The declaration being written is to be cached: its name's position is still to be seen. */
  capArmed: boolean;
  /** Output positions before the space, before the name and after it, once seen. */
  capA: number;
  /** See capA. */
  capB: number;
  /** See capA. */
  capC: number;
}

function suffixed(d: CDump, id: number, n: number): void {
  d.out.name(d.t.nameOff[id]);
  d.out.dup(n);
}

// Names are resolved through tag()/ident() every time (a resolved one returns at once), not only
// when unresolved: a call first made late in a dump, on a path the engine's optimized code has not
// seen, makes it throw that code away (the dumper keeps such paths few).

/** Writes a struct/union/enum/fwd tag as btf_dump_type_name resolves it ("" when anonymous). */
export function writeTag(d: CDump, id: number): void {
  if (d.t.nameOff[id] !== 0) suffixed(d, id, d.names.tag(id));
}

/** Writes a typedef's name as btf_dump_ident_name resolves it. */
export function writeIdent(d: CDump, id: number): void {
  if (d.t.nameOff[id] !== 0) suffixed(d, id, d.names.ident(id));
}
