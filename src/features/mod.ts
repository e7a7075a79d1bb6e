/**
 * Feature probes: does the running kernel have a map type, a program type, a helper for a program
 * type, an ISA level, batch operations, bounded loops...? Each loads the smallest thing that
 * tells, caches the answer for the process, and is listed with the release that introduced it.
 * Also RLIMIT_MEMLOCK handling for kernels before 5.11.
 * @module
 */
export { FeatureError, clearFeatureCache } from "./probe.ts";
export { haveMapType, type MapTypeLike } from "./map-types.ts";
export { haveProgType } from "./prog-types.ts";
export { haveHelper } from "./helpers.ts";
export {
  haveBatchOps, haveBoundedLoops, haveBpfToBpfCalls, haveIsa, haveLargeInstructions, haveLinkCreate, haveMemcgAccounting,
  type IsaVersion,
} from "./misc.ts";
export { kernelAtLeast, kernelRelease, kernelVersion, type KernelVersion, linuxVersionCode, parseVersion } from "./kernel.ts";
export {
  type FeatureVersion, HELPER_VERSIONS, type HelperName, type HelperVersion, MAP_TYPE_VERSIONS, type MapTypeName, MISC_VERSIONS,
  type MiscFeature, PROG_TYPE_VERSIONS, type ProgTypeName,
} from "./versions.ts";
export {
  ensureMemlock, getMemlock, type MemlockLimit, memlockCharged, memlockHint, raiseMemlock, RLIM_INFINITY, setMemlock,
} from "../sys/rlimit.ts";
