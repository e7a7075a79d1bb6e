/**
 * Decoded BTF types: one interface per kind of struct btf_type and its trailer. References to
 * other types are type ids, looked up with `btf.typeById`, so decoding one type decodes no other.
 * @module
 */

/** Lower-case kind names, BTF_KIND_* of linux/btf.h; "void" is type id 0. */
export type BtfKindName =
  | "void" | "int" | "ptr" | "array" | "struct" | "union" | "enum" | "fwd" | "typedef" | "volatile"
  | "const" | "restrict" | "func" | "func_proto" | "var" | "datasec" | "float" | "decl_tag"
  | "type_tag" | "enum64" | "unknown";

/** Kind names indexed by BTF_KIND_* number. */
export const BTF_KIND_NAMES: readonly BtfKindName[] = [
  "void", "int", "ptr", "array", "struct", "union", "enum", "fwd", "typedef", "volatile", "const",
  "restrict", "func", "func_proto", "var", "datasec", "float", "decl_tag", "type_tag", "enum64",
];

/** What every decoded type has: struct btf_type's name_off and info. */
export interface BtfTypeCommon {
  /** The type id. */
  id: number;
  /** The name at btf_type.name_off; "" for anonymous types. */
  name: string;
  /** btf_type.info bits 24-30, BTF_KIND_*. */
  kindNumber: number;
  /** btf_type.info bit 31, kind_flag. */
  kflag: boolean;
}

/** Type id 0: void, which has no struct btf_type. */
export interface BtfVoidType extends BtfTypeCommon {
  /** Always "void". */
  kind: "void";
}

/** BTF_KIND_INT and the u32 after it (BTF_INT_ENCODING/OFFSET/BITS). */
export interface BtfIntType extends BtfTypeCommon {
  /** Always "int". */
  kind: "int";
  /** btf_type.size in bytes. */
  size: number;
  /** BTF_INT_ENCODING: BTF_INT_SIGNED 1, BTF_INT_CHAR 2, BTF_INT_BOOL 4. */
  encoding: number;
  /** BTF_INT_OFFSET: bit offset of the value within the int. */
  bitOffset: number;
  /** BTF_INT_BITS: number of value bits. */
  bits: number;
}

/** The kinds whose btf_type.type names one other type and nothing more. */
export interface BtfRefType extends BtfTypeCommon {
  /** PTR, TYPEDEF, VOLATILE, CONST, RESTRICT or TYPE_TAG (kflag 1: attribute style). */
  kind: "ptr" | "typedef" | "volatile" | "const" | "restrict" | "type_tag";
  /** btf_type.type: the referenced type id. */
  type: number;
}

/** BTF_KIND_ARRAY and struct btf_array. */
export interface BtfArrayType extends BtfTypeCommon {
  /** Always "array". */
  kind: "array";
  /** btf_array.type: the element type id. */
  type: number;
  /** btf_array.index_type: the index type id. */
  indexType: number;
  /** btf_array.nelems. */
  nelems: number;
}

/** One struct btf_member, with kind_flag's bitfield encoding of btf_member.offset applied. */
export interface BtfStructMember {
  /** btf_member.name_off's string; "" for anonymous members. */
  name: string;
  /** btf_member.type. */
  type: number;
  /** Bit offset from the start of the struct (BTF_MEMBER_BIT_OFFSET with kind_flag). */
  bitOffset: number;
  /** BTF_MEMBER_BITFIELD_SIZE with kind_flag, else 0 (not a bitfield, or int-encoded). */
  bitfieldSize: number;
}

/** BTF_KIND_STRUCT or BTF_KIND_UNION and its struct btf_member array. */
export interface BtfCompositeType extends BtfTypeCommon {
  /** "struct" or "union". */
  kind: "struct" | "union";
  /** btf_type.size in bytes. */
  size: number;
  /** The members, vlen of them. */
  members: BtfStructMember[];
}

/** One struct btf_enum or btf_enum64 value. */
export interface BtfEnumValue<V> {
  /** The enumerator's name. */
  name: string;
  /** btf_enum.val, signed or not as the enum's kind_flag says; btf_enum64 val_hi32:val_lo32. */
  value: V;
}

