// Uprobes fire for real on a program the test builds (test/fixtures/uprobe/target.c): exact counts
// of a function's calls and returns, through the uprobe PMU, through tracefs uprobe_events, with
// the ioctl, with a cookie, limited to one pid, with a USDT semaphore; and on libc's malloc. Then
// the symbol lookup (.symtab, .dynsym, versions) and the errors: a missing symbol, a file that is
// no ELF, a missing file.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { basename, dirname } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  appendTracefs, ATTACH_VERSIONS, attachUprobe, binaryPath, ElfError, ElfFile, functionOffset, PerfEventLink, readExecutable, readTracefs, uprobeOffset, uprobeSymbol,
} from "../../mod.ts";
import { describePriv, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { itIf, toolMissing } from "../helpers/tools.ts";
import {
  buildTargets, countAt, countsMap, libcOf, loadCounter, run, startWaiting, targetMissing, type Targets,
} from "../fixtures/uprobe/target.ts";
import { perfFds } from "./counter.ts";
import { withEnv } from "../helpers/process-env.ts";

const noGcc = targetMissing();
const UP = { feature: { progType: "kprobe" }, config: "CONFIG_UPROBE_EVENTS", skipIf: noGcc } as const;
const COOKIE = { ...UP, feature: [UP.feature, { helper: "get_attach_cookie" }] } as const;
const perfLinks = kernelAtLeast(ATTACH_VERSIONS.perf_event_link.version);
const A = "tsbpf_uprobe_a", B = "tsbpf_uprobe_b";

let t: Targets;
beforeAll(() => {
  if (!noGcc) t = buildTargets();
});
afterAll(() => t?.remove());

/** This process's libc (every runtime here links glibc dynamically), else the usual places. */
function hostLibc(): string {
  const mapped = readFileSync("/proc/self/maps", "utf8").split("\n").find((l) => /\/libc[.-][^/]*so/.test(l));
  if (mapped) return mapped.slice(mapped.indexOf("/"));
  const arch = process.arch === "arm64" ? "aarch64" : "x86_64";
  return [`/usr/lib/${arch}-linux-gnu/libc.so.6`, `/lib/${arch}-linux-gnu/libc.so.6`].find(existsSync) ?? "/usr/lib/libc.so.6";
}

/** The error `f` throws. */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}

/** Lines of uprobe_events this process made (group tsbpf_<pid>_u<n>). */
function mine(): string[] {
  return readTracefs("uprobe_events").split("\n").filter((l) => l.includes(`tsbpf_${process.pid}_u`));
}

itIf(noGcc ?? undefined, "uprobeSymbol: .symtab of a PIE, .dynsym of a stripped non-PIE: file offsets, not addresses", () => {
  for (const exe of [t.pie, t.stripped]) {
    const elf = readExecutable(exe);
    for (const name of [A, B]) {
      const s = uprobeSymbol(elf, name);
      const sec = elf.sections[s.symbol.shndx];
      expect(s.offset).toBe(s.symbol.value - Number(sec.addr) + sec.offset);
      expect(s.offset).toBe(uprobeOffset(exe, name));
    }
  }
  // Non-PIE code sits at 0x400000 and up, yet its file offsets are small.
  const s = uprobeSymbol(readExecutable(t.stripped), A);
  expect(s.symbol.value).toBeGreaterThan(0x400000);
  expect(s.offset).toBeLessThan(0x100000);
  expect(readExecutable(t.stripped).sections.some((x) => x.name === ".symtab")).toBe(false);
});

it("uprobeSymbol on libc: plain, name@@VER and name@VER resolve through .gnu.version; unknown ones list what there is", () => {
  const libc = hostLibc();
  const elf = readExecutable(libc);
  const malloc = uprobeSymbol(elf, "malloc");
  expect(malloc.version).toMatch(/^GLIBC_/);
  expect(malloc.isDefault).toBe(true);
  expect(uprobeSymbol(elf, `malloc@@${malloc.version}`).offset).toBe(malloc.offset);
  expect(uprobeSymbol(elf, `malloc@${malloc.version}`).offset).toBe(malloc.offset);
  const e = thrown(() => uprobeSymbol(elf, "malloc@@GLIBC_0.0"));
  expect(e).toBeInstanceOf(ElfError);
  expect(e.message).toContain(`(there are malloc@@${malloc.version})`);
  expect(() => uprobeSymbol(elf, "no_such_function_xyz")).toThrow(/no function symbol named "no_such_function_xyz"/);
});

