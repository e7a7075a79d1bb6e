// Tracepoint programs fire for real on syscalls:sys_enter_getpid: through a perf_event bpf_link
// (5.15+) and through PERF_EVENT_IOC_SET_BPF (what 5.10 has; forced with via: "ioctl" elsewhere),
// with cookies where the kernel takes them, and failures that name the program and the tracepoint.
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import {
  ATTACH_VERSIONS, attachTracepoint, BpfError, BpfProgram, FeatureError, LinkType, PerfEventLink, ProgType, tracefsRoot,
} from "../../mod.ts";
import { describePriv, kernelAtLeast, itPriv } from "../helpers/env.ts";
import { cookieInsns, count, countsMap, expectCounting, getpids, loadCounter, perfFds } from "./counter.ts";

const TP = { feature: { progType: "tracepoint" } } as const;
const perfLinks = kernelAtLeast(ATTACH_VERSIONS.perf_event_link.version);

describePriv("attachTracepoint", TP, () => {
  itPriv("counts getpid() calls; close() stops it", TP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.tracepoint });
    const link = attachTracepoint(prog, "syscalls", "sys_enter_getpid");
    expect(link).toBeInstanceOf(PerfEventLink);
    // "auto" makes a bpf_link where the kernel has them, and falls back to the ioctl where not.
    expect(link.isBpfLink).toBe(perfLinks);
    expect(link.type).toBe(LinkType.perf_event);
    expectCounting(counts, getpids, () => link.close());
    expect(() => link.perfFd).toThrow(TypeError);
  });

  itPriv("through PERF_EVENT_IOC_SET_BPF: no bpf_link, closed the same way", TP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.tracepoint });
    const link = attachTracepoint(prog, "syscalls", "sys_enter_getpid", { via: "ioctl" });
    expect(link.isBpfLink).toBe(false);
    expect(link.id).toBe(0);
    expect(link.fd).toBe(link.perfFd);
    const info = link.info(); // from BPF_TASK_FD_QUERY
    expect(info).toMatchObject({ id: 0, progId: prog.id, type: "perf_event", event: { kind: "tracepoint", tpName: "sys_enter_getpid" } });
    const pin = catchIt(() => link.pin("/sys/fs/bpf/nope"));
    expect(pin).toBeInstanceOf(FeatureError);
    expect(pin.message).toMatch(/pinning a perf event attachment not supported by the running kernel: needs Linux 5\.15\+/);
    expect(() => link.update(prog)).toThrow(/cannot swap a perf event's program in place/);
    expect(() => link.detach()).toThrow(/PERF_EVENT_IOC_SET_BPF, which has no detach: close\(\) it/);
    expectCounting(counts, getpids, () => link.close());
  });

  itPriv("via: \"link\" makes a bpf_link or says which kernel it needs", TP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.tracepoint });
    if (!perfLinks) {
      const e = catchIt(() => attachTracepoint(prog, "syscalls", "sys_enter_getpid", { via: "link" }));
      expect(e).toBeInstanceOf(FeatureError);
      expect(e.message).toMatch(/needs Linux 5\.15\+/);
      const cookie = catchIt(() => attachTracepoint(prog, "syscalls", "sys_enter_getpid", { cookie: 1 }));
      expect(cookie).toBeInstanceOf(FeatureError);
      expect(cookie.message).toMatch(/a bpf_cookie on tracepoint syscalls:sys_enter_getpid not supported .*needs Linux 5\.15\+/);
      return;
    }
    using link = attachTracepoint(prog, "syscalls", "sys_enter_getpid", { via: "link" });
    expect(link.isBpfLink).toBe(true);
    expect(link.id).toBeGreaterThan(0);
    const info = link.info();
    expect(info.type).toBe("perf_event");
    expect(info.progId).toBe(prog.id);
    // 6.6+ reports the tracepoint itself; before, the link says only that it is a perf event.
    if (info.type === "perf_event") expect(info.event).toMatchObject({ kind: "tracepoint", tpName: "sys_enter_getpid" });
  });

  itPriv("a cookie reaches bpf_get_attach_cookie(), or a FeatureError names the kernel it needs", { feature: [TP.feature, { helper: "get_attach_cookie" }] }, () => {
    using counts = countsMap();
    using prog = BpfProgram.load({ type: ProgType.tracepoint, insns: cookieInsns(), maps: { counts } });
    using link = attachTracepoint(prog, "syscalls", "sys_enter_getpid", { cookie: 0x1234_5678_9abcn });
    getpids(3);
    expect(count(counts)).toBe(0x1234_5678_9abcn);
    expect(link.isBpfLink).toBe(true);
  });

  itPriv("failures name the program and the tracepoint, and leave no perf fd open", TP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.tracepoint });
    const fds = perfFds();
    const missing = catchIt(() => attachTracepoint(prog, "syscalls", "sys_enter_no_such_call"));
    expect(missing.message).toBe(
      `attaching program "counter" (fd ${prog.fd}) to tracepoint syscalls:sys_enter_no_such_call: no tracepoint syscalls:sys_enter_no_such_call: ` +
        `group syscalls has no event sys_enter_no_such_call (see ${tracefsRoot()}/available_events)`,
    );
    expect(catchIt(() => attachTracepoint(prog, "no_such_group", "x")).message).toMatch(/there is no event group no_such_group/);
    expect(() => attachTracepoint(prog, "../..", "x")).toThrow(TypeError);
    // A program of another type: the kernel refuses it, and nothing stays open.
    using raw = loadCounter(counts, { type: ProgType.raw_tracepoint }, 8);
    for (const via of ["auto", "ioctl"] as const) {
      const wrong = catchIt(() => attachTracepoint(raw, "syscalls", "sys_enter_getpid", { via }));
      expect(wrong).toBeInstanceOf(Error);
      expect(wrong.message).toMatch(/^attaching program "counter" \(fd \d+\) to tracepoint syscalls:sys_enter_getpid: /);
      expect((wrong as BpfError).code).toBe("EINVAL");
    }
    expect(perfFds()).toBe(fds);
  });

  itPriv("finds tracefs (mounting it where nothing has) and reads the event id from it", TP, () => {
    const root = tracefsRoot();
    expect(readFileSync("/proc/self/mountinfo", "utf8")).toContain(` ${root} `);
    expect(Number(readFileSync(`${root}/events/syscalls/sys_enter_getpid/id`, "utf8"))).toBeGreaterThan(0);
  });
});

function catchIt(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}
