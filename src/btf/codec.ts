/**
 * Codecs from BTF: the key or value layout a map's BTF describes (struct, union, array, int,
 * enum, float, pointer, bitfields) as a Codec of src/codec, so a map's elements read as objects
 * without declaring their layout twice. Data is in the BTF's byte order unless told otherwise (a
 * big-endian object's, from `-target bpfeb`, reads through the swapped scalars of src/codec).
 * @module
 */
import { array } from "../codec/array.ts";
import { chars } from "../codec/bytes.ts";
import { type AnyCodec, type Codec, prefixed, show, viewOf } from "../codec/codec.ts";
import { f32, f64, i16, i32, i64, i8, u16, u32, u64, u8 } from "../codec/ints.ts";
import { reversedIn, reversedOut, swapped } from "../codec/swapped.ts";
import type { Btf } from "./btf.ts";
import { BtfError } from "./error.ts";
import type { AnyBtfType, BtfCompositeType, BtfDatasecType, BtfEnum64Type, BtfEnumType, BtfIntType, BtfStructMember } from "./types.ts";

/**
 * A codec made from a BTF type by {@link codecFromBtf}. `T`/`In` are what it decodes to and
 * accepts; they default to `any` because the layout is only known at run time.
 */
export interface BtfCodec<T = any, In = T> extends Codec<T, In> {
  /** The BTF type id the codec was made from (a typedef's own id, not its target's). */
  readonly typeId: number;
}

const BTF_INT_SIGNED = 1, BTF_INT_CHAR = 2, BTF_INT_BOOL = 4;
// Per byte order: a BTF's codecs in its own order, and in the host's where a map created with it needs that.
const caches = { little: new WeakMap<Btf, Map<number, BtfCodec>>(), big: new WeakMap<Btf, Map<number, BtfCodec>>() };
const building = new WeakMap<Btf, Set<number>>();

/**
 * The codec of BTF type `type` (a type of `btf` or its id), cached per (btf, type id, byte
 * order). Data is in the BTF's byte order (`btf.little`) unless `opts.littleEndian` says. Values:
 * - struct: an object of its members (anonymous struct/union members' fields flattened into it,
 *   as C reads them); encode zeroes the padding and needs every member.
 * - union: decode gives every member's view of the bytes; encode takes one member (or several
 *   that agree, such as a decoded union given back).
 * - int: a number up to 4 bytes, a bigint of 8 or 16 (encode takes safe-integer numbers too);
 *   _Bool (BTF_INT_BOOL) true/false; a char array (elements `char`, `signed char` or
 *   BTF_INT_CHAR, not through a typedef, as bpftool decides) a NUL-padded string.
 * - enum: the enumerator's name, or the number (bigint for enum64) when none has that value;
 *   encode takes a name or a number. Signedness is the enum's kind_flag.
 * - float (4 or 8 bytes): a number; pointer: its address as a bigint; array: an array.
 * - bitfields (both kind_flag encodings) read and write only their own bits.
 * typedef, const, volatile, restrict and type_tag are looked through; var gives its type's codec
 * and datasec an object of its variables. void, func, func_proto, fwd (an incomplete struct or
 * union) and other floats are a TypeError naming the type. The name reads as C:
 * "struct key { u32 pid; char comm[16]; }".
 *
 * @example
 * ```ts
 * import { Btf, codecFromBtf } from "tsbpf";
 * const btf = Btf.parse(bytes);
 * const key = codecFromBtf(btf, btf.find("key", "struct")!);
 * key.name; // "struct key { u32 pid; char comm[16]; }"
 * ```
 */
export function codecFromBtf<T = any, In = T>(btf: Btf, type: AnyBtfType | number, opts: BtfCodecOptions = {}): BtfCodec<T, In> {
  const little = opts.littleEndian ?? btf.little;
  if (typeof little !== "boolean") throw new TypeError(`codecFromBtf: littleEndian must be a boolean, got ${show(little)}`);
  return codecOf(btf, typeIdOf(btf, type), little) as BtfCodec<T, In>;
}

