/**
 * Tracepoints: a BPF_PROG_TYPE_TRACEPOINT program on a kernel tracepoint, through a
 * PERF_TYPE_TRACEPOINT perf event whose config is the tracepoint's id from tracefs
 * (events/<group>/<name>/id; tracefs is mounted at /sys/kernel/tracing first if nothing has).
 * @module
 */
import { perfEventOpen, PerfAttrFlag, PerfType } from "../sys/perf-event.ts";
import { tracepointId } from "../sys/tracefs.ts";
import { attachFailed, programText } from "./link.ts";
import { attachPerfFd, type PerfAttachOptions, type PerfEventLink } from "./perf-event.ts";
import type { ProgramRef } from "./socket-filter.ts";

/** Options of attachTracepoint: a cookie (5.15+) and the attach path. */
export type TracepointOptions = PerfAttachOptions;

/**
 * Runs tracepoint program `prog` each time tracepoint `group`:`name` fires, on every CPU
 * (libbpf's bpf_program__attach_tracepoint). A missing tracepoint is an Error naming it.
 *
 * @example
 * ```ts
 * import { attachTracepoint } from "tsbpf";
 * using link = attachTracepoint(prog, "syscalls", "sys_enter_openat");
 * ```
 */
export function attachTracepoint(prog: ProgramRef, group: string, name: string, opts: TracepointOptions = {}): PerfEventLink {
  const what = `tracepoint ${group}:${name}`;
  let perfFd: number;
  try {
    const id = tracepointId(group, name);
    // One event on CPU 0 for every task: the program is the tracepoint's, so it runs on every CPU.
    perfFd = perfEventOpen({ type: PerfType.tracepoint, config: id, samplePeriod: 1, wakeup: 1, flags: PerfAttrFlag.disabled }, { pid: -1, cpu: 0, what });
  } catch (e) {
    throw attachFailed(e, `attaching ${programText(prog)} to ${what}`);
  }
  return attachPerfFd(prog, { perfFd, what, event: { kind: "tracepoint", tpName: name, cookie: BigInt(opts.cookie ?? 0) } }, opts);
}
