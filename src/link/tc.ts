/**
 * Legacy tc: a BPF_PROG_TYPE_SCHED_CLS program as a cls_bpf filter on an interface's clsact
 * qdisc (Linux 4.5), ingress or egress, made over rtnetlink as `tc filter add ... bpf da` does:
 * the way of kernels before tcx (6.6), and usable beside tcx on newer ones (tcx programs run
 * first). The clsact qdisc is added when the interface has none; it stays after the filter goes
 * (it costs nothing without filters, and removing it would remove other programs' filters too).
 *
 * The filter is no bpf_link: attachTc gives a TcAttachment (an Attachment, a BpfLink in shape)
 * whose close() deletes the filter - see attachment.ts for what differs from a link. Its netlink
 * socket is opened in the calling thread's network namespace and kept, so the filter is deleted
 * there whichever namespace the thread is in by then.
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { NetlinkError, type NetlinkSocket } from "../sys/netlink.ts";
import { type NlMessage, parseAttrs } from "../sys/netlink-msg.ts";
import { cStringAt } from "../util/text.ts";
import { type AttachmentOps, type AttachmentParts, Attachment } from "./attachment.ts";
import type { BpfLinkInfo } from "./info.ts";
import { withNetlinkHold } from "./netlink-hold.ts";
import { attachFailed, progFdOf, programText } from "./link.ts";
import { ATTACH_VERSIONS, kernelBelow, lacks } from "./needs.ts";
import type { ProgramRef } from "./socket-filter.ts";
import {
  clsactParent, ETH_P_ALL_NET, RTM_DELTFILTER, RTM_NEWQDISC, RTM_NEWTFILTER, TC_H_CLSACT, TCA_BPF_FD, TCA_BPF_FLAG_ACT_DIRECT, TCA_BPF_FLAGS,
  TCA_BPF_NAME, TCA_KIND, TCA_OPTIONS, readTcmsg, tcmsg, TCMSG_SIZE,
} from "./tc-msg.ts";
import { type NetInterface, resolveInterface } from "./xdp.ts";

/** Which side of the interface a tc filter sees: packets received, or packets sent. */
export type TcDirection = "ingress" | "egress";

/** Options of attachTc. */
export interface TcOptions {
  /** The filter's priority, 1..65535 (lower runs first); omitted, the kernel picks one below those there (49152 on an empty hook). */
  priority?: number;
  /** The filter's handle within its priority, 1..2^32-1; omitted, the kernel picks one. */
  handle?: number;
  /**
   * Direct action (TCA_BPF_FLAG_ACT_DIRECT, default true): the program's return value is the tc
   * action - TC_ACT_OK (0), TC_ACT_SHOT (2), TC_ACT_UNSPEC (-1) for the next filter, TC_ACT_REDIRECT
   * (7) - as for tcx. False: it returns a class id, as classic classifiers do.
   */
  directAction?: boolean;
}

/** What names a tc filter: interface, parent (clsact ingress or egress), priority and handle. */
interface FilterId {
  ifindex: number;
  parent: number;
  priority: number;
  handle: number;
}

/** RTM_NEWQDISC clsact, unless the interface has one (EEXIST) - or an ingress qdisc, which takes ingress filters too. */
function ensureClsact(sock: NetlinkSocket, ifindex: number): void {
  const w = sock.request(RTM_NEWQDISC, 0x400 /* NLM_F_CREATE */ | 0x200 /* NLM_F_EXCL */);
  tcmsg(w, ifindex, 0xffff0000, TC_H_CLSACT, 0);
  w.attrString(TCA_KIND, "clsact");
  try {
    sock.transact("RTM_NEWQDISC", undefined, `clsact qdisc on ifindex ${ifindex}`);
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === Errno.EEXIST) return;
    throw e;
  }
}

