/**
 * A wrapper for every bpf() command, with Zig's names in camelCase.
 * @module
 */
export { checkName } from "./args.ts";
export { btfLoad } from "./btf.ts";
export { close } from "./fd.ts";
export {
  btfGetFdById, btfGetNextId, linkGetFdById, linkGetNextId, mapGetFdById, mapGetNextId, progGetFdById, progGetNextId,
} from "./ids.ts";
export { btfInfoByFd, linkInfoByFd, mapInfoByFd, objGetInfoByFd, progInfoByFd } from "./info.ts";
export { iterCreate, type LinkCreateOptions, linkCreate, linkDetach, linkUpdate, rawTracepointOpen } from "./link.ts";
export {
  type BatchOptions, type BatchResult, mapDeleteBatch, mapLookupAndDeleteBatch, mapLookupBatch, mapUpdateBatch,
} from "./batch.ts";
export {
  type MapCreateOptions, mapCreate, mapDeleteElem, mapFreeze, mapGetNextKey, mapLookupAndDeleteElem, mapLookupElem,
  mapUpdateElem,
} from "./map.ts";
export { isPerCpu, type MapMeta, mapMeta } from "./mapmeta.ts";
export { enableStats, progAssocStructOps, progStreamReadByFd, type TaskFdQueryResult, taskFdQuery, tokenCreate } from "./misc.ts";
export { objGet, type ObjOptions, objPin } from "./obj.ts";
export {
  type AttachOptions, type BtfExtInfo, insnBytes, type LogOptions, progAttach, progBindMap, progDetach, progLoad,
  type ProgLoadOptions, progQuery, progQueryInto, type QueryCounts, type QueryResult, progRun, progTestRun, type TestRunOptions, type TestRunResult,
} from "./prog.ts";
