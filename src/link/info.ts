/**
 * What the kernel reports about a link (struct bpf_link_info from BPF_OBJ_GET_INFO_BY_FD), typed
 * per link type: only the union member the link's type selects is decoded. Strings and arrays the
 * kernel copies out through pointers (a tracepoint's name, a kprobe_multi link's addresses) are
 * fetched by a second call sized by the first, as bpftool does.
 * @module
 */
import { LinkType, PerfEventType } from "../uapi/enums.gen.ts";
import { BPF } from "../uapi/flags.gen.ts";
import { attachTypeName, linkTypeName } from "../uapi/names.gen.ts";
import { objGetInfoByFd } from "../cmd/info.ts";
import { Attr } from "../sys/attr.ts";
import { readField } from "../sys/decode.ts";
import { LinkInfo as L } from "../uapi/layout.gen.ts";
import { cStringAt } from "../util/text.ts";

/** What every link's info has. */
export interface LinkInfoCommon {
  /** Kernel id of the link. */
  id: number;
  /** Id of the program it runs (0 once detached, on kernels that say so). */
  progId: number;
  /** bpf_link_info.type: the LinkType value. */
  linkType: number;
}

/** A raw tracepoint link (BPF_RAW_TRACEPOINT_OPEN, and tp_btf). */
export interface RawTracepointLinkInfo extends LinkInfoCommon {
  /** Discriminant: LinkType raw_tracepoint. */
  type: "raw_tracepoint";
  /** The tracepoint's name ("sys_enter"). */
  tpName: string;
  /** The BPF cookie (0 where the kernel does not report it). */
  cookie: bigint;
}

/** A tracing link: fentry, fexit, fmod_ret, LSM, freplace. */
export interface TracingLinkInfo extends LinkInfoCommon {
  /** Discriminant: LinkType tracing. */
  type: "tracing";
  /** The program's attach type (AttachType). */
  attachType: number;
  /** Id of the BTF object (vmlinux, a module) or program the target lives in. */
  targetObjId: number;
  /** BTF type id of the target function in it. */
  targetBtfId: number;
  /** The BPF cookie (0 where the kernel does not report it). */
  cookie: bigint;
}

/** A cgroup link. */
export interface CgroupLinkInfo extends LinkInfoCommon {
  /** Discriminant: LinkType cgroup. */
  type: "cgroup";
  /** The cgroup's id (its inode number on cgroup2). */
  cgroupId: bigint;
  /** The attach type (AttachType.cgroup_inet_egress, ...). */
  attachType: number;
}

/** An iterator link. */
export interface IterLinkInfo extends LinkInfoCommon {
  /** Discriminant: LinkType iter. */
  type: "iter";
  /** The iterator target ("bpf_map_elem", "task", ...). */
  targetName: string;
  /** The map iterated, for map element iterators (0 otherwise). */
  mapId: number;
  /** The cgroup of a cgroup iterator (0 otherwise). */
  cgroupId: bigint;
  /** The walk order of a cgroup iterator (CgroupIterOrder). */
  order: number;
  /** The thread of a task iterator limited to one (0 otherwise). */
  tid: number;
  /** The process of a task iterator limited to one (0 otherwise). */
  pid: number;
}

/** A network namespace link (flow dissector, sk_lookup). */
export interface NetnsLinkInfo extends LinkInfoCommon {
  /** Discriminant: LinkType netns. */
  type: "netns";
  /** The namespace's inode number. */
  netnsIno: number;
  /** The attach type. */
  attachType: number;
}

/** An XDP link. */
export interface XdpLinkInfo extends LinkInfoCommon {
  /** Discriminant: LinkType xdp. */
  type: "xdp";
  /** The interface index. */
  ifindex: number;
}

