/**
 * Maps as objects: `BpfMap` (also exported as `Map`, for `bpf.Map`) created from a spec or opened
 * by pin, id or fd, typed by codecs; the codecs themselves; listing every map on the system.
 *
 * ```ts
 * import { BpfMap, MapType, u32, u64 } from "./mod.ts";
 * using counts = BpfMap.create({ type: MapType.hash, key: u32, value: u64, maxEntries: 1024, name: "counts" });
 * counts.set(1, 10n);
 * for (const [k, v] of counts) console.log(k, v);
 * ```
 * @module
 */
export * from "../codec/mod.ts";
export { BpfMap, BpfMap as Map } from "./map.ts";
export { type BpfMapInfo } from "./info.ts";
export { type IterOptions } from "./iter.ts";
export { fdId, type FdRef } from "./of-maps.ts";
export { type InnerMap, type MapBtf, type MapSpec, type OpenOptions, type RawCodec, type ValueIn, type ValueOf } from "./spec.ts";
export { type FdMapType, mapTypeName, type OfMapsType, type PerCpuMapType } from "./types.ts";
