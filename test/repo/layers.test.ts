// The house rules of ../shared/notes/architecture.md, as a table, checked against every import in
// src/, runtimes/, cli/ and examples/: a layer imports only the layers below it; pure code never
// reaches the kernel; only the entry files pick a runtime; tools use the public entries. An import the table
// forbids fails here with the file, the line and the rule.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");

/** Layers, lowest first: a path belongs to the layer of the longest prefix it starts with. */
const LAYERS: { name: string; prefixes: string[]; may: string[] }[] = [
  { name: "generated", prefixes: ["src/uapi/"], may: [] },
  { name: "leaves", prefixes: ["src/util/", "src/errors.ts", "src/error-text.ts", "src/fd-census.ts"], may: ["generated"] },
  { name: "pure", prefixes: ["src/asm/", "src/codec/", "src/btf/", "src/elf/"], may: ["generated", "leaves"] },
  { name: "syscall", prefixes: ["src/sys/"], may: ["generated", "leaves"] },
  { name: "commands", prefixes: ["src/cmd/"], may: ["generated", "leaves", "syscall", "src/asm/encode.ts"] },
  {
    name: "objects",
    // btf/kernel.ts (vmlinux and modules), btf/handle.ts (a loaded BTF object) and btf/probe.ts (which
    // kinds the kernel takes) are the live
    // corner of the otherwise pure btf/, as architecture.md has them.
    prefixes: ["src/fd-object.ts", "src/map/", "src/program/", "src/link/", "src/ringbuf/", "src/perf/", "src/btf/kernel.ts", "src/btf/handle.ts", "src/btf/probe.ts"],
    // The version tables are plain data: live objects name the kernel a missing feature needs.
    may: ["generated", "leaves", "pure", "syscall", "commands", "src/features/versions.ts"],
  },
  { name: "composition", prefixes: ["src/features/", "src/collection/"], may: ["generated", "leaves", "pure", "syscall", "commands", "objects"] },
  { name: "entry", prefixes: ["mod.ts", "link.ts"], may: ["*"] },
  { name: "adapters", prefixes: ["runtimes/"], may: ["src/sys/backend.ts", "src/sys/nr.ts"] },
  { name: "tools", prefixes: ["cli/", "examples/"], may: ["entry"] },
];

function layerOf(path: string): (typeof LAYERS)[number] | undefined {
  let best: (typeof LAYERS)[number] | undefined, len = -1;
  for (const l of LAYERS) {
    for (const p of l.prefixes) {
      if ((p.endsWith("/") ? path.startsWith(p) : path === p) && p.length > len) [best, len] = [l, p.length];
    }
  }
  return best;
}

interface Import { from: string; to: string; line: number; spec: string }

