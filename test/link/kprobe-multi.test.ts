// kprobe_multi links: the glob matcher (everywhere), counting on getpid's entry by symbol, by
// pattern and with cookies where the kernel has kprobe_multi (5.18 with CONFIG_FPROBE: in the VM
// matrix), and the FeatureError where it has not (this host, 5.10).
import { expect, it } from "vitest";
import {
  AttachType, attachKprobeMulti, BpfProgram, FeatureError, globMatch, kprobeMultiSymbols, LinkType, ProgType,
} from "../../mod.ts";
import { describePriv, isRoot, itPriv, missing } from "../helpers/env.ts";
import { cookieInsns, count, countsMap, expectCounting, GETPID_SYMBOL, getpids, loadCounter } from "./counter.ts";
import { thrown } from "../helpers/expect.ts";

it("globMatch: * any run, ? any one character, everything else itself", () => {
  expect(globMatch("tcp_*", "tcp_v4_connect")).toBe(true);
  expect(globMatch("tcp_*", "udp_sendmsg")).toBe(false);
  expect(globMatch("*_getpid", "__x64_sys_getpid")).toBe(true);
  expect(globMatch("vfs_rea?", "vfs_read")).toBe(true);
  expect(globMatch("vfs_rea?", "vfs_readv")).toBe(false);
  expect(globMatch("*a*b*c", "xxaybzzc")).toBe(true);
  expect(globMatch("*a*b*c", "xxaybzzcd")).toBe(false);
  expect(globMatch("*", "")).toBe(true);
  expect(globMatch("", "")).toBe(true);
  expect(globMatch("a", "")).toBe(false);
  expect(globMatch("do_sys_open", "do_sys_open")).toBe(true);
  expect(globMatch("do_sys_open", "do_sys_openat2")).toBe(false);
});

it("bad options are TypeErrors before any syscall", () => {
  expect(() => attachKprobeMulti(3, {})).toThrow(/exactly one of symbols, pattern, addresses \(got 0\)/);
  expect(() => attachKprobeMulti(3, { symbols: ["a"], pattern: "b" })).toThrow(/got 2/);
  expect(() => kprobeMultiSymbols("")).toThrow(TypeError);
});

describePriv("kprobeMultiSymbols", () => {
  itPriv("globs over the functions ftrace lists, else /proc/kallsyms's text symbols", () => {
    // This host's lockdown refuses available_filter_functions (EPERM): there kallsyms is read.
    const syms = kprobeMultiSymbols("*sys_getpi?");
    expect(syms.length).toBeGreaterThan(0);
    expect(syms.every((s) => /sys_getpid$/.test(s))).toBe(true);
    expect(new Set(syms).size).toBe(syms.length);
    expect(kprobeMultiSymbols("no_such_function_*_xyz")).toEqual([]);
  });
});

const KM = { kprobes: true, feature: "kprobe_multi" } as const;
const load = (counts: ReturnType<typeof countsMap>) => loadCounter(counts, { type: ProgType.kprobe, attachType: AttachType.trace_kprobe_multi });

describePriv("attachKprobeMulti", KM, () => {
  itPriv("by symbol: counts getpid(); info() lists it; close() stops it", KM, () => {
    using counts = countsMap();
    using prog = load(counts);
    const link = attachKprobeMulti(prog, { symbols: [GETPID_SYMBOL] });
    expect(link.type).toBe(LinkType.kprobe_multi);
    const info = link.info();
    expect(info.type).toBe("kprobe_multi");
    if (info.type === "kprobe_multi" && info.count > 0) {
      // Kernels that report kprobe_multi links (6.6+) give the count and the address.
      expect(info.count).toBe(1);
      expect(info.retprobe).toBe(false);
      expect(info.addrs).toHaveLength(1);
    }
    expectCounting(counts, getpids, () => link.close());
  });

  itPriv("by pattern, as return probes", KM, () => {
    using counts = countsMap();
    using prog = load(counts);
    // What ftrace lists differs by kernel: the entry wrapper (__x64_sys_getpid), the body (__do_sys_getpid), or both.
    const pattern = "*sys_getpi?";
    const syms = kprobeMultiSymbols(pattern);
    expect(syms.length).toBeGreaterThan(0);
    for (const s of syms) expect(s).toMatch(/sys_getpid$/);
    const link = attachKprobeMulti(prog, { pattern, retprobe: true });
    const info = link.info();
    if (info.type === "kprobe_multi" && info.count > 0) expect(info.retprobe).toBe(true);
    expectCounting(counts, getpids, () => link.close());
  });

  itPriv("cookies reach bpf_get_attach_cookie()", { ...KM, feature: [KM.feature, { helper: "get_attach_cookie" }] }, () => {
    using counts = countsMap();
    using prog = BpfProgram.load({ type: ProgType.kprobe, attachType: AttachType.trace_kprobe_multi, insns: cookieInsns(), maps: { counts } });
    using _link = attachKprobeMulti(prog, { symbols: [GETPID_SYMBOL], cookies: [77n] });
    getpids(2);
    expect(count(counts)).toBe(77n);
  });

  itPriv("a program loaded for plain kprobes is refused before any syscall", KM, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.kprobe });
    expect(() => attachKprobeMulti({ fd: prog.fd, attachType: AttachType.trace_fentry } as never, { symbols: [GETPID_SYMBOL] })).toThrow(/load it with attachType: AttachType.trace_kprobe_multi/);
    expect(() => attachKprobeMulti(prog, { pattern: "no_such_function_*_xyz" })).toThrow(/no traceable kernel function matches/);
  });
});

describePriv("attachKprobeMulti without kprobe_multi", () => {
  itPriv("throws a FeatureError naming 5.18 and CONFIG_FPROBE", { feature: { progType: "kprobe" } }, () => {
    const why = missing({ feature: "kprobe_multi" });
    if (why === null || !isRoot) return expect(why).toBeNull(); // the kernel has it: the tests above ran
    using counts = countsMap();
    using prog = load(counts);
    const e = thrown(() => attachKprobeMulti(prog, { symbols: [GETPID_SYMBOL] }).close(), FeatureError);
    expect(e.needs).toEqual({ version: "5.18", config: "CONFIG_FPROBE" });
    expect(e.message).toMatch(/^attaching program "counter" \(fd \d+\) to kprobe_multi __\w+_sys_getpid: kprobe_multi links not supported by the running kernel: needs Linux 5\.18\+ built with CONFIG_FPROBE/);
  });
});