/** Options of codecFromBtf. */
export interface BtfCodecOptions {
  /** The data's byte order: the BTF's own by default (`btf.little`); the host's for the kernel's copy of a map. */
  littleEndian?: boolean;
}

/** The id of `type` in `btf`, checked: a RangeError for an id outside it, a TypeError for a foreign type. */
export function typeIdOf(btf: Btf, type: AnyBtfType | number): number {
  if (typeof type === "number") {
    if (!Number.isInteger(type) || type < 0 || type >= btf.count) throw new RangeError(`BTF type id ${type} is not in this BTF (ids 0..${btf.count - 1})`);
    return type;
  }
  if (typeof type !== "object" || type === null || typeof type.id !== "number") throw new TypeError(`expects a BTF type or type id, got ${show(type)}`);
  const id = type.id;
  const own = Number.isInteger(id) && id >= 0 && id < btf.count ? btf.typeById(id) : undefined;
  if (own === undefined || own.kind !== type.kind || own.name !== type.name) throw new TypeError(`${type.kind} "${type.name}" (id ${id}) is not a type of this BTF`);
  return id;
}

function codecOf(btf: Btf, id: number, little: boolean): BtfCodec {
  const cache = little ? caches.little : caches.big;
  let byId = cache.get(btf);
  if (byId === undefined) cache.set(btf, (byId = new Map()));
  const hit = byId.get(id);
  if (hit !== undefined) return hit;
  let busy = building.get(btf);
  if (busy === undefined) building.set(btf, (busy = new Set()));
  if (busy.has(id)) throw new BtfError("the type contains itself", { typeId: id });
  busy.add(id);
  try {
    const c = make(btf, btf.typeById(id), little);
    byId.set(id, c);
    return c;
  } finally {
    busy.delete(id);
  }
}

function unsupported(t: AnyBtfType, why: string): TypeError {
  return new TypeError(`BTF type id ${t.id} (${t.kind}${t.name ? ` "${t.name}"` : ""}) has no codec: ${why}`);
}

/** `c` under the C name of its type; its errors say that name rather than the codec's own ("u32", "chars(16)"). */
function named(c: AnyCodec, name: string, typeId: number): BtfCodec {
  if (c.name === name) return { size: c.size, align: c.align, name, typeId, encode: c.encode, decode: c.decode };
  const from = `${c.name}: `, inner = c.encode;
  return {
    size: c.size, align: c.align, name, typeId, decode: c.decode,
    encode(v: unknown, buf: Uint8Array, off: number): void {
      try {
        inner(v, buf, off);
      } catch (e) {
        const Ctor = e instanceof RangeError ? RangeError : e instanceof TypeError ? TypeError : undefined;
        if (Ctor === undefined || !(e as Error).message.startsWith(from)) throw e;
        throw new Ctor(`${name}: ${(e as Error).message.slice(from.length)}`, { cause: e });
      }
    },
  };
}

/** Scalar codec `c` (little-endian, as src/codec's) in the byte order asked for. */
const ordered = <T, In>(c: Codec<T, In>, little: boolean): Codec<T, In> => (little ? c : swapped(c));

function make(btf: Btf, t: AnyBtfType, little: boolean): BtfCodec {
  switch (t.kind) {
    case "int": return named(intCodec(t, little), t.name, t.id);
    case "float":
      if (t.size !== 4 && t.size !== 8) throw unsupported(t, `only 4- and 8-byte floats are supported, this is ${t.size}`);
      return named(ordered(t.size === 4 ? f32 : f64, little), t.name, t.id);
    case "ptr": return named(ordered(u64, little), declOf(btf, t.id, ""), t.id);
    case "enum": case "enum64": return named(enumCodec(t, little), declOf(btf, t.id, ""), t.id);
    case "array": {
      const elem = isCharType(btf, t.type) ? undefined : codecOf(btf, t.type, little);
      return named(elem === undefined ? chars(t.nelems) : array(elem, t.nelems), declOf(btf, t.id, ""), t.id);
    }
    case "typedef": case "const": case "volatile": case "restrict": case "type_tag":
      return named(codecOf(btf, t.type, little), declOf(btf, t.id, ""), t.id);
    case "var": return named(codecOf(btf, t.type, little), declOf(btf, t.type, t.name), t.id);
    case "struct": case "union": return composite(btf, t, little);
    case "datasec": return datasec(btf, t, little);
    case "void": throw unsupported(t, "void has no values");
    case "fwd": throw unsupported(t, `an incomplete ${t.fwdKind} (only declared here)`);
    case "func": case "func_proto": throw unsupported(t, "functions have no values (a pointer to one does)");
    default: throw unsupported(t, "not a type of data");
  }
}

