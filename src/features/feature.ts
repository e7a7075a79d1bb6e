/**
 * Any entry of the version tables by one name: a misc feature ("batch_ops"), a map type, a program
 * type or a helper; its probe, the table entries it depends on, and a label for messages.
 * @module
 */
import { haveBtfLoad, haveKernelBtf, haveMapBtf } from "./btf.ts";
import { haveHelper } from "./helpers.ts";
import {
  haveIterCreate, haveLinkCreate, haveLinkDetach, haveMapFreeze, haveProgBindMap, haveProgStreamRead, haveTaskFdQuery, haveTokenCreate,
} from "./commands.ts";
import { haveLogTrueSize, haveTestRunSkbMark } from "./attr-fields.ts";
import { haveKprobeMulti } from "./kprobe-multi.ts";
import { haveMapType } from "./map-types.ts";
import {
  haveBatchOps, haveBoundedLoops, haveBpfToBpfCalls, haveEnableStats, haveHashLookupAndDelete, haveIsa, haveLargeInstructions,
  haveMemcgAccounting,
} from "./misc.ts";
import { haveProgType } from "./prog-types.ts";
import {
  type FeatureVersion, HELPER_VERSIONS, type HelperName, type HelperVersion, MAP_TYPE_VERSIONS, type MapTypeName, MISC_VERSIONS,
  type MiscFeature, PROG_TYPE_VERSIONS, type ProgTypeName,
} from "./versions.ts";

/** An entry of MISC_VERSIONS, MAP_TYPE_VERSIONS, PROG_TYPE_VERSIONS or HELPER_VERSIONS. */
export type FeatureRef = MiscFeature | { readonly mapType: MapTypeName } | { readonly progType: ProgTypeName } | { readonly helper: HelperName };

const MISC_PROBES: Readonly<Record<MiscFeature, () => boolean>> = {
  isa_v2: () => haveIsa("v2"),
  isa_v3: () => haveIsa("v3"),
  isa_v4: () => haveIsa("v4"),
  bpf_to_bpf_calls: haveBpfToBpfCalls,
  large_insns: haveLargeInstructions,
  bounded_loops: haveBoundedLoops,
  batch_ops: haveBatchOps,
  link_create: haveLinkCreate,
  memcg_accounting: haveMemcgAccounting,
  task_fd_query: haveTaskFdQuery,
  btf_load: haveBtfLoad,
  map_btf: haveMapBtf,
  map_freeze: haveMapFreeze,
  test_run_skb_mark: haveTestRunSkbMark,
  enable_stats: haveEnableStats,
  iter_create: haveIterCreate,
  link_detach: haveLinkDetach,
  prog_bind_map: haveProgBindMap,
  kernel_btf: haveKernelBtf,
  hash_lookup_and_delete: haveHashLookupAndDelete,
  kprobe_multi: haveKprobeMulti,
  log_true_size: haveLogTrueSize,
  token_create: haveTokenCreate,
  prog_stream_read_by_fd: haveProgStreamRead,
};

function helperEntry(name: HelperName): HelperVersion {
  const v = HELPER_VERSIONS[name];
  if (v === undefined) throw new TypeError(`helper ${JSON.stringify(name)} has no entry in HELPER_VERSIONS`);
  return v;
}

function tableEntry<K extends string>(table: Readonly<Record<K, FeatureVersion>>, key: K, what: string): FeatureVersion {
  const v = Object.hasOwn(table, key) ? table[key] : undefined;
  if (v === undefined) throw new TypeError(`unknown ${what} ${JSON.stringify(key)}`);
  return v;
}

/** The table entries `ref` needs: its own, and for a helper also its probe's program type. */
export function featureVersions(ref: FeatureRef): FeatureVersion[] {
  if (typeof ref === "string") return [tableEntry(MISC_VERSIONS, ref, "misc feature")];
  if ("mapType" in ref) return [tableEntry(MAP_TYPE_VERSIONS, ref.mapType, "map type")];
  if ("progType" in ref) return [tableEntry(PROG_TYPE_VERSIONS, ref.progType, "program type")];
  const h = helperEntry(ref.helper);
  return [h, PROG_TYPE_VERSIONS[h.progType]];
}

/** How messages name `ref`: "batch_ops", "map type ringbuf", "program type xdp", "helper loop". */
export function featureName(ref: FeatureRef): string {
  if (typeof ref === "string") return ref;
  if ("mapType" in ref) return `map type ${ref.mapType}`;
  if ("progType" in ref) return `program type ${ref.progType}`;
  return `helper ${ref.helper}`;
}

/** Whether the running kernel has `ref`, by the library's probe for it (haveMapType, haveBatchOps, ...). Cached. */
export function haveFeature(ref: FeatureRef): boolean {
  featureVersions(ref); // a TypeError for a name no table has
  if (typeof ref === "string") return MISC_PROBES[ref]();
  if ("mapType" in ref) return haveMapType(ref.mapType);
  if ("progType" in ref) return haveProgType(ref.progType);
  return haveHelper(helperEntry(ref.helper).progType, ref.helper);
}
