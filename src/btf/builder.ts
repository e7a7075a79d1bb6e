/**
 * BtfBuilder: BTF written from TypeScript, one type at a time (libbpf's btf__add_* family), each
 * add returning the new type id; optionally split over a base Btf. Emits through encode.ts.
 *
 * ```ts
 * const b = new BtfBuilder();
 * const int = b.addInt("int", 4, { signed: true });
 * const pair = b.addCStruct("pair", [{ name: "a", type: int }, { name: "b", type: int }]);
 * b.build().format("raw"); // [1] INT 'int' ..., [2] STRUCT 'pair' size=8 vlen=2 ...
 * ```
 * @module
 */
import { alignOfType } from "./offsets.ts";
import { Btf } from "./btf.ts";
import { BtfError } from "./error.ts";
import { BTF_MAX_TYPE, BTF_MAX_VLEN, encodeBtf } from "./encode.ts";
import { HOST_LITTLE } from "../util/endian.ts";
import type { BtfMarshalOptions } from "./marshal.ts";
import { resolveType, sizeOfType } from "./resolve.ts";
import { loneSurrogate } from "../util/text.ts";
import type {
  AnyBtfType, BtfDatasecVar, BtfEnumValue, BtfFuncParam, BtfKindName, BtfStructMember,
} from "./types.ts";

/** Linkage of a FUNC (BTF_FUNC_STATIC/GLOBAL/EXTERN) or VAR (BTF_VAR_STATIC/GLOBAL_ALLOCATED/GLOBAL_EXTERN). */
export type BtfLinkage = "static" | "global" | "extern";

/** Options of the {@link BtfBuilder} constructor. */
export interface BtfBuilderOptions {
  /** Build a split BTF over this base (btf__new_empty_split): ids and string offsets continue after its. */
  base?: Btf;
}

/** BTF_INT_ENCODING and the bit range of {@link BtfBuilder.addInt}. */
export interface BtfIntOptions {
  /** BTF_INT_SIGNED. */
  signed?: boolean;
  /** BTF_INT_CHAR. */
  char?: boolean;
  /** BTF_INT_BOOL. */
  bool?: boolean;
  /** BTF_INT_BITS: value bits, size × 8 unless given. */
  bits?: number;
  /** BTF_INT_OFFSET: where the value bits start. */
  bitOffset?: number;
}

/** A struct or union member at an explicit place (struct btf_member). */
export interface BtfMemberInput {
  /** Member name; "" or absent for an anonymous member. */
  name?: string;
  /** The member's type id. */
  type: number;
  /** Bit offset from the start of the struct. */
  bitOffset: number;
  /** Bitfield width in bits (sets the struct's kind_flag); 0 or absent for a plain member. */
  bitfieldSize?: number;
}

/** A member of {@link BtfBuilder.addCStruct}: placed by C's rules. */
export interface BtfCMemberInput {
  /** Member name; "" or absent for an anonymous member (an unnamed bitfield is padding). */
  name?: string;
  /** The member's type id (already added: its size and alignment decide the placement). */
  type: number;
  /** Bitfield width in bits; 0 with no name ends the current storage unit, as `int : 0;` does. */
  bitfieldSize?: number;
}

/** How {@link BtfBuilder.addCStruct} lays out members. */
export interface BtfCLayoutOptions {
  /** `__attribute__((packed))`: no padding, alignment 1. */
  packed?: boolean;
  /** Pointer size in bytes (8, as libbpf forces for BPF). */
  pointerSize?: number;
}

/** Options of {@link BtfBuilder.addEnum} and {@link BtfBuilder.addEnum64}. */
export interface BtfEnumOptions {
  /** btf_type.size: 1, 2, 4 or 8 (4 for ENUM, 8 for ENUM64 unless given). */
  size?: number;
  /** kind_flag: signed values; by default signed when a value is negative. */
  signed?: boolean;
}

