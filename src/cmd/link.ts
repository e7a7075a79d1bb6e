/**
 * Links: BPF_LINK_CREATE, BPF_LINK_UPDATE, BPF_LINK_DETACH, BPF_ITER_CREATE and
 * BPF_RAW_TRACEPOINT_OPEN.
 * @module
 */
import { AttachType, Cmd } from "../uapi/enums.gen.ts";
import { attachTypeName } from "../uapi/names.gen.ts";
import { admitFd } from "../sys/fd-reserve.ts";
import { Attr, cString } from "../sys/attr.ts";
import { bpfRaw } from "../sys/bpf.ts";
import { type FdArg, fdError } from "../sys/fd-kind.ts";
import { IterCreateAttr, LinkCreateAttr, LinkDetachAttr, LinkUpdateAttr, RawTracepointAttr } from "../uapi/layout.gen.ts";
import { checkBytes, checkFd, u32Arg } from "./args.ts";

/** Optional, attach-type specific attributes of BPF_LINK_CREATE. */
export interface LinkCreateOptions {
  /** flags (AttachFlags for cgroup/tcx/netkit links, BPF_F_*_MULTI_RETURN, ...). */
  flags?: number;
  /** target_btf_id: the BTF id of the function a tracing or freplace program attaches to in the target program. */
  targetBtfId?: number;
  /** bpf_iter_link_info for iterator links; iter_info_len is its length. */
  iterInfo?: Uint8Array;
  /** perf_event.bpf_cookie. */
  bpfCookie?: number | bigint;
  /** kprobe_multi: symbols or addresses, cookies, flags. */
  kprobeMulti?: { flags?: number; syms?: readonly string[]; addrs?: readonly (number | bigint)[]; cookies?: readonly (number | bigint)[] };
  /** uprobe_multi: binary path, offsets, ref_ctr offsets, cookies, pid, flags. */
  uprobeMulti?: {
    path: string; offsets: readonly (number | bigint)[]; refCtrOffsets?: readonly (number | bigint)[];
    cookies?: readonly (number | bigint)[]; pid?: number; flags?: number;
  };
  /** tracing.cookie for fentry/fexit/fmod_ret/lsm links. */
  tracingCookie?: number | bigint;
  /** netfilter hook parameters. */
  netfilter?: { pf: number; hooknum: number; priority: number; flags?: number };
  /** tcx, netkit and cgroup (mprog) placement: relative program/link and expected revision. */
  relative?: { fd?: number; id?: number; expectedRevision?: number | bigint };
}

const create = new Attr(LinkCreateAttr.size);

// Attach types whose target is an interface index, not an fd.
const BY_IFINDEX = new Set<number>([AttachType.xdp, AttachType.tcx_ingress, AttachType.tcx_egress, AttachType.netkit_primary, AttachType.netkit_peer]);

/** `xs` as an array the kernel reads `cnt` u64s from: it must have exactly `cnt` elements. */
function u64Array(xs: readonly (number | bigint)[], cnt: number, what: string): Uint8Array {
  if (!Array.isArray(xs)) throw new TypeError(`${what} must be an array of numbers or bigints`);
  if (xs.length !== cnt) throw new RangeError(`${what}: ${xs.length} entries for ${cnt} probes`);
  const out = new Uint8Array(new ArrayBuffer(cnt * 8));
  const dv = new DataView(out.buffer);
  xs.forEach((x, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(x)), true));
  return out;
}

/** A string the kernel reads as a C string, else a TypeError naming it. */
function str(x: unknown, what: string): string {
  if (typeof x !== "string") throw new TypeError(`${what} must be a string, got ${x === null ? "null" : typeof x}`);
  return x;
}

/** Points field `off` at an array of pointers to NUL-terminated copies of `xs`, all held by `a`. */
function stringArray(a: Attr, off: number, xs: readonly string[]): void {
  const ptrs = new Attr(xs.length * 8);
  xs.forEach((x, i) => ptrs.ptr(i * 8, cString(str(x, `kprobe_multi syms[${i}]`))));
  a.hold(ptrs).ptr(off, ptrs.u8);
}

/** How a link_create message names its target: an fd, or an ifindex for the attach types that take one. */
function targetName(attachType: number): string {
  return BY_IFINDEX.has(attachType) ? "target ifindex" : "target fd";
}

