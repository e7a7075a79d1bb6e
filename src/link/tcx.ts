/**
 * tcx: a BPF_PROG_TYPE_SCHED_CLS program on an interface's ingress or egress, in the kernel's
 * multi-program list (bpf_mprog) ordered by relative anchors - before or after another program
 * or link. BPF_LINK_CREATE with BPF_TCX_INGRESS / BPF_TCX_EGRESS (Linux 6.6). On older kernels
 * attachTcx falls back to the tc way (a clsact qdisc and a cls_bpf filter over netlink: tc.ts),
 * which has no before/after: asked for an order there, it is a FeatureError saying tcx needs 6.6.
 * @module
 */
import { AttachType, LinkType } from "../uapi/enums.gen.ts";
import { AttachFlags } from "../uapi/flags.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { linkCreate, type LinkCreateOptions } from "../cmd/link.ts";
import { BpfError } from "../errors.ts";
import { u32Arg } from "../util/args.ts";
import { attachFailed, BpfLink, ownLink, progFdOf, programText } from "./link.ts";
import { ATTACH_VERSIONS, type AttachFeature, kernelBelow, lacks } from "./needs.ts";
import type { ProgramRef } from "./socket-filter.ts";
import { tcAttach } from "./tc.ts";
import { type NetInterface, resolveInterface } from "./xdp.ts";

/**
 * A place in a multi-program list: next to a program (a BpfProgram or its fd, or `{ programId }`)
 * or to a link (a BpfLink, or `{ linkId }`); "all" puts it before (or after) every one.
 */
export type ProgramAnchor = BpfLink | ProgramRef | { readonly programId: number } | { readonly linkId: number } | "all";

/** Options of attachTcx (and attachNetkit): where in the list the program goes. */
export interface MultiProgOptions {
  /** Run before this program or link ("all": first). */
  before?: ProgramAnchor;
  /** Run after this program or link ("all": last, where a new one goes anyway). */
  after?: ProgramAnchor;
  /** Fail (ESTALE) unless the list is at this revision, as BPF_PROG_QUERY reported it: no change in between. */
  expectedRevision?: number | bigint;
}

/** Which side of the interface a tcx program sees: packets received, or packets sent. */
export type TcxDirection = "ingress" | "egress";

/** How attachTcx puts a program on an interface: "auto" makes a tcx link, or on kernels without tcx (before 6.6) a cls_bpf filter. */
export type TcxAttachVia = "auto" | "link" | "tc";

/** Options of attachTcx: where in the list the program goes, and which way it is attached. */
export interface TcxOptions extends MultiProgOptions {
  /**
   * "auto" (default): a tcx link, else - with no before/after/expectedRevision, which tc lacks - a
   * direct-action cls_bpf filter on the clsact qdisc (attachTc); "link" or "tc" force one way
   * (forcing "tc" tests the path of kernels before 6.6 on newer ones).
   */
  via?: TcxAttachVia;
}

/** How messages name an anchor. */
function anchorText(a: ProgramAnchor): string {
  if (a === "all") return "all";
  if (a instanceof BpfLink) return a.description;
  if (typeof a === "object" && a !== null && "programId" in a) return `program id ${a.programId}`;
  if (typeof a === "object" && a !== null && "linkId" in a) return `link id ${a.linkId}`;
  return programText(a as ProgramRef);
}

/**
 * The flags and relative fields of BPF_LINK_CREATE for `opts`' anchor: BPF_F_BEFORE or
 * BPF_F_AFTER, with BPF_F_LINK for a link and BPF_F_ID for an id. A TypeError for both or a bad anchor.
 */
export function anchorAttrs(opts: MultiProgOptions): { flags: number; relative?: LinkCreateOptions["relative"]; text: string } {
  if (typeof opts !== "object" || opts === null) throw new TypeError("options must be an object { before?, after?, expectedRevision? }");
  if (opts.before !== undefined && opts.after !== undefined) throw new TypeError("give before or after, not both");
  const side = opts.before !== undefined ? "before" : opts.after !== undefined ? "after" : undefined;
  const revision = opts.expectedRevision === undefined ? {} : { expectedRevision: opts.expectedRevision };
  const rel = (r: NonNullable<LinkCreateOptions["relative"]>) => ({ ...r, ...revision });
  if (side === undefined) return { flags: 0, relative: opts.expectedRevision === undefined ? undefined : revision, text: "" };
  const a = opts[side]!;
  let flags = side === "before" ? AttachFlags.before : AttachFlags.after;
  const text = ` ${side} ${anchorText(a)}`;
  if (a === "all") return { flags, relative: rel({}), text };
  if (a instanceof BpfLink) return { flags: flags | AttachFlags.link, relative: rel({ fd: a.fd }), text };
  if (typeof a === "object" && a !== null && "programId" in a) {
    return { flags: flags | AttachFlags.id, relative: rel({ id: u32Arg(a.programId, "programId") }), text };
  }
  if (typeof a === "object" && a !== null && "linkId" in a) {
    flags |= AttachFlags.id | AttachFlags.link;
    return { flags, relative: rel({ id: u32Arg(a.linkId, "linkId") }), text };
  }
  return { flags, relative: rel({ fd: progFdOf(a as ProgramRef, `${side} program`) }), text };
}

