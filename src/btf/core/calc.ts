/**
 * What a relocation patches in (libbpf's bpf_core_calc_relo and its field, type and enum
 * halves): the value the local spec gives (which the instruction must hold, when it is not
 * ambiguous), the value the target spec gives, or poisoning when there is no target; and for
 * loads and stores, whether the access size may change (pointers and unsigned ints only).
 * @module
 */
import type { AnyBtfType, BtfCompositeType } from "../types.ts";
import { fail } from "./error.ts";
import { CoreReloKind as K, isEnumKind, isFieldKind, isTypeKind } from "./kinds.ts";
import { type CoreSpec, sizeOf, skipMods } from "./spec.ts";

/** struct bpf_core_relo_res: one relocation's outcome against one candidate (or none). */
export interface CoreCalc {
  /** The value the instruction should hold now (orig_val), as a u64. */
  origVal: bigint;
  /** The value to patch in (new_val), as a u64. */
  newVal: bigint;
  /** The instruction must be poisoned (no target, or a size change that would misread). */
  poison: boolean;
  /** Why it is poisoned. */
  reason?: string;
  /** Check the instruction's current value against origVal (false where it is ambiguous). */
  validate: boolean;
  /** The load/store's size would change where that misreads the value: poison LDX/ST/STX. */
  failMemszAdjust: boolean;
  /** Local memory access size in bytes for byte-offset relocations (orig_sz), else 0. */
  origSize: number;
  /** Target memory access size (new_sz), else 0. */
  newSize: number;
  /** The local field type (orig_type_id) whose access size origSize is. */
  origTypeId: number;
  /** The target field type (new_type_id). */
  newTypeId: number;
}

const u64 = (v: number | bigint): bigint => BigInt.asUintN(64, BigInt(v));

/** One side of a field relocation. */
interface FieldOut {
  /** The value. */
  val: bigint;
  /** Memory access size for byte offsets (0 for bitfields and other kinds). */
  size: number;
  /** The field type that size belongs to. */
  typeId: number;
  /** Whether the instruction's value may be checked against it. */
  validate: boolean;
}

// Element size of `id` with every array dimension stripped: what one load reads.
function elementSize(spec: CoreSpec, id: number): { size: number; typeId: number } {
  let t: AnyBtfType = skipMods(spec.btf, id);
  while (t.kind === "array") t = skipMods(spec.btf, t.type);
  return { size: sizeOf(spec.btf, t.id), typeId: t.id };
}

// bpf_core_calc_field_relo for a spec that exists.
function fieldValue(kind: number, spec: CoreSpec, little: boolean): FieldOut {
  const acc = spec.acc[spec.acc.length - 1];
  if (acc.name === undefined) {
    // The access ends on an array element (or the root): no member, so no bitfield.
    if (kind === K.field_byte_offset) {
      const { size } = elementSize(spec, acc.typeId);
      return { val: u64(Math.floor(spec.bitOffset / 8)), size, typeId: acc.typeId, validate: true };
    }
    if (kind === K.field_byte_size) return { val: u64(sizeOf(spec.btf, acc.typeId)), size: 0, typeId: 0, validate: true };
    return fail("this kind cannot be applied to an array element access");
  }
  const m = (spec.btf.typeById(acc.typeId) as BtfCompositeType).members[acc.idx];
  const mt = skipMods(spec.btf, m.type);
  const bitOff = spec.bitOffset;
  let bitSz = m.bitfieldSize;
  const bitfield = bitSz > 0;
  let byteSz: number, byteOff: number;
  if (bitfield) {
    byteSz = "size" in mt ? mt.size : 0;
    if (!(byteSz > 0)) fail(`bitfield member ${m.name} has a type of no size`);
    byteOff = Math.floor(Math.floor(bitOff / 8) / byteSz) * byteSz;
    // The smallest power-of-two load at a multiple of its size that holds the whole bitfield.
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) fail(`bitfield ${m.name} cannot be read with one 64-bit load`, "E2BIG");
      byteSz *= 2;
      byteOff = Math.floor(Math.floor(bitOff / 8) / byteSz) * byteSz;
    }
  } else {
    byteSz = sizeOf(spec.btf, mt.id);
    byteOff = Math.floor(bitOff / 8);
    bitSz = byteSz * 8;
  }
  // A bitfield's offset, size and shifts depend on the load the compiler chose: not checked.
  const out: FieldOut = { val: 0n, size: 0, typeId: 0, validate: !bitfield };
  switch (kind) {
    case K.field_byte_offset:
      out.val = u64(byteOff);
      if (!bitfield) {
        out.size = elementSize(spec, mt.id).size;
        out.typeId = mt.id;
      }
      break;
    case K.field_byte_size:
      out.val = u64(byteSz);
      break;
    case K.field_signed:
      out.val = ((mt.kind === "enum" || mt.kind === "enum64") && mt.kflag) || (mt.kind === "int" && (mt.encoding & 1) !== 0) ? 1n : 0n;
      out.validate = true;
      break;
    case K.field_lshift_u64:
      // Loaded into the low bytes of a u64: little-endian counts bits from the value's bottom.
      out.val = u64(little ? 64 - (bitOff + bitSz - byteOff * 8) : (8 - byteSz) * 8 + (bitOff - byteOff * 8));
      break;
    case K.field_rshift_u64:
      out.val = u64(64 - bitSz);
      out.validate = true;
      break;
    default:
      fail(`unknown field relocation kind ${kind}`, "EOPNOTSUPP");
  }
  return out;
}