/**
 * BPF_LINK_CREATE: attaches `progFd` to `target` (an fd; an ifindex for xdp, tcx and netkit) as
 * `attachType`; the link's fd. A failure names the program, the target and the attach type.
 */
export function linkCreate(progFd: number, targetFd: number, attachType: number, opts: LinkCreateOptions = {}): number {
  const F = LinkCreateAttr.fields;
  const type = u32Arg(attachType, "attach type");
  // A struct_ops link is made from the struct_ops map, given where the program fd goes.
  const prog: FdArg = type === AttachType.struct_ops ? [progFd, "map", "map fd"] : [progFd, "program", "program fd"];
  const target = targetName(type);
  const a = create.zero(LinkCreateAttr.size)
    .u32(F.prog_fd.off, checkFd(progFd, prog[2]))
    .u32(F.target_fd.off, checkFd(targetFd, target))
    .u32(F.attach_type.off, type)
    .u32(F.flags.off, u32Arg(opts.flags ?? 0, "flags"));
  if (opts.targetBtfId !== undefined) a.u32(F.target_btf_id.off, u32Arg(opts.targetBtfId, "target BTF id"));
  if (opts.iterInfo !== undefined) {
    const info = checkBytes(opts.iterInfo, "iterInfo");
    a.ptr(F.iter_info.off, info).u32(F.iter_info_len.off, info.length);
  }
  if (opts.bpfCookie !== undefined) a.u64(F["perf_event.bpf_cookie"].off, opts.bpfCookie);
  if (opts.tracingCookie !== undefined) a.u64(F["tracing.cookie"].off, opts.tracingCookie);
  const km = opts.kprobeMulti;
  if (km) {
    // The kernel reads cnt entries from each array it is given: every length must be cnt.
    if (km.syms !== undefined && km.addrs !== undefined) throw new TypeError("kprobe_multi: give syms or addrs, not both");
    if (km.syms !== undefined && !Array.isArray(km.syms)) throw new TypeError("kprobe_multi syms must be an array of strings");
    const cnt = km.syms?.length ?? km.addrs?.length ?? 0;
    a.u32(F["kprobe_multi.flags"].off, u32Arg(km.flags ?? 0, "kprobe_multi flags")).u32(F["kprobe_multi.cnt"].off, cnt);
    if (km.syms) stringArray(a, F["kprobe_multi.syms"].off, km.syms);
    if (km.addrs) a.ptr(F["kprobe_multi.addrs"].off, u64Array(km.addrs, cnt, "kprobe_multi addrs"));
    if (km.cookies) a.ptr(F["kprobe_multi.cookies"].off, u64Array(km.cookies, cnt, "kprobe_multi cookies"));
  }
  const um = opts.uprobeMulti;
  if (um) {
    if (!Array.isArray(um.offsets)) throw new TypeError("uprobe_multi offsets must be an array of numbers or bigints");
    const cnt = um.offsets.length;
    a.ptr(F["uprobe_multi.path"].off, cString(str(um.path, "uprobe_multi path")))
      .ptr(F["uprobe_multi.offsets"].off, u64Array(um.offsets, cnt, "uprobe_multi offsets"))
      .u32(F["uprobe_multi.cnt"].off, cnt)
      .u32(F["uprobe_multi.flags"].off, u32Arg(um.flags ?? 0, "uprobe_multi flags"))
      .u32(F["uprobe_multi.pid"].off, u32Arg(um.pid ?? 0, "pid"));
    if (um.refCtrOffsets) a.ptr(F["uprobe_multi.ref_ctr_offsets"].off, u64Array(um.refCtrOffsets, cnt, "uprobe_multi refCtrOffsets"));
    if (um.cookies) a.ptr(F["uprobe_multi.cookies"].off, u64Array(um.cookies, cnt, "uprobe_multi cookies"));
  }
  if (opts.netfilter) {
    const n = opts.netfilter;
    a.u32(F["netfilter.pf"].off, u32Arg(n.pf, "pf")).u32(F["netfilter.hooknum"].off, u32Arg(n.hooknum, "hooknum"))
      .s32(F["netfilter.priority"].off, n.priority).u32(F["netfilter.flags"].off, u32Arg(n.flags ?? 0, "netfilter flags"));
  }
  if (opts.relative) {
    const r = opts.relative;
    if (r.fd !== undefined) a.u32(F["tcx.relative_fd"].off, checkFd(r.fd, "relative fd"));
    if (r.id !== undefined) a.u32(F["tcx.relative_id"].off, u32Arg(r.id, "relative id"));
    if (r.expectedRevision !== undefined) a.u64(F["tcx.expected_revision"].off, r.expectedRevision);
  }
  const rc = bpfRaw(Cmd.link_create, a, LinkCreateAttr.size);
  if (rc < 0) {
    const context = `${prog[2]} ${progFd}, ${target} ${targetFd}, attach type ${attachTypeName(type)} (${type})`;
    throw fdError("link_create", -rc, context, BY_IFINDEX.has(type) ? [prog] : [prog, [targetFd, "open", target]]);
  }
  return admitFd("link_create", rc);
}

