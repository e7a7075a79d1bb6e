/**
 * Links: BPF_LINK_CREATE, BPF_LINK_UPDATE, BPF_LINK_DETACH, BPF_ITER_CREATE and
 * BPF_RAW_TRACEPOINT_OPEN.
 * @module
 */
import { Cmd } from "../constants/enums.gen.ts";
import { Attr, cString } from "../sys/attr.ts";
import { bpfCall } from "../sys/bpf.ts";
import { IterCreateAttr, LinkCreateAttr, LinkDetachAttr, LinkUpdateAttr, RawTracepointAttr } from "../sys/layout.gen.ts";
import { checkFd, u32Arg } from "./args.ts";

/** Optional, attach-type specific attributes of BPF_LINK_CREATE. */
export interface LinkCreateOptions {
  /** flags (AttachFlags for cgroup/tcx/netkit links, BPF_F_*_MULTI_RETURN, ...). */
  flags?: number;
  /** Attach by struct_ops map instead of a program (prog_fd is then the map fd). */
  targetBtfId?: number;
  /** bpf_iter_link_info for iterator links. */
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

function u64Array(xs: readonly (number | bigint)[]): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(xs.length * 8));
  const dv = new DataView(out.buffer);
  xs.forEach((x, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(x)), true));
  return out;
}

/** Points field `off` at an array of pointers to NUL-terminated copies of `xs`, all held by `a`. */
function stringArray(a: Attr, off: number, xs: readonly string[]): void {
  const ptrs = new Attr(xs.length * 8);
  xs.forEach((x, i) => ptrs.ptr(i * 8, cString(x)));
  a.hold(ptrs).ptr(off, ptrs.u8);
}

/** BPF_LINK_CREATE: attaches `progFd` to `targetFd` as `attachType`; the link's fd. */
export function linkCreate(progFd: number, targetFd: number, attachType: number, opts: LinkCreateOptions = {}): number {
  const F = LinkCreateAttr.fields;
  const a = create.zero(LinkCreateAttr.size)
    .u32(F.prog_fd.off, checkFd(progFd, "program fd"))
    .u32(F.target_fd.off, u32Arg(targetFd, "target fd"))
    .u32(F.attach_type.off, u32Arg(attachType, "attach type"))
    .u32(F.flags.off, u32Arg(opts.flags ?? 0, "flags"));
  if (opts.targetBtfId !== undefined) a.u32(F.target_btf_id.off, u32Arg(opts.targetBtfId, "target BTF id"));
  if (opts.iterInfo !== undefined) a.ptr(F.iter_info.off, opts.iterInfo).u32(F.iter_info_len.off, opts.iterInfo.length);
  if (opts.bpfCookie !== undefined) a.u64(F["perf_event.bpf_cookie"].off, opts.bpfCookie);
  if (opts.tracingCookie !== undefined) a.u64(F["tracing.cookie"].off, opts.tracingCookie);
  const km = opts.kprobeMulti;
  if (km) {
    const cnt = km.syms?.length ?? km.addrs?.length ?? 0;
    a.u32(F["kprobe_multi.flags"].off, u32Arg(km.flags ?? 0, "kprobe_multi flags")).u32(F["kprobe_multi.cnt"].off, cnt);
    if (km.syms) stringArray(a, F["kprobe_multi.syms"].off, km.syms);
    if (km.addrs) a.ptr(F["kprobe_multi.addrs"].off, u64Array(km.addrs));
    if (km.cookies) {
      if (km.cookies.length !== cnt) throw new RangeError(`kprobe_multi: ${km.cookies.length} cookies for ${cnt} probes`);
      a.ptr(F["kprobe_multi.cookies"].off, u64Array(km.cookies));
    }
  }
  const um = opts.uprobeMulti;
  if (um) {
    const cnt = um.offsets.length;
    a.ptr(F["uprobe_multi.path"].off, cString(um.path))
      .ptr(F["uprobe_multi.offsets"].off, u64Array(um.offsets))
      .u32(F["uprobe_multi.cnt"].off, cnt)
      .u32(F["uprobe_multi.flags"].off, u32Arg(um.flags ?? 0, "uprobe_multi flags"))
      .u32(F["uprobe_multi.pid"].off, u32Arg(um.pid ?? 0, "pid"));
    if (um.refCtrOffsets) a.ptr(F["uprobe_multi.ref_ctr_offsets"].off, u64Array(um.refCtrOffsets));
    if (um.cookies) a.ptr(F["uprobe_multi.cookies"].off, u64Array(um.cookies));
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
  return bpfCall(Cmd.link_create, a, LinkCreateAttr.size);
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
  bpfCall(Cmd.link_update, update, LinkUpdateAttr.size);
}

const small = new Attr(16);

/** BPF_LINK_DETACH: detaches the link's program while the link fd stays open (it then reads as defunct). */
export function linkDetach(linkFd: number): void {
  small.zero(LinkDetachAttr.size).u32(LinkDetachAttr.fields.link_fd.off, checkFd(linkFd, "link fd"));
  bpfCall(Cmd.link_detach, small, LinkDetachAttr.size);
}

/** BPF_ITER_CREATE: an fd that runs the iterator program of `linkFd` each time it is read. */
export function iterCreate(linkFd: number, flags = 0): number {
  const F = IterCreateAttr.fields;
  small.zero(IterCreateAttr.size).u32(F.link_fd.off, checkFd(linkFd, "link fd")).u32(F.flags.off, u32Arg(flags, "flags"));
  return bpfCall(Cmd.iter_create, small, IterCreateAttr.size);
}

const rawTp = new Attr(RawTracepointAttr.size);

/**
 * BPF_RAW_TRACEPOINT_OPEN: attaches a raw tracepoint program to tracepoint `name` (null for
 * tracing programs, whose target was given at load time); the link's fd.
 */
export function rawTracepointOpen(name: string | null, progFd: number, cookie?: number | bigint): number {
  const F = RawTracepointAttr.fields;
  rawTp.zero(RawTracepointAttr.size)
    .ptr(F.name.off, name === null ? null : cString(name))
    .u32(F.prog_fd.off, checkFd(progFd, "program fd"));
  if (cookie !== undefined) rawTp.u64(F.cookie.off, cookie);
  return bpfCall(Cmd.raw_tracepoint_open, rawTp, RawTracepointAttr.size, { context: name ?? "(target from load)" });
}