/**
 * What an mprog attach's errno means, for tcx and netkit: a FeatureError on kernels below the
 * version where the attach type is unknown (EINVAL), else a hint appended.
 */
export function explainMprog(e: unknown, feature: AttachFeature, what: string): unknown {
  if (!(e instanceof BpfError)) return e;
  if (e.errno === Errno.EINVAL && kernelBelow(ATTACH_VERSIONS[feature].version)) return lacks(what, feature, e);
  if (e.errno === Errno.ENOENT) e.message += "; the anchor (before/after) is not attached there";
  else if (e.errno === Errno.ESTALE) e.message += "; the list changed since expectedRevision was read";
  else if (e.errno === Errno.EEXIST) e.message += "; that program is attached there already";
  else if (e.errno === Errno.ENODEV) e.message += "; no interface of that index in this thread's network namespace";
  else if (e.errno === Errno.ERANGE) e.message += "; the list is full (64 programs)";
  return e;
}

/**
 * Runs tc program `prog` on packets received ("ingress") or sent ("egress") by `iface` (libbpf's
 * bpf_program__attach_tcx): a tcx link, detached when closed. Its return value is TCX_NEXT (-1)
 * to go on to the next program, TCX_PASS (0), TCX_DROP (2) or TCX_REDIRECT (7). Where the kernel
 * has no tcx (before 6.6), a cls_bpf filter as attachTc makes, whose actions have the same values
 * (TC_ACT_UNSPEC, TC_ACT_OK, TC_ACT_SHOT, TC_ACT_REDIRECT): a TcAttachment that close() deletes.
 *
 * @example
 * ```ts
 * import { attachTcx } from "tsbpf";
 * using first = attachTcx(prog, "veth0", "ingress");
 * using before = attachTcx(other, "veth0", "ingress", { before: first });
 * ```
 */
export function attachTcx(prog: ProgramRef, iface: NetInterface, direction: TcxDirection, opts: TcxOptions = {}): BpfLink {
  if (direction !== "ingress" && direction !== "egress") throw new TypeError(`tcx direction must be "ingress" or "egress", got ${JSON.stringify(direction)}`);
  const { flags, relative, text: where } = anchorAttrs(opts);
  const via = opts.via ?? "auto";
  if (via !== "auto" && via !== "link" && via !== "tc") throw new TypeError(`via must be "auto", "link" or "tc", got ${JSON.stringify(via)}`);
  const ordered = where !== "" || relative !== undefined;
  if (via === "tc" && ordered) throw new TypeError("before, after and expectedRevision order a tcx list; a tc filter (via \"tc\") has none of them: use attachTc's priority");
  const progFd = progFdOf(prog);
  const target = resolveInterface(iface);
  const { ifindex, text } = target;
  const type = direction === "ingress" ? AttachType.tcx_ingress : AttachType.tcx_egress;
  const doing = `attaching ${programText(prog)} to tcx ${direction} of ${text}${where}`;
  const tc = () => tcAttach(prog, progFd, target, direction, { priority: 0, handle: 0, direct: true });
  if (via === "tc") return tc();
  try {
    const fd = linkCreate(progFd, ifindex, type, { flags, relative });
    return ownLink(fd, `tcx ${direction} link of ${programText(prog)} on ${text}`, LinkType.tcx);
  } catch (e) {
    const old = e instanceof BpfError && e.errno === Errno.EINVAL && kernelBelow(ATTACH_VERSIONS.tcx.version);
    if (old && via === "auto" && !ordered) return tc();
    const why = ordered
      ? "tcx links (before/after/expectedRevision need them; without those attachTcx falls back to a cls_bpf filter, as attachTc makes)"
      : "tcx links (via \"auto\" falls back to a cls_bpf filter, as attachTc makes)";
    throw attachFailed(explainMprog(e, "tcx", why), doing);
  }
}