// ---- integers, enums, bitfields ----------------------------------------------------------

/** `t` as the kernel's BTF check admits it: 1, 2, 4, 8 or 16 bytes holding its bits; else a TypeError. */
function checkInt(t: BtfIntType): BtfIntType {
  if (t.size !== 1 && t.size !== 2 && t.size !== 4 && t.size !== 8 && t.size !== 16) throw unsupported(t, `a ${t.size}-byte int`);
  if (t.bitOffset + t.bits > t.size * 8) throw unsupported(t, `bits ${t.bitOffset}..${t.bitOffset + t.bits} of a ${t.size}-byte int`);
  return t;
}

function intCodec(t: BtfIntType, little: boolean): AnyCodec {
  checkInt(t);
  const signed = (t.encoding & BTF_INT_SIGNED) !== 0;
  if (t.bitOffset !== 0 || t.bits !== t.size * 8) {
    // An int narrower than its storage (kind_flag-less bitfield types): its own bits, the rest zero.
    const f = bitsOf(intScalar(t), t.bitOffset, t.bits, little);
    return {
      size: t.size, align: Math.min(t.size, 8), name: t.name,
      encode(v: unknown, buf: Uint8Array, off: number): void {
        buf.fill(0, off, off + t.size);
        f.write(v, buf, off);
      },
      decode: (buf: Uint8Array, off: number): unknown => f.read(buf, off),
    };
  }
  if (t.encoding & BTF_INT_BOOL) return boolOf(t.size);
  switch (t.size) {
    case 1: return signed ? i8 : u8;
    case 2: return ordered(signed ? i16 : u16, little);
    case 4: return ordered(signed ? i32 : u32, little);
    case 8: return ordered(signed ? i64 : u64, little);
    default: return ordered(int128(signed), little); // 16: checkInt admitted no other size
  }
}

function boolOf(size: number): AnyCodec {
  return {
    size, align: Math.min(size, 8), name: "bool",
    encode(v: boolean, buf: Uint8Array, off: number): void {
      if (typeof v !== "boolean") throw new TypeError(`bool: expects true or false, got ${show(v)}`);
      buf.fill(0, off, off + size);
      buf[off] = v ? 1 : 0;
    },
    decode(buf: Uint8Array, off: number): boolean {
      for (let i = 0; i < size; i++) if (buf[off + i] !== 0) return true;
      return false;
    },
  };
}

function int128(signed: boolean): AnyCodec {
  const name = signed ? "__int128" : "unsigned __int128";
  const lo = signed ? -(1n << 127n) : 0n, hi = (signed ? 1n << 127n : 1n << 128n) - 1n;
  return {
    size: 16, align: 8, name,
    encode(v: bigint | number, buf: Uint8Array, off: number): void {
      const x = toBig(v, name, lo, hi);
      const u = x < 0n ? x + (1n << 128n) : x;
      const dv = viewOf(buf);
      dv.setBigUint64(buf.byteOffset + off, u & 0xffffffffffffffffn, true);
      dv.setBigUint64(buf.byteOffset + off + 8, u >> 64n, true);
    },
    decode(buf: Uint8Array, off: number): bigint {
      const dv = viewOf(buf);
      const u = (dv.getBigUint64(buf.byteOffset + off + 8, true) << 64n) | dv.getBigUint64(buf.byteOffset + off, true);
      return signed && u >> 127n ? u - (1n << 128n) : u;
    },
  };
}

