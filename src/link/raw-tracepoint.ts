/**
 * Raw tracepoints: a BPF_PROG_TYPE_RAW_TRACEPOINT program on a tracepoint by name, given the
 * tracepoint's raw arguments (BPF_RAW_TRACEPOINT_OPEN, 4.17; the fd is a bpf_link since 5.7).
 * The BTF-typed kind, tp_btf, names its tracepoint at load and attaches with attachTracing.
 * @module
 */
import { LinkType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { rawTracepointOpen } from "../cmd/link.ts";
import { BpfError } from "../errors.ts";
import { attachFailed, type BpfLink, ownLink, progFdOf, programText } from "./link.ts";
import { kernelBelow, lacks } from "./needs.ts";
import type { ProgramRef } from "./socket-filter.ts";

/** Options of attachRawTracepoint. */
export interface RawTracepointOptions {
  /** A value the program reads with bpf_get_attach_cookie() (raw_tracepoint.cookie, Linux 6.10). */
  cookie?: number | bigint;
}

/**
 * Runs raw tracepoint program `prog` on tracepoint `name` ("sys_enter", "sched_switch"); the
 * link's fd is the attachment (libbpf's bpf_program__attach_raw_tracepoint).
 *
 * @example
 * ```ts
 * import { attachRawTracepoint } from "tsbpf";
 * using link = attachRawTracepoint(prog, "sys_enter");
 * ```
 */
export function attachRawTracepoint(prog: ProgramRef, name: string, opts: RawTracepointOptions = {}): BpfLink {
  if (typeof name !== "string" || name === "") throw new TypeError(`raw tracepoint name must be a non-empty string, got ${JSON.stringify(name)}`);
  const doing = `attaching ${programText(prog)} to raw tracepoint ${name}`;
  const fd = progFdOf(prog);
  try {
    return ownLink(rawTracepointOpen(name, fd, opts.cookie), `raw_tracepoint link of ${programText(prog)} on ${name}`, LinkType.raw_tracepoint);
  } catch (e) {
    // Kernels before 6.10 refuse the attr bytes of the cookie they do not know.
    if (opts.cookie !== undefined && e instanceof BpfError && (e.errno === Errno.E2BIG || e.errno === Errno.EINVAL) && kernelBelow("6.10")) {
      throw lacks(`a bpf_cookie on raw tracepoint ${name}`, "raw_tracepoint_cookie", e);
    }
    throw attachFailed(e, doing);
  }
}
