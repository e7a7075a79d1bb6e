/**
 * BTF-based tracing attachments: fentry, fexit, fmod_ret, tp_btf, LSM and freplace programs, whose
 * target was named when they were loaded (BpfProgram.load's attachTo). BPF_LINK_CREATE with the
 * program's attach type (5.19 for tracing and LSM programs; it carries a cookie and, for freplace,
 * another target), falling back to BPF_RAW_TRACEPOINT_OPEN with no name (5.5) where the kernel
 * says EINVAL, as libbpf's bpf_link_create does.
 * @module
 */
import { AttachType, LinkType, ProgType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { attachTypeName } from "../uapi/names.gen.ts";
import { linkCreate, rawTracepointOpen } from "../cmd/link.ts";
import { BpfError, ENOTSUPP } from "../errors.ts";
import { checkFd, u32Arg } from "../util/args.ts";
import { attachFailed, type BpfLink, ownLink, progFdOf, programText } from "./link.ts";
import { kernelBelow, lacks } from "./needs.ts";
import type { ProgramRef } from "./socket-filter.ts";

/** Options of attachTracing. */
export interface TracingOptions {
  /** A value the program reads with bpf_get_attach_cookie() (tracing.cookie, Linux 5.19). */
  cookie?: number | bigint;
  /**
   * The program's expected attach type (AttachType.trace_fentry, ...), for a program opened from
   * a pin, an id or an fd, which does not know it; a loaded BpfProgram does.
   */
  attachType?: number;
  /**
   * For freplace: a function of another program to replace instead of the one named at load
   * (LINK_CREATE's target_fd and target_btf_id).
   */
  target?: {
    /** The program (or its fd) holding the function. */
    program: ProgramRef;
    /** The function's BTF id in that program's BTF. */
    btfId: number;
  };
}

const TP_BTF = AttachType.trace_raw_tp;

function kindText(progType: number | undefined, attachType: number | undefined): string {
  if (progType === ProgType.ext) return "freplace";
  if (progType === ProgType.lsm || attachType === AttachType.lsm_mac) return "lsm";
  if (attachType === TP_BTF) return "tp_btf";
  if (attachType === undefined) return "tracing";
  return attachTypeName(attachType);
}

/**
 * Attaches a tracing, LSM or extension program to the target it was loaded for: fentry/fexit/
 * fmod_ret on a kernel function, tp_btf on a tracepoint, an LSM hook, or freplace of another
 * program's function (libbpf's bpf_program__attach_trace, _lsm, _freplace).
 *
 * @example
 * ```ts
 * import { AttachType, attachTracing, BpfProgram, ProgType } from "tsbpf";
 * using prog = BpfProgram.load({ type: ProgType.tracing, attachType: AttachType.trace_fentry, attachTo: "do_unlinkat", insns });
 * using link = attachTracing(prog);
 * ```
 */
export function attachTracing(prog: ProgramRef, opts: TracingOptions = {}): BpfLink {
  if (typeof opts !== "object" || opts === null) throw new TypeError("attachTracing(prog, { cookie?, attachType?, target? })");
  const p = typeof prog === "object" && prog !== null ? (prog as { type?: number; attachType?: number; attachTo?: string }) : {};
  const attachType = opts.attachType === undefined ? p.attachType : u32Arg(opts.attachType, "attachType");
  const kind = kindText(p.type, attachType);
  const target = opts.target === undefined ? p.attachTo ?? "the target given at load" : `BTF id ${opts.target.btfId} of ${programText(opts.target.program)}`;
  const doing = `attaching ${programText(prog)} as ${kind} to ${target}`;
  const progFd = progFdOf(prog);
  const targetFd = opts.target === undefined ? 0 : progFdOf(opts.target.program, "target program");
  const targetBtfId = opts.target === undefined ? undefined : u32Arg(opts.target.btfId, "target BTF id");
  const what = `${kind} link of ${programText(prog)} on ${target}`;
  // tp_btf makes a raw_tracepoint link, the others a tracing link; unknown: read from the link when asked.
  const type = attachType === undefined ? 0 : attachType === TP_BTF ? LinkType.raw_tracepoint : LinkType.tracing;
  // Only BPF_LINK_CREATE takes a cookie or another target; without either, the old command does the same.
  const needLink = opts.cookie !== undefined || opts.target !== undefined;
  if (attachType !== undefined || p.type === ProgType.ext || needLink) {
    try {
      const fd = linkCreate(progFd, checkFd(targetFd, "target program fd"), attachType ?? 0, { targetBtfId, tracingCookie: opts.cookie });
      return ownLink(fd, what, type);
    } catch (e) {
      const einval = e instanceof BpfError && e.errno === Errno.EINVAL;
      if (einval && needLink && kernelBelow("5.19")) {
        throw attachFailed(lacks(opts.cookie !== undefined ? `a bpf_cookie on ${kind} programs` : `${kind} on another target`, "tracing_cookie", e), doing);
      }
      if (!einval || needLink) throw explain(e, doing);
    }
  }
  try {
    return ownLink(rawTracepointOpen(null, progFd), what, type);
  } catch (e) {
    throw explain(e, doing);
  }
}

function explain(e: unknown, doing: string): unknown {
  // ENOTSUPP (524): no BPF trampoline for this architecture (x86_64 has one since 5.5, arm64 since 6.0).
  if (e instanceof BpfError && e.errno === ENOTSUPP) e.message += "; the kernel has no BPF trampoline here (x86_64 5.5+, arm64 6.0+)";
  return attachFailed(e, doing);
}