function toBig(v: unknown, name: string, lo: bigint, hi: bigint): bigint {
  let x: bigint;
  if (typeof v === "bigint") x = v;
  else if (typeof v === "number" && Number.isSafeInteger(v)) x = BigInt(v);
  else if (typeof v === "number") throw new RangeError(`${name}: expects a bigint in [${lo}, ${hi}] or a safe integer, got ${show(v)}`);
  else throw new TypeError(`${name}: expects a bigint (or a safe integer number), got ${show(v)}`);
  if (x < lo || x > hi) throw new RangeError(`${name}: expects an integer in [${lo}, ${hi}], got ${show(v)}`);
  return x;
}

/** An integer-like type as bitfields need it: raw bits to the JS value and back. */
interface Scalar {
  /** For messages. */
  name: string;
  /** Sign-extend the raw bits. */
  signed: boolean;
  /** Values are bigints (the declared type is 8 bytes or more). */
  big: boolean;
  /** The value of raw integer `x` (already sign-extended). */
  toValue(x: number | bigint): unknown;
  /** The integer for value `v`; a TypeError for a value of the wrong kind. */
  fromValue(v: unknown): number | bigint;
}

function intScalar(t: BtfIntType): Scalar {
  const big = t.size >= 8, name = t.name;
  if (t.encoding & BTF_INT_BOOL) {
    return {
      name, signed: false, big,
      toValue: (x) => x != 0,
      fromValue(v) {
        if (typeof v !== "boolean") throw new TypeError(`${name}: expects true or false, got ${show(v)}`);
        return v ? 1 : 0;
      },
    };
  }
  return {
    name, signed: (t.encoding & BTF_INT_SIGNED) !== 0, big,
    toValue: big ? (x) => BigInt(x) : (x) => x,
    fromValue(v) {
      if (typeof v === "number" || (big && typeof v === "bigint")) return v;
      throw new TypeError(`${name}: expects a ${big ? "bigint (or a safe integer number)" : "number"}, got ${show(v)}`);
    },
  };
}

function enumScalar(t: BtfEnumType | BtfEnum64Type): Scalar {
  const big = t.kind === "enum64" || t.size >= 8;
  const name = t.name ? `enum ${t.name}` : "enum (anon)";
  const byValue = new Map<string, string>(), byName = new Map<string, number | bigint>();
  for (const e of t.values as { name: string; value: number | bigint }[]) {
    if (!byValue.has(String(e.value))) byValue.set(String(e.value), e.name);
    byName.set(e.name, e.value);
  }
  const known = [...byName.keys()].slice(0, 8).join(", ") + (byName.size > 8 ? ", ..." : "");
  return {
    name, signed: t.signed, big,
    toValue(x) {
      const n = byValue.get(String(x));
      if (n !== undefined) return n;
      return t.kind === "enum64" ? BigInt(x) : typeof x === "bigint" && x >= -(2n ** 53n) && x < 2n ** 53n ? Number(x) : x;
    },
    fromValue(v) {
      if (typeof v === "string") {
        const x = byName.get(v);
        if (x === undefined) throw new RangeError(`${name}: no enumerator ${JSON.stringify(v)} (it has ${known})`);
        return x;
      }
      if (typeof v === "number" || (big && typeof v === "bigint")) return v;
      throw new TypeError(`${name}: expects an enumerator name or a number, got ${show(v)}`);
    },
  };
}

function enumCodec(t: BtfEnumType | BtfEnum64Type, little: boolean): AnyCodec {
  const sc = enumScalar(t);
  let int: AnyCodec;
  switch (t.size) {
    case 1: int = t.signed ? i8 : u8; break;
    case 2: int = t.signed ? i16 : u16; break;
    case 4: int = t.signed ? i32 : u32; break;
    case 8: int = t.signed ? i64 : u64; break;
    default: throw unsupported(t, `a ${t.size}-byte enum`);
  }
  int = ordered(int, little);
  return {
    size: t.size, align: t.size, name: sc.name,
    encode(v: unknown, buf: Uint8Array, off: number): void {
      const x = sc.fromValue(v);
      try {
        int.encode(x, buf, off);
      } catch (e) {
        throw prefixed(e, `${sc.name}: `);
      }
    },
    decode: (buf: Uint8Array, off: number): unknown => sc.toValue(int.decode(buf, off)),
  };
}

