// uprobe_multi links (6.6+): several functions of the test's target (test/fixtures/uprobe/target.c)
// in one link, each with its cookie, counted exactly; by offset, as return probes, limited to a
// pid, on libc's malloc and free; the errors; and the FeatureError on kernels before 6.6.
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  ATTACH_VERSIONS, AttachType, attachUprobeMulti, BpfProgram, ElfError, FeatureError, LinkType, ProgType, readExecutable, uprobeOffset, uprobeSymbol,
} from "../../mod.ts";
import { describePriv, itPriv, kernelAtLeast } from "../helpers/env.ts";
import {
  buildTargets, countAt, countsMap, counterInsns, type Counts, libcOf, loadCounter, run, startWaiting, targetMissing, type Targets,
} from "../fixtures/uprobe/target.ts";

const noGcc = targetMissing();
const has = kernelAtLeast(ATTACH_VERSIONS.uprobe_multi.version);
const UM = {
  feature: [{ progType: "kprobe" }, { helper: "get_attach_cookie" }], config: "CONFIG_UPROBES",
  skipIf: noGcc ?? (has ? null : `needs uprobe_multi links (Linux ${ATTACH_VERSIONS.uprobe_multi.version}+), this is an older kernel: the FeatureError test runs instead`),
} as const;
const A = "tsbpf_uprobe_a", B = "tsbpf_uprobe_b";

let t: Targets;
beforeAll(() => {
  if (!noGcc) t = buildTargets();
});
afterAll(() => t?.remove());

const load = (counts: Counts, byCookie = true) => loadCounter(counts, { byCookie, attachType: AttachType.trace_uprobe_multi });

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

it("bad options are TypeErrors and RangeErrors before any syscall", () => {
  expect(() => attachUprobeMulti(3, "/bin/true", {})).toThrow(/exactly one of symbols, offsets/);
  expect(() => attachUprobeMulti(3, "/bin/true", { symbols: ["a"], offsets: [1] })).toThrow(TypeError);
  expect(() => attachUprobeMulti(3, "/bin/true", { symbols: [] })).toThrow(/no probes given/);
  expect(() => attachUprobeMulti(3, "/bin/true", { symbols: ["a", "b"], cookies: [1] })).toThrow(/cookies must have one entry per probe \(2\)/);
  expect(() => attachUprobeMulti(3, "/bin/true", { symbols: ["a"], pid: -5 })).toThrow(RangeError);
});

