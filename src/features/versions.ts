/**
 * The mainline release that introduced each map type, program type, helper and probed misc
 * feature - what a probe is checked against on the VM matrix - and the kernel config option an
 * entry also needs where distributions may turn it off.
 * @module
 */
import type { Helper, MapType, ProgType } from "../uapi/enums.gen.ts";
import type { BtfFeature } from "../btf/sanitize.ts";

/** When a feature appeared, and what else it depends on. */
export interface FeatureVersion {
  /** First mainline release with it, "major.minor". */
  readonly version: string;
  /** A kernel config option it needs beyond CONFIG_BPF_SYSCALL, when a distribution may leave it out. */
  readonly config?: string;
}

/** A helper's version, and the program type its probe loads (one that may call it since then). */
export interface HelperVersion extends FeatureVersion {
  /** Program type the probe uses. */
  readonly progType: ProgTypeName;
}

/** Map type names with a probe (aliases and unspec left out). */
export type MapTypeName = Exclude<keyof typeof MapType, "unspec" | "cgroup_storage_deprecated" | "percpu_cgroup_storage_deprecated">;
/** Program type names with a probe. */
export type ProgTypeName = Exclude<keyof typeof ProgType, "unspec">;
/** Helper names (Helper enum keys). */
export type HelperName = Exclude<keyof typeof Helper, "unspec">;
/** The misc features: instruction sets, verifier abilities, commands and attr fields, each with a probe in src/features/. */
export type MiscFeature =
  | "isa_v2" | "isa_v3" | "isa_v4" | "bpf_to_bpf_calls" | "large_insns" | "bounded_loops" | "batch_ops" | "link_create"
  | "memcg_accounting" | "task_fd_query" | "btf_load" | "map_btf" | "map_freeze" | "test_run_skb_mark" | "enable_stats"
  | "iter_create" | "link_detach" | "prog_bind_map" | "kernel_btf" | "hash_lookup_and_delete" | "kprobe_multi"
  | "log_true_size" | "token_create" | "prog_stream_read_by_fd";

const v = (version: string, config?: string): FeatureVersion => (config ? { version, config } : { version });

/** The release that introduced each map type (BPF_MAP_TYPE_*). */
export const MAP_TYPE_VERSIONS: Readonly<Record<MapTypeName, FeatureVersion>> = {
  hash: v("3.19"),
  array: v("3.19"),
  prog_array: v("4.2"),
  perf_event_array: v("4.3", "CONFIG_PERF_EVENTS"),
  percpu_hash: v("4.6"),
  percpu_array: v("4.6"),
  stack_trace: v("4.6", "CONFIG_PERF_EVENTS"),
  cgroup_array: v("4.8", "CONFIG_CGROUPS"),
  lru_hash: v("4.10"),
  lru_percpu_hash: v("4.10"),
  lpm_trie: v("4.11"),
  array_of_maps: v("4.12"),
  hash_of_maps: v("4.12"),
  devmap: v("4.14", "CONFIG_NET"),
  sockmap: v("4.14", "CONFIG_BPF_STREAM_PARSER"),
  cpumap: v("4.15", "CONFIG_NET"),
  xskmap: v("4.18", "CONFIG_XDP_SOCKETS"),
  sockhash: v("4.18", "CONFIG_BPF_STREAM_PARSER"),
  cgroup_storage: v("4.19", "CONFIG_CGROUP_BPF"),
  reuseport_sockarray: v("4.19", "CONFIG_INET"),
  percpu_cgroup_storage: v("4.20", "CONFIG_CGROUP_BPF"),
  queue: v("4.20"),
  stack: v("4.20"),
  sk_storage: v("5.2", "CONFIG_NET"),
  devmap_hash: v("5.4", "CONFIG_NET"),
  struct_ops: v("5.6", "CONFIG_DEBUG_INFO_BTF"),
  ringbuf: v("5.8"),
  inode_storage: v("5.10", "CONFIG_BPF_LSM"),
  task_storage: v("5.11"),
  bloom_filter: v("5.16"),
  user_ringbuf: v("6.1"),
  cgrp_storage: v("6.2", "CONFIG_CGROUPS"),
  arena: v("6.9", "CONFIG_MMU"),
  insn_array: v("6.19"),
  rhash: v("7.2"),
};

