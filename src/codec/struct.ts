/**
 * C structs declared once as data: `struct({ pid: u32, comm: chars(16), ts: u64 })` lays the
 * fields out as a C compiler does (each at its natural alignment, the size rounded up to the
 * largest alignment), or at explicit offsets, or packed. Padding is always written as zeros: hash
 * maps compare keys byte for byte, padding included.
 * @module
 */
import { type AnyCodec, type Codec, type Decoded, type Encodable, prefixed, roundUp, show } from "./codec.ts";

/** A field: a codec (placed at its natural alignment), or a codec at an explicit byte offset. */
export type FieldDef = AnyCodec | { readonly codec: AnyCodec; readonly offset: number };

/** Fields by name, in declaration (memory) order. */
export type StructDef = Readonly<Record<string, FieldDef>>;

/** The codec of a field definition. */
export type FieldCodec<F> = F extends Codec<unknown, never> ? F : F extends { readonly codec: infer C } ? C : never;

/** What a struct codec decodes to: each field's decoded value. */
export type StructValue<D> = { [K in keyof D]: Decoded<FieldCodec<D[K]>> };

/** What a struct codec accepts: each field's encodable value. */
export type StructInput<D> = { readonly [K in keyof D]: Encodable<FieldCodec<D[K]>> };

/** Layout options of `struct()`. */
export interface StructOptions {
  /** `__attribute__((packed))`: no padding, alignment 1 (explicit offsets still apply). */
  packed?: boolean;
  /** sizeof the struct, when it has trailing space the fields do not explain (at least their end). */
  size?: number;
  /** _Alignof the struct, overriding the largest field alignment (`__attribute__((aligned(n)))`). */
  align?: number;
}

/** A placed field of a struct codec. */
export interface StructField {
  /** Field name. */
  readonly name: string;
  /** offsetof the field. */
  readonly offset: number;
  /** Its codec. */
  readonly codec: AnyCodec;
}

/** A struct codec, with its computed layout for inspection. */
export interface StructCodec<D> extends Codec<StructValue<D>, StructInput<D>> {
  /** The fields with their offsets, in memory order. */
  readonly fields: readonly StructField[];
  /** offsetof(field). */
  offsetOf(field: keyof D & string): number;
}

function isCodec(f: FieldDef): f is AnyCodec {
  return typeof (f as AnyCodec).encode === "function" && typeof (f as AnyCodec).decode === "function";
}

/** A C struct of `def`'s fields in declaration order; see StructOptions for packed and explicit layouts. */
export function struct<D extends StructDef>(def: D, opts: StructOptions = {}): StructCodec<D> {
  if (typeof def !== "object" || def === null) throw new TypeError(`struct(): expects an object of fields, got ${show(def)}`);
  const fields: StructField[] = [];
  let end = 0;
  let maxAlign = 1;
  for (const [name, f] of Object.entries(def)) {
    const codec = isCodec(f) ? f : (f as { codec: AnyCodec }).codec;
    if (codec === undefined || !isCodec(codec)) throw new TypeError(`struct(): field "${name}" is not a codec (or { codec, offset }), got ${show(f)}`);
    const align = opts.packed ? 1 : codec.align;
    let offset: number;
    if (isCodec(f)) offset = roundUp(end, align);
    else {
      offset = (f as { offset: number }).offset;
      if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`struct(): field "${name}" has offset ${offset}; expects a non-negative integer`);
    }
    fields.push({ name, offset, codec });
    end = Math.max(end, offset + codec.size);
    maxAlign = Math.max(maxAlign, align);
  }
  const byOffset = [...fields].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < byOffset.length; i++) {
    const p = byOffset[i - 1];
    if (p.offset + p.codec.size > byOffset[i].offset) {
      throw new RangeError(`struct(): field "${byOffset[i].name}" at offset ${byOffset[i].offset} overlaps "${p.name}" (${p.offset}..${p.offset + p.codec.size})`);
    }
  }
  const align = opts.align ?? maxAlign;
  if (!Number.isInteger(align) || align < 1) throw new RangeError(`struct(): align must be a positive integer, got ${align}`);
  const size = opts.size ?? (opts.packed ? end : roundUp(end, align));
  if (!Number.isInteger(size) || size < end) throw new RangeError(`struct(): size ${size} is smaller than the fields' end (${end})`);

  // Gaps between fields and at the tail: zeroed on every encode.
  const gaps: [number, number][] = [];
  let at = 0;
  for (const f of byOffset) {
    if (f.offset > at) gaps.push([at, f.offset]);
    at = f.offset + f.codec.size;
  }
  if (size > at) gaps.push([at, size]);

  const name = `struct { ${fields.map((f) => `${f.name}: ${f.codec.name}`).join(", ")} }`;
  const names = fields.map((f) => f.name);
  const offs = fields.map((f) => f.offset);
  const codecs = fields.map((f) => f.codec);
  const n = fields.length;
  return {
    size,
    align,
    name,
    fields,
    offsetOf(field: keyof D & string): number {
      const f = fields.find((x) => x.name === field);
      if (f === undefined) throw new RangeError(`${name}: no field "${field}"`);
      return f.offset;
    },
    encode(v: StructInput<D>, buf: Uint8Array, off: number): void {
      if (typeof v !== "object" || v === null) throw new TypeError(`${name}: expects an object, got ${show(v)}`);
      const rec = v as Record<string, unknown>;
      let i = 0;
      try {
        for (; i < n; i++) {
          const x = rec[names[i]];
          if (x === undefined) throw new TypeError("missing (undefined)");
          codecs[i].encode(x, buf, off + offs[i]);
        }
      } catch (e) {
        throw prefixed(e, `${name}: .${names[i]}: `);
      }
      for (let g = 0; g < gaps.length; g++) buf.fill(0, off + gaps[g][0], off + gaps[g][1]);
    },
    decode(buf: Uint8Array, off: number): StructValue<D> {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) out[names[i]] = codecs[i].decode(buf, off + offs[i]);
      return out as StructValue<D>;
    },
  };
}
