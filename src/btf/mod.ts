/**
 * BTF, the kernel's type format: a pure, lazy parser for vmlinux, module (split) and program
 * BTF, type look-up, resolution, sizes, alignment and member offsets; bpftool's raw and C formats;
 * a builder, marshalling, sanitizing for older kernels, and codecs for typed map values.
 * @module
 */
export { Btf, type BtfFormat, type BtfParseOptions } from "./btf.ts";
export { BtfError, type BtfErrorWhere } from "./error.ts";
export { BTF_MAGIC, type BtfHeaderInfo } from "./header.ts";
export { BtfStrings } from "./strings.ts";
export type { BtfMemberLocation } from "./offsets.ts";
export * from "./types.ts";
export {
  BtfBuilder, type BtfBuilderOptions, type BtfCLayoutOptions, type BtfCMemberInput, type BtfEnumInput, type BtfEnumOptions,
  type BtfFuncProtoOptions, type BtfIntOptions, type BtfLinkage, type BtfMemberInput, type BtfParamInput, type BtfTagOptions,
} from "./builder.ts";
export type { BtfMarshalOptions } from "./marshal.ts";
export { BTF_FEATURES, type BtfFeature, btfFeaturesUsed, sanitizeBtf } from "./sanitize.ts";
export type { BtfHandleInfo, BtfLoadOptions, LoadedBtf } from "./loaded.ts";
export { type BtfCodec, type BtfCodecOptions, codecFromBtf } from "./codec.ts";
export { type BtfExt, type BtfExtCoreRelo, type BtfExtFuncInfo, type BtfExtLineInfo, parseBtfExt } from "./ext.ts";
export * from "./core/mod.ts";
