/**
 * Feature probes: does the running kernel have a map type, a program type, a helper for a program
 * type, an ISA level, a command, batch operations, bounded loops...? Each makes the smallest call
 * that tells, caches the answer for the process, and is listed with the release that introduced it;
 * haveFeature() asks any of them by its table name.
 * Also RLIMIT_MEMLOCK handling for kernels before 5.11.
 * @module
 */
export { FeatureError, clearFeatureCache } from "./probe.ts";
export { haveMapType, type MapTypeLike } from "./map-types.ts";
export { haveProgType } from "./prog-types.ts";
export { haveHelper } from "./helpers.ts";
export {
  haveBatchOps, haveBoundedLoops, haveBpfToBpfCalls, haveEnableStats, haveHashLookupAndDelete, haveIsa, haveLargeInstructions,
  haveLdimm64FullRange, haveMemcgAccounting, type IsaVersion,
} from "./misc.ts";
export {
  haveIterCreate, haveLinkCreate, haveLinkDetach, haveMapFreeze, haveProgBindMap, haveProgStreamRead, haveTaskFdQuery, haveTokenCreate,
} from "./commands.ts";
export { haveBtfLoad, haveKernelBtf, haveMapBtf } from "./btf.ts";
export { haveLogTrueSize, haveTestRunSkbMark } from "./attr-fields.ts";
export { haveKprobeMulti } from "./kprobe-multi.ts";
export { haveUprobeMulti } from "./uprobe-multi.ts";
export { featureName, type FeatureRef, featureVersions, haveFeature } from "./feature.ts";
export { kernelAtLeast, kernelRelease, kernelVersion, type KernelVersion, linuxVersionCode, parseVersion } from "./kernel.ts";
export {
  type FeatureVersion, HELPER_VERSIONS, type HelperName, type HelperVersion, MAP_TYPE_VERSIONS, type MapTypeName, MISC_VERSIONS,
  type MiscFeature, PROG_TYPE_VERSIONS, type ProgTypeName,
} from "./versions.ts";
export {
  ensureMemlock, getMemlock, type MemlockLimit, memlockCharged, memlockHint, raiseMemlock, RLIM_INFINITY, setMemlock,
} from "../sys/rlimit.ts";
