/**
 * What each attach kind needs of the kernel (first mainline release, build option), and the
 * FeatureError an attach throws when the running kernel lacks it. Facts from kernel history, as
 * the version tables of src/features/versions.ts (whose kprobe_multi entry is used as is).
 * @module
 */
import { FeatureError, type FeatureNeeds } from "../errors.ts";
import { MISC_VERSIONS } from "../features/versions.ts";
import { readTextFile } from "../sys/syscalls.ts";

/** The attach kinds and link features whose absence an attach reports. */
export type AttachFeature =
  | "tracepoint" | "kprobe" | "kprobe_pmu" | "raw_tracepoint" | "raw_tracepoint_cookie" | "perf_event" | "perf_event_link"
  | "uprobe" | "uprobe_ref_ctr" | "uprobe_multi"
  | "kprobe_multi" | "tracing" | "tracing_cookie" | "fmod_ret" | "lsm" | "freplace"
  | "cgroup_link" | "xdp_link" | "tcx" | "netns_link" | "sk_lookup" | "netfilter" | "netfilter_defrag" | "iter" | "iter_map_elem" | "netkit"
  | "xdp_netlink" | "xdp_generic" | "xdp_expected_fd" | "tc" | "flow_dissector"
  | "sockmap" | "sk_msg" | "sk_skb_verdict" | "sockmap_link"
  | "struct_ops" | "struct_ops_link" | "struct_ops_module";