/** BTF_KIND_ENUM (values fit in 32 bits) and its struct btf_enum array. */
export interface BtfEnumType extends BtfTypeCommon {
  /** Always "enum". */
  kind: "enum";
  /** btf_type.size in bytes (1, 2, 4 or 8). */
  size: number;
  /** kind_flag: values are signed. */
  signed: boolean;
  /** The enumerators. */
  values: BtfEnumValue<number>[];
}

/** BTF_KIND_ENUM64 and its struct btf_enum64 array. */
export interface BtfEnum64Type extends BtfTypeCommon {
  /** Always "enum64". */
  kind: "enum64";
  /** btf_type.size in bytes. */
  size: number;
  /** kind_flag: values are signed. */
  signed: boolean;
  /** The enumerators, as bigints. */
  values: BtfEnumValue<bigint>[];
}

/** BTF_KIND_FWD: a forward declaration. */
export interface BtfFwdType extends BtfTypeCommon {
  /** Always "fwd". */
  kind: "fwd";
  /** kind_flag: 0 declares a struct, 1 a union. */
  fwdKind: "struct" | "union";
}

/** BTF_KIND_FUNC: a function, whose btf_type.type is its FUNC_PROTO. */
export interface BtfFuncType extends BtfTypeCommon {
  /** Always "func". */
  kind: "func";
  /** btf_type.type: the FUNC_PROTO id. */
  type: number;
  /** btf_type vlen: BTF_FUNC_STATIC 0, BTF_FUNC_GLOBAL 1, BTF_FUNC_EXTERN 2. */
  linkage: number;
}

/** One struct btf_param. */
export interface BtfFuncParam {
  /** btf_param.name_off's string. */
  name: string;
  /** btf_param.type; 0 in the last param means varargs. */
  type: number;
}

/** BTF_KIND_FUNC_PROTO and its struct btf_param array. */
export interface BtfFuncProtoType extends BtfTypeCommon {
  /** Always "func_proto". */
  kind: "func_proto";
  /** btf_type.type: the return type id (0 for void). */
  returnType: number;
  /** The parameters, vlen of them. */
  params: BtfFuncParam[];
}

/** BTF_KIND_VAR and struct btf_var. */
export interface BtfVarType extends BtfTypeCommon {
  /** Always "var". */
  kind: "var";
  /** btf_type.type: the variable's type id. */
  type: number;
  /** btf_var.linkage: BTF_VAR_STATIC 0, BTF_VAR_GLOBAL_ALLOCATED 1, BTF_VAR_GLOBAL_EXTERN 2. */
  linkage: number;
}

/** One struct btf_var_secinfo. */
export interface BtfDatasecVar {
  /** btf_var_secinfo.type: the VAR (or FUNC, for .ksyms) id. */
  type: number;
  /** btf_var_secinfo.offset within the section. */
  offset: number;
  /** btf_var_secinfo.size. */
  size: number;
}

/** BTF_KIND_DATASEC and its struct btf_var_secinfo array. */
export interface BtfDatasecType extends BtfTypeCommon {
  /** Always "datasec". */
  kind: "datasec";
  /** btf_type.size: the section's size. */
  size: number;
  /** The variables, vlen of them. */
  vars: BtfDatasecVar[];
}

/** BTF_KIND_FLOAT. */
export interface BtfFloatType extends BtfTypeCommon {
  /** Always "float". */
  kind: "float";
  /** btf_type.size in bytes. */
  size: number;
}

/** BTF_KIND_DECL_TAG and struct btf_decl_tag. */
export interface BtfDeclTagType extends BtfTypeCommon {
  /** Always "decl_tag". */
  kind: "decl_tag";
  /** btf_type.type: the tagged declaration. */
  type: number;
  /** btf_decl_tag.component_idx: the member or param index, -1 for the whole declaration. */
  componentIdx: number;
}

/** A kind this parser does not know, skipped using the BTF's layout section (struct btf_layout). */
export interface BtfUnknownType extends BtfTypeCommon {
  /** Always "unknown". */
  kind: "unknown";
  /** btf_type's size/type union, uninterpreted. */
  sizeOrType: number;
  /** btf_type vlen. */
  vlen: number;
}

/** Any decoded BTF type. */
export type AnyBtfType =
  | BtfVoidType | BtfIntType | BtfRefType | BtfArrayType | BtfCompositeType | BtfEnumType | BtfEnum64Type | BtfFwdType | BtfFuncType
  | BtfFuncProtoType | BtfVarType | BtfDatasecType | BtfFloatType | BtfDeclTagType | BtfUnknownType;
