/**
 * What the kernel reports about a loaded program (struct bpf_prog_info from
 * BPF_OBJ_GET_INFO_BY_FD), typed and named for TypeScript, with the ids of the maps it uses
 * fetched by a second call.
 * @module
 */
import { progTypeName } from "../uapi/names.gen.ts";
import { objGetInfoByFd } from "../cmd/info.ts";
import { Attr } from "../sys/attr.ts";
import { decodeStruct } from "../sys/decode.ts";
import { ProgInfo } from "../uapi/layout.gen.ts";
import { hexBytes } from "../util/text.ts";

/** struct bpf_prog_info, decoded. Fields an older kernel does not report are 0. */
export interface ProgramInfo {
  /** Kernel id, stable while the program exists. */
  id: number;
  /** ProgType value. */
  type: number;
  /** ProgType name ("socket_filter"), or "prog_type_<n>" for one this library does not know. */
  typeName: string;
  /** Name given at load time (up to 15 characters). */
  name: string;
  /** The program's tag: a hash of its instructions, as 16 hex digits (what bpftool shows). */
  tag: string;
  /** Ids of the maps the program uses. */
  mapIds: number[];
  /** Load time in nanoseconds since boot. */
  loadTime: bigint;
  /** Uid of the loader. */
  createdByUid: number;
  /** Id of the program's BTF object, 0 without one. */
  btfId: number;
  /** Bytes of the instructions after the verifier's rewrites. */
  xlatedLen: number;
  /** Bytes of JIT-compiled machine code, 0 when not JIT-compiled. */
  jitedLen: number;
  /** Whether the license is GPL-compatible (GPL-only helpers allowed). */
  gplCompatible: boolean;
  /** Total run time in ns, counted while BPF stats are enabled (BPF_ENABLE_STATS or kernel.bpf_stats_enabled). */
  runTimeNs: bigint;
  /** Number of runs, counted while BPF stats are enabled. */
  runCount: bigint;
  /** Runs skipped because the program was already running on that CPU. */
  recursionMisses: bigint;
  /** Instructions the verifier processed (5.16+). */
  verifiedInsns: number;
  /** Offload device, 0 for none. */
  ifindex: number;
  /** BTF object id of the attach target, for tracing, LSM and extension programs. */
  attachBtfObjId: number;
  /** BTF type id of the attach target. */
  attachBtfId: number;
}

export { progTypeName };

const num = (v: unknown): number => (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : 0);
const big = (v: unknown): bigint => (typeof v === "bigint" ? v : 0n);

/** The map ids of program `fd`: a second info call with a buffer for `count` of them. */
function mapIdsOf(fd: number, count: number): number[] {
  if (count === 0) return [];
  const F = ProgInfo.fields;
  const ids = new Uint8Array(new ArrayBuffer(count * 4));
  const info = new Attr(ProgInfo.size); // its ptr() keeps `ids` alive through the call
  info.u32(F.nr_map_ids.off, count).ptr(F.map_ids.off, ids);
  try {
    objGetInfoByFd(fd, info.u8);
  } finally {
    info.release();
  }
  // The kernel reports how many there are; a map may have gone since the first call.
  const n = Math.min(count, info.getU32(F.nr_map_ids.off));
  const dv = new DataView(ids.buffer);
  return Array.from({ length: n }, (_, i) => dv.getUint32(i * 4, true));
}

/** BPF_OBJ_GET_INFO_BY_FD on program `fd`, decoded into a ProgramInfo. */
export function programInfo(fd: number): ProgramInfo {
  const buf = new Uint8Array(new ArrayBuffer(ProgInfo.size));
  const n = objGetInfoByFd(fd, buf);
  const r = decodeStruct(ProgInfo, buf.subarray(0, n));
  const type = num(r.type);
  return {
    id: num(r.id),
    type,
    typeName: progTypeName(type),
    name: typeof r.name === "string" ? r.name : "",
    tag: r.tag instanceof Uint8Array ? hexBytes(r.tag) : "",
    mapIds: mapIdsOf(fd, num(r.nr_map_ids)),
    loadTime: big(r.load_time),
    createdByUid: num(r.created_by_uid),
    btfId: num(r.btf_id),
    xlatedLen: num(r.xlated_prog_len),
    jitedLen: num(r.jited_prog_len),
    gplCompatible: num(r.gpl_compatible) === 1,
    runTimeNs: big(r.run_time_ns),
    runCount: big(r.run_cnt),
    recursionMisses: big(r.recursion_misses),
    verifiedInsns: num(r.verified_insns),
    ifindex: num(r.ifindex),
    attachBtfObjId: num(r.attach_btf_obj_id),
    attachBtfId: num(r.attach_btf_id),
  };
}