/** The release that introduced each program type (BPF_PROG_TYPE_*). */
export const PROG_TYPE_VERSIONS: Readonly<Record<ProgTypeName, FeatureVersion>> = {
  socket_filter: v("3.19"),
  kprobe: v("4.1", "CONFIG_BPF_EVENTS"),
  sched_cls: v("4.1", "CONFIG_NET"),
  sched_act: v("4.1", "CONFIG_NET"),
  tracepoint: v("4.7", "CONFIG_BPF_EVENTS"),
  xdp: v("4.8", "CONFIG_NET"),
  perf_event: v("4.9", "CONFIG_BPF_EVENTS"),
  cgroup_skb: v("4.10", "CONFIG_CGROUP_BPF"),
  cgroup_sock: v("4.10", "CONFIG_CGROUP_BPF"),
  lwt_in: v("4.10", "CONFIG_NET"),
  lwt_out: v("4.10", "CONFIG_NET"),
  lwt_xmit: v("4.10", "CONFIG_NET"),
  sock_ops: v("4.13", "CONFIG_CGROUP_BPF"),
  sk_skb: v("4.14", "CONFIG_NET"),
  cgroup_device: v("4.15", "CONFIG_CGROUP_BPF"),
  sk_msg: v("4.17", "CONFIG_NET"),
  raw_tracepoint: v("4.17", "CONFIG_BPF_EVENTS"),
  cgroup_sock_addr: v("4.17", "CONFIG_CGROUP_BPF"),
  lwt_seg6local: v("4.18", "CONFIG_NET"),
  lirc_mode2: v("4.18", "CONFIG_BPF_LIRC_MODE2"),
  sk_reuseport: v("4.19", "CONFIG_INET"),
  flow_dissector: v("4.20", "CONFIG_NET"),
  cgroup_sysctl: v("5.2", "CONFIG_CGROUP_BPF"),
  raw_tracepoint_writable: v("5.2", "CONFIG_BPF_EVENTS"),
  cgroup_sockopt: v("5.3", "CONFIG_CGROUP_BPF"),
  tracing: v("5.5", "CONFIG_DEBUG_INFO_BTF"),
  struct_ops: v("5.6", "CONFIG_DEBUG_INFO_BTF"),
  ext: v("5.6", "CONFIG_DEBUG_INFO_BTF"),
  lsm: v("5.7", "CONFIG_BPF_LSM"),
  sk_lookup: v("5.9", "CONFIG_INET"),
  syscall: v("5.14"),
  netfilter: v("6.4", "CONFIG_NETFILTER_BPF_LINK"),
};

const h = (version: string, progType: ProgTypeName, config?: string): HelperVersion =>
  config ? { version, progType, config } : { version, progType };