itIf(toolMissing("readelf", ["--version"], "binutils"), "uprobeSymbol picks a name's default version over older ones, as readelf lists them", () => {
  const libc = hostLibc();
  const elf = readExecutable(libc);
  // "realpath@GLIBC_2.2.5" and "realpath@@GLIBC_2.3" on x86_64: any name defined at two addresses will do.
  const rows = execFileSync("readelf", ["--dyn-syms", "-W", libc], { encoding: "utf8" }).split("\n")
    .map((l) => /^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+(?:FUNC|IFUNC)\s+GLOBAL\s+\S+\s+\d+\s+([^@\s]+)(@@?)(\S+)/.exec(l))
    .filter((m) => m !== null).map((m) => ({ value: parseInt(m![1], 16), name: m![2], def: m![3] === "@@", ver: m![4] }));
  const pair = rows.filter((r) => r.def).map((d) => [d, rows.find((o) => !o.def && o.name === d.name && o.value !== d.value)] as const).find(([, o]) => o);
  expect(pair, "libc defines some function in two versions").toBeDefined();
  const [def, old] = pair!;
  const plain = uprobeSymbol(elf, def.name);
  expect(plain).toMatchObject({ version: def.ver, isDefault: true });
  expect(uprobeSymbol(elf, `${def.name}@@${def.ver}`).offset).toBe(plain.offset);
  const o = uprobeSymbol(elf, `${old!.name}@${old!.ver}`);
  expect(o).toMatchObject({ version: old!.ver, isDefault: false });
  // Both in .text: offsets differ as the addresses do.
  expect(plain.offset - o.offset).toBe(def.value - old!.value);
  expect(() => uprobeSymbol(elf, `${old!.name}@@${old!.ver}`)).toThrow(/there are/);
});

itIf(noGcc ?? undefined, "readExecutable: a file that is no ELF, a missing file", () => {
  expect(() => readExecutable(t.notElf)).toThrow(new RegExp(`${t.notElf} is not an ELF64 executable or shared library: ELF: no \\\\x7fELF magic`));
  expect(() => readExecutable(`${t.notElf}.missing`)).toThrow(/ENOENT/);
});

it("bad arguments are TypeErrors and RangeErrors before any syscall", () => {
  expect(() => attachUprobe(3, "", "malloc")).toThrow(TypeError);
  expect(() => attachUprobe(3, "/bin/true", "a b")).toThrow(TypeError);
  expect(() => attachUprobe(3, "/bin/true", "main", { retprobe: true, offset: 4 })).toThrow(RangeError);
  expect(() => attachUprobe(3, "/bin/true", "main", { pid: -2 })).toThrow(RangeError);
  expect(() => attachUprobe(3, "/bin/true", -1)).toThrow(RangeError);
});

