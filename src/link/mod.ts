/**
 * Attaching programs to the kernel, one file per attach kind (the bpf_link commands themselves
 * are in cmd/link.ts), each returning a BpfLink: tracing (tracepoint, raw tracepoint, kprobe,
 * kprobe_multi, uprobe, uprobe_multi, USDT, fentry/fexit/fmod_ret/LSM/freplace, perf event sampling),
 * cgroups, networking (XDP, tcx, legacy tc, netkit, netns, netfilter, socket maps, socket filters)
 * and iterators; with perf_event_open and tracefs, which several of them share. Where a kernel has
 * no link for a hook, an Attachment (BPF_PROG_ATTACH, netlink) stands in for one.
 * @module
 */
export { attachSocketFilter, detachSocketFilter, type ProgramRef, socketFd, type SocketRef } from "./socket-filter.ts";
export { BpfLink } from "./link.ts";
export type {
  CgroupLinkInfo, IterLinkInfo, KprobeMultiLinkInfo, BpfLinkInfo, LinkInfoCommon, NetfilterLinkInfo, NetkitLinkInfo, NetnsLinkInfo,
  OtherLinkInfo, PerfEventInfo, PerfEventLinkInfo, RawTracepointLinkInfo, SockmapLinkInfo, StructOpsLinkInfo, TcxLinkInfo,
  TracingLinkInfo, UprobeMultiLinkInfo, XdpLinkInfo,
} from "./info.ts";
export { ATTACH_VERSIONS, type AttachFeature } from "./needs.ts";
export {
  attachPerfEvent, attachPerfFd, type PerfAttachOptions, type PerfAttachVia, PerfEventLink, type PerfEventOptions, type PerfEventTarget,
} from "./perf-event.ts";
export { attachTracepoint, type TracepointOptions } from "./tracepoint.ts";
export { attachRawTracepoint, type RawTracepointOptions } from "./raw-tracepoint.ts";
export { attachKprobe, type KprobeOptions } from "./kprobe.ts";
export { attachKprobeMulti, globMatch, kprobeMultiSymbols, type KprobeMultiOptions, MAX_KPROBE_MULTI } from "./kprobe-multi.ts";
export { binaryPath } from "./binary-path.ts";
export { attachUprobe, readExecutable, type UprobeOptions, uprobeOffset, type UprobeSymbol, uprobeSymbol } from "./uprobe.ts";
export { attachUprobeMulti, type UprobeMultiOptions } from "./uprobe-multi.ts";
export { attachUsdt, UsdtLink, type UsdtMapRef, type UsdtMaps, type UsdtOptions, type UsdtSite } from "./usdt.ts";
export { encodeUsdtSpec, parseUsdtArg, parseUsdtArgs, type UsdtArch, type UsdtArg, UsdtArgKind, USDT_MAX_ARGS, USDT_SPEC_SIZE } from "./usdt-spec.ts";
export { attachTracing, type TracingOptions } from "./tracing.ts";
export {
  currentPid, encodePerfEventAttr, PERF_ATTR_SIZE, PERF_EVENT_IOC_DISABLE, PERF_EVENT_IOC_ENABLE, PERF_EVENT_IOC_RESET,
  PERF_EVENT_IOC_SET_BPF, PERF_FLAG_FD_CLOEXEC, PerfAttrFlag, PerfCountHw, PerfCountSw, type PerfEventAttr, perfEventDisable,
  perfEventEnable, perfEventIoctl, perfEventOpen, perfEventSetBpf, type PerfOpenOptions, PerfType,
} from "../sys/perf-event.ts";
export {
  appendTracefs, checkEventName, mountPoints, readTracefs, sanitizeEventName, TRACEFS_DEFAULT, tracefsHas, tracefsRoot, tracepointId,
} from "../sys/tracefs.ts";
export { attachCgroup, type CgroupAttachVia, CgroupLink, type CgroupOptions } from "./cgroup.ts";
export {
  attachXdp, interfaceIndex, type NetInterface, queryXdp, XDP_FLAGS_DRV_MODE, XDP_FLAGS_HW_MODE, XDP_FLAGS_MODES, XDP_FLAGS_REPLACE,
  XDP_FLAGS_SKB_MODE, XDP_FLAGS_UPDATE_IF_NOEXIST, type XdpAttachVia, type XdpMode, type XdpOptions, type XdpQuery,
} from "./xdp.ts";
export { Attachment, type AttachmentVia } from "./attachment.ts";
export { attachTc, TcAttachment, type TcDirection, type TcOptions } from "./tc.ts";
export { NetlinkError } from "../sys/netlink.ts";
export { attachTcx, type MultiProgOptions, type ProgramAnchor, type TcxAttachVia, type TcxDirection, type TcxOptions } from "./tcx.ts";
export { attachNetkit, type NetkitSide } from "./netkit.ts";
export { attachNetns, type NetnsAttachType, type NetnsAttachVia, type NetnsOptions } from "./netns.ts";
export { attachSockMap, type SockMapAttachType, type SockMapAttachVia, type SockMapOptions, type SockMapRef } from "./sockmap.ts";
export { attachNetfilter, NETFILTER_IP_DEFRAG, NfInetHook, type NetfilterOptions, NfProto } from "./netfilter.ts";
export { attachIter, BpfIterator, IterLink, type IterAttachOptions } from "./iter.ts";
export { attachStructOps, StructOpsLink, type StructOpsOptions, StructOpsRegistration, type StructOpsUpdateOptions } from "./struct-ops.ts";
export { type AttachedProgram, type AttachedPrograms, type QueryOptions, queryPrograms, type QueryTarget } from "./query.ts";
export { queryTc, type TcBpfProgram, type TcFilter } from "./tc-query.ts";