/** The release that introduced a selection of helpers (BPF_FUNC_*), with the program type probed. */
export const HELPER_VERSIONS: Readonly<Partial<Record<HelperName, HelperVersion>>> = {
  map_lookup_elem: h("3.19", "socket_filter"),
  map_update_elem: h("3.19", "socket_filter"),
  map_delete_elem: h("3.19", "socket_filter"),
  probe_read: h("4.1", "kprobe"),
  ktime_get_ns: h("4.1", "kprobe"),
  trace_printk: h("4.1", "kprobe"),
  get_prandom_u32: h("4.1", "socket_filter"),
  get_smp_processor_id: h("4.1", "socket_filter"),
  skb_store_bytes: h("4.1", "sched_cls"),
  l3_csum_replace: h("4.1", "sched_cls"),
  l4_csum_replace: h("4.1", "sched_cls"),
  tail_call: h("4.2", "socket_filter"),
  clone_redirect: h("4.2", "sched_cls"),
  get_current_pid_tgid: h("4.2", "kprobe"),
  get_current_uid_gid: h("4.2", "kprobe"),
  get_current_comm: h("4.2", "kprobe"),
  get_cgroup_classid: h("4.3", "sched_cls"),
  skb_vlan_push: h("4.3", "sched_cls"),
  skb_get_tunnel_key: h("4.3", "sched_cls"),
  perf_event_read: h("4.3", "kprobe"),
  redirect: h("4.4", "sched_cls"),
  perf_event_output: h("4.4", "kprobe"),
  skb_load_bytes: h("4.5", "sched_cls"),
  get_stackid: h("4.6", "kprobe"),
  csum_diff: h("4.6", "sched_cls"),
  get_current_task: h("4.8", "kprobe"),
  xdp_adjust_head: h("4.10", "xdp"),
  probe_read_str: h("4.11", "kprobe"),
  get_socket_cookie: h("4.12", "socket_filter"),
  get_socket_uid: h("4.12", "socket_filter"),
  redirect_map: h("4.14", "xdp"),
  xdp_adjust_meta: h("4.15", "xdp"),
  get_stack: h("4.18", "kprobe"),
  fib_lookup: h("4.18", "xdp"),
  get_current_cgroup_id: h("4.18", "kprobe", "CONFIG_CGROUPS"),
  sk_lookup_tcp: h("4.20", "sched_cls"),
  map_push_elem: h("4.20", "socket_filter"),
  spin_lock: h("5.1", "socket_filter"),
  sk_fullsock: h("5.1", "sched_cls"),
  tcp_sock: h("5.1", "sched_cls"),
  strtol: h("5.2", "cgroup_sysctl", "CONFIG_CGROUP_BPF"),
  sk_storage_get: h("5.2", "cgroup_skb", "CONFIG_CGROUP_BPF"),
  send_signal: h("5.3", "kprobe"),
  probe_read_kernel: h("5.5", "kprobe"),
  probe_read_user: h("5.5", "kprobe"),
  jiffies64: h("5.5", "kprobe"),
  ktime_get_boot_ns: h("5.8", "kprobe"),
  ringbuf_output: h("5.8", "kprobe"),
  ringbuf_reserve: h("5.8", "kprobe"),
  ringbuf_submit: h("5.8", "kprobe"),
  ringbuf_query: h("5.8", "kprobe"),
  skc_to_tcp_sock: h("5.9", "sched_cls"),
  get_task_stack: h("5.9", "kprobe"),
  per_cpu_ptr: h("5.10", "kprobe"),
  this_cpu_ptr: h("5.10", "kprobe"),
  redirect_neigh: h("5.10", "sched_cls"),
  redirect_peer: h("5.10", "sched_cls"),
  get_current_task_btf: h("5.11", "kprobe", "CONFIG_DEBUG_INFO_BTF"),
  ktime_get_coarse_ns: h("5.11", "socket_filter"), // refused to tracing programs
  check_mtu: h("5.12", "xdp"),
  for_each_map_elem: h("5.13", "socket_filter"),
  snprintf: h("5.13", "kprobe"),
  sys_bpf: h("5.14", "syscall"),
  timer_init: h("5.15", "sched_cls"),
  get_func_ip: h("5.15", "kprobe"),
  get_attach_cookie: h("5.15", "kprobe"),
  trace_vprintk: h("5.16", "kprobe"),
  find_vma: h("5.17", "kprobe"),
  loop: h("5.17", "socket_filter"),
  strncmp: h("5.17", "kprobe"),
  xdp_get_buff_len: h("5.18", "xdp"),
  xdp_load_bytes: h("5.18", "xdp"),
  skb_set_tstamp: h("5.18", "sched_cls"),
  kptr_xchg: h("5.19", "socket_filter"),
  map_lookup_percpu_elem: h("5.19", "socket_filter"),
  dynptr_from_mem: h("5.19", "socket_filter"),
  ringbuf_reserve_dynptr: h("5.19", "kprobe"),
  ktime_get_tai_ns: h("6.1", "kprobe"),
  user_ringbuf_drain: h("6.1", "kprobe"),
  cgrp_storage_get: h("6.2", "kprobe", "CONFIG_CGROUPS"),
  cgrp_storage_delete: h("6.2", "kprobe", "CONFIG_CGROUPS"),
};