/** What a perf event link (kprobe, uprobe, tracepoint, PMU event) is attached to, as bpf_link_info says (6.6+). */
export type PerfEventInfo =
  | {
    /** Discriminant: a kprobe or a kretprobe. */
    kind: "kprobe" | "kretprobe";
    /** The probed function ("" for a probe at an address). */
    funcName: string;
    /** Offset into the function. */
    offset: number;
    /** The probed address (0 unless the reader may see kernel addresses). */
    addr: bigint;
    /** Hits missed because the probe was running already (0 where the kernel does not report it). */
    missed: bigint;
    /** The BPF cookie (0 where the kernel does not report it). */
    cookie: bigint;
  }
  | {
    /** Discriminant: a uprobe or a uretprobe. */
    kind: "uprobe" | "uretprobe";
    /** The probed binary's path. */
    fileName: string;
    /** File offset of the probe. */
    offset: number;
    /** The BPF cookie (0 where the kernel does not report it). */
    cookie: bigint;
    /** Offset of the USDT semaphore (ref_ctr_offset), 0 for none. */
    refCtrOffset: bigint;
  }
  | {
    /** Discriminant: a tracepoint. */
    kind: "tracepoint";
    /** The tracepoint's name ("sys_enter_openat"). */
    tpName: string;
    /** The BPF cookie (0 where the kernel does not report it). */
    cookie: bigint;
  }
  | {
    /** Discriminant: a PMU event (sampling). */
    kind: "event";
    /** perf_event_attr.type. */
    perfType: number;
    /** perf_event_attr.config. */
    config: bigint;
    /** The BPF cookie (0 where the kernel does not report it). */
    cookie: bigint;
  }
  | {
    /** Discriminant: the kernel did not say (before 6.6), or said something this library does not know. */
    kind: "unknown";
    /** bpf_link_info.perf_event.type (PerfEventType). */
    perfEventType: number;
  };

/** A perf event link (BPF_LINK_CREATE with BPF_PERF_EVENT), or a perf event with a program set by ioctl (id 0). */
export interface PerfEventLinkInfo extends LinkInfoCommon {
  /** Discriminant: LinkType perf_event. */
  type: "perf_event";
  /** What the event is. */
  event: PerfEventInfo;
}

/** A kprobe_multi link. */
export interface KprobeMultiLinkInfo extends LinkInfoCommon {
  /** Discriminant: LinkType kprobe_multi. */
  type: "kprobe_multi";
  /** Number of probed functions. */
  count: number;
  /** kprobe_multi flags (BPF.F_KPROBE_MULTI_RETURN). */
  flags: number;
  /** Whether the probes are return probes. */
  retprobe: boolean;
  /** Hits missed (0 where the kernel does not report it). */
  missed: bigint;
  /** The probed addresses, in the kernel's order (zeros unless the reader may see kernel addresses). */
  addrs: bigint[];
  /** The cookies, one per address (empty where the kernel does not report them). */
  cookies: bigint[];
}

/** A uprobe_multi link. */
export interface UprobeMultiLinkInfo extends LinkInfoCommon {
  /** Discriminant: LinkType uprobe_multi. */
  type: "uprobe_multi";
  /** The probed binary's path. */
  path: string;
  /** Number of probes. */
  count: number;
  /** uprobe_multi flags (BPF.F_UPROBE_MULTI_RETURN). */
  flags: number;
  /** Whether the probes are return probes. */
  retprobe: boolean;
  /** The process the probes are limited to, 0 for every one. */
  pid: number;
  /** File offsets of the probes. */
  offsets: bigint[];
  /** USDT semaphore offsets, one per probe. */
  refCtrOffsets: bigint[];
  /** The cookies, one per probe. */
  cookies: bigint[];
}

/** A struct_ops link. */
export interface StructOpsLinkInfo extends LinkInfoCommon {
  /** Discriminant: LinkType struct_ops. */
  type: "struct_ops";
  /** The struct_ops map's id. */
  mapId: number;
}

