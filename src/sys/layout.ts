/**
 * The shape of the generated struct layouts (src/sys/layout.gen.ts): each field's byte offset,
 * size and C type, as the kernel's UAPI header lays it out on 64-bit Linux.
 * @module
 */

/** C type of a field: fixed-width integers (big-endian ones marked), or char for name arrays. */
export type FieldType = "u8" | "s8" | "char" | "u16" | "s16" | "be16" | "u32" | "s32" | "be32" | "u64" | "s64" | "be64";

/** One field: byte offset, total size in bytes, element type, array length, bitfield position. */
export interface Field {
  /** Byte offset from the start of the struct (of the storage unit, for a bitfield). */
  readonly off: number;
  /** Size in bytes (of the whole array for arrays, of the storage unit for bitfields). */
  readonly size: number;
  /** Element type. */
  readonly type: FieldType;
  /** Array length, for arrays. */
  readonly count?: number;
  /** First bit within the storage unit, for bitfields. */
  readonly bit?: number;
  /** Width in bits, for bitfields. */
  readonly bits?: number;
}

/** A struct layout: the C aggregate it mirrors and its fields by C member path ("a.b" for nesting). */
export interface Layout {
  /** The C type the offsets are relative to: "union bpf_attr" or "struct bpf_prog_info". */
  readonly c: string;
  /** Member path inside `c` for named members of union bpf_attr ("batch."), else "". */
  readonly prefix: string;
  /** Size in bytes, padded to the struct's alignment. */
  readonly size: number;
  /** Fields by member path; anonymous unions and structs are flattened into their parent. */
  readonly fields: Readonly<Record<string, Field>>;
}