/** A bitfield's reader and writer: `width` bits from bit `bitOff` of the object at `off`. */
interface Bits {
  read(buf: Uint8Array, off: number): unknown;
  write(v: unknown, buf: Uint8Array, off: number): void;
}

/** bitfield() in the byte order asked for. */
function bitsOf(sc: Scalar, bitOff: number, width: number, little: boolean): Bits {
  if (little) return bitfield(sc, bitOff, width);
  // A big-endian bit offset counts from the first byte's most significant bit: the field's bytes
  // reversed hold it as a little-endian field, counted from the other end of those bytes.
  const first = bitOff >> 3, shift = bitOff & 7, n = (shift + width + 7) >> 3;
  const f = bitfield(sc, 8 * n - shift - width, width);
  return {
    read: (buf, off) => f.read(reversedIn(buf, off + first, n), 0),
    write(v, buf, off) {
      f.write(v, reversedIn(buf, off + first, n), 0);
      reversedOut(buf, off + first, n);
    },
  };
}

function bitfield(sc: Scalar, bitOff: number, width: number): Bits {
  const first = bitOff >> 3, shift = bitOff & 7, n = (shift + width + 7) >> 3;
  const range = sc.signed ? [-(2n ** BigInt(width - 1)), 2n ** BigInt(width - 1) - 1n] : [0n, 2n ** BigInt(width) - 1n];
  const name = `${sc.name}:${width}`;
  // Byte i of the field keeps the bits outside [lo, hi) of the byte; the field owns the rest.
  const keep = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const lo = Math.max(0, shift - 8 * i), hi = Math.min(8, shift + width - 8 * i);
    keep[i] = ~(((1 << hi) - 1) & ~((1 << lo) - 1)) & 0xff;
  }
  if (width <= 32) {
    const span = 2 ** width, half = span / 2, min = Number(range[0]), max = Number(range[1]);
    return {
      read(buf, off) {
        let x = 0;
        for (let i = n - 1; i >= 0; i--) x = x * 256 + buf[off + first + i];
        x = Math.floor(x / 2 ** shift) % span;
        return sc.toValue(sc.signed && x >= half ? x - span : x);
      },
      write(v, buf, off) {
        const y = sc.fromValue(v);
        const x = typeof y === "bigint" && y >= range[0] && y <= range[1] ? Number(y) : y;
        if (typeof x !== "number" || !Number.isInteger(x) || x < min || x > max) throw new RangeError(`${name}: expects an integer in [${min}, ${max}], got ${show(v)}`);
        let u = (x < 0 ? x + span : x) * 2 ** shift;
        for (let i = 0; i < n; i++, u = Math.floor(u / 256)) {
          const at = off + first + i;
          buf[at] = (buf[at] & keep[i]) | (u & ~keep[i] & 0xff);
        }
      },
    };
  }
  const span = 1n << BigInt(width), sh = BigInt(shift);
  return {
    read(buf, off) {
      let x = 0n;
      for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(buf[off + first + i]);
      x = (x >> sh) & (span - 1n);
      return sc.toValue(sc.signed && x >= span >> 1n ? x - span : x);
    },
    write(v, buf, off) {
      const y = sc.fromValue(v);
      let x: bigint;
      if (typeof y === "bigint") x = y;
      else if (Number.isSafeInteger(y)) x = BigInt(y);
      else throw new RangeError(`${name}: expects a bigint or a safe integer, got ${show(v)}`);
      if (x < range[0] || x > range[1]) throw new RangeError(`${name}: expects an integer in [${range[0]}, ${range[1]}], got ${show(v)}`);
      let u = (x < 0n ? x + span : x) << sh;
      for (let i = 0; i < n; i++, u >>= 8n) {
        const at = off + first + i;
        buf[at] = (buf[at] & keep[i]) | (Number(u & 0xffn) & ~keep[i]);
      }
    },
  };
}

// ---- structs, unions, datasecs -----------------------------------------------------------