/** Every import and re-export of a file (static, dynamic and side-effect ones), resolved to repo paths. */
function importsOf(file: string): Import[] {
  const text = readFileSync(join(root, file), "utf8");
  const out: Import[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s*(?:type\s+)?(?:[\w*{}\s,]*?\s*from\s*)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/gm;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2];
    // The match may start with the whitespace before the keyword: count lines up to the keyword.
    const line = text.slice(0, m.index + m[0].search(/import|export/)).split("\n").length;
    // Only code: skip specifiers inside comments (JSDoc examples import the package by name).
    const lineText = text.split("\n")[line - 1].trim();
    if (lineText.startsWith("*") || lineText.startsWith("//")) continue;
    const to = spec.startsWith(".") ? normalize(join(dirname(file), spec)) : spec;
    out.push({ from: file, to, line, spec });
  }
  return out;
}

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(join(root, dir))) return out;
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) walk(p, out);
    else if (/\.(ts|mts|mjs|js)$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

const files = ["mod.ts", "link.ts", ...walk("src"), ...walk("runtimes"), ...walk("cli"), ...walk("examples")];

/** Why `imp` breaks the rules, or null. */
export function violation(imp: Import): string | null {
  const from = layerOf(imp.from);
  if (from === undefined) return `${imp.from} is in no layer of the table: add its folder`;
  const builtin = imp.to.startsWith("node:") || imp.to.startsWith("bun:") || imp.to.startsWith("npm:") || imp.to.startsWith("jsr:");
  if (imp.to === "runtimes/auto.ts" && from.name !== "entry") return "only the package's entry files (mod.ts, link.ts) import runtimes/auto.ts (it picks the runtime)";
  if (from.name === "tools") {
    if (imp.to === "tsbpf" || imp.to.startsWith("tsbpf/") || imp.to === "mod.ts" || imp.to === "link.ts") return null;
    if (builtin) return null;
    return "examples and the CLI import the public entry (mod.ts or the package name) only";
  }
  if (builtin) {
    return from.name === "adapters" ? null : "src/ is runtime-agnostic: no node:, bun:, npm: or jsr: imports (runtimes/ holds them)";
  }
  if (!imp.spec.startsWith(".")) return `a bare import (${imp.spec}) in ${from.name} code: the core has no dependencies`;
  if (from.may.includes("*")) return null;
  const to = layerOf(imp.to);
  if (to === from) return null; // within a layer
  if (from.may.includes(imp.to)) return null;
  if (to !== undefined && from.may.includes(to.name)) return null;
  return `${from.name} (${from.prefixes.join(" ")}) may not import ${to?.name ?? "?"} (${imp.to}); it may import: ${from.may.join(", ") || "nothing"}`;
}

describe("layers", () => {
  it("finds the files and their imports", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.flatMap(importsOf).length).toBeGreaterThan(400);
  });

  it("no import breaks the table of architecture.md", () => {
    const bad = files.flatMap(importsOf).map((i) => ({ i, why: violation(i) })).filter((x) => x.why !== null);
    expect(bad.map(({ i, why }) => `${i.from}:${i.line}: import "${i.spec}": ${why}`)).toEqual([]);
  });

  it("the rules catch what they forbid", () => {
    const v = (from: string, spec: string) => violation({ from, spec, line: 1, to: spec.startsWith(".") ? normalize(join(dirname(from), spec)) : spec });
    expect(v("src/asm/insn.ts", "../sys/bpf.ts")).toMatch(/pure .* may not import syscall/);
    expect(v("src/codec/ints.ts", "../cmd/map.ts")).toMatch(/may not import commands/);
    expect(v("src/uapi/enums.gen.ts", "../util/text.ts")).toMatch(/generated/);
    expect(v("src/map/map.ts", "../../runtimes/auto.ts")).toMatch(/only the package's entry files/);
    expect(v("examples/hello.ts", "../src/map/map.ts")).toMatch(/public entry/);
    expect(v("src/sys/bpf.ts", "node:fs")).toMatch(/runtime-agnostic/);
    expect(v("src/cmd/prog.ts", "../asm/encode.ts")).toBeNull();
    expect(v("src/cmd/prog.ts", "../asm/assemble.ts")).toMatch(/may not import pure/);
    expect(v("runtimes/node.ts", "../src/map/map.ts")).toMatch(/adapters/);
    expect(v("src/features/probe.ts", "../map/map.ts")).toBeNull();
    expect(v("src/sys/attr.ts", "../cmd/args.ts")).toMatch(/syscall .* may not import commands/);
    expect(v("src/btf/btf.ts", "../cmd/btf.ts")).toMatch(/pure .* may not import commands/);
    expect(v("src/btf/btf.ts", "./handle.ts")).toMatch(/pure .* may not import objects/);
    expect(v("src/btf/handle.ts", "../cmd/btf.ts")).toBeNull();
  });

  it("every folder of src/ is in the table", () => {
    const dirs = readdirSync(join(root, "src"), { withFileTypes: true }).map((e) => `src/${e.name}${e.isDirectory() ? "/" : ""}`);
    expect(dirs.filter((d) => layerOf(d) === undefined && layerOf(`${d}x.ts`) === undefined)).toEqual([]);
    expect(relative(root, root)).toBe("");
  });
});
