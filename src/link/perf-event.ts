/**
 * Programs on perf events: the path kprobes, tracepoints and uprobes share (a perf event fd,
 * then a BPF_PERF_EVENT bpf_link on 5.15+, else PERF_EVENT_IOC_SET_BPF on the event itself, then
 * PERF_EVENT_IOC_ENABLE), and attachPerfEvent for sampling programs on a PMU event.
 *
 * Both ways give a PerfEventLink, closed like any BpfLink. Where the kernel made a bpf_link it
 * is one (an id, pinning, info from the kernel); where it could not, the object owns the perf
 * event alone: closing it detaches the program, it cannot be pinned (a FeatureError says what that
 * needs), its id is 0 and info() comes from BPF_TASK_FD_QUERY. Either way it also owns what made
 * the event: a legacy tracefs kprobe is removed on close.
 * @module
 */
import { AttachType, LinkType, TaskFdType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { close as closeFd } from "../cmd/fd.ts";
import { linkCreate } from "../cmd/link.ts";
import { taskFdQuery, type TaskFdQueryResult } from "../cmd/misc.ts";
import { progInfoByFd } from "../cmd/info.ts";
import { BpfError, FeatureError } from "../errors.ts";
import {
  currentPid, type PerfEventAttr, perfEventEnable, perfEventOpen, perfEventSetBpf, PerfAttrFlag,
} from "../sys/perf-event.ts";
import { warn } from "../util/warn.ts";
import type { BpfLinkInfo, PerfEventInfo } from "./info.ts";
import { attachFailed, BpfLink, progFdOf, programText } from "./link.ts";
import { ATTACH_VERSIONS, kernelBelow, lacks } from "./needs.ts";
import type { ProgramRef } from "./socket-filter.ts";

/** How a program is put on a perf event: "auto" tries a bpf_link and falls back to the ioctl on kernels without one. */
export type PerfAttachVia = "auto" | "link" | "ioctl";

/** Options every perf-event-based attach takes. */
export interface PerfAttachOptions {
  /** A value the program reads with bpf_get_attach_cookie() (needs the BPF_PERF_EVENT link: Linux 5.15). */
  cookie?: number | bigint;
  /**
   * "auto" (default): a BPF_PERF_EVENT link, else PERF_EVENT_IOC_SET_BPF; "link" or "ioctl" force
   * one way (the ioctl is what kernels before 5.15 have; forcing it tests that path on newer ones).
   */
  via?: PerfAttachVia;
}

/** A perf event ready for a program: its fd (owned from now on) and what it is. */
export interface PerfEventTarget {
  /** The perf event fd; closed with the link, or at once when the attach fails. */
  perfFd: number;
  /** What the event is, for info() where the kernel cannot say. */
  event: PerfEventInfo;
  /** How messages name the attachment ("tracepoint syscalls:sys_enter_openat"). */
  what: string;
  /** Run once the fds are closed: removes a legacy tracefs probe. */
  cleanup?: () => void;
}

interface Extra {
  perfFd: number;
  cleanup?: () => void;
  what: string;
}

// What FdObject's registry does not know of: the perf fd beside a link fd, and a tracefs probe.
const extras = new FinalizationRegistry<Extra>((x) => {
  try {
    closeFd(x.perfFd);
  } catch {
    // gone already
  }
  try {
    x.cleanup?.();
  } catch {
    // best effort at exit
  }
  warn(`${x.what} was garbage-collected without close(); closed its perf event now`);
});

let make: (fd: number, perfFd: number, viaLink: boolean, t: PerfEventTarget, progText: string, progId: number) => PerfEventLink;

/**
 * A program attached to a perf event (kprobe, tracepoint, uprobe, PMU sampling): a BPF_PERF_EVENT
 * bpf_link where the kernel has one (`isBpfLink`), else the perf event itself with the program set
 * by ioctl. Closed the same way either way; see the module's documentation for what differs.
 */
export class PerfEventLink extends BpfLink {
  /** True when the kernel made a bpf_link (5.15+): it has an id and can be pinned. */
  readonly isBpfLink: boolean;
  /** What the event is. */
  readonly event: PerfEventInfo;
  readonly #perfFd: number;
  readonly #cleanup: (() => void) | undefined;
  readonly #progId: number;
  #perfOpen = true;

  static {
    make = (fd, perfFd, viaLink, t, progText, progId) => new PerfEventLink(fd, perfFd, viaLink, t, progText, progId);
  }

  private constructor(fd: number, perfFd: number, viaLink: boolean, t: PerfEventTarget, progText: string, progId: number) {
    super(fd, `${t.what} of ${progText}`, LinkType.perf_event);
    this.#progId = progId;
    this.isBpfLink = viaLink;
    this.event = t.event;
    this.#perfFd = perfFd;
    this.#cleanup = t.cleanup;
    if (viaLink || t.cleanup) extras.register(this, { perfFd: viaLink ? perfFd : -1, cleanup: t.cleanup, what: this.description }, this);
  }

  /** The perf event's fd (the same as `fd` when there is no bpf_link). */
  get perfFd(): number {
    if (!this.#perfOpen) throw new TypeError(`${this.description} is closed`);
    return this.#perfFd;
  }

  /** The bpf_link's id; 0 for a program set on the perf event by ioctl, which is no kernel object of its own. */
  override get id(): number {
    return this.isBpfLink ? super.id : 0;
  }

  /**
   * The kernel's bpf_link_info (6.6+ says what the event is; before, the event is the one this
   * object opened); without a bpf_link, BPF_TASK_FD_QUERY on the perf event.
   */
  override info(): BpfLinkInfo {
    if (this.isBpfLink) {
      const i = super.info();
      return i.type === "perf_event" && i.event.kind === "unknown" ? { ...i, event: this.event } : i;
    }
    let q: TaskFdQueryResult | undefined;
    try {
      q = taskFdQuery(currentPid(), this.perfFd);
    } catch (e) {
      // PMU events (sampling) are no probe the query knows: what this object opened stands.
      if (!(e instanceof BpfError && e.errno === Errno.EOPNOTSUPP)) throw e;
    }
    const progId = q?.progId ?? this.#progId;
    return { id: 0, progId, linkType: LinkType.perf_event, type: "perf_event", event: q ? fromQuery(q, this.event) : this.event };
  }

  /** Pins the bpf_link; a FeatureError without one (PERF_EVENT_IOC_SET_BPF attachments live only as long as their fd). */
  override pin(path: string): void {
    if (!this.isBpfLink) {
      throw new FeatureError("pinning a perf event attachment", new Error(`${this.description} was made with PERF_EVENT_IOC_SET_BPF, not a bpf_link`), ATTACH_VERSIONS.perf_event_link);
    }
    super.pin(path);
  }

  /** Perf event links have no BPF_LINK_UPDATE: a TypeError. Attach the new program, then close this. */
  override update(newProgram: ProgramRef, _opts: { oldProgram?: ProgramRef } = {}): void {
    throw new TypeError(`${this.description}: the kernel cannot swap a perf event's program in place; attach ${programText(newProgram)} and close this one`);
  }

  /**
   * BPF_LINK_DETACH where the kernel made a bpf_link and has a detach for perf event links;
   * otherwise an error: disabling the event would not stop a tracepoint's or kprobe's program
   * (the kernel runs it from the probe, whatever the event's state), so close() is the way.
   */
  override detach(): void {
    if (!this.isBpfLink) {
      throw new TypeError(`${this.description} was made with PERF_EVENT_IOC_SET_BPF, which has no detach: close() it`);
    }
    super.detach();
  }

  /** Closes the link and the perf event, then removes what made the event (a tracefs kprobe). Idempotent. */
  override close(): void {
    if (this.closed) return;
    const pinned = this.pinnedPath;
    super.close();
    if (!this.#perfOpen) return;
    this.#perfOpen = false;
    extras.unregister(this);
    if (this.isBpfLink) closeFd(this.#perfFd);
    if (this.#cleanup === undefined) return;
    if (pinned !== undefined) {
      warn(`${this.description} is pinned at ${pinned}: its tracefs probe stays until the pin is removed`);
      return;
    }
    try {
      this.#cleanup();
    } catch (e) {
      warn(`${this.description}: ${(e as Error).message}`);
    }
  }
}

function fromQuery(q: { fdType: number; name: string; probeOffset: bigint; probeAddr: bigint }, known: PerfEventInfo): PerfEventInfo {
  const cookie = 0n; // without a bpf_link there is no cookie
  switch (q.fdType) {
    case TaskFdType.tracepoint:
      return { kind: "tracepoint", tpName: q.name, cookie };
    case TaskFdType.kprobe:
    case TaskFdType.kretprobe:
      return {
        kind: q.fdType === TaskFdType.kprobe ? "kprobe" : "kretprobe", funcName: q.name, offset: Number(q.probeOffset),
        addr: q.probeAddr, missed: 0n, cookie,
      };
    case TaskFdType.uprobe:
    case TaskFdType.uretprobe:
      return { kind: q.fdType === TaskFdType.uprobe ? "uprobe" : "uretprobe", fileName: q.name, offset: Number(q.probeOffset), cookie, refCtrOffset: 0n };
    default:
      return known;
  }
}

function closeTarget(t: PerfEventTarget): void {
  try {
    closeFd(t.perfFd);
  } catch {
    // the attach failed; the fd may be gone with it
  }
  try {
    t.cleanup?.();
  } catch (e) {
    warn(`${t.what}: ${(e as Error).message}`);
  }
}

/**
 * Puts `prog` on the perf event of `t`: a BPF_PERF_EVENT link (5.15+), else the
 * PERF_EVENT_IOC_SET_BPF ioctl; then enables the event. Takes ownership of `t.perfFd`, closing
 * it (and running `t.cleanup`) when the attach fails.
 */
export function attachPerfFd(prog: ProgramRef, t: PerfEventTarget, opts: PerfAttachOptions = {}): PerfEventLink {
  const via = opts.via ?? "auto";
  const doing = `attaching ${programText(prog)} to ${t.what}`;
  try {
    if (via !== "auto" && via !== "link" && via !== "ioctl") throw new TypeError(`via must be "auto", "link" or "ioctl", got ${JSON.stringify(via)}`);
    if (via === "ioctl" && opts.cookie !== undefined) throw new TypeError(`${doing}: a cookie needs a bpf_link (via "auto" or "link"), the ioctl has none`);
    const progFd = progFdOf(prog);
    if (via !== "ioctl") {
      let linkFd = -1;
      try {
        linkFd = linkCreate(progFd, t.perfFd, AttachType.perf_event, opts.cookie === undefined ? {} : { bpfCookie: opts.cookie });
      } catch (e) {
        // Before 5.15 the attach type is unknown (and before 5.7 the command): EINVAL.
        const old = e instanceof BpfError && e.errno === Errno.EINVAL && kernelBelow(ATTACH_VERSIONS.perf_event_link.version);
        if (old && (via === "link" || opts.cookie !== undefined)) {
          throw lacks(opts.cookie !== undefined ? `a bpf_cookie on ${t.what}` : `a perf_event bpf_link for ${t.what}`, "perf_event_link", e);
        }
        if (via === "link" || !(e instanceof BpfError && e.errno === Errno.EINVAL)) throw e;
      }
      if (linkFd >= 0) {
        try {
          perfEventEnable(t.perfFd);
        } catch (e) {
          closeFd(linkFd);
          throw e;
        }
        return make(linkFd, t.perfFd, true, t, programText(prog), 0);
      }
    }
    perfEventSetBpf(t.perfFd, progFd);
    perfEventEnable(t.perfFd);
    // Kept for info(): no kernel query says which program a PMU event runs.
    const progId = Number(progInfoByFd(progFd).id ?? 0);
    return make(t.perfFd, t.perfFd, false, t, programText(prog), progId);
  } catch (e) {
    closeTarget(t);
    throw attachFailed(e, doing);
  }
}

/** What attachPerfEvent samples: one PMU event, on one CPU or one task. */
export interface PerfEventOptions extends PerfAttachOptions {
  /** perf_event_attr.type: PerfType.hardware, PerfType.software, ..., or a dynamic PMU's type. */
  type: number;
  /** perf_event_attr.config: PerfCountHw / PerfCountSw values, or a raw event. */
  config: number | bigint;
  /** Run the program every this many events (sample_period). Give this or `frequency`. */
  samplePeriod?: number | bigint;
  /** Run the program this many times a second (sample_freq; the kernel adjusts the period). */
  frequency?: number;
  /** The CPU to sample; omit with `pid` to follow the task on every CPU. */
  cpu?: number;
  /** The task to sample (0: this process); omit with `cpu` for every task on that CPU. */
  pid?: number;
  /** Count the task's children too (perf_event_attr.inherit). */
  inherit?: boolean;
}

/**
 * A perf_event program on a PMU event (libbpf's bpf_program__attach_perf_event): run every
 * `samplePeriod` events, or `frequency` times a second, on `cpu` or for `pid`. One CPU per call:
 * sampling every CPU takes one attach per CPU (possibleCpus()).
 */
export function attachPerfEvent(prog: ProgramRef, opts: PerfEventOptions): PerfEventLink {
  if (typeof opts !== "object" || opts === null) throw new TypeError("attachPerfEvent(prog, { type, config, samplePeriod | frequency, cpu | pid })");
  const { type, config, samplePeriod, frequency, cpu, pid, inherit } = opts;
  if ((samplePeriod === undefined) === (frequency === undefined)) throw new TypeError("attachPerfEvent: give samplePeriod or frequency (one of them)");
  if (cpu === undefined && pid === undefined) {
    throw new TypeError("attachPerfEvent: give cpu (every task on that CPU) or pid (that task on every CPU), or both; sampling all CPUs takes one attach per CPU");
  }
  const attr: PerfEventAttr = {
    type, config, samplePeriod: samplePeriod ?? frequency, freq: frequency !== undefined,
    flags: PerfAttrFlag.disabled | (inherit ? PerfAttrFlag.inherit : 0n),
  };
  const what = `perf event type ${type} config ${config}`;
  const perfFd = perfEventOpen(attr, { pid: pid ?? -1, cpu: cpu ?? -1, what });
  const event: PerfEventInfo = { kind: "event", perfType: type, config: BigInt(config), cookie: BigInt(opts.cookie ?? 0) };
  return attachPerfFd(prog, { perfFd, event, what }, opts);
}
