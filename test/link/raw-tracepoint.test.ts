// Raw tracepoint programs on sys_enter, counting this process's getpid() calls (the syscall id is
// the tracepoint's second argument), with a cookie where the kernel takes one (6.10).
import { expect } from "vitest";
import { ATTACH_VERSIONS, attachRawTracepoint, BpfProgram, FeatureError, LinkType, ProgType } from "../../mod.ts";
import { describePriv, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { cookieInsns, count, countsMap, expectCounting, getpids, loadCounter } from "./counter.ts";
import { thrown } from "../helpers/expect.ts";

const RAW = { feature: { progType: "raw_tracepoint" } } as const;

describePriv("attachRawTracepoint", RAW, () => {
  itPriv("counts getpid() on sys_enter; close() stops it; the link says its tracepoint", RAW, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.raw_tracepoint }, 8);
    const link = attachRawTracepoint(prog, "sys_enter");
    expect(link.type).toBe(LinkType.raw_tracepoint);
    expect(link.description).toBe(`raw_tracepoint link of program "counter" (fd ${prog.fd}) on sys_enter`);
    expect(link.info()).toMatchObject({ type: "raw_tracepoint", tpName: "sys_enter", progId: prog.id });
    expectCounting(counts, getpids, () => link.close());
  });

  itPriv("two programs on one tracepoint count twice; closing one leaves the other", RAW, () => {
    using counts = countsMap();
    using p1 = loadCounter(counts, { type: ProgType.raw_tracepoint }, 8);
    using p2 = loadCounter(counts, { type: ProgType.raw_tracepoint }, 8);
    using a = attachRawTracepoint(p1, "sys_enter");
    const b = attachRawTracepoint(p2, "sys_enter");
    expect(b.id).not.toBe(a.id);
    let before = count(counts);
    getpids(10);
    expect(count(counts) - before).toBeGreaterThanOrEqual(20n);
    b.close();
    before = count(counts);
    getpids(10);
    expect(count(counts) - before).toBeGreaterThanOrEqual(10n);
    expect(count(counts) - before).toBeLessThan(20n);
  });

  itPriv("a cookie reaches bpf_get_attach_cookie(), or a FeatureError names the kernel it needs", RAW, () => {
    using counts = countsMap();
    const since = ATTACH_VERSIONS.raw_tracepoint_cookie.version;
    if (!kernelAtLeast(since)) {
      using prog = loadCounter(counts, { type: ProgType.raw_tracepoint }, 8);
      const e = thrown(() => attachRawTracepoint(prog, "sys_enter", { cookie: 7 }).close(), FeatureError);
      expect(e.message).toMatch(new RegExp(`a bpf_cookie on raw tracepoint sys_enter not supported .*needs Linux ${since.replace(".", "\\.")}\\+`));
      return;
    }
    using prog = BpfProgram.load({ type: ProgType.raw_tracepoint, insns: cookieInsns(), maps: { counts } });
    using link = attachRawTracepoint(prog, "sys_enter", { cookie: 0xfeed_beefn });
    getpids(2);
    expect(count(counts)).toBe(0xfeed_beefn);
    const info = link.info();
    // Kernels report the cookie in bpf_link_info later than they take it.
    expect(info.type === "raw_tracepoint" && [0n, 0xfeed_beefn].includes(info.cookie)).toBe(true);
  });
});