/** A member as composites use it: the keys it reads and writes on the object, and how. */
interface Field {
  /** The member's name; "" for an anonymous struct or union, whose keys are its members'. */
  name: string;
  /** The member's keys: its name, or an anonymous struct/union's flattened keys. */
  keys: readonly string[];
  /** Bits it covers, to pick a union's widest member. */
  bits: number;
  /** Writes the member, read from object `v`. */
  write(v: Record<string, unknown>, buf: Uint8Array, off: number): void;
  /** Decodes the member into `out`. */
  read(buf: Uint8Array, off: number, out: Record<string, unknown>): void;
}

/** Keys of the objects a composite codec reads and writes (for anonymous members). */
const keysOf = new WeakMap<AnyCodec, readonly string[]>();

const isScalar = (t: AnyBtfType): t is BtfIntType | BtfEnumType | BtfEnum64Type => t.kind === "int" || t.kind === "enum" || t.kind === "enum64";

/** Where member `m` lies: a bitfield's bits (both kind_flag encodings), else width 0. */
function placement(btf: Btf, m: BtfStructMember): { base: AnyBtfType; bitOff: number; width: number } {
  const base = btf.resolve(m.type);
  if (m.bitfieldSize === 0 && base.kind === "int" && (base.bitOffset !== 0 || base.bits !== base.size * 8 || m.bitOffset % 8 !== 0)) {
    return { base, bitOff: m.bitOffset + base.bitOffset, width: base.bits }; // kind_flag 0: the int type says where
  }
  return { base, bitOff: m.bitOffset, width: m.bitfieldSize };
}

function keyed(key: string, bits: number, write: (x: unknown, buf: Uint8Array, off: number) => void, read: (buf: Uint8Array, off: number) => unknown): Field {
  return {
    name: key, keys: [key], bits,
    write(v, buf, off) {
      const x = v[key];
      if (x === undefined) throw new TypeError("missing (undefined)");
      write(x, buf, off);
    },
    read(buf, off, out) {
      out[key] = read(buf, off);
    },
  };
}

function memberField(btf: Btf, t: BtfCompositeType, m: BtfStructMember, index: number, little: boolean): Field | undefined {
  const { base, bitOff, width } = placement(btf, m);
  const where = (what: string) => new BtfError(`member ${index} ("${m.name}") of ${t.kind} ${t.name || "(anon)"}: ${what}`, { typeId: t.id });
  if (width > 0) {
    if (!isScalar(base)) throw where(`a bitfield of a ${base.kind}`);
    if (width > base.size * 8) throw where(`a ${width}-bit bitfield of a ${base.size}-byte ${base.kind}`);
    if (bitOff + width > t.size * 8) throw where(`bits ${bitOff}..${bitOff + width} overrun its ${t.size} bytes`);
    if (m.name === "") return undefined; // unnamed bitfields are padding
    const f = bitsOf(base.kind === "int" ? intScalar(checkInt(base)) : enumScalar(base), bitOff, width, little);
    return keyed(m.name, width, f.write, f.read);
  }
  let c: AnyCodec;
  try {
    c = codecOf(btf, m.type, little);
  } catch (e) {
    throw e instanceof TypeError ? prefixed(e, `${t.kind} ${t.name || "(anon)"}: member ${m.name ? `"${m.name}"` : index}: `) : e;
  }
  const at = bitOff / 8;
  if (at + c.size > t.size) throw where(`bytes ${at}..${at + c.size} overrun its ${t.size} bytes`);
  if (m.name !== "") return keyed(m.name, c.size * 8, (x, buf, off) => c.encode(x, buf, off + at), (buf, off) => c.decode(buf, off + at));
  const keys = base.kind === "struct" || base.kind === "union" ? keysOf.get(codecOf(btf, base.id, little)) : undefined;
  if (keys === undefined) return undefined; // an anonymous member of another kind has no name to read it by
  return {
    name: "", keys, bits: c.size * 8,
    write: (v, buf, off) => c.encode(v, buf, off + at),
    read(buf, off, out) {
      Object.assign(out, c.decode(buf, off + at));
    },
  };
}