/** A netfilter link. */
export interface NetfilterLinkInfo extends LinkInfoCommon {
  /** Discriminant: LinkType netfilter. */
  type: "netfilter";
  /** Protocol family (NFPROTO_IPV4 ...). */
  pf: number;
  /** Hook number (NF_INET_PRE_ROUTING ...). */
  hooknum: number;
  /** Priority among the hook's functions. */
  priority: number;
  /** netfilter link flags. */
  flags: number;
}

/** A tcx link. */
export interface TcxLinkInfo extends LinkInfoCommon {
  /** Discriminant: LinkType tcx. */
  type: "tcx";
  /** The interface index. */
  ifindex: number;
  /** AttachType.tcx_ingress or tcx_egress. */
  attachType: number;
}

/** A netkit link. */
export interface NetkitLinkInfo extends LinkInfoCommon {
  /** Discriminant: LinkType netkit. */
  type: "netkit";
  /** The interface index. */
  ifindex: number;
  /** AttachType.netkit_primary or netkit_peer. */
  attachType: number;
}

/** A sockmap link (sk_msg, sk_skb verdicts on a sockmap or sockhash). */
export interface SockmapLinkInfo extends LinkInfoCommon {
  /** Discriminant: LinkType sockmap. */
  type: "sockmap";
  /** The map's id. */
  mapId: number;
  /** The attach type. */
  attachType: number;
}

/** A link of a type without a union member here (unspec, tracing_multi) or unknown to this library. */
export interface OtherLinkInfo extends LinkInfoCommon {
  /** Discriminant. */
  type: "other";
  /** The LinkType's name ("tracing_multi"), or "link_type_<n>". */
  typeName: string;
}

/** struct bpf_link_info decoded by the link's type: switch on `type`. */
export type BpfLinkInfo =
  | RawTracepointLinkInfo | TracingLinkInfo | CgroupLinkInfo | IterLinkInfo | NetnsLinkInfo | XdpLinkInfo
  | PerfEventLinkInfo | KprobeMultiLinkInfo | UprobeMultiLinkInfo | StructOpsLinkInfo | NetfilterLinkInfo
  | TcxLinkInfo | NetkitLinkInfo | SockmapLinkInfo | OtherLinkInfo;

const F = L.fields;
type Name = keyof typeof F;

/** One bpf_link_info read: its bytes, then field accessors over them. */
class Info {
  readonly attr = new Attr(L.size);
  readonly fd: number;
  len = 0;

  constructor(fd: number) {
    this.fd = fd;
  }

  call(): this {
    try {
      this.len = objGetInfoByFd(this.fd, this.attr.u8);
    } finally {
      this.attr.release();
    }
    return this;
  }

  // A field the kernel's (older, shorter) struct does not have reads as 0.
  n(name: Name): number {
    const f = F[name];
    return f.off + f.size <= this.len ? Number(readField(this.attr.u8, f)) : 0;
  }

  big(name: Name): bigint {
    const f = F[name];
    return f.off + f.size <= this.len ? BigInt(readField(this.attr.u8, f) as number | bigint) : 0n;
  }
}

function u64s(buf: Uint8Array, n: number): bigint[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return Array.from({ length: n }, (_, i) => dv.getBigUint64(i * 8, true));
}

/** A second call with the pointer fields `ptrs` set to fresh buffers; null when the kernel refuses it. */
function second(fd: number, set: (a: Attr) => void): Info | null {
  const again = new Info(fd);
  set(again.attr);
  try {
    return again.call();
  } catch {
    // An older kernel may not know a pointer field of this member (E2BIG, EINVAL): keep the first answer.
    return null;
  }
}

/** A C string the kernel returns through pointer `ptr` with length field `len`; "" when it reports none. */
function stringOf(fd: number, first: Info, ptr: Name, len: Name): string {
  const n = first.n(len);
  if (n === 0) return "";
  const buf = new Uint8Array(new ArrayBuffer(n + 1));
  const r = second(fd, (a) => a.ptr(F[ptr].off, buf).u32(F[len].off, n + 1));
  return r === null ? "" : cStringAt(buf);
}

