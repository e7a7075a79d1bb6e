/**
 * Codecs: JS values to the bytes of map keys and values and back, for integers, byte arrays, C
 * strings, arrays, structs and per-CPU values.
 * @module
 */
export { type AnyCodec, type Codec, type Decoded, type Encodable } from "./codec.ts";
export { be16, be32, bool, f32, f64, i16, i32, i64, i64n, i8, u16, u32, u64, u64n, u8 } from "./ints.ts";
export { bytes, chars } from "./bytes.ts";
export { array } from "./array.ts";
export {
  type FieldCodec, type FieldDef, struct, type StructCodec, type StructDef, type StructField, type StructInput,
  type StructOptions, type StructValue,
} from "./struct.ts";
export { isPerCpuCodec, perCpu, type PerCpuCodec } from "./percpu.ts";
