/**
 * The VM matrix harness's pure logic (vm/matrix.mjs, vm/qemu.mjs): options, kernel list, the
 * file selection for the guests, result cells, the table and its last line. No VM is booted here.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM without types
import * as m from "../../vm/matrix.mjs";
// @ts-expect-error: plain ESM without types
import { qemuArgs } from "../../vm/qemu.mjs";

describe("vm matrix: options", () => {
  it("defaults to every kernel with its own runtimes, 2 VMs at a time, 2 GiB and 2100 s each", () => {
    const o = m.parseArgs([]);
    expect(o).toMatchObject({ kernels: null, runtimes: null, jobs: 2, timeout: 2100, memory: 2048, all: false, vitestArgs: [] });
  });

  it("takes lists, numbers and passes everything else to vitest", () => {
    const o = m.parseArgs(["--kernels", "5.10,6.1", "--runtimes", "node", "--jobs", "1", "--timeout", "60", "-t=maps", "--", "--bail=1"]);
    expect(o).toMatchObject({ kernels: ["5.10", "6.1"], runtimes: ["node"], jobs: 1, timeout: 60, vitestArgs: ["-t=maps", "--bail=1"] });
  });

  it("rejects unknown runtimes and bad numbers", () => {
    expect(() => m.parseArgs(["--runtimes", "node,python"])).toThrow(/--runtimes: unknown runtime "python"/);
    expect(() => m.parseArgs(["--runtimes", ","])).toThrow(/--runtimes: no runtime given/);
    expect(() => m.parseArgs(["--jobs", "0"])).toThrow(/positive/);
    expect(() => m.parseArgs(["--kernels"])).toThrow(/needs a value/);
  });
});

describe("vm matrix: kernels", () => {
  const list = m.parseKernelList(readFileSync(new URL("../../vm/kernels.list", import.meta.url), "utf8"));

  it("vm/kernels.list has the five kernels of the issue", () => {
    expect(list.map((k: { suite: string }) => k.suite)).toEqual(["bullseye-security", "bookworm", "bookworm-backports", "trixie", "sid"]);
  });

  it("node runs on every kernel, bun on the oldest, deno on the newest", () => {
    expect(list.map((k: { name: string; runtimes: string[] }) => `${k.name}:${k.runtimes.join(",")}`)).toEqual([
      "5.10:node,bun", "6.1:node", "6.12-bpo:node", "6.12:node", "sid:node,deno",
    ]);
  });

  it("a line's runtimes column is optional (node) and checked", () => {
    const two = m.parseKernelList("# name suite archive runtimes\na s http://x\nb t http://y deno,node  # comment\n");
    expect(two).toEqual([
      { name: "a", suite: "s", url: "http://x", runtimes: ["node"] },
      { name: "b", suite: "t", url: "http://y", runtimes: ["deno", "node"] },
    ]);
    expect(() => m.parseKernelList("a s http://x\nb s http://x node,python\n")).toThrow(
      'vm/kernels.list line 2 ("b s http://x node,python"): unknown runtime "python": choose from node,bun,deno',
    );
    expect(() => m.parseKernelList("a s http://x node extra\n")).toThrow(/line 1 .*expected "name suite archive-url \[runtimes\]"/);
    expect(() => m.parseKernelList("a s\n")).toThrow(/line 1 .*expected/);
  });

  it("the default matrix: node on all five, bun on 5.10, deno on sid, 7 VMs", () => {
    const ids = m.schedule(list, null).map((j: { kernel: { name: string }; runtime: string }) => `${j.kernel.name}/${j.runtime}`);
    // The newest kernel's node cell runs the scenarios and the examples, the oldest's the examples: those first.
    expect(ids).toEqual(["sid/node", "5.10/node", "6.1/node", "6.12-bpo/node", "6.12/node", "sid/deno", "5.10/bun"]);
    expect(m.columns(list, null)).toEqual(["node", "bun", "deno"]);
  });

  it("--runtimes replaces every kernel's own list", () => {
    const ks = [{ name: "a", runtimes: ["node", "bun"] }, { name: "b", runtimes: ["node"] }];
    const ids = (js: { kernel: { name: string }; runtime: string }[]) => js.map((j) => `${j.kernel.name}/${j.runtime}`).sort();
    expect(ids(m.schedule(ks, null))).toEqual(["a/bun", "a/node", "b/node"]);
    expect(ids(m.schedule(ks, ["deno"]))).toEqual(["a/deno", "b/deno"]);
    expect(m.columns(ks, null)).toEqual(["node", "bun"]);
    expect(m.columns(ks, ["deno", "node"])).toEqual(["node", "deno"]);
    // `node vm/run.mjs --kernels 6.1 --runtimes bun`: bun on 6.1, whose own list is node only.
    const o = m.parseArgs(["--kernels", "6.1", "--runtimes", "bun"]);
    const sel = m.selectKernels(list, o.kernels);
    expect(ids(m.schedule(sel, o.runtimes))).toEqual(["6.1/bun"]);
    expect(m.columns(sel, o.runtimes)).toEqual(["bun"]);
    expect(m.parseArgs(["--runtimes", "bun,node,bun"]).runtimes).toEqual(["bun", "node"]);
  });

  it("boots per-kernel cells longest first, by guess or by the previous run's times", () => {
    const ks = [{ name: "a", runtimes: ["node", "bun", "deno"] }, { name: "b", runtimes: ["node"] }];
    const ids = (js: { kernel: { name: string }; runtime: string }[]) => js.map((j) => `${j.kernel.name}/${j.runtime}`);
    expect(ids(m.schedule(ks, null))).toEqual(["b/node", "a/node", "a/deno", "a/bun"]);
    expect(ids(m.schedule([ks[0]], null))).toEqual(["a/node", "a/deno", "a/bun"]);
    const times = { "a/node": 300, "a/bun": 200, "a/deno": 250, "b/node": 100, "b/bun": 999 };
    expect(ids(m.schedule(ks, null, times))).toEqual(["a/node", "a/deno", "a/bun", "b/node"]);
  });

  it("selects by name or suite, in list order, and names unknown ones", () => {
    expect(m.selectKernels(list, ["sid", "5.10"]).map((k: { name: string }) => k.name)).toEqual(["5.10", "sid"]);
    expect(m.selectKernels(list, ["trixie"]).map((k: { name: string }) => k.name)).toEqual(["6.12"]);
    expect(() => m.selectKernels(list, ["4.19"])).toThrow(/4\.19/);
  });
});

describe("vm matrix: what the guests run", () => {
  const files = [
    { path: "test/a.test.ts", source: `itPriv("x", { kernel: "5.11" }, () => {});` },
    { path: "test/b.test.ts", source: `it("pure", () => {});` },
    { path: "test/c.test.ts", source: `describePriv ("y", () => {});` },
  ];

  it("the privileged files by default, the user's filters or every file otherwise", () => {
    expect(m.guestVitestArgs(m.parseArgs([]), files)).toEqual(["test/a.test.ts", "test/c.test.ts"]);
    expect(m.guestVitestArgs(m.parseArgs(["-t=z"]), files)).toEqual(["-t=z", "test/a.test.ts", "test/c.test.ts"]);
    expect(m.guestVitestArgs(m.parseArgs(["test/b"]), files)).toEqual(["test/b"]);
    expect(m.guestVitestArgs(m.parseArgs(["--all"]), files)).toEqual([]);
  });

  it("quotes arguments for the guest's shell", () => {
    expect(m.argsScript(["node", "deno"], ["-t=it's a map", "test/a.test.ts"])).toBe(
      `set -- --runtimes node,deno '-t=it'\\''s a map' test/a.test.ts\n`,
    );
  });

  it("boots with TCG, one vCPU, no network and both 9p shares", () => {
    const a = qemuArgs({ kernelDir: "/k", name: "6.1", project: "/work/main", runDir: "/work/main/.cache/vm/runs/6.1" });
    const s = a.join(" ");
    expect(s).toContain("-accel tcg,thread=multi");
    expect(s).toContain("-smp 1");
    expect(s).toContain("-nodefaults");
    expect(s).toContain("path=/,readonly=on");
    expect(s).toContain("path=/work/main,");
    expect(a[a.indexOf("-append") + 1]).toMatch(/panic=-1 .*tsbpf\.run=\/work\/main\/\.cache\/vm\/runs\/6\.1 tsbpf\.kernel=6\.1/);
    expect(() => qemuArgs({ kernelDir: "/k", name: "x", project: "/my project", runDir: "/r" })).toThrow(/space/);
  });
});

describe("vm matrix: results", () => {
  const rt = ["node", "bun", "deno"];
  const rows = [
    {
      name: "5.10", suite: "bullseye-security", release: "5.10.0-46-amd64",
      cells: [
        { ...m.cell({ node: { passed: 9, failed: 0, skipped: 2 } }, "node"), seconds: 121.4, attempts: 1 },
        { ...m.cell({ bun: { passed: 8, failed: 1, skipped: 2 } }, "bun"), seconds: 80, attempts: 1 },
        { ...m.cell(null, "deno"), seconds: 30, attempts: 2 },
      ],
    },
  ];

  it("a cell fails on a failed test or a missing report", () => {
    expect(rows[0].cells.map((c: { ok: boolean }) => c.ok)).toEqual([true, false, false]);
    expect(rows[0].cells[2].reported).toBe(false);
  });

  it("the table has a row per kernel and a column per runtime", () => {
    const t = m.formatTable(rows, rt).split("\n");
    expect(t[0]).toMatch(/^kernel +node +bun +deno$/);
    expect(t[1]).toMatch(/^5\.10 \(5\.10\.0-46-amd64\) +ok 9\/0\/2 121s +FAIL 8\/1\/2 80s +FAIL no report 30s \(2 boots\)$/);
  });

  it("the last line counts cells", () => {
    expect(m.matrixLine(rows)).toBe("matrix: 1 passed, 2 failed");
    expect(m.markdownTable(rows, rt).split("\n")).toHaveLength(3);
  });

  it("the tests line sums the cells and counts a missing report as a failure", () => {
    expect(m.testsLine(rows)).toBe("matrix tests: 17 passed, 2 failed, 4 skipped");
  });

  it("a runtime a kernel does not run is '-' in both tables and counts nowhere", () => {
    const two = [rows[0], { name: "6.1", suite: "bookworm", release: "6.1.0-50-amd64", cells: [{ ...m.cell({ node: { passed: 5, failed: 0, skipped: 0 } }, "node"), seconds: 60, attempts: 1 }] }];
    const t = m.formatTable(two, rt).split("\n");
    expect(t[2]).toMatch(/^6\.1 \(6\.1\.0-50-amd64\) +ok 5\/0\/0 60s +- +-$/);
    expect(t[3]).toMatch(/-: not run on that kernel/);
    expect(m.markdownTable(two, rt).split("\n")[3]).toBe("| 6.1.0-50-amd64 | bookworm | pass 5/0/0, 60 s | - | - |");
    expect(m.matrixLine(two)).toBe("matrix: 2 passed, 2 failed");
    expect(m.testsLine(two)).toBe("matrix tests: 22 passed, 2 failed, 4 skipped");
    // Only node cells, all passing: the sums pass although bun and deno show "-" on 6.1.
    const nodeOnly = [
      { name: "5.10", suite: "bullseye-security", release: null, cells: [{ ...m.cell({ node: { passed: 3, failed: 0, skipped: 1 } }, "node"), seconds: 9 }, { ...m.cell({ bun: { passed: 3, failed: 0, skipped: 1 } }, "bun"), seconds: 9 }] },
      two[1],
    ];
    expect(m.formatTable(nodeOnly, ["node", "bun"]).split("\n")[2]).toMatch(/^6\.1 \(6\.1\.0-50-amd64\) +ok 5\/0\/0 60s +-$/);
    expect(m.matrixLine(nodeOnly)).toBe("matrix: 3 passed, 0 failed");
    expect(m.testsLine(nodeOnly)).toBe("matrix tests: 11 passed, 0 failed, 2 skipped");
  });

  it("a table where every kernel ran every runtime has no '-' legend", () => {
    expect(m.formatTable(rows, rt)).not.toMatch(/not run/);
  });

  it("boots the longest cells first", () => {
    const ks = [{ name: "a" }, { name: "b" }];
    const ids = (js: { kernel: { name: string }; runtime: string }[]) => js.map((j) => `${j.kernel.name}/${j.runtime}`);
    expect(ids(m.schedule(ks, rt))).toEqual(["b/node", "a/node", "a/deno", "b/deno", "a/bun", "b/bun"]);
    expect(ids(m.schedule(ks, ["node", "bun"], { "b/bun": 90, "a/node": 50, "b/node": 60, "a/bun": 10 }))).toEqual(["b/bun", "b/node", "a/node", "a/bun"]);
  });

  it("the console tail drops terminal escapes", () => {
    expect(m.consoleTail("a\r\n\x1b[2Kb\x1b[?25l\nc\n\n", 2)).toBe("b\nc");
  });

  it("the pool runs at most `limit` at a time and keeps the order", async () => {
    let now = 0, max = 0;
    const out = await m.pool([30, 10, 20, 5], 2, async (ms: number) => {
      max = Math.max(max, ++now);
      await new Promise((r) => setTimeout(r, ms));
      now--;
      return ms * 2;
    });
    expect(out).toEqual([60, 20, 40, 10]);
    expect(max).toBe(2);
  });
});