describePriv("attachUprobe", UP, () => {
  itPriv("on a function's entry: counts its calls exactly, in every process; info() names the file; close() stops it", UP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts);
    const link = attachUprobe(prog, t.pie, A);
    expect(link).toBeInstanceOf(PerfEventLink);
    expect(link.isBpfLink).toBe(perfLinks);
    expect(link.info()).toMatchObject({ type: "perf_event", progId: prog.id, event: { kind: "uprobe", fileName: t.pie, offset: uprobeOffset(t.pie, A) } });
    run(t.pie, 7, 5);
    expect(countAt(counts)).toBe(7n);
    link.close();
    run(t.pie, 7, 5);
    expect(countAt(counts)).toBe(7n);
  });

  itPriv("in a stripped non-PIE executable, by its .dynsym", UP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts);
    using _ = attachUprobe(prog, t.stripped, B);
    run(t.stripped, 3, 11);
    expect(countAt(counts)).toBe(11n);
  });

  itPriv("a uretprobe counts the returns", UP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts);
    using link = attachUprobe(prog, t.pie, B, { retprobe: true });
    expect(link.info()).toMatchObject({ event: { kind: "uretprobe", fileName: t.pie } });
    run(t.pie, 3, 9);
    expect(countAt(counts)).toBe(9n);
  });

  itPriv("at a raw file offset (functionOffset's answer)", UP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts);
    const off = functionOffset(ElfFile.parse(readFileSync(t.pie)), A).offset;
    using link = attachUprobe(prog, t.pie, off);
    expect(link.description).toContain(`uprobe ${t.pie}:0x${off.toString(16)}`);
    run(t.pie, 6, 2);
    expect(countAt(counts)).toBe(6n);
  });

  itPriv("through tracefs uprobe_events (the path before 4.17): its event is removed on close", UP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts);
    const off = uprobeOffset(t.pie, A);
    const entry = attachUprobe(prog, t.pie, A, { tracefs: true });
    const ret = attachUprobe(prog, t.pie, B, { tracefs: true, retprobe: true });
    expect(mine()).toHaveLength(2);
    expect(mine()[0]).toMatch(new RegExp(`^p:tsbpf_${process.pid}_u\\d+/_${A}_${off.toString(16)} ${t.pie}:0x0*${off.toString(16)}`));
    expect(mine()[1]).toMatch(new RegExp(`^r:tsbpf_${process.pid}_u\\d+/_${B}_`));
    run(t.pie, 4, 3);
    expect(countAt(counts)).toBe(7n);
    entry.close();
    ret.close();
    expect(mine()).toEqual([]);
    run(t.pie, 4, 3);
    expect(countAt(counts)).toBe(7n);
  });

  itPriv("through tracefs, a group name taken already (another worker thread's) is passed over", UP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts);
    const off = uprobeOffset(t.pie, A);
    const event = `_${A}_${off.toString(16)}`;
    // The groups this process would try next: tsbpf_<pid>_u<n> counts up from 0 per module instance.
    const taken = Array.from({ length: 24 }, (_, n) => `tsbpf_${process.pid}_u${n}`).filter((g) => !mine().some((l) => l.includes(`${g}/`)));
    for (const g of taken) appendTracefs("uprobe_events", `p:${g}/${event} ${t.pie}:0x${off.toString(16)}`);
    try {
      using link = attachUprobe(prog, t.pie, A, { tracefs: true });
      const ours = mine().filter((l) => !taken.some((g) => l.includes(`:${g}/`)));
      expect(ours).toHaveLength(1);
      run(t.pie, 3);
      expect(countAt(counts)).toBe(3n);
      expect(link.isBpfLink).toBe(perfLinks);
    } finally {
      for (const g of taken) appendTracefs("uprobe_events", `-:${g}/${event}`);
    }
    expect(mine()).toEqual([]);
  });

  itPriv("through PERF_EVENT_IOC_SET_BPF, as 5.10 does it", UP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts);
    const link = attachUprobe(prog, t.pie, A, { via: "ioctl" });
    expect(link.isBpfLink).toBe(false);
    expect(link.info()).toMatchObject({ id: 0, progId: prog.id, event: { kind: "uprobe", offset: uprobeOffset(t.pie, A) } });
    run(t.pie, 5);
    expect(countAt(counts)).toBe(5n);
    link.close();
    run(t.pie, 5);
    expect(countAt(counts)).toBe(5n);
  });

  itPriv("a cookie reaches bpf_get_attach_cookie()", COOKIE, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { byCookie: true });
    using a = attachUprobe(prog, t.pie, A, { cookie: 3 });
    using b = attachUprobe(prog, t.pie, B, { cookie: 5, tracefs: true });
    expect([a.isBpfLink, b.isBpfLink]).toEqual([true, true]);
    run(t.pie, 4, 6);
    expect([0, 3, 5].map((i) => countAt(counts, i))).toEqual([0n, 4n, 6n]);
  });

  itPriv("pid: only that process's calls count (PMU and tracefs)", UP, async () => {
    for (const tracefs of [false, true]) {
      using counts = countsMap();
      using prog = loadCounter(counts);
      const [x, y] = await Promise.all([startWaiting(t.pie, 8), startWaiting(t.pie, 13)]);
      using link = attachUprobe(prog, t.pie, A, { pid: x.pid, tracefs });
      expect(link.description).toContain(`(pid ${x.pid})`);
      await Promise.all([x.go(), y.go()]);
      expect(countAt(counts)).toBe(8n);
    }
  });

  itPriv("libc's malloc, in one child", UP, async () => {
    using counts = countsMap();
    using prog = loadCounter(counts);
    const child = await startWaiting(t.pie, 0, 0, 200);
    const libc = libcOf(child.pid);
    using link = attachUprobe(prog, libc, "malloc", { pid: child.pid });
    expect(link.info()).toMatchObject({ event: { kind: "uprobe", offset: uprobeOffset(libc, "malloc") } });
    await child.go();
    // 200 of its own, and whatever stdio allocates.
    expect(countAt(counts)).toBeGreaterThanOrEqual(200n);
  });

  itPriv("by bare names: libc.so.6 from the library directories, the target executable from PATH", UP, async () => {
    using counts = countsMap();
    using prog = loadCounter(counts);
    const child = await startWaiting(t.pie, 0, 0, 100);
    const libc = binaryPath("libc.so.6");
    expect(realpathSync(libc)).toBe(realpathSync(libcOf(child.pid)));
    using link = attachUprobe(prog, "libc.so.6", "malloc", { pid: child.pid });
    expect(link.info()).toMatchObject({ event: { kind: "uprobe", fileName: libc, offset: uprobeOffset("libc.so.6", "malloc") } });
    await child.go();
    expect(countAt(counts)).toBeGreaterThanOrEqual(100n);
    link.close();
    using counts2 = countsMap();
    using prog2 = loadCounter(counts2);
    using byName = withEnv("PATH", `/nonexistent:${dirname(t.pie)}:${process.env.PATH}`, () => attachUprobe(prog2, basename(t.pie), A));
    expect(byName.info()).toMatchObject({ event: { fileName: t.pie } });
    run(t.pie, 5, 1);
    expect(countAt(counts2)).toBe(5n);
  });

  itPriv("refCtrOffset: the kernel counts the USDT semaphore up while the probe exists", UP, async () => {
    using counts = countsMap();
    using prog = loadCounter(counts);
    const elf = readExecutable(t.pie);
    const sem = elf.symbols().find((s) => s.name === "tsbpf_semaphore")!;
    const data = elf.sections[sem.shndx];
    const refCtrOffset = sem.value - Number(data.addr) + data.offset;
    for (const tracefs of [false, true]) {
      const child = await startWaiting(t.pie, 2);
      const link = attachUprobe(prog, t.pie, A, { pid: child.pid, refCtrOffset, tracefs });
      expect(await child.go()).toBe(1);
      link.close();
      const after = await startWaiting(t.pie, 2);
      expect(await after.go()).toBe(0);
    }
    expect(countAt(counts)).toBe(4n);
  });

  itPriv("a missing symbol, a non-ELF file, a missing file: errors naming the program, the probe and the file", UP, () => {
    using counts = countsMap();
    using prog = loadCounter(counts);
    const fds = perfFds();
    const head = (what: string) => new RegExp(`^attaching program "ucounter" \\(fd \\d+\\) to ${what.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: `);
    for (const tracefs of [false, true]) {
      const e = thrown(() => attachUprobe(prog, t.pie, "no_such_fn", { tracefs }));
      expect(e).toBeInstanceOf(ElfError);
      expect(e.message).toMatch(head(`uprobe ${t.pie}:no_such_fn`));
      expect(e.message).toContain('no function symbol named "no_such_fn" in .symtab or .dynsym');
    }
    const n = thrown(() => attachUprobe(prog, t.notElf, "main", { retprobe: true }));
    expect(n.message).toMatch(head(`uretprobe ${t.notElf}:main`));
    expect(n.message).toContain(`${t.notElf} is not an ELF64 executable or shared library`);
    const m = thrown(() => attachUprobe(prog, `${t.pie}.missing`, 0x1000));
    expect(m.message).toMatch(head(`uprobe ${t.pie}.missing:0x1000`));
    expect(m.message).toMatch(/ENOENT.*does .* exist\?/);
    expect(perfFds()).toBe(fds);
    expect(mine()).toEqual([]);
  });
});