/** _Alignof the struct or union: its widest member's, or 1 when a member or the size shows it packed. */
function alignOf(btf: Btf, t: BtfCompositeType, little: boolean): number {
  let align = 1;
  for (const m of t.members) {
    const { base, width } = placement(btf, m);
    const a = isScalar(base) ? Math.min(base.size, 8) : codecOf(btf, m.type, little).align;
    if (width === 0 && (m.bitOffset / 8) % a !== 0) return 1;
    align = Math.max(align, a);
  }
  return t.size % align === 0 ? align : 1;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
const prefixOf = (label: string, f: Field) => (f.name ? `${label}: .${f.name}: ` : `${label}: `);

function composite(btf: Btf, t: BtfCompositeType, little: boolean): BtfCodec {
  const fields: Field[] = [];
  t.members.forEach((m, i) => {
    const f = memberField(btf, t, m, i, little);
    if (f) fields.push(f);
  });
  const short = t.name ? `${t.kind} ${t.name}` : t.kind;
  const name = `${short} ${body(btf, t)}`;
  const label = t.name ? short : name;
  const size = t.size;
  const decode = (buf: Uint8Array, off: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const f of fields) f.read(buf, off, out);
    return out;
  };
  const c: BtfCodec = { size, align: alignOf(btf, t, little), name, typeId: t.id, encode: t.kind === "struct" ? structEncode(label, size, fields) : unionEncode(label, size, fields), decode };
  keysOf.set(c, fields.flatMap((f) => f.keys));
  return c;
}

function structEncode(label: string, size: number, fields: readonly Field[]): (v: Record<string, unknown>, buf: Uint8Array, off: number) => void {
  return (v, buf, off) => {
    if (!isObject(v)) throw new TypeError(`${label}: expects an object, got ${show(v)}`);
    buf.fill(0, off, off + size); // padding, and the bits no bitfield owns
    for (const f of fields) {
      try {
        f.write(v, buf, off);
      } catch (e) {
        throw prefixed(e, prefixOf(label, f));
      }
    }
  };
}

function unionEncode(label: string, size: number, fields: readonly Field[]): (v: Record<string, unknown>, buf: Uint8Array, off: number) => void {
  const choices = fields.map((f) => (f.name ? f.name : `{ ${f.keys.join(", ")} }`)).join(", ");
  return (v, buf, off) => {
    if (!isObject(v)) throw new TypeError(`${label}: expects an object with one member (${choices}), got ${show(v)}`);
    const given = fields.filter((f) => f.keys.some((k) => v[k] !== undefined));
    if (given.length === 0) throw new TypeError(`${label}: expects one member (${choices}); none is given`);
    const widest = given.reduce((a, b) => (b.bits > a.bits ? b : a));
    buf.fill(0, off, off + size);
    try {
      widest.write(v, buf, off);
    } catch (e) {
      throw prefixed(e, prefixOf(label, widest));
    }
    // Several members are taken only when they agree, as a decoded union given back does.
    for (const f of given) {
      if (f === widest) continue;
      const back: Record<string, unknown> = {};
      f.read(buf, off, back);
      const bad = f.keys.find((k) => v[k] !== undefined && !same(back[k], v[k]));
      if (bad !== undefined) {
        throw new RangeError(`${label}: a union holds one member; .${bad} disagrees with .${widest.keys.join(", .")} (the bytes read ${show(back[bad])} as .${bad}, not ${show(v[bad])})`);
      }
    }
  };
}