/** The release that introduced each misc feature (probes: haveFeature() in src/features/feature.ts). */
export const MISC_VERSIONS: Readonly<Record<MiscFeature, FeatureVersion>> = {
  isa_v2: v("4.14"), // BPF_JLT, JLE, JSLT, JSLE
  bpf_to_bpf_calls: v("4.16"),
  task_fd_query: v("4.18"), // BPF_TASK_FD_QUERY
  btf_load: v("4.18"), // BPF_BTF_LOAD
  map_btf: v("4.19"), // BTF key/value types on any map: 4.18 took them on arrays only
  isa_v3: v("5.1"), // BPF_JMP32 and the ALU32 forms LLVM's -mcpu=v3 emits
  large_insns: v("5.2"), // more than 4096 instructions (privileged)
  map_freeze: v("5.2"), // BPF_MAP_FREEZE
  bounded_loops: v("5.3"),
  batch_ops: v("5.6"), // BPF_MAP_*_BATCH
  test_run_skb_mark: v("5.6"), // __sk_buff.mark in test_run's ctx_in (ctx_in itself is 5.2: priority and cb only)
  link_create: v("5.7"), // BPF_LINK_CREATE, BPF_LINK_UPDATE
  enable_stats: v("5.8"), // BPF_ENABLE_STATS
  iter_create: v("5.8"), // BPF_ITER_CREATE: bpf iterators (task, bpf_map, ...; map elements 5.9)
  link_detach: v("5.9"), // BPF_LINK_DETACH
  prog_bind_map: v("5.10"), // BPF_PROG_BIND_MAP
  memcg_accounting: v("5.11"), // BPF memory charged to the memory cgroup, not RLIMIT_MEMLOCK
  kernel_btf: v("5.11", "CONFIG_DEBUG_INFO_BTF"), // vmlinux BTF has an id; bpf_btf_info.kernel_btf
  hash_lookup_and_delete: v("5.14"), // BPF_MAP_LOOKUP_AND_DELETE_ELEM on hash maps (queue/stack since 4.20)
  kprobe_multi: v("5.18", "CONFIG_FPROBE"), // BPF_TRACE_KPROBE_MULTI links
  log_true_size: v("6.4"), // with the rotating verifier log (the end of an overflowing log is kept)
  isa_v4: v("6.6"), // sign-extending loads and moves, bswap, sdiv/smod, gotol (bswap probed)
  token_create: v("6.9"), // BPF_TOKEN_CREATE
  prog_stream_read_by_fd: v("6.17"), // BPF_PROG_STREAM_READ_BY_FD: BPF streams
};

/**
 * The release that introduced each BTF kind or feature sanitizeBtf() can rewrite away (probes:
 * haveBtfFeature() in src/btf/probe.ts, by BPF_BTF_LOAD as libbpf's probe_kern_btf_* do).
 */
export const BTF_FEATURE_VERSIONS: Readonly<Record<BtfFeature, FeatureVersion>> = {
  func: v("5.0"), // BTF_KIND_FUNC, FUNC_PROTO
  datasec: v("5.2"), // BTF_KIND_VAR, DATASEC
  global_func: v("5.6"), // FUNC linkage global/extern
  float: v("5.13"), // BTF_KIND_FLOAT
  decl_tag: v("5.16"), // BTF_KIND_DECL_TAG
  type_tag: v("5.17"), // BTF_KIND_TYPE_TAG
  enum64: v("6.0"), // BTF_KIND_ENUM64 and signed enums
  qmark_datasec: v("6.9"), // any printable character in DATASEC names, '?' first
  layout: v("7.1"), // the layout section (struct btf_layout) and the 32-byte header
};
