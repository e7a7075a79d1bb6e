/**
 * Kprobes and kretprobes: a BPF_PROG_TYPE_KPROBE program on a kernel function's entry (at an
 * offset) or return. The perf event comes from the "kprobe" PMU (perf_event_open with the
 * function's name in config1, 4.17), else from a legacy tracefs kprobe_events entry in a group
 * of its own, removed again on close; then the shared perf event attach (perf-event.ts).
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { SyscallError } from "../errors.ts";
import { cString } from "../sys/attr.ts";
import { currentPid, type PerfEventAttr, perfEventOpen, PerfAttrFlag, PerfType } from "../sys/perf-event.ts";
import { fsType } from "../sys/statfs.ts";
import { readTextFile } from "../sys/syscalls.ts";
import { appendTracefs, sanitizeEventName, tracefsHas, tracepointId } from "../sys/tracefs.ts";
import { attachFailed, programText } from "./link.ts";
import { lacks } from "./needs.ts";
import { attachPerfFd, type PerfAttachOptions, type PerfEventLink } from "./perf-event.ts";
import type { ProgramRef } from "./socket-filter.ts";

/** Options of attachKprobe. */
export interface KprobeOptions extends PerfAttachOptions {
  /** A kretprobe: run when the function returns (the offset must then be 0). */
  retprobe?: boolean;
  /** Byte offset into the function (an instruction boundary); 0 by default. */
  offset?: number;
  /** Make the probe through tracefs kprobe_events even where the kprobe PMU exists (the path of kernels before 4.17). */
  tracefs?: boolean;
}

const PMU = "/sys/bus/event_source/devices/kprobe";

/** The kprobe PMU's type and retprobe config bit, or null where the kernel has no such PMU. */
function kprobePmu(): { type: number; retBit: number } | null {
  if (fsType(`${PMU}/type`) < 0) return null;
  const type = Number(readTextFile(`${PMU}/type`).trim());
  const m = /config:(\d+)/.exec(readTextFile(`${PMU}/format/retprobe`));
  if (!Number.isInteger(type) || m === null) throw new Error(`${PMU}: unreadable type or format/retprobe`);
  return { type, retBit: Number(m[1]) };
}

let groups = 0;

/** A tracefs event group no other process or attach uses: tsbpf_<pid>_<n>. */
function uniqueGroup(): string {
  return `tsbpf_${currentPid()}_${groups++}`;
}

function symbolError(e: unknown, symbol: string): unknown {
  if (e instanceof SyscallError && (e.errno === Errno.ENOENT || e.errno === Errno.EINVAL)) {
    e.message += `; is ${symbol} a kernel function in /proc/kallsyms that may be probed (not inlined, not in kprobes/blacklist)?`;
  }
  return e;
}

/** The kprobe as a tracefs event: "p:<group>/<event> <symbol>+<offset>" (or "r:"); its perf fd and the removal. */
function legacyProbe(symbol: string, offset: number, retprobe: boolean, what: string): { perfFd: number; cleanup: () => void } {
  const group = uniqueGroup();
  const event = sanitizeEventName(`${symbol}${offset ? `_${offset.toString(16)}` : ""}`).slice(0, 60);
  const spec = `${retprobe ? "r" : "p"}:${group}/${event} ${symbol}${offset ? `+0x${offset.toString(16)}` : ""}`;
  try {
    appendTracefs("kprobe_events", spec);
  } catch (e) {
    throw symbolError(e, symbol);
  }
  const cleanup = () => appendTracefs("kprobe_events", `-:${group}/${event}`);
  try {
    const id = tracepointId(group, event);
    return { perfFd: perfEventOpen({ type: PerfType.tracepoint, config: id, samplePeriod: 1, flags: PerfAttrFlag.disabled }, { pid: -1, cpu: 0, what }), cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

/**
 * Runs kprobe program `prog` on kernel function `symbol`'s entry (+`offset`), or on its return
 * with `retprobe` (libbpf's bpf_program__attach_kprobe_opts). Kernels without kprobes
 * (CONFIG_KPROBES off) throw a FeatureError.
 *
 * @example
 * ```ts
 * import { attachKprobe } from "tsbpf";
 * using link = attachKprobe(prog, "do_sys_openat2", { retprobe: true });
 * ```
 */
export function attachKprobe(prog: ProgramRef, symbol: string, opts: KprobeOptions = {}): PerfEventLink {
  if (typeof symbol !== "string" || !/^[A-Za-z0-9_.$]+$/.test(symbol)) throw new TypeError(`kprobe symbol must be a kernel symbol name, got ${JSON.stringify(symbol)}`);
  const offset = opts.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`kprobe offset must be a non-negative integer, got ${offset}`);
  const retprobe = opts.retprobe === true;
  if (retprobe && offset !== 0) throw new RangeError(`a kretprobe takes no offset (got ${offset}): it fires at the function's return`);
  const kind = retprobe ? "kretprobe" : "kprobe";
  const what = `${kind} ${symbol}${offset ? `+0x${offset.toString(16)}` : ""}`;
  let perfFd: number;
  let cleanup: (() => void) | undefined;
  try {
    const pmu = opts.tracefs ? null : kprobePmu();
    if (pmu !== null) {
      const attr: PerfEventAttr = {
        type: pmu.type, config: retprobe ? 1n << BigInt(pmu.retBit) : 0, config1: cString(symbol), config2: offset,
        samplePeriod: 1, flags: PerfAttrFlag.disabled,
      };
      try {
        perfFd = perfEventOpen(attr, { pid: -1, cpu: 0, what });
      } catch (e) {
        throw symbolError(e, symbol);
      }
    } else {
      if (!tracefsHas("kprobe_events")) {
        throw lacks("kprobes", "kprobe", new Error(`no kprobe PMU (${PMU}) and no kprobe_events in tracefs`));
      }
      ({ perfFd, cleanup } = legacyProbe(symbol, offset, retprobe, what));
    }
  } catch (e) {
    throw attachFailed(e, `attaching ${programText(prog)} to ${what}`);
  }
  const event = { kind, funcName: symbol, offset, addr: 0n, missed: 0n, cookie: BigInt(opts.cookie ?? 0) } as const;
  return attachPerfFd(prog, { perfFd, what, event, cleanup }, opts);
}