function perfEvent(fd: number, first: Info): PerfEventInfo {
  const t = first.n("perf_event.type");
  switch (t) {
    case PerfEventType.kprobe:
    case PerfEventType.kretprobe:
      return {
        kind: t === PerfEventType.kprobe ? "kprobe" : "kretprobe",
        funcName: stringOf(fd, first, "perf_event.kprobe.func_name", "perf_event.kprobe.name_len"),
        offset: first.n("perf_event.kprobe.offset"),
        addr: first.big("perf_event.kprobe.addr"),
        missed: first.big("perf_event.kprobe.missed"),
        cookie: first.big("perf_event.kprobe.cookie"),
      };
    case PerfEventType.uprobe:
    case PerfEventType.uretprobe:
      return {
        kind: t === PerfEventType.uprobe ? "uprobe" : "uretprobe",
        fileName: stringOf(fd, first, "perf_event.uprobe.file_name", "perf_event.uprobe.name_len"),
        offset: first.n("perf_event.uprobe.offset"),
        cookie: first.big("perf_event.uprobe.cookie"),
        refCtrOffset: first.big("perf_event.uprobe.ref_ctr_offset"),
      };
    case PerfEventType.tracepoint:
      return {
        kind: "tracepoint",
        tpName: stringOf(fd, first, "perf_event.tracepoint.tp_name", "perf_event.tracepoint.name_len"),
        cookie: first.big("perf_event.tracepoint.cookie"),
      };
    case PerfEventType.event:
      return {
        kind: "event",
        perfType: first.n("perf_event.event.type"),
        config: first.big("perf_event.event.config"),
        cookie: first.big("perf_event.event.cookie"),
      };
    default:
      return { kind: "unknown", perfEventType: t };
  }
}

function kprobeMulti(fd: number, first: Info, common: LinkInfoCommon): KprobeMultiLinkInfo {
  const count = first.n("kprobe_multi.count");
  const flags = first.n("kprobe_multi.flags");
  let addrs: bigint[] = [], cookies: bigint[] = [];
  if (count > 0) {
    const a = new Uint8Array(new ArrayBuffer(count * 8));
    const c = new Uint8Array(new ArrayBuffer(count * 8));
    // Older kernels have no cookies field: ask for the addresses alone when they refuse both.
    const r = second(fd, (x) => x.ptr(F["kprobe_multi.addrs"].off, a).u32(F["kprobe_multi.count"].off, count).ptr(F["kprobe_multi.cookies"].off, c)) ??
      second(fd, (x) => x.ptr(F["kprobe_multi.addrs"].off, a).u32(F["kprobe_multi.count"].off, count));
    if (r !== null) {
      addrs = u64s(a, count);
      if (r.len >= F["kprobe_multi.cookies"].off + 8) cookies = u64s(c, count);
    }
  }
  return {
    ...common, type: "kprobe_multi", count, flags, retprobe: (flags & BPF.F_KPROBE_MULTI_RETURN) !== 0,
    missed: first.big("kprobe_multi.missed"), addrs, cookies,
  };
}

const PATH_MAX = 4096;

function uprobeMulti(fd: number, first: Info, common: LinkInfoCommon): UprobeMultiLinkInfo {
  const count = first.n("uprobe_multi.count");
  const flags = first.n("uprobe_multi.flags");
  const path = new Uint8Array(new ArrayBuffer(PATH_MAX));
  const arrays = [0, 1, 2].map(() => new Uint8Array(new ArrayBuffer(Math.max(count, 1) * 8)));
  const r = second(fd, (x) => {
    x.ptr(F["uprobe_multi.path"].off, path).u32(F["uprobe_multi.path_size"].off, PATH_MAX);
    if (count > 0) {
      x.u32(F["uprobe_multi.count"].off, count).ptr(F["uprobe_multi.offsets"].off, arrays[0])
        .ptr(F["uprobe_multi.ref_ctr_offsets"].off, arrays[1]).ptr(F["uprobe_multi.cookies"].off, arrays[2]);
    }
  });
  const got = r !== null && count > 0;
  return {
    ...common, type: "uprobe_multi", path: r === null ? "" : cStringAt(path), count, flags,
    retprobe: (flags & BPF.F_UPROBE_MULTI_RETURN) !== 0, pid: first.n("uprobe_multi.pid"),
    offsets: got ? u64s(arrays[0], count) : [], refCtrOffsets: got ? u64s(arrays[1], count) : [], cookies: got ? u64s(arrays[2], count) : [],
  };
}

