// Kprobe programs fire for real: the counter on the kernel's getpid entry point (and return),
// through the kprobe PMU, through a legacy tracefs kprobe_events entry, with the ioctl, with a
// cookie, through attachKprobe. Only where kprobes exist (CONFIG_KPROBES, which this project's
// host lacks: there the test of the FeatureError runs instead); the VM matrix runs them on
// Debian's kernels, 5.10 testing the ioctl fallback by itself.
import { expect } from "vitest";
import {
  ATTACH_VERSIONS, attachKprobe, BpfProgram, FeatureError, PerfEventLink, ProgType, readTracefs, tracefsRoot,
} from "../../mod.ts";
import { describePriv, haveKprobes, isRoot, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { cookieInsns, count, countsMap, expectCounting, GETPID_SYMBOL, getpids, loadCounter, perfFds } from "./counter.ts";
import { thrown } from "../helpers/expect.ts";

const KP = { kprobes: true, feature: { progType: "kprobe" } } as const;
const perfLinks = kernelAtLeast(ATTACH_VERSIONS.perf_event_link.version);

describePriv("attachKprobe", KP, () => {
  itPriv("a kprobe on getpid's entry counts this process's calls; close() stops it", KP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.kprobe });
    const link = attachKprobe(prog, GETPID_SYMBOL);
    expect(link).toBeInstanceOf(PerfEventLink);
    expect(link.isBpfLink).toBe(perfLinks);
    const info = link.info();
    expect(info).toMatchObject({ type: "perf_event", progId: prog.id, event: { kind: "kprobe", funcName: GETPID_SYMBOL } });
    expectCounting(counts, getpids, () => link.close());
  });

  itPriv("a kretprobe counts the returns", KP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.kprobe });
    const link = attachKprobe(prog, GETPID_SYMBOL, { retprobe: true });
    expect(link.info()).toMatchObject({ event: { kind: "kretprobe", funcName: GETPID_SYMBOL } });
    expectCounting(counts, getpids, () => link.close());
  });

  itPriv("through tracefs kprobe_events (the path before 4.17): its event is removed on close", KP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.kprobe });
    const link = attachKprobe(prog, GETPID_SYMBOL, { tracefs: true });
    const mine = () => readTracefs("kprobe_events").split("\n").filter((l) => l.includes(`tsbpf_${process.pid}_`) && l.includes(GETPID_SYMBOL));
    expect(mine()).toHaveLength(1);
    expect(mine()[0]).toMatch(new RegExp(`^p:tsbpf_${process.pid}_\\d+/${GETPID_SYMBOL} ${GETPID_SYMBOL}`));
    expectCounting(counts, getpids, () => link.close());
    expect(mine()).toEqual([]);
  });

  itPriv("through PERF_EVENT_IOC_SET_BPF, as 5.10 does it", KP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.kprobe });
    const link = attachKprobe(prog, GETPID_SYMBOL, { via: "ioctl" });
    expect(link.isBpfLink).toBe(false);
    expect(link.info()).toMatchObject({ id: 0, progId: prog.id, event: { kind: "kprobe", funcName: GETPID_SYMBOL } });
    expectCounting(counts, getpids, () => link.close());
  });

  itPriv("a cookie reaches bpf_get_attach_cookie()", { ...KP, feature: [KP.feature, { helper: "get_attach_cookie" }] }, () => {
    using counts = countsMap();
    using prog = BpfProgram.load({ type: ProgType.kprobe, insns: cookieInsns(), maps: { counts } });
    using link = attachKprobe(prog, GETPID_SYMBOL, { cookie: 42 });
    getpids(2);
    expect(count(counts)).toBe(42n);
    expect(link.isBpfLink).toBe(true);
  });

  itPriv("an unknown function: an error naming the program, the probe and what to check", KP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.kprobe });
    const fds = perfFds();
    for (const tracefs of [false, true]) {
      let e: Error | undefined;
      try {
        attachKprobe(prog, "no_such_function_xyz", { tracefs }).close();
      } catch (err) {
        e = err as Error;
      }
      expect(e?.message).toMatch(/^attaching program "counter" \(fd \d+\) to kprobe no_such_function_xyz: /);
      expect(e?.message).toMatch(/is no_such_function_xyz a kernel function in \/proc\/kallsyms/);
    }
    expect(perfFds()).toBe(fds);
    expect(readTracefs("kprobe_events")).not.toContain("no_such_function_xyz");
    expect(() => attachKprobe(prog, "a b")).toThrow(TypeError);
    expect(() => attachKprobe(prog, GETPID_SYMBOL, { retprobe: true, offset: 4 })).toThrow(RangeError);
  });
});

describePriv("attachKprobe without kprobes", () => {
  itPriv("throws a FeatureError naming CONFIG_KPROBES", { feature: { progType: "kprobe" } }, () => {
    if (haveKprobes() || !isRoot) return expect(haveKprobes()).toBe(true); // kprobes here: the tests above ran
    tracefsRoot(); // mounted, so that the absence of kprobe_events is the kernel's
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.kprobe });
    const e = thrown(() => attachKprobe(prog, GETPID_SYMBOL).close(), FeatureError);
    expect(e.needs).toEqual({ version: "4.1", config: "CONFIG_KPROBES" });
    expect(e.message).toMatch(
      new RegExp(`^attaching program "counter" \\(fd \\d+\\) to kprobe ${GETPID_SYMBOL}: kprobes not supported by the running kernel: needs Linux 4\\.1\\+ built with CONFIG_KPROBES`),
    );
  });
});