/** The filter's bytes of RTM_NEWTFILTER (kind "bpf", the program's fd and name, the flags). */
function filterRequest(sock: NetlinkSocket, flags: number, f: FilterId, progFd: number, name: string, direct: boolean): void {
  const w = sock.request(RTM_NEWTFILTER, flags);
  tcmsg(w, f.ifindex, f.handle, f.parent, ((f.priority << 16) | ETH_P_ALL_NET) >>> 0);
  w.attrString(TCA_KIND, "bpf");
  const opts = w.nest(TCA_OPTIONS);
  w.attrU32(TCA_BPF_FD, progFd).attrString(TCA_BPF_NAME, name);
  if (direct) w.attrU32(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
  w.end(opts);
}

/** Adds the filter (NLM_F_EXCL: never over another) and reads back the priority and handle the kernel gave it (NLM_F_ECHO). */
function addFilter(sock: NetlinkSocket, f: FilterId, progFd: number, name: string, direct: boolean): FilterId {
  filterRequest(sock, 0x400 | 0x200 | 0x8 /* CREATE | EXCL | ECHO */, f, progFd, name, direct);
  let got: FilterId | undefined;
  sock.transact("RTM_NEWTFILTER", (m: NlMessage) => {
    if (m.type !== RTM_NEWTFILTER || m.payload.length < TCMSG_SIZE) return;
    const kind = parseAttrs(m.payload, TCMSG_SIZE).get(TCA_KIND);
    if (kind !== undefined && cStringAt(kind) !== "bpf") return;
    const t = readTcmsg(m.payload);
    got = { ifindex: t.ifindex, handle: t.handle, parent: t.parent, priority: t.info >>> 16 };
  });
  // Kernels that echo nothing leave what was asked; a handle or priority 0 is then unknown.
  return got ?? f;
}

/** RTM_DELTFILTER of exactly that filter. */
function deleteFilter(sock: NetlinkSocket, f: FilterId): void {
  const w = sock.request(RTM_DELTFILTER);
  tcmsg(w, f.ifindex, f.handle, f.parent, ((f.priority << 16) | ETH_P_ALL_NET) >>> 0);
  w.attrString(TCA_KIND, "bpf");
  sock.transact("RTM_DELTFILTER");
}

let make: (p: AttachmentParts, f: FilterId, direction: TcDirection) => TcAttachment;

/** A cls_bpf filter on a clsact qdisc: close() deletes it. An Attachment (no bpf_link); see the module's documentation. */
export class TcAttachment extends Attachment {
  /** "ingress" or "egress". */
  readonly direction: TcDirection;
  /** The interface's index. */
  readonly ifindex: number;
  /** The filter's priority (the kernel's pick when none was asked for). */
  readonly priority: number;
  /** The filter's handle (the kernel's pick when none was asked for). */
  readonly handle: number;

  static {
    make = (p, f, direction) => new TcAttachment(p, f, direction);
  }

  private constructor(p: AttachmentParts, f: FilterId, direction: TcDirection) {
    super(p);
    this.direction = direction;
    this.ifindex = f.ifindex;
    this.priority = f.priority;
    this.handle = f.handle;
  }
}

function u16Priority(v: number | undefined): number {
  if (v === undefined) return 0;
  if (!Number.isInteger(v) || v < 1 || v > 0xffff) throw new RangeError(`tc priority must be an integer in [1, 65535], got ${v}`);
  return v;
}

function u32Handle(v: number | undefined): number {
  if (v === undefined) return 0;
  if (!Number.isInteger(v) || v < 1 || v > 0xffffffff) throw new RangeError(`tc handle must be an integer in [1, 2^32-1], got ${v}`);
  return v;
}

/** Checks attachTc's arguments before any syscall: the direction and the options. */
function tcArgs(direction: TcDirection, opts: TcOptions): { priority: number; handle: number; direct: boolean } {
  if (direction !== "ingress" && direction !== "egress") throw new TypeError(`tc direction must be "ingress" or "egress", got ${JSON.stringify(direction)}`);
  if (typeof opts !== "object" || opts === null) throw new TypeError("attachTc(prog, iface, direction, { priority?, handle?, directAction? })");
  const direct = opts.directAction ?? true;
  if (typeof direct !== "boolean") throw new TypeError(`directAction must be a boolean, got ${typeof direct}`);
  return { priority: u16Priority(opts.priority), handle: u32Handle(opts.handle), direct };
}

/**
 * Runs tc program `prog` on packets received ("ingress") or sent ("egress") by `iface` as a
 * cls_bpf filter, direct action by default (libbpf's bpf_tc_hook_create + bpf_tc_attach; `tc
 * filter add dev <iface> <direction> bpf da`). Works on every kernel since 4.5; attachTcx uses
 * it where the kernel has no tcx. Fails with EEXIST where a filter of that priority and handle is
 * there already.
 *
 * @example
 * ```ts
 * import { attachTc } from "tsbpf";
 * using filter = attachTc(prog, "veth0", "ingress", { priority: 1 });
 * ```
 */
export function attachTc(prog: ProgramRef, iface: NetInterface, direction: TcDirection, opts: TcOptions = {}): TcAttachment {
  const args = tcArgs(direction, opts);
  const progFd = progFdOf(prog);
  return tcAttach(prog, progFd, resolveInterface(iface), direction, args);
}

/** attachTc once the arguments are checked and the interface resolved: attachTcx's fallback comes in here. */
export function tcAttach(
  prog: ProgramRef, progFd: number, target: { ifindex: number; text: string }, direction: TcDirection,
  args: { priority: number; handle: number; direct: boolean },
): TcAttachment {
  const { ifindex, text } = target;
  const at = [args.priority ? `prio ${args.priority}` : "", args.handle ? `handle 0x${args.handle.toString(16)}` : ""].filter(Boolean).join(" ");
  const doing = `attaching ${programText(prog)} as a tc ${direction} filter (cls_bpf${at ? `, ${at}` : ""}) on ${text}`;
  return withNetlinkHold(progFd, (h) => {
    ensureClsact(h.sock, ifindex);
    const parent = clsactParent(direction);
    const given = typeof prog === "object" && prog !== null ? (prog as { name?: unknown }).name : undefined;
    const progName = typeof given === "string" ? given : "";
    const name = `${progName || "tsbpf"}:[${h.progId}]`;
    const f = addFilter(h.sock, { ifindex, parent, priority: args.priority, handle: args.handle }, progFd, name, args.direct);
    const s = h.sock;
    const ops: AttachmentOps = {
      detach: () => deleteFilter(s, f),
      // NLM_F_REPLACE on the same priority and handle swaps the program in one step.
      replace: (newFd) => {
        filterRequest(s, 0x100 /* NLM_F_REPLACE */, f, newFd, name, args.direct);
        s.transact("RTM_NEWTFILTER");
      },
      release: () => s.close(),
    };
    const what = `tc ${direction} filter (cls_bpf, prio ${f.priority} handle 0x${f.handle.toString(16)}) of ${programText(prog)} on ${text}`;
    const info = (progId: number): BpfLinkInfo => ({ id: 0, progId, linkType: 0, type: "other", typeName: "tc" });
    const parts: AttachmentParts = { fd: h.fd, what, linkType: 0, via: "netlink", progFd: h.progFd, progId: h.progId, ops, info, linkNeeds: ATTACH_VERSIONS.tcx };
    return make(parts, f, direction);
  }, (e) => attachFailed(explain(e), doing));
}

function explain(e: unknown): unknown {
  if (!(e instanceof NetlinkError)) return e;
  // An unknown qdisc or filter kind (no clsact before 4.5, no cls_bpf module) is ENOENT or EOPNOTSUPP.
  const unknownKind = /kind is unknown|Unknown (qdisc|filter)|specified qdisc not found/i.test(e.kernelMessage ?? "");
  if ((e.errno === Errno.ENOENT || e.errno === Errno.EOPNOTSUPP) && (unknownKind || kernelBelow(ATTACH_VERSIONS.tc.version))) {
    return lacks("tc clsact qdiscs with cls_bpf filters", "tc", e);
  }
  if (e.errno === Errno.EEXIST) e.message += "; a filter of that priority and handle is there already";
  else if (e.errno === Errno.ENODEV) e.message += "; no interface of that index in this thread's network namespace";
  else if (e.errno === Errno.EINVAL && e.request === "RTM_NEWTFILTER") e.message += "; is the program of type sched_cls, and the qdisc a clsact one (an ingress qdisc takes ingress filters only)?";
  return e;
}