/** An enumerator: a name and a value (bigint or safe integer for ENUM64). */
export interface BtfEnumInput<V> {
  /** The enumerator's name. */
  name: string;
  /** Its value. */
  value: V;
}

/** A FUNC_PROTO parameter (struct btf_param). */
export interface BtfParamInput {
  /** Parameter name; "" or absent when unnamed. */
  name?: string;
  /** The parameter's type id. */
  type: number;
}

/** Options of {@link BtfBuilder.addFuncProto}. */
export interface BtfFuncProtoOptions {
  /** Ends the parameter list with `...` (a last param of type 0). */
  varargs?: boolean;
}

/** Options of {@link BtfBuilder.addTypeTag} and {@link BtfBuilder.addDeclTag}. */
export interface BtfTagOptions {
  /** kind_flag 1: an attribute-style tag (`__attribute__((...))` text) rather than a btf_*_tag. */
  attribute?: boolean;
}

const FUNC_LINKAGE: Record<BtfLinkage, number> = { static: 0, global: 1, extern: 2 };
const REF_KINDS = ["ptr", "typedef", "volatile", "const", "restrict", "type_tag"] as const;
type RefKind = (typeof REF_KINDS)[number];

const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);

function u32(v: unknown, what: string): number {
  if (!isInt(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} must be an integer in [0, 2^32-1], got ${String(v)}`);
  return v;
}

function checkName(v: unknown, what: string, required: boolean): string {
  const s = v ?? "";
  if (typeof s !== "string") throw new TypeError(`${what} must be a string, got ${typeof s}`);
  if (s.includes("\0")) throw new TypeError(`${what} ${JSON.stringify(s)} contains a NUL byte`);
  const at = loneSurrogate(s);
  if (at >= 0) throw new TypeError(`${what} ${JSON.stringify(s)} has a lone surrogate at index ${at}, which UTF-8 cannot encode`);
  if (required && s === "") throw new TypeError(`${what} must not be empty`);
  return s;
}

function list<T>(v: readonly T[] | undefined, what: string): readonly T[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new TypeError(`${what} must be an array`);
  if (v.length > BTF_MAX_VLEN) throw new RangeError(`${v.length} ${what} exceed BTF_MAX_VLEN 0xffffff`);
  return v;
}

function linkageOf(v: unknown, what: string): number {
  if (v === undefined) return 0;
  if (typeof v === "string" && Object.hasOwn(FUNC_LINKAGE, v)) return FUNC_LINKAGE[v as BtfLinkage];
  throw new TypeError(`${what} must be "static", "global" or "extern", got ${JSON.stringify(v)}`);
}

function linkageName(n: number, what: string): BtfLinkage {
  const l = (["static", "global", "extern"] as const)[n];
  if (l === undefined) throw new RangeError(`${what} linkage ${n} is none of static (0), global (1), extern (2)`);
  return l;
}

const alignUp = (v: number, a: number) => Math.ceil(v / a) * a;

/**
 * Builds BTF from TypeScript: ints, pointers, arrays, structs and unions (explicit bit offsets,
 * or laid out by C's rules), enums, forward declarations, typedefs, qualifiers, tags, functions,
 * prototypes, variables, data sections, floats. Each add returns the new type id. A type may refer
 * to an id added later (a struct's pointer to itself); every reference is checked by build() and
 * marshal(). The string table is deduplicated.
 *
 * @example
 * ```ts
 * import { BtfBuilder } from "tsbpf/btf";
 * const b = new BtfBuilder();
 * const int = b.addInt("int", 4, { signed: true });
 * // struct node { int value; struct node *next; }: the pointer comes after the struct, at id count + 1
 * const node = b.addStruct("node", 16, [
 *   { name: "value", type: int, bitOffset: 0 },
 *   { name: "next", type: b.count + 1, bitOffset: 64 },
 * ]);
 * b.addPtr(node);
 * const btf = b.build();
 * ```
 */
export class BtfBuilder {
  /** The base of a split BTF. */
  readonly base: Btf | undefined;
  /** The first id this builder assigns: 1, or the base's count. */
  readonly firstId: number;
  readonly #types: AnyBtfType[] = [];

  /** An empty BTF, or an empty split BTF over `options.base`. */
  constructor(options: BtfBuilderOptions = {}) {
    const base = options.base;
    if (base !== undefined && !(base instanceof Btf)) throw new TypeError("base must be a Btf");
    this.base = base;
    this.firstId = base ? base.count : 1;
  }

  /** One past the last id: the id the next add returns. */
  get count(): number {
    return this.firstId + this.#types.length;
  }

  /** The type with id `id`: one of the base's, or one added here. */
  typeById(id: number): AnyBtfType {
    if (!isInt(id) || id < 0 || id >= this.count) throw new RangeError(`type id ${id} is not defined (ids run to ${this.count - 1})`);
    if (id === 0) return { id: 0, name: "", kind: "void", kindNumber: 0, kflag: false };
    if (id < this.firstId) return this.base!.typeById(id);
    return this.#types[id - this.firstId];
  }

  /** BTF_KIND_INT (btf__add_int): `size` 1, 2, 4, 8 or 16 bytes; at most one of signed, char, bool. */
  addInt(name: string, size: number, options: BtfIntOptions = {}): number {
    const n = checkName(name, "int name", false);
    if (![1, 2, 4, 8, 16].includes(size)) throw new RangeError(`int size must be 1, 2, 4, 8 or 16 bytes, got ${size}`);
    const o = options;
    const flags = [o.signed, o.char, o.bool].filter(Boolean).length;
    if (flags > 1) throw new TypeError("an int is at most one of signed, char and bool (BTF_INT_ENCODING)");
    const encoding = o.signed ? 1 : o.char ? 2 : o.bool ? 4 : 0;
    const bits = o.bits ?? size * 8, bitOffset = o.bitOffset ?? 0;
    if (!isInt(bits) || bits < 1 || bits > 128) throw new RangeError(`int bits must be an integer in [1, 128], got ${bits}`);
    if (!isInt(bitOffset) || bitOffset < 0 || bitOffset + bits > size * 8) {
      throw new RangeError(`int bit offset ${bitOffset} + bits ${bits} exceed the ${size * 8} bits of the int`);
    }
    return this.#push({ id: 0, name: n, kind: "int", kindNumber: 1, kflag: false, size, encoding, bitOffset, bits });
  }

  /** BTF_KIND_PTR to `type`. */
  addPtr(type: number): number {
    return this.#ref("ptr", "", type, false);
  }

  /** BTF_KIND_ARRAY of `nelems` elements of `type`, indexed by `indexType` (an int). */
  addArray(type: number, indexType: number, nelems: number): number {
    return this.#push({
      id: 0, name: "", kind: "array", kindNumber: 3, kflag: false,
      type: this.#id(type, "array element type"), indexType: this.#id(indexType, "array index type"), nelems: u32(nelems, "nelems"),
    });
  }

  /** BTF_KIND_STRUCT of `size` bytes with members at explicit bit offsets; a bitfield sets kind_flag. */
  addStruct(name: string, size: number, members: readonly BtfMemberInput[]): number {
    return this.#composite("struct", name, size, members);
  }

  /** BTF_KIND_UNION of `size` bytes with members at explicit bit offsets. */
  addUnion(name: string, size: number, members: readonly BtfMemberInput[]): number {
    return this.#composite("union", name, size, members);
  }

  /**
   * BTF_KIND_STRUCT with members placed as a C compiler places them (the SysV x86-64 and BPF
   * rules): each at the next multiple of its alignment, a bitfield in the next storage unit of its
   * type it fits in, the size rounded up to the largest alignment.
   */
  addCStruct(name: string, members: readonly BtfCMemberInput[], options: BtfCLayoutOptions = {}): number {
    const ptr = this.#pointerSize(options);
    const packed = options.packed === true;
    const out: BtfMemberInput[] = [];
    let bit = 0, align = 1;
    for (const [i, m] of list(members, "members").entries()) {
      const { size, align: a } = this.#sizeAlign(m?.type, `member ${i}`, ptr);
      const w = m.bitfieldSize ?? 0;
      if (w === 0 && m.bitfieldSize === undefined) {
        const off = packed ? alignUp(bit, 8) : alignUp(bit, a * 8);
        out.push({ name: m.name, type: m.type, bitOffset: off });
        bit = off + size * 8;
        if (!packed) align = Math.max(align, a);
        continue;
      }
      this.#bitfieldType(m.type, w, size, i);
      if (w === 0) {
        // `T : 0;` closes the storage unit; it is no member of the BTF (clang emits none).
        if (checkName(m.name, `member ${i} name`, false) !== "") throw new TypeError(`member ${i}: a zero-width bitfield must be unnamed`);
        if (!packed) bit = alignUp(bit, a * 8);
        continue;
      }
      let off = bit;
      if (!packed) {
        const unit = Math.floor(bit / (a * 8)) * a * 8;
        if (bit + w > unit + size * 8) off = alignUp(bit, a * 8);
      }
      out.push({ name: m.name, type: m.type, bitOffset: off, bitfieldSize: w });
      bit = off + w;
      // Unnamed bitfields are padding: they do not align the struct.
      if (!packed && (m.name ?? "") !== "") align = Math.max(align, a);
    }
    return this.addStruct(name, alignUp(Math.ceil(bit / 8), align), out);
  }

  /** BTF_KIND_UNION with every member at offset 0, its size the largest member's rounded up to the largest alignment. */
  addCUnion(name: string, members: readonly BtfCMemberInput[], options: BtfCLayoutOptions = {}): number {
    const ptr = this.#pointerSize(options);
    const out: BtfMemberInput[] = [];
    let bytes = 0, align = 1;
    for (const [i, m] of list(members, "members").entries()) {
      const { size, align: a } = this.#sizeAlign(m?.type, `member ${i}`, ptr);
      if (m.bitfieldSize !== undefined) {
        this.#bitfieldType(m.type, m.bitfieldSize, size, i);
        if (m.bitfieldSize === 0) throw new RangeError(`member ${i}: a union has no zero-width bitfields`);
      }
      out.push({ name: m.name, type: m.type, bitOffset: 0, bitfieldSize: m.bitfieldSize });
      bytes = Math.max(bytes, m.bitfieldSize ? Math.ceil(m.bitfieldSize / 8) : size);
      align = Math.max(align, a);
    }
    return this.addUnion(name, options.packed ? bytes : alignUp(bytes, align), out);
  }

  /** BTF_KIND_ENUM (btf__add_enum + btf__add_enum_value): values fit in 32 bits (and in `size`). */
  addEnum(name: string, values: readonly BtfEnumInput<number>[], options: BtfEnumOptions = {}): number {
    const n = checkName(name, "enum name", false);
    const size = this.#enumSize(options.size ?? 4);
    const vals = list(values, "enum values");
    const signed = options.signed ?? vals.some((v) => isInt(v?.value) && v.value < 0);
    const bits = Math.min(size * 8, 32);
    const [lo, hi] = signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
    const out: BtfEnumValue<number>[] = vals.map((v, i) => {
      if (typeof v !== "object" || v === null) throw new TypeError(`enum value ${i} must be { name, value }`);
      if (!isInt(v.value) || v.value < lo || v.value > hi) {
        throw new RangeError(`enum value ${JSON.stringify(v.name)} = ${String(v.value)} is outside the ${signed ? "signed" : "unsigned"} ${bits}-bit range [${lo}, ${hi}]`);
      }
      return { name: checkName(v.name, `enum value ${i} name`, true), value: v.value };
    });
    return this.#push({ id: 0, name: n, kind: "enum", kindNumber: 6, kflag: signed, size, signed, values: out });
  }

  /** BTF_KIND_ENUM64 (btf__add_enum64): 64-bit values, bigints or safe integers. */
  addEnum64(name: string, values: readonly BtfEnumInput<bigint | number>[], options: BtfEnumOptions = {}): number {
    const n = checkName(name, "enum64 name", false);
    const size = this.#enumSize(options.size ?? 8);
    const vals = list(values, "enum64 values").map((v, i) => {
      if (typeof v !== "object" || v === null) throw new TypeError(`enum64 value ${i} must be { name, value }`);
      if (typeof v.value === "number" && !Number.isSafeInteger(v.value)) throw new RangeError(`enum64 value ${JSON.stringify(v.name)}: ${v.value} is not a safe integer; pass a bigint`);
      if (typeof v.value !== "bigint" && typeof v.value !== "number") throw new TypeError(`enum64 value ${i} must be a bigint or a number`);
      return { name: checkName(v.name, `enum64 value ${i} name`, true), value: BigInt(v.value) };
    });
    const signed = options.signed ?? vals.some((v) => v.value < 0n);
    const [lo, hi] = signed ? [-(1n << 63n), (1n << 63n) - 1n] : [0n, (1n << 64n) - 1n];
    for (const v of vals) {
      if (v.value < lo || v.value > hi) throw new RangeError(`enum64 value ${JSON.stringify(v.name)} = ${v.value} is outside the ${signed ? "signed" : "unsigned"} 64-bit range`);
    }
    return this.#push({ id: 0, name: n, kind: "enum64", kindNumber: 19, kflag: signed, size, signed, values: vals });
  }

  /** BTF_KIND_FWD: a forward declaration of a struct (kind_flag 0) or union (1). */
  addFwd(name: string, kind: "struct" | "union" = "struct"): number {
    if (kind !== "struct" && kind !== "union") throw new TypeError(`fwd kind must be "struct" or "union", got ${JSON.stringify(kind)}`);
    const n = checkName(name, "fwd name", true);
    return this.#push({ id: 0, name: n, kind: "fwd", kindNumber: 7, kflag: kind === "union", fwdKind: kind });
  }

  /** BTF_KIND_TYPEDEF `name` for `type`. */
  addTypedef(name: string, type: number): number {
    return this.#ref("typedef", checkName(name, "typedef name", true), type, false);
  }

  /** BTF_KIND_VOLATILE of `type`. */
  addVolatile(type: number): number {
    return this.#ref("volatile", "", type, false);
  }

  /** BTF_KIND_CONST of `type`. */
  addConst(type: number): number {
    return this.#ref("const", "", type, false);
  }

  /** BTF_KIND_RESTRICT of `type`. */
  addRestrict(type: number): number {
    return this.#ref("restrict", "", type, false);
  }

  /** BTF_KIND_TYPE_TAG `value` on `type` (`__attribute__((btf_type_tag(value)))`). */
  addTypeTag(value: string, type: number, options: BtfTagOptions = {}): number {
    return this.#ref("type_tag", checkName(value, "type tag", true), type, options.attribute === true);
  }

  /** BTF_KIND_FUNC `name` of prototype `proto` (a FUNC_PROTO), with its linkage in vlen. */
  addFunc(name: string, proto: number, linkage: BtfLinkage = "static"): number {
    const n = checkName(name, "func name", true);
    const l = linkageOf(linkage, "func linkage");
    const type = this.#id(proto, "func prototype");
    this.#expectKind(type, "func_proto", `func ${JSON.stringify(n)}'s prototype`);
    return this.#push({ id: 0, name: n, kind: "func", kindNumber: 12, kflag: false, type, linkage: l });
  }

  /** BTF_KIND_FUNC_PROTO returning `returnType` (0: void) with `params`, and `...` when varargs. */
  addFuncProto(returnType: number, params: readonly BtfParamInput[] = [], options: BtfFuncProtoOptions = {}): number {
    const ps: BtfFuncParam[] = list(params, "params").map((p, i) => {
      if (typeof p !== "object" || p === null) throw new TypeError(`param ${i} must be { name?, type }`);
      const type = this.#id(p.type, `param ${i} type`);
      if (type === 0) throw new RangeError(`param ${i} has type 0 (void): use { varargs: true } for "..."`);
      return { name: checkName(p.name, `param ${i} name`, false), type };
    });
    if (options.varargs) ps.push({ name: "", type: 0 });
    if (ps.length > BTF_MAX_VLEN) throw new RangeError(`${ps.length} params exceed BTF_MAX_VLEN 0xffffff`);
    return this.#push({ id: 0, name: "", kind: "func_proto", kindNumber: 13, kflag: false, returnType: this.#id(returnType, "return type"), params: ps });
  }

  /** BTF_KIND_VAR `name` of `type`: static, global (allocated) or extern. */
  addVar(name: string, type: number, linkage: BtfLinkage = "static"): number {
    const n = checkName(name, "var name", true);
    const l = linkageOf(linkage, "var linkage");
    return this.#push({ id: 0, name: n, kind: "var", kindNumber: 14, kflag: false, type: this.#id(type, "var type"), linkage: l });
  }

  /** BTF_KIND_DATASEC `name` of `size` bytes holding `vars` (VAR or, for .ksyms, FUNC ids). */
  addDatasec(name: string, size: number, vars: readonly BtfDatasecVar[] = []): number {
    const n = checkName(name, "datasec name", true);
    const vs = list(vars, "secinfos").map((v, i) => {
      if (typeof v !== "object" || v === null) throw new TypeError(`secinfo ${i} must be { type, offset, size }`);
      return { type: this.#id(v.type, `secinfo ${i} type`), offset: u32(v.offset, `secinfo ${i} offset`), size: u32(v.size, `secinfo ${i} size`) };
    });
    return this.#push({ id: 0, name: n, kind: "datasec", kindNumber: 15, kflag: false, size: u32(size, "datasec size"), vars: vs });
  }

  /** BTF_KIND_FLOAT `name` of 2, 4, 8, 12 or 16 bytes. */
  addFloat(name: string, size: number): number {
    const n = checkName(name, "float name", true);
    if (![2, 4, 8, 12, 16].includes(size)) throw new RangeError(`float size must be 2, 4, 8, 12 or 16 bytes, got ${size}`);
    return this.#push({ id: 0, name: n, kind: "float", kindNumber: 16, kflag: false, size });
  }

  /**
   * BTF_KIND_DECL_TAG `value` on declaration `type` (a struct, union, var, func or typedef), or on
   * its member or parameter `componentIdx` (-1: the whole declaration).
   */
  addDeclTag(value: string, type: number, componentIdx = -1, options: BtfTagOptions = {}): number {
    const n = checkName(value, "decl tag", true);
    if (!isInt(componentIdx) || componentIdx < -1 || componentIdx > 0x7fffffff) {
      throw new RangeError(`component index must be -1 or a member/param index, got ${componentIdx}`);
    }
    return this.#push({ id: 0, name: n, kind: "decl_tag", kindNumber: 17, kflag: options.attribute === true, type: this.#id(type, "decl tag target"), componentIdx });
  }

  /**
   * Appends a copy of a decoded type (from `btf.typeById()` or `btf.types()`), its references
   * kept as they are: libbpf's btf__add_type without the remapping of ids. Checked as the
   * matching add method checks its arguments.
   */
  addType(t: AnyBtfType): number {
    if (typeof t !== "object" || t === null || typeof t.kind !== "string") throw new TypeError("addType takes a decoded BTF type object");
    const attribute = { attribute: t.kflag === true };
    switch (t.kind) {
      case "int":
        if (![0, 1, 2, 4].includes(t.encoding)) throw new RangeError(`int encoding ${t.encoding} is none of 0, SIGNED, CHAR, BOOL`);
        return this.addInt(t.name, t.size, { signed: t.encoding === 1, char: t.encoding === 2, bool: t.encoding === 4, bits: t.bits, bitOffset: t.bitOffset });
      case "ptr": case "typedef": case "volatile": case "const": case "restrict": case "type_tag": {
        if (t.kind === "typedef") return this.addTypedef(t.name, t.type);
        if (t.kind === "type_tag") return this.addTypeTag(t.name, t.type, attribute);
        return this.#ref(t.kind, "", t.type, false);
      }
      case "array":
        return this.addArray(t.type, t.indexType, t.nelems);
      case "struct": case "union":
        return this.#composite(t.kind, t.name, t.size, t.members, t.kflag);
      case "enum":
        return this.addEnum(t.name, t.values, { size: t.size, signed: t.signed });
      case "enum64":
        return this.addEnum64(t.name, t.values, { size: t.size, signed: t.signed });
      case "fwd":
        return this.addFwd(t.name, t.fwdKind);
      case "func":
        return this.addFunc(t.name, t.type, linkageName(t.linkage, "func"));
      case "func_proto": {
        const last = t.params[t.params.length - 1];
        const varargs = last !== undefined && last.type === 0;
        return this.addFuncProto(t.returnType, varargs ? t.params.slice(0, -1) : t.params, { varargs });
      }
      case "var":
        return this.addVar(t.name, t.type, linkageName(t.linkage, "var"));
      case "datasec":
        return this.addDatasec(t.name, t.size, t.vars);
      case "float":
        return this.addFloat(t.name, t.size);
      case "decl_tag":
        return this.addDeclTag(t.name, t.type, t.componentIdx, attribute);
      default:
        throw new TypeError(`cannot add a ${t.kind} type`);
    }
  }

  /** The BTF as bytes (a struct btf_header, types, strings); every reference checked first. */
  marshal(options: BtfMarshalOptions = {}): Uint8Array {
    this.#checkRefs();
    const little = options.littleEndian ?? HOST_LITTLE;
    if (typeof little !== "boolean") throw new TypeError(`littleEndian must be a boolean, got ${typeof little}`);
    return encodeBtf({
      firstId: this.firstId, count: this.count, strStart: this.base ? this.base.strings.end : 0,
      typeById: (id) => this.#types[id - this.firstId],
    }, { littleEndian: little, layout: options.layout === true });
  }

  /** The BTF built so far, parsed (split over the base when there is one). */
  build(): Btf {
    return Btf.parse(this.marshal(), { base: this.base });
  }

  #push(t: AnyBtfType): number {
    const id = this.count;
    if (id > BTF_MAX_TYPE) throw new RangeError(`type id ${id} would exceed BTF_MAX_TYPE 0xfffff`);
    t.id = id;
    this.#types.push(t);
    return id;
  }

  // A reference: any id up to BTF_MAX_TYPE, to allow types added later; build() checks it exists.
  #id(v: unknown, what: string): number {
    if (!isInt(v) || v < 0 || v > BTF_MAX_TYPE) throw new RangeError(`${what} must be a type id in [0, 0xfffff], got ${String(v)}`);
    return v;
  }

  #ref(kind: RefKind, name: string, type: number, kflag: boolean): number {
    return this.#push({ id: 0, name, kind, kindNumber: [2, 8, 9, 10, 11, 18][REF_KINDS.indexOf(kind)], kflag, type: this.#id(type, `${kind} target`) });
  }

  #composite(kind: "struct" | "union", name: string, size: number, members: readonly BtfMemberInput[], kflag?: boolean): number {
    const n = checkName(name, `${kind} name`, false);
    const ms: BtfStructMember[] = list(members, "members").map((m, i) => {
      if (typeof m !== "object" || m === null) throw new TypeError(`member ${i} must be { name?, type, bitOffset, bitfieldSize? }`);
      const bitfieldSize = m.bitfieldSize ?? 0;
      if (!isInt(bitfieldSize) || bitfieldSize < 0 || bitfieldSize > 255) throw new RangeError(`member ${i} bitfield size must be in [0, 255], got ${bitfieldSize}`);
      return { name: checkName(m.name, `member ${i} name`, false), type: this.#id(m.type, `member ${i} type`), bitOffset: u32(m.bitOffset, `member ${i} bit offset`), bitfieldSize };
    });
    const bitfields = kflag ?? ms.some((m) => m.bitfieldSize > 0);
    if (bitfields) {
      for (const [i, m] of ms.entries()) {
        if (m.bitOffset > 0xffffff) throw new RangeError(`member ${i} bit offset ${m.bitOffset} exceeds the 24 bits a struct with bitfields has for it`);
      }
    }
    return this.#push({ id: 0, name: n, kind, kindNumber: kind === "struct" ? 4 : 5, kflag: bitfields, size: u32(size, `${kind} size`), members: ms });
  }

  #enumSize(size: number): number {
    if (![1, 2, 4, 8].includes(size)) throw new RangeError(`enum size must be 1, 2, 4 or 8 bytes, got ${size}`);
    return size;
  }

  #pointerSize(o: BtfCLayoutOptions): number {
    const p = o.pointerSize ?? 8;
    if (p !== 4 && p !== 8) throw new RangeError(`pointer size must be 4 or 8, got ${p}`);
    return p;
  }

  #expectKind(id: number, kind: BtfKindName, what: string): void {
    if (id >= this.count) return; // added later: build() checks it
    const k = this.typeById(id).kind;
    if (k !== kind) throw new TypeError(`${what} must be a ${kind}, but type id ${id} is a ${k}`);
  }

  // A member type for addCStruct must exist already: its size decides where the next one goes.
  #sizeAlign(type: unknown, what: string, ptr: number): { size: number; align: number } {
    const id = this.#id(type, `${what} type`);
    if (id === 0 || id >= this.count) throw new RangeError(`${what} type ${id} must be a type added before the struct (its size places the members)`);
    try {
      return { size: sizeOfType(this, this.typeById(id), ptr), align: alignOfType(this, this.typeById(id), ptr) };
    } catch (e) {
      // A fwd, func or void member has no size: bad input here, not malformed BTF.
      if (e instanceof BtfError) throw new TypeError(`${what}: ${e.message}`);
      throw e;
    }
  }

  #bitfieldType(type: number, w: unknown, size: number, i: number): void {
    const k = resolveType(this, this.typeById(type)).kind;
    if (k !== "int" && k !== "enum" && k !== "enum64") throw new TypeError(`member ${i}: a bitfield's type must be an int or enum, not a ${k}`);
    if (!isInt(w) || w < 0 || w > size * 8) throw new RangeError(`member ${i}: bitfield width ${String(w)} is outside [0, ${size * 8}]`);
  }

  #checkRefs(): void {
    const n = this.count;
    const check = (from: AnyBtfType, ref: number, what: string) => {
      if (ref >= n) throw new RangeError(`type id ${from.id} (${from.kind} ${JSON.stringify(from.name)}): ${what} refers to type id ${ref}, which was never added (ids run to ${n - 1})`);
    };
    for (const t of this.#types) {
      switch (t.kind) {
        case "ptr": case "typedef": case "volatile": case "const": case "restrict": case "type_tag": case "var": case "decl_tag":
          check(t, t.type, "its type");
          break;
        case "func":
          check(t, t.type, "its prototype");
          if (this.typeById(t.type).kind !== "func_proto") throw new TypeError(`type id ${t.id} (func ${JSON.stringify(t.name)}): prototype ${t.type} is a ${this.typeById(t.type).kind}, not a func_proto`);
          break;
        case "array":
          check(t, t.type, "its element type");
          check(t, t.indexType, "its index type");
          break;
        case "struct": case "union":
          t.members.forEach((m, i) => check(t, m.type, `member ${i}`));
          break;
        case "func_proto":
          check(t, t.returnType, "its return type");
          t.params.forEach((p, i) => check(t, p.type, `param ${i}`));
          break;
        case "datasec":
          t.vars.forEach((v, i) => check(t, v.type, `secinfo ${i}`));
          break;
      }
    }
  }
}