/** The release (and config option) each attach feature needs. */
export const ATTACH_VERSIONS: Readonly<Record<AttachFeature, FeatureNeeds>> = {
  tracepoint: { version: "4.7", config: "CONFIG_BPF_EVENTS" }, // BPF_PROG_TYPE_TRACEPOINT on a PERF_TYPE_TRACEPOINT event
  kprobe: { version: "4.1", config: "CONFIG_KPROBES" }, // kprobe events through tracefs kprobe_events
  kprobe_pmu: { version: "4.17", config: "CONFIG_KPROBES" }, // the "kprobe" PMU of perf_event_open
  raw_tracepoint: { version: "4.17", config: "CONFIG_BPF_EVENTS" }, // BPF_RAW_TRACEPOINT_OPEN
  raw_tracepoint_cookie: { version: "6.10" }, // raw_tracepoint.cookie
  perf_event: { version: "4.9", config: "CONFIG_PERF_EVENTS" }, // BPF_PROG_TYPE_PERF_EVENT
  perf_event_link: { version: "5.15" }, // BPF_LINK_CREATE with BPF_PERF_EVENT: bpf_link and bpf_cookie
  kprobe_multi: MISC_VERSIONS.kprobe_multi, // BPF_TRACE_KPROBE_MULTI (CONFIG_FPROBE)
  uprobe: { version: "4.3", config: "CONFIG_UPROBE_EVENTS" }, // BPF on uprobe events (tracefs uprobe_events; the "uprobe" PMU since 4.17)
  uprobe_ref_ctr: { version: "4.20", config: "CONFIG_UPROBE_EVENTS" }, // ref_ctr_offset: USDT semaphores
  uprobe_multi: { version: "6.6", config: "CONFIG_UPROBES" }, // BPF_TRACE_UPROBE_MULTI links
  tracing: { version: "5.5", config: "CONFIG_DEBUG_INFO_BTF" }, // fentry/fexit/tp_btf through the BPF trampoline
  tracing_cookie: { version: "5.19" }, // tracing.cookie of fentry/fexit/fmod_ret/lsm links (and their BPF_LINK_CREATE)
  fmod_ret: { version: "5.7", config: "CONFIG_FUNCTION_ERROR_INJECTION" }, // BPF_MODIFY_RETURN
  lsm: { version: "5.7", config: "CONFIG_BPF_LSM" }, // BPF_LSM_MAC (and "bpf" in the lsm= boot list)
  freplace: { version: "5.6" }, // BPF_PROG_TYPE_EXT
  cgroup_link: { version: "5.7", config: "CONFIG_CGROUP_BPF" }, // BPF_LINK_CREATE on a cgroup (BPF_PROG_ATTACH before)
  xdp_link: { version: "5.9" }, // BPF_LINK_CREATE with BPF_XDP (netlink IFLA_XDP before)
  tcx: { version: "6.6", config: "CONFIG_NET_XGRESS" }, // BPF_TCX_INGRESS/EGRESS links (tc clsact + cls_bpf before)
  netns_link: { version: "5.8" }, // BPF_LINK_CREATE on a network namespace (flow dissector)
  sk_lookup: { version: "5.9", config: "CONFIG_INET" }, // BPF_PROG_TYPE_SK_LOOKUP, links only
  netfilter: { version: "6.4", config: "CONFIG_NETFILTER_BPF_LINK" }, // BPF_NETFILTER links
  netfilter_defrag: { version: "6.6", config: "CONFIG_NETFILTER_BPF_LINK" }, // BPF_F_NETFILTER_IP_DEFRAG
  iter: MISC_VERSIONS.iter_create, // BPF_TRACE_ITER links and BPF_ITER_CREATE
  iter_map_elem: { version: "5.9" }, // bpf_map_elem iterators (iter_info.map.map_fd)
  netkit: { version: "6.7", config: "CONFIG_NETKIT" }, // BPF_NETKIT_PRIMARY/PEER links
  xdp_netlink: { version: "4.8" }, // IFLA_XDP of RTM_SETLINK (driver mode)
  xdp_generic: { version: "4.12" }, // XDP_FLAGS_SKB_MODE: generic XDP on any interface
  xdp_expected_fd: { version: "5.7" }, // IFLA_XDP_EXPECTED_FD with XDP_FLAGS_REPLACE
  tc: { version: "4.5", config: "CONFIG_NET_CLS_BPF" }, // clsact qdisc (4.5) and cls_bpf direct action (4.4) over netlink
  flow_dissector: { version: "4.20" }, // BPF_PROG_ATTACH of a flow dissector to the calling thread's netns
  sockmap: { version: "4.14", config: "CONFIG_BPF_STREAM_PARSER" }, // BPF_PROG_ATTACH of sk_skb stream parser/verdict to a sockmap
  sk_msg: { version: "4.17", config: "CONFIG_BPF_STREAM_PARSER" }, // BPF_SK_MSG_VERDICT
  sk_skb_verdict: { version: "5.13" }, // BPF_SK_SKB_VERDICT (no stream parser: UDP, AF_UNIX)
  sockmap_link: { version: "6.10" }, // BPF_LINK_CREATE on a sockmap or sockhash
  struct_ops: { version: "5.6", config: "CONFIG_DEBUG_INFO_BTF" }, // BPF_MAP_TYPE_STRUCT_OPS registered by its map update (bpf_tcp_ca first)
  struct_ops_link: { version: "6.4" }, // BPF_F_LINK struct_ops maps, BPF_LINK_TYPE_STRUCT_OPS and its BPF_LINK_UPDATE
  struct_ops_module: { version: "6.9" }, // struct_ops types of kernel modules (value_type_btf_obj_fd, BPF_F_VTYPE_BTF_OBJ_FD)
};

/** A FeatureError for attach feature `f`, which the running kernel lacks as `cause` shows. */
export function lacks(what: string, f: AttachFeature, cause: unknown): FeatureError {
  return new FeatureError(what, cause, ATTACH_VERSIONS[f]);
}

let release: [number, number] | undefined;

/** Whether the running kernel's release is below `v` ("5.15"): how an ambiguous errno is read. */
export function kernelBelow(v: string): boolean {
  if (release === undefined) {
    const m = /^(\d+)\.(\d+)/.exec(readTextFile("/proc/sys/kernel/osrelease"));
    release = m ? [+m[1], +m[2]] : [0, 0];
  }
  const [a, b] = v.split(".").map(Number);
  return release[0] !== a ? release[0] < a : release[1] < b;
}
