/**
 * Access specs (libbpf's struct bpf_core_spec): an access string ("0:1:2") walked through a
 * type, as the raw indexes, the high-level accessors (named members and array indexes, with
 * anonymous members looked through) and the bit offset they reach; bpf_core_parse_spec for the
 * local side, and bpf_core_format_spec's text for messages.
 * @module
 */
import type { Btf } from "../btf.ts";
import type { AnyBtfType, BtfCompositeType } from "../types.ts";
import { fail } from "./error.ts";
import { coreKindName, isEnumKind, isFieldKind, isTypeKind } from "./kinds.ts";

/** BPF_CORE_SPEC_MAX_LEN: the deepest access string and member nesting libbpf follows. */
export const SPEC_MAX_LEN = 64;

/** One high-level step (struct bpf_core_accessor): a named member, an array index, or an enumerator. */
export interface CoreAccessor {
  /** The struct/union holding the member, the array's element type, or the enum. */
  typeId: number;
  /** Member, element or enumerator index. */
  idx: number;
  /** The member's or enumerator's name; undefined for an array index. */
  name?: string;
}

/** A parsed or matched access (struct bpf_core_spec). */
export interface CoreSpec {
  /** The BTF the spec walks. */
  btf: Btf;
  /** The root type, as the relocation names it (typedefs not skipped). */
  rootId: number;
  /** The relocation kind. */
  kind: number;
  /** The low-level indexes, one per member level (raw_spec). */
  raw: number[];
  /** The high-level accessors. */
  acc: CoreAccessor[];
  /** Bit offset of the access from the root. */
  bitOffset: number;
}

/** `id` with typedefs and modifiers skipped (libbpf's skip_mods_and_typedefs). */
export function skipMods(btf: Btf, id: number): AnyBtfType {
  return btf.resolve(id);
}

/** btf__resolve_size, as a CoreFailure when the type has none. */
export function sizeOf(btf: Btf, id: number): number {
  try {
    return btf.sizeof(id);
  } catch (e) {
    return fail(`type [${id}] has no size: ${(e as Error).message}`);
  }
}

/** is_flex_arr: a 0-element array that is the last member of the struct `prev` names. */
export function isFlexArray(btf: Btf, prev: CoreAccessor | undefined, nelems: number): boolean {
  if (!prev || prev.name === undefined || nelems > 0) return false;
  const t = btf.typeById(prev.typeId) as BtfCompositeType;
  return prev.idx === t.members.length - 1;
}

function isComposite(t: AnyBtfType): t is BtfCompositeType {
  return t.kind === "struct" || t.kind === "union";
}

const ACCESS = /^\d+(?::\d+)*$/;

/** The access string's indexes; a CoreFailure for anything libbpf's parser rejects. */
export function parseAccess(access: string): number[] {
  // libbpf scans "%d" after optional colons; this takes its well-formed subset only.
  if (!ACCESS.test(access)) fail(`access string ${JSON.stringify(access)} is not colon-separated indexes`);
  const raw = access.split(":").map(Number);
  if (raw.length > SPEC_MAX_LEN) fail(`access string has ${raw.length} indexes, more than ${SPEC_MAX_LEN}`, "E2BIG");
  for (const x of raw) if (x > 0x7fffffff) fail(`access index ${x} overflows an int`);
  return raw;
}

/**
 * bpf_core_parse_spec: the local spec of a relocation. Type kinds need access "0"; enum kinds
 * one index of an enumerator; field kinds walk members and array elements from the root,
 * whose first index steps over whole root objects.
 */
export function parseSpec(btf: Btf, rootId: number, access: string, kind: number): CoreSpec {
  if (access === "" || access[0] === ":") fail("empty access string");
  const spec: CoreSpec = { btf, rootId, kind, raw: [], acc: [], bitOffset: 0 };
  if (isTypeKind(kind)) {
    if (access !== "0") fail(`a ${coreKindName(kind)} relocation needs access "0"`);
    return spec;
  }
  const raw = (spec.raw = parseAccess(access));
  let t = skipMods(btf, rootId);
  let id = t.id;
  spec.acc.push({ typeId: id, idx: raw[0] });
  if (isEnumKind(kind)) {
    if (t.kind !== "enum" && t.kind !== "enum64") fail(`an enum value relocation on a ${t.kind}`);
    if (raw.length > 1 || raw[0] >= t.values.length) fail(`enumerator index ${raw.join(":")} is not one of the ${t.values.length} enumerators`);
    spec.acc[0].name = t.values[raw[0]].name;
    return spec;
  }
  if (!isFieldKind(kind)) fail(`unknown relocation kind ${kind}`);
  spec.bitOffset = raw[0] * sizeOf(btf, id) * 8;
  for (let i = 1; i < raw.length; i++) {
    t = skipMods(btf, id);
    const idx = raw[i];
    if (isComposite(t)) {
      if (idx >= t.members.length) fail(`member index ${idx} (at ${i}) is past the ${t.members.length} members of [${t.id}]`);
      const m = t.members[idx];
      spec.bitOffset += m.bitOffset;
      if (m.name !== "") spec.acc.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (t.kind === "array") {
      const elem = skipMods(btf, t.type);
      id = elem.id;
      if (!isFlexArray(btf, spec.acc[spec.acc.length - 1], t.nelems) && idx >= t.nelems) {
        fail(`array index ${idx} (at ${i}) is past the ${t.nelems} elements of [${t.id}]`);
      }
      spec.acc.push({ typeId: id, idx });
      spec.bitOffset += idx * sizeOf(btf, id) * 8;
    } else {
      fail(`access ${access} (at index ${i}) reaches type [${id}], a ${t.kind}, which has no members or elements`);
    }
  }
  checkOffset(spec);
  return spec;
}

/** libbpf keeps bit offsets in a u32; one past it is no struct a kernel has. */
export function checkOffset(spec: CoreSpec): void {
  if (spec.bitOffset > 0xffffffff) fail(`bit offset ${spec.bitOffset} overflows 32 bits`, "E2BIG");
}

function typeWords(t: AnyBtfType): string {
  return `${t.kind} ${t.name || "<anon>"}`;
}

/** bpf_core_format_spec: `<byte_off> [5] struct fld.arr[2] (0:3:2 @ offset 20)` and the like. */
export function formatSpec(spec: CoreSpec): string {
  const root = spec.btf.typeById(spec.rootId);
  let s = `<${coreKindName(spec.kind) ?? "unknown"}> [${spec.rootId}] ${typeWords(root)}`;
  if (isTypeKind(spec.kind) || spec.acc.length === 0) return s;
  if (isEnumKind(spec.kind)) {
    const t = skipMods(spec.btf, spec.rootId);
    if (t.kind === "enum" || t.kind === "enum64") {
      const v = t.values[spec.raw[0]];
      if (v) s += `::${v.name} = ${v.value}`;
    }
    return s;
  }
  spec.acc.forEach((a, i) => {
    if (a.name !== undefined) s += `.${a.name}`;
    else if (i > 0 || a.idx > 0) s += `[${a.idx}]`;
  });
  const bits = spec.bitOffset % 8;
  return `${s} (${spec.raw.join(":")} @ offset ${Math.floor(spec.bitOffset / 8)}${bits ? `.${bits}` : ""})`;
}
