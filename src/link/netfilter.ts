/**
 * Netfilter: a BPF_PROG_TYPE_NETFILTER program on a netfilter hook (pre-routing, local in, ...)
 * of the calling thread's network namespace, among the hook's other functions by priority.
 * BPF_LINK_CREATE with BPF_NETFILTER (Linux 6.4, CONFIG_NETFILTER_BPF_LINK). The program returns
 * NF_DROP (0) or NF_ACCEPT (1).
 * @module
 */
import { AttachType, LinkType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { linkCreate } from "../cmd/link.ts";
import { BpfError } from "../errors.ts";
import { u32Arg } from "../util/args.ts";
import { attachFailed, type BpfLink, ownLink, progFdOf, programText } from "./link.ts";
import { ATTACH_VERSIONS, kernelBelow, lacks } from "./needs.ts";
import type { ProgramRef } from "./socket-filter.ts";

/** Protocol families of netfilter hooks (NFPROTO_*, linux/netfilter.h). */
export const NfProto = {
  /** NFPROTO_IPV4. */
  ipv4: 2,
  /** NFPROTO_IPV6. */
  ipv6: 10,
} as const;

/** The IPv4/IPv6 hooks (enum nf_inet_hooks). */
export const NfInetHook = {
  /** NF_INET_PRE_ROUTING: every packet received, before routing. */
  pre_routing: 0,
  /** NF_INET_LOCAL_IN: packets for this host. */
  local_in: 1,
  /** NF_INET_FORWARD: packets routed through. */
  forward: 2,
  /** NF_INET_LOCAL_OUT: packets this host sends. */
  local_out: 3,
  /** NF_INET_POST_ROUTING: every packet sent, after routing. */
  post_routing: 4,
} as const;

/** BPF_F_NETFILTER_IP_DEFRAG: the program sees packets reassembled (Linux 6.6; its priority must be after defrag's, -400). */
export const NETFILTER_IP_DEFRAG = 1;

/** Where attachNetfilter puts the program. */
export interface NetfilterOptions {
  /** Protocol family: NfProto.ipv4 or NfProto.ipv6. */
  pf: number;
  /** Hook: NfInetHook.local_in, ... */
  hooknum: number;
  /** Order among the hook's functions, lowest first (conntrack is at -200, filter tables at 0); not INT_MIN or INT_MAX. */
  priority: number;
  /** NETFILTER_IP_DEFRAG, or 0. */
  flags?: number;
}

const NAMES = ["pre_routing", "local_in", "forward", "local_out", "post_routing"];

/**
 * Runs netfilter program `prog` on hook `hooknum` of family `pf` in the calling thread's network
 * namespace, at `priority` (libbpf's bpf_program__attach_netfilter): detached when the link is closed.
 *
 * @example
 * ```ts
 * import { attachNetfilter, NfInetHook, NfProto } from "tsbpf";
 * using link = attachNetfilter(prog, { pf: NfProto.ipv4, hooknum: NfInetHook.local_in, priority: -128 });
 * ```
 */
export function attachNetfilter(prog: ProgramRef, opts: NetfilterOptions): BpfLink {
  if (typeof opts !== "object" || opts === null) throw new TypeError("attachNetfilter(prog, { pf, hooknum, priority, flags? })");
  const pf = u32Arg(opts.pf, "pf");
  const hooknum = u32Arg(opts.hooknum, "hooknum");
  const { priority } = opts;
  if (!Number.isInteger(priority) || priority < -0x80000000 || priority > 0x7fffffff) throw new RangeError(`priority must be an int32, got ${priority}`);
  const flags = u32Arg(opts.flags ?? 0, "flags");
  const family = pf === NfProto.ipv4 ? "ipv4" : pf === NfProto.ipv6 ? "ipv6" : `pf ${pf}`;
  const hook = (pf === NfProto.ipv4 || pf === NfProto.ipv6) && hooknum < NAMES.length ? NAMES[hooknum] : `hook ${hooknum}`;
  const where = `netfilter ${family} ${hook} at priority ${priority}`;
  const doing = `attaching ${programText(prog)} to ${where}`;
  const progFd = progFdOf(prog);
  try {
    const fd = linkCreate(progFd, 0, AttachType.netfilter, { netfilter: { pf, hooknum, priority, flags } });
    return ownLink(fd, `netfilter link of ${programText(prog)} on ${where}`, LinkType.netfilter);
  } catch (e) {
    throw attachFailed(explain(e, flags), doing);
  }
}

function explain(e: unknown, flags: number): unknown {
  if (!(e instanceof BpfError)) return e;
  // Before 6.4 the attach type is unknown: EINVAL. Built without the link: EOPNOTSUPP. Before 6.6 the defrag flag: EOPNOTSUPP.
  if (e.errno === Errno.EINVAL && kernelBelow(ATTACH_VERSIONS.netfilter.version)) return lacks("netfilter links", "netfilter", e);
  if (e.errno === Errno.EOPNOTSUPP && flags !== 0 && kernelBelow(ATTACH_VERSIONS.netfilter_defrag.version)) return lacks("netfilter links with IP defragmentation", "netfilter_defrag", e);
  if (e.errno === Errno.EOPNOTSUPP && flags === 0) return lacks("netfilter links", "netfilter", e);
  if (e.errno === Errno.ERANGE) e.message += "; the priority may not be INT_MIN or INT_MAX, and with IP defrag must be above -400";
  else if (e.errno === Errno.EAFNOSUPPORT) e.message += "; netfilter links take NfProto.ipv4 and NfProto.ipv6";
  else if (e.errno === Errno.EPROTO) e.message += "; no such hook in that family (NfInetHook)";
  return e;
}