describePriv("attachUprobeMulti", UM, () => {
  itPriv("by symbol with cookies: each function's calls counted exactly under its cookie; info(); close() stops it", UM, () => {
    using counts = countsMap();
    using prog = load(counts);
    const link = attachUprobeMulti(prog, t.pie, { symbols: [A, B], cookies: [1, 2] });
    expect(link.type).toBe(LinkType.uprobe_multi);
    expect(link.info()).toMatchObject({
      type: "uprobe_multi", path: t.pie, count: 2, retprobe: false, pid: 0,
      offsets: [BigInt(uprobeOffset(t.pie, A)), BigInt(uprobeOffset(t.pie, B))], cookies: [1n, 2n],
    });
    run(t.pie, 7, 5);
    expect([0, 1, 2].map((i) => countAt(counts, i))).toEqual([0n, 7n, 5n]);
    link.close();
    run(t.pie, 7, 5);
    expect([1, 2].map((i) => countAt(counts, i))).toEqual([7n, 5n]);
  });

  itPriv("by offset, as return probes, in a stripped non-PIE executable", UM, () => {
    using counts = countsMap();
    using prog = load(counts, false);
    const offsets = [uprobeOffset(t.stripped, A), uprobeOffset(t.stripped, B)];
    using link = attachUprobeMulti(prog, t.stripped, { offsets, retprobe: true });
    expect(link.info()).toMatchObject({ type: "uprobe_multi", retprobe: true, count: 2 });
    run(t.stripped, 4, 9);
    expect(countAt(counts)).toBe(13n);
  });

  itPriv("pid: only that process's calls count", UM, async () => {
    using counts = countsMap();
    using prog = load(counts);
    const [x, y] = await Promise.all([startWaiting(t.pie, 6, 2), startWaiting(t.pie, 10, 10)]);
    using link = attachUprobeMulti(prog, t.pie, { symbols: [A, B], cookies: [1, 2], pid: x.pid });
    expect(link.info()).toMatchObject({ pid: x.pid });
    await Promise.all([x.go(), y.go()]);
    expect([1, 2].map((i) => countAt(counts, i))).toEqual([6n, 2n]);
  });

  itPriv("libc's malloc and free (one by its versioned name), in one child", UM, async () => {
    using counts = countsMap();
    using prog = load(counts);
    const child = await startWaiting(t.pie, 0, 0, 150);
    const libc = libcOf(child.pid);
    const version = uprobeSymbol(readExecutable(libc), "malloc").version;
    expect(version).toMatch(/^GLIBC_/);
    using _ = attachUprobeMulti(prog, libc, { symbols: [`malloc@@${version}`, "free"], cookies: [3, 4], pid: child.pid });
    await child.go();
    expect(countAt(counts, 3)).toBeGreaterThanOrEqual(150n);
    expect(countAt(counts, 4)).toBeGreaterThanOrEqual(150n);
  });

  itPriv("errors name the program, the file and the symbols", UM, () => {
    using counts = countsMap();
    using prog = load(counts);
    const e = thrown(() => attachUprobeMulti(prog, t.pie, { symbols: [A, "no_such_fn"] }));
    expect(e).toBeInstanceOf(ElfError);
    expect(e.message).toMatch(/^attaching program "ucounter" \(fd \d+\) to uprobe_multi \S+target:tsbpf_uprobe_a,no_such_fn: ELF: no function symbol named "no_such_fn"/);
    expect(thrown(() => attachUprobeMulti(prog, t.notElf, { symbols: ["main"] })).message).toContain(`${t.notElf} is not an ELF64 executable or shared library`);
    const m = thrown(() => attachUprobeMulti(prog, `${t.pie}.missing`, { offsets: [0x1000] }));
    expect(m.message).toMatch(/^attaching program "ucounter" \(fd \d+\) to uprobe_multi \S+\.missing:0x1000: .*ENOENT/);
    // Loaded for another attach type: said before the kernel is asked; loaded for none: the kernel's EINVAL, with the hint.
    using km = BpfProgram.load({ type: ProgType.kprobe, attachType: AttachType.trace_kprobe_multi, insns: counterInsns(false), maps: { counts } });
    expect(() => attachUprobeMulti(km, t.pie, { symbols: [A] })).toThrow(/was not loaded for uprobe_multi: load it with attachType: AttachType.trace_uprobe_multi/);
    using kp = BpfProgram.load({ type: ProgType.kprobe, insns: counterInsns(false), maps: { counts } });
    expect(() => attachUprobeMulti(kp, t.pie, { symbols: [A] })).toThrow(/EINVAL.*was the program loaded with attachType trace_uprobe_multi\?/);
  });
});

describePriv("attachUprobeMulti before 6.6", {
  feature: { progType: "kprobe" },
  skipIf: has ? `this kernel has uprobe_multi (${ATTACH_VERSIONS.uprobe_multi.version}+): the tests above ran` : noGcc,
}, () => {
  itPriv("throws a FeatureError naming the version", () => {
    using counts = countsMap();
    using prog = load(counts, false);
    const e = thrown(() => attachUprobeMulti(prog, t.pie, { symbols: [A] }).close());
    expect(e).toBeInstanceOf(FeatureError);
    expect((e as FeatureError).needs).toEqual({ version: "6.6", config: "CONFIG_UPROBES" });
    expect(e.message).toMatch(/^attaching program "ucounter" \(fd \d+\) to uprobe_multi \S+:tsbpf_uprobe_a: uprobe_multi links not supported by the running kernel: needs Linux 6\.6\+/);
  });
});