/** BPF_OBJ_GET_INFO_BY_FD on link `fd`, decoded for its type (a second call fetches its strings and arrays). */
export function linkInfo(fd: number): BpfLinkInfo {
  const first = new Info(fd).call();
  const linkType = first.n("type");
  const common: LinkInfoCommon = { id: first.n("id"), progId: first.n("prog_id"), linkType };
  switch (linkType) {
    case LinkType.raw_tracepoint:
      return {
        ...common, type: "raw_tracepoint", tpName: stringOf(fd, first, "raw_tracepoint.tp_name", "raw_tracepoint.tp_name_len"),
        cookie: first.big("raw_tracepoint.cookie"),
      };
    case LinkType.tracing:
      return {
        ...common, type: "tracing", attachType: first.n("tracing.attach_type"), targetObjId: first.n("tracing.target_obj_id"),
        targetBtfId: first.n("tracing.target_btf_id"), cookie: first.big("tracing.cookie"),
      };
    case LinkType.cgroup:
      return { ...common, type: "cgroup", cgroupId: first.big("cgroup.cgroup_id"), attachType: first.n("cgroup.attach_type") };
    case LinkType.iter:
      return {
        ...common, type: "iter", targetName: stringOf(fd, first, "iter.target_name", "iter.target_name_len"),
        mapId: first.n("iter.map.map_id"), cgroupId: first.big("iter.cgroup.cgroup_id"), order: first.n("iter.cgroup.order"),
        tid: first.n("iter.task.tid"), pid: first.n("iter.task.pid"),
      };
    case LinkType.netns:
      return { ...common, type: "netns", netnsIno: first.n("netns.netns_ino"), attachType: first.n("netns.attach_type") };
    case LinkType.xdp:
      return { ...common, type: "xdp", ifindex: first.n("xdp.ifindex") };
    case LinkType.perf_event:
      return { ...common, type: "perf_event", event: perfEvent(fd, first) };
    case LinkType.kprobe_multi:
      return kprobeMulti(fd, first, common);
    case LinkType.uprobe_multi:
      return uprobeMulti(fd, first, common);
    case LinkType.struct_ops:
      return { ...common, type: "struct_ops", mapId: first.n("struct_ops.map_id") };
    case LinkType.netfilter:
      return {
        ...common, type: "netfilter", pf: first.n("netfilter.pf"), hooknum: first.n("netfilter.hooknum"),
        priority: first.n("netfilter.priority"), flags: first.n("netfilter.flags"),
      };
    case LinkType.tcx:
      return { ...common, type: "tcx", ifindex: first.n("tcx.ifindex"), attachType: first.n("tcx.attach_type") };
    case LinkType.netkit:
      return { ...common, type: "netkit", ifindex: first.n("netkit.ifindex"), attachType: first.n("netkit.attach_type") };
    case LinkType.sockmap:
      return { ...common, type: "sockmap", mapId: first.n("sockmap.map_id"), attachType: first.n("sockmap.attach_type") };
    default:
      return { ...common, type: "other", typeName: linkTypeName(linkType) };
  }
}

/** How messages name a link's kind: "raw_tracepoint link", "tracing link (trace_fentry)". */
export function linkKindText(info: BpfLinkInfo): string {
  const at = "attachType" in info ? ` (${attachTypeName(info.attachType)})` : "";
  return `${info.type === "other" ? info.typeName : info.type} link${at}`;
}