const update = new Attr(LinkUpdateAttr.size);

/** BPF_LINK_UPDATE: swaps the program of `linkFd` for `newProgFd` (only if it is `oldProgFd`, with AttachFlags.replace). */
export function linkUpdate(linkFd: number, newProgFd: number, opts: { flags?: number; oldProgFd?: number } = {}): void {
  const F = LinkUpdateAttr.fields;
  update.zero(LinkUpdateAttr.size)
    .u32(F.link_fd.off, checkFd(linkFd, "link fd"))
    .u32(F.new_prog_fd.off, checkFd(newProgFd, "new program fd"))
    .u32(F.flags.off, u32Arg(opts.flags ?? 0, "flags"));
  if (opts.oldProgFd !== undefined) update.u32(F.old_prog_fd.off, checkFd(opts.oldProgFd, "old program fd"));
  const rc = bpfRaw(Cmd.link_update, update, LinkUpdateAttr.size);
  if (rc < 0) {
    const fds: FdArg[] = [[linkFd, "link", "link fd"], [newProgFd, "program", "new program fd"]];
    if (opts.oldProgFd !== undefined) fds.push([opts.oldProgFd, "program", "old program fd"]);
    throw fdError("link_update", -rc, `link fd ${linkFd}, new program fd ${newProgFd}`, fds);
  }
}

const small = new Attr(16);

/** BPF_LINK_DETACH: detaches the link's program while the link fd stays open (it then reads as defunct). */
export function linkDetach(linkFd: number): void {
  small.zero(LinkDetachAttr.size).u32(LinkDetachAttr.fields.link_fd.off, checkFd(linkFd, "link fd"));
  const rc = bpfRaw(Cmd.link_detach, small, LinkDetachAttr.size);
  if (rc < 0) throw fdError("link_detach", -rc, `link fd ${linkFd}`, [[linkFd, "link", "link fd"]]);
}

/** BPF_ITER_CREATE: an fd that runs the iterator program of `linkFd` each time it is read. */
export function iterCreate(linkFd: number, flags = 0): number {
  const F = IterCreateAttr.fields;
  small.zero(IterCreateAttr.size).u32(F.link_fd.off, checkFd(linkFd, "link fd")).u32(F.flags.off, u32Arg(flags, "flags"));
  const rc = bpfRaw(Cmd.iter_create, small, IterCreateAttr.size);
  if (rc < 0) throw fdError("iter_create", -rc, `link fd ${linkFd}`, [[linkFd, "link", "link fd"]]);
  return admitFd("iter_create", rc);
}

const rawTp = new Attr(RawTracepointAttr.size);

/**
 * BPF_RAW_TRACEPOINT_OPEN: attaches a raw tracepoint program to tracepoint `name` (null for
 * tracing programs, whose target was given at load time); the link's fd.
 */
export function rawTracepointOpen(name: string | null, progFd: number, cookie?: number | bigint): number {
  const F = RawTracepointAttr.fields;
  rawTp.zero(RawTracepointAttr.size)
    .ptr(F.name.off, name === null ? null : cString(str(name, "tracepoint name")))
    .u32(F.prog_fd.off, checkFd(progFd, "program fd"));
  if (cookie !== undefined) rawTp.u64(F.cookie.off, cookie);
  const rc = bpfRaw(Cmd.raw_tracepoint_open, rawTp, RawTracepointAttr.size);
  if (rc < 0) {
    throw fdError("raw_tracepoint_open", -rc, `${name ?? "(target from load)"}, program fd ${progFd}`, [[progFd, "program", "program fd"]]);
  }
  return admitFd("raw_tracepoint_open", rc);
}