/** Deep equality of a decoded value and a given one (numbers and bigints compare by value). */
function same(a: unknown, b: unknown): boolean {
  if (typeof a === "bigint" && typeof b === "number") return Number.isSafeInteger(b) && a === BigInt(b);
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (typeof a === "object" && a !== null) {
    return typeof b === "object" && b !== null && Object.keys(a).every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return Object.is(a, b);
}

function datasec(btf: Btf, t: BtfDatasecType, little: boolean): BtfCodec {
  const fields: Field[] = [];
  const decls: string[] = [];
  let align = 1;
  for (const v of t.vars) {
    const vt = btf.typeById(v.type);
    if (vt.kind !== "var") {
      if (v.size === 0) continue; // .ksyms functions occupy nothing
      throw unsupported(t, `entry ${vt.id} is a ${vt.kind}, not a var`);
    }
    if (v.offset + v.size > t.size) throw unsupported(t, `var "${vt.name}" at ${v.offset}..${v.offset + v.size} lies beyond its size ${t.size} (not laid out by a loader yet?)`);
    const c = codecOf(btf, vt.type, little), at = v.offset;
    fields.push(keyed(vt.name, c.size * 8, (x, buf, off) => c.encode(x, buf, off + at), (buf, off) => c.decode(buf, off + at)));
    decls.push(`${declOf(btf, vt.type, vt.name)};`);
    align = Math.max(align, c.align);
  }
  const label = `datasec ${t.name}`;
  const decode = (buf: Uint8Array, off: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const f of fields) f.read(buf, off, out);
    return out;
  };
  return { size: t.size, align, name: `${label} { ${decls.join(" ")} }`, typeId: t.id, encode: structEncode(label, t.size, fields), decode };
}

// ---- names: C declarations ---------------------------------------------------------------

/** True for `char`, `signed char` and BTF_INT_CHAR ints, under qualifiers but not typedefs. */
function isCharType(btf: Btf, id: number): boolean {
  let t = btf.typeById(id);
  for (let n = 0; (t.kind === "const" || t.kind === "volatile" || t.kind === "restrict" || t.kind === "type_tag") && n < btf.count; n++) t = btf.typeById(t.type);
  return t.kind === "int" && t.size === 1 && t.bits === 8 && ((t.encoding & BTF_INT_CHAR) !== 0 || t.name === "char" || t.name === "signed char");
}

function body(btf: Btf, t: BtfCompositeType, depth = 0): string {
  if (t.members.length === 0) return "{}";
  const decl = (m: BtfStructMember) => {
    const { width } = placement(btf, m);
    return `${declOf(btf, m.type, m.name, depth + 1)}${width ? `:${width}` : ""};`;
  };
  return `{ ${t.members.map(decl).join(" ")} }`;
}

/** The C declaration of `inner` (a name, or "" for the type alone) as type `id`. */
function declOf(btf: Btf, id: number, inner: string, depth = 0): string {
  const t = btf.typeById(id);
  const join = (base: string) => (inner === "" || inner.startsWith("[") ? `${base}${inner}` : `${base} ${inner}`);
  if (depth > 16) return join("...");
  switch (t.kind) {
    case "ptr": {
      const to = btf.typeById(t.type);
      return declOf(btf, t.type, to.kind === "array" || to.kind === "func_proto" ? `(*${inner})` : `*${inner}`, depth + 1);
    }
    case "array": return declOf(btf, t.type, `${inner}[${t.nelems}]`, depth + 1);
    case "func_proto": {
      const ps = t.params.map((p) => (p.type === 0 ? "..." : declOf(btf, p.type, "", depth + 1)));
      return declOf(btf, t.returnType, `${inner}(${ps.length ? ps.join(", ") : "void"})`, depth + 1);
    }
    case "const": case "volatile": case "restrict": {
      if (btf.typeById(t.type).kind === "ptr") return declOf(btf, t.type, inner ? `${t.kind} ${inner}` : t.kind, depth + 1);
      return `${t.kind} ${declOf(btf, t.type, inner, depth + 1)}`;
    }
    case "type_tag": return declOf(btf, t.type, inner, depth + 1);
    case "struct": case "union": return join(t.name ? `${t.kind} ${t.name}` : `${t.kind} ${body(btf, t, depth)}`);
    case "enum": case "enum64": {
      if (t.name) return join(`enum ${t.name}`);
      const vs = (t.values as { name: string }[]).map((v) => v.name);
      return join(`enum { ${vs.slice(0, 8).join(", ")}${vs.length > 8 ? ", ..." : ""} }`);
    }
    case "fwd": return join(`${t.fwdKind} ${t.name}`);
    case "void": return join("void");
    default: return join(t.name || t.kind);
  }
}
