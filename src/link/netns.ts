/**
 * Network namespace attachments: a BPF_PROG_TYPE_SK_LOOKUP program (which socket a packet goes
 * to, 5.9) or a BPF_PROG_TYPE_FLOW_DISSECTOR program (how the kernel parses packets for hashing,
 * links 5.8) on a whole network namespace, given by a path (/run/netns/<name>, /proc/<pid>/ns/net)
 * or an fd of one. BPF_LINK_CREATE with the namespace's fd; detached when the link is closed. On
 * kernels without netns links (before 5.8), a flow dissector goes on through BPF_PROG_ATTACH
 * (flow-dissector.ts), which acts on the calling thread's own namespace only.
 * @module
 */
import { AttachType, LinkType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { attachTypeName } from "../uapi/names.gen.ts";
import { checkFd } from "../cmd/args.ts";
import { linkCreate } from "../cmd/link.ts";
import { BpfError } from "../errors.ts";
import { closeQuietly, openRead } from "../sys/file.ts";
import { fdTarget } from "../sys/syscalls.ts";
import { attachFailed, type BpfLink, ownLink, progFdOf, programText } from "./link.ts";
import { flowDissectorAttach } from "./flow-dissector.ts";
import { ATTACH_VERSIONS, kernelBelow, lacks } from "./needs.ts";
import type { ProgramRef } from "./socket-filter.ts";

/** The attach types a network namespace takes. */
export type NetnsAttachType = typeof AttachType.sk_lookup | typeof AttachType.flow_dissector;

/** How attachNetns puts a program on a namespace: "auto" makes a link, or for a flow dissector on kernels without netns links (before 5.8) uses BPF_PROG_ATTACH. */
export type NetnsAttachVia = "auto" | "link" | "attach";

/** Options of attachNetns. */
export interface NetnsOptions {
  /**
   * "auto" (default): a netns link, else (a flow dissector only) BPF_PROG_ATTACH on kernels
   * without one; "link" or "attach" force one way. BPF_PROG_ATTACH acts on the calling thread's
   * own namespace: `netns` must be that one, and the attachment is detached from a thread in it.
   */
  via?: NetnsAttachVia;
}

/**
 * Attaches `prog` to network namespace `netns` (a path such as "/run/netns/blue" or
 * "/proc/self/ns/net", or an fd of one, which stays the caller's) as `attachType`:
 * AttachType.sk_lookup or AttachType.flow_dissector (libbpf's bpf_program__attach_netns). A
 * flow dissector falls back to BPF_PROG_ATTACH on kernels before 5.8 (see NetnsOptions).
 *
 * @example
 * ```ts
 * import { AttachType, attachNetns } from "tsbpf";
 * using link = attachNetns(prog, "/proc/self/ns/net", AttachType.sk_lookup);
 * ```
 */
export function attachNetns(prog: ProgramRef, netns: string | number, attachType: NetnsAttachType, opts: NetnsOptions = {}): BpfLink {
  if (attachType !== AttachType.sk_lookup && attachType !== AttachType.flow_dissector) {
    throw new TypeError(`a network namespace takes AttachType.sk_lookup or AttachType.flow_dissector, got ${attachTypeName(attachType as number)} (${attachType})`);
  }
  if (typeof opts !== "object" || opts === null) throw new TypeError("attachNetns(prog, netns, attachType, { via? })");
  const via = opts.via ?? "auto";
  if (via !== "auto" && via !== "link" && via !== "attach") throw new TypeError(`via must be "auto", "link" or "attach", got ${JSON.stringify(via)}`);
  const sk = attachType === AttachType.sk_lookup;
  if (sk && via === "attach") throw new TypeError("sk_lookup programs attach through links only (Linux 5.9+): via \"attach\" is for flow dissectors");
  const progFd = progFdOf(prog);
  const kind = attachTypeName(attachType);
  const where = typeof netns === "string" ? `network namespace ${netns}` : `network namespace fd ${netns}`;
  const doing = `attaching ${programText(prog)} as ${kind} to ${where}`;
  let fd: number;
  if (typeof netns === "string") {
    try {
      fd = openRead(netns);
    } catch (e) {
      throw attachFailed(e, doing);
    }
  } else {
    fd = checkFd(netns, "network namespace fd");
  }
  try {
    // A BPF object, socket or pipe is EINVAL from the kernel; say what it is instead. (A namespace
    // opened through a bind mount reads as its path, so files are left to the kernel.)
    const target = fdTarget(fd);
    if (target !== null && /^(anon_inode|socket|pipe):/.test(target)) throw new TypeError(`${where} is ${target}, not a network namespace`);
    if (via !== "attach") {
      try {
        return ownLink(linkCreate(progFd, fd, attachType), `netns ${kind} link of ${programText(prog)} on ${where}`, LinkType.netns);
      } catch (e) {
        // Before 5.8 netns links are unknown (EINVAL): a flow dissector has BPF_PROG_ATTACH there.
        const old = !sk && e instanceof BpfError && e.errno === Errno.EINVAL && kernelBelow(ATTACH_VERSIONS.netns_link.version);
        if (!old || via === "link") throw e;
      }
    }
    return flowDissectorAttach(prog, progFd, fd, where);
  } catch (e) {
    throw attachFailed(explain(e, attachType), doing);
  } finally {
    // The link holds the namespace; the fd we opened is no longer needed.
    if (typeof netns === "string") closeQuietly(fd);
  }
}

function explain(e: unknown, attachType: number): unknown {
  if (!(e instanceof BpfError)) return e;
  const sk = attachType === AttachType.sk_lookup;
  // sk_lookup arrived in 5.9 (links only); flow dissector links in 5.8 (via "auto" falls back to BPF_PROG_ATTACH there).
  if (e.errno === Errno.EINVAL && e.cmd === "link_create" && kernelBelow(ATTACH_VERSIONS[sk ? "sk_lookup" : "netns_link"].version)) {
    return lacks(sk ? "sk_lookup programs" : "flow dissector bpf_links (via \"auto\" uses BPF_PROG_ATTACH instead)", sk ? "sk_lookup" : "netns_link", e);
  }
  if (e.cmd === "prog_attach" && e.errno === Errno.EINVAL && kernelBelow(ATTACH_VERSIONS.flow_dissector.version)) return lacks("flow dissectors", "flow_dissector", e);
  if (e.errno === Errno.EINVAL && e.cmd === "link_create") e.message += "; is the target a network namespace (/run/netns/<name>, /proc/<pid>/ns/net)?";
  // One flow dissector per namespace: a second link is E2BIG, one beside a PROG_ATTACH'd program EEXIST.
  if (!sk && (e.errno === Errno.EEXIST || e.errno === Errno.E2BIG)) e.message += "; that namespace has a flow dissector already (one per namespace)";
  return e;
}
