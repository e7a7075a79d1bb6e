/**
 * enum bpf_core_relo_kind: what a CO-RE relocation asks of the target, by number (UAPI bpf.h),
 * with libbpf's short names (core_relo_kind_str) and its three families.
 * @module
 */
export { CoreReloKind } from "../../uapi/enums.gen.ts";

/** libbpf's core_relo_kind_str names, as its log and llvm-objdump print them. */
export type CoreKindName =
  | "byte_off" | "byte_sz" | "field_exists" | "signed" | "lshift_u64" | "rshift_u64" | "local_type_id"
  | "target_type_id" | "type_exists" | "type_size" | "enumval_exists" | "enumval_value" | "type_matches";

const NAMES: readonly CoreKindName[] = [
  "byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64", "local_type_id",
  "target_type_id", "type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches",
];

/** libbpf's name of relocation kind `kind`, or undefined for a number the UAPI does not define. */
export function coreKindName(kind: number): CoreKindName | undefined {
  return Number.isInteger(kind) ? NAMES[kind] : undefined;
}

/** core_relo_is_field_based: kinds 0-5, which walk an access string through members. */
export function isFieldKind(kind: number): boolean {
  return kind >= 0 && kind <= 5;
}

/** core_relo_is_type_based: kinds 6-9 and 12, whose access string is "0". */
export function isTypeKind(kind: number): boolean {
  return (kind >= 6 && kind <= 9) || kind === 12;
}

/** core_relo_is_enumval_based: kinds 10 and 11, whose access string is an enumerator index. */
export function isEnumKind(kind: number): boolean {
  return kind === 10 || kind === 11;
}
