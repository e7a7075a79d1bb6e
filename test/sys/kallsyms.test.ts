// Kernel symbol addresses for typeless ksyms, matched as libbpf's kallsyms_cb matches them: on
// files in /proc/kallsyms' format (a data symbol's .llvm.<hash> suffix, module symbols, one name
// at two addresses, addresses hidden by kptr_restrict, lines across read boundaries), and on this
// host's /proc/kallsyms against a plain reading of it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KallsymsError, kernelSymbolAddress, kernelSymbolAddresses } from "../../mod.ts";
import { isRoot } from "../helpers/env.ts";

const dir = mkdtempSync(join(tmpdir(), "tsbpf-kallsyms-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function file(lines: string[] | string): string {
  const p = join(dir, `k${files++}`);
  writeFileSync(p, Array.isArray(lines) ? lines.join("\n") + "\n" : lines);
  return p;
}

const SAMPLE = [
  "0000000000000000 A fixed_percpu_data",
  "ffffffff81000000 T _stext",
  "ffffffff81001000 t helper_fn",
  "ffffffff82000010 d bpf_static_data.llvm.1234567890",
  "ffffffff82000020 t static_fn.llvm.42",
  "ffffffff82000030 D exported",
  "ffffffff82000040 d twice",
  "ffffffff82000040 d twice",
  "ffffffff82000050 t two_places",
  "ffffffff82000060 t two_places",
  "ffffffffc0001000 t mod_fn\t[some_module]",
  "ffffffffc0002000 d mod_data.llvm.7\t[some_module]",
];

describe("kernelSymbolAddresses on files in /proc/kallsyms' format", () => {
  it("finds the names asked for, data symbols with their .llvm. suffix dropped (libbpf's rule: 'd' only)", () => {
    const p = file(SAMPLE);
    const got = kernelSymbolAddresses(["_stext", "bpf_static_data", "static_fn", "static_fn.llvm.42", "exported", "mod_fn", "mod_data", "nope", "fixed_percpu_data"], { path: p });
    expect(got).toEqual(new Map([
      ["fixed_percpu_data", 0n], // a per-CPU symbol at 0 is a real address when the others show
      ["_stext", 0xffffffff81000000n],
      ["bpf_static_data", 0xffffffff82000010n],
      ["static_fn.llvm.42", 0xffffffff82000020n],
      ["exported", 0xffffffff82000030n],
      ["mod_fn", 0xffffffffc0001000n],
      ["mod_data", 0xffffffffc0002000n],
    ]));
    expect(got.has("static_fn")).toBe(false); // a 't' keeps its suffix
    expect(kernelSymbolAddress("helper_fn", { path: p })).toBe(0xffffffff81001000n);
    expect(kernelSymbolAddress("helper", { path: p })).toBeUndefined();
    expect(kernelSymbolAddress("some_module", { path: p })).toBeUndefined();
    expect(kernelSymbolAddresses([], { path: p }).size).toBe(0);
  });

  it("one name at one address twice is that address; at two addresses it is a KallsymsError, as libbpf's 'ambiguous'", () => {
    const p = file(SAMPLE);
    expect(kernelSymbolAddress("twice", { path: p })).toBe(0xffffffff82000040n);
    let err: unknown;
    try {
      kernelSymbolAddresses(["exported", "two_places"], { path: p });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KallsymsError);
    expect((err as KallsymsError).symbol).toBe("two_places");
    expect((err as Error).message).toMatch(/symbol two_places is ambiguous: 0xffffffff82000050 or 0xffffffff82000060/);
  });

  it("addresses all 0 (kptr_restrict) are a KallsymsError that says so; unknown names alone are not", () => {
    const p = file(SAMPLE.map((l) => l.replace(/^[0-9a-f]+/, "0000000000000000")));
    expect(() => kernelSymbolAddress("exported", { path: p })).toThrow(/shows every address as 0: kernel.kptr_restrict .*CAP_SYSLOG \(as root the addresses are visible\)/);
    expect(kernelSymbolAddress("nope", { path: p })).toBeUndefined();
  });

  it("lines across read boundaries, a last line without newline, a malformed line, a missing file", () => {
    // ~3 MiB: several 256 KiB reads, with the wanted names at and after the boundaries.
    const lines: string[] = [];
    for (let i = 0; i < 70_000; i++) lines.push(`ffffffff8${i.toString(16).padStart(7, "0")} t sym_${i}_${"x".repeat(i % 23)}`);
    const text = lines.join("\n") + "\nffffffff90000000 T last_one";
    const p = file(text);
    const names = ["last_one", "sym_0_", ...[5000, 5800, 6000, 12000, 69999].map((i) => `sym_${i}_${"x".repeat(i % 23)}`)];
    const got = kernelSymbolAddresses(names, { path: p });
    expect(got.size).toBe(names.length);
    expect(got.get("last_one")).toBe(0xffffffff90000000n);
    expect(got.get(names[6])).toBe(0xffffffff8001116fn);
    for (const n of names.slice(1)) expect(got.get(n), n).toBe(0xffffffff80000000n + BigInt(n.split("_")[1]));
    expect(() => kernelSymbolAddress("x", { path: file(["ffffffff81000000 T ok", "garbage"]) })).toThrow(/malformed line "garbage"/);
    expect(() => kernelSymbolAddress("x", { path: join(dir, "none") })).toThrow(/kallsyms: cannot open .*none: open: ENOENT/);
    expect(() => kernelSymbolAddresses(["ok", ""])).toThrow(TypeError);
  });
});

describe("this host's /proc/kallsyms", () => {
  /** The same lookup the plain way: the whole file split into lines, the first address of each name. */
  function reference(names: string[]): Map<string, bigint> {
    const want = new Set(names), out = new Map<string, bigint>();
    for (const line of readFileSync("/proc/kallsyms", "latin1").split("\n")) {
      const m = /^([0-9a-f]+) (\S) (\S+)/.exec(line);
      if (!m) continue;
      const name = m[2] === "d" && m[3].includes(".llvm.") ? m[3].slice(0, m[3].indexOf(".llvm.")) : m[3];
      if (want.has(name) && !out.has(name)) out.set(name, BigInt(`0x${m[1]}`));
    }
    return out;
  }

  if (!isRoot) console.warn("skip: kallsyms addresses as root: not root");
  it.runIf(isRoot)(`${isRoot ? "" : "(skipped: not root) "}as root: bpf_prog_put and others at their addresses, in one pass; unknown names absent`, () => {
    const names = ["bpf_prog_put", "bpf_map_put", "_stext", "init_task", "jiffies", "no_such_symbol_tsbpf"];
    const t0 = performance.now();
    const got = kernelSymbolAddresses(names);
    const ms = performance.now() - t0;
    const want = reference(names);
    console.log(`kallsyms: ${got.size} of ${names.length} names in one pass, ${ms.toFixed(1)} ms`);
    expect(got).toEqual(want);
    const put = kernelSymbolAddress("bpf_prog_put");
    expect(put).toBeDefined();
    expect(put).not.toBe(0n);
    expect(put).toBe(want.get("bpf_prog_put"));
    expect(kernelSymbolAddress("no_such_symbol_tsbpf")).toBeUndefined();
  });

  it.runIf(!isRoot)("not root: addresses found, or the kptr_restrict error (runs only when not root)", () => {
    try {
      expect(kernelSymbolAddress("bpf_prog_put")).not.toBe(0n);
    } catch (e) {
      expect(e).toBeInstanceOf(KallsymsError);
    }
  });
});