function typeValue(kind: number, spec: CoreSpec | undefined): bigint {
  if (!spec) return 0n;
  switch (kind) {
    case K.type_id_target: return u64(spec.rootId);
    case K.type_exists: case K.type_matches: return 1n;
    case K.type_size: return u64(sizeOf(spec.btf, spec.rootId));
    default: return fail(`type relocation kind ${kind} is resolved elsewhere`, "EOPNOTSUPP");
  }
}

function enumValue(spec: CoreSpec): bigint {
  const t = skipMods(spec.btf, spec.acc[0].typeId);
  if (t.kind !== "enum" && t.kind !== "enum64") return fail(`[${t.id}] is not an enum`);
  // As the kflag says: clang emits an unsigned enum's 0x80000000 as ld_imm64 0x80000000. (libbpf
  // widens every btf_enum.val as an s32, so it refuses that instruction as not holding the local value.)
  return u64(t.values[spec.acc[0].idx].value);
}

function isUnsignedInt(t: AnyBtfType): boolean {
  return t.kind === "int" && t.encoding !== 1;
}

/**
 * bpf_core_calc_relo: the relocation's local and target values. `target` undefined means no
 * candidate matched: existence kinds give 0, type kinds 0, the rest poison.
 */
export function calcRelo(kind: number, local: CoreSpec, target: CoreSpec | undefined, little: boolean): CoreCalc {
  const res: CoreCalc = { origVal: 0n, newVal: 0n, poison: false, validate: true, failMemszAdjust: false, origSize: 0, newSize: 0, origTypeId: 0, newTypeId: 0 };
  if (isFieldKind(kind)) {
    if (kind === K.field_exists) {
      res.origVal = 1n;
      res.newVal = target ? 1n : 0n;
      return res;
    }
    const lo = fieldValue(kind, local, little);
    res.origVal = lo.val;
    res.validate = lo.validate;
    res.origSize = lo.size;
    res.origTypeId = lo.typeId;
    if (!target) {
      res.poison = true;
      res.reason = "the field is in no candidate target type";
      return res;
    }
    const to = fieldValue(kind, target, little);
    res.newVal = to.val;
    res.newSize = to.size;
    res.newTypeId = to.typeId;
    if (res.origSize !== res.newSize) {
      // A pointer (a 32-bit kernel's, read into 64 bits) or an unsigned int reads right at any
      // size; anything else would misread, which poisons a load or store of it.
      const ot = local.btf.typeById(res.origTypeId), nt = target.btf.typeById(res.newTypeId);
      if (!(ot.kind === "ptr" && nt.kind === "ptr") && !(isUnsignedInt(ot) && isUnsignedInt(nt))) res.failMemszAdjust = true;
    }
    return res;
  }
  if (isTypeKind(kind)) {
    res.origVal = typeValue(kind, local);
    res.newVal = typeValue(kind, target);
    // A type id in an instruction may have changed in linking: checking it is pointless.
    if (kind === K.type_id_target) res.validate = false;
    return res;
  }
  if (isEnumKind(kind)) {
    if (kind === K.enumval_exists) {
      res.origVal = 1n;
      res.newVal = target ? 1n : 0n;
      return res;
    }
    res.origVal = enumValue(local);
    if (!target) {
      res.poison = true;
      res.reason = "the enumerator is in no candidate target enum";
      return res;
    }
    res.newVal = enumValue(target);
    return res;
  }
  return fail(`unknown relocation kind ${kind}`, "EOPNOTSUPP");
}
