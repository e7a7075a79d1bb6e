// The docs JSR shows and the types users get: `deno doc --lint` finds no undocumented export,
// no private member in the docs and no unexported type in a signature; the library, its tests
// and examples type-check. Checked once, by the Node run on the host (the result is the same on
// every runtime and kernel).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-ignore: a plain-JS list shared with the build, without declarations
import { entries } from "../../scripts/entries.mjs";
import { runtime } from "../helpers/env.ts";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");
const bin = (n: string) => join(root, "node_modules", ".bin", n);
const skip = process.env.TSBPF_VM ? "checked by the host run, not in VMs" : runtime !== "node" ? "checked once, by the Node run" : null;
if (skip) console.warn(`skip: docs and types: ${skip}`);

function run(cmd: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: 240_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}${r.error ? r.error.message : ""}` };
}

/** deno.json's "exports": what JSR publishes and documents. */
function denoExports(): Record<string, string> {
  return JSON.parse(readFileSync(join(root, "deno.json"), "utf8")).exports;
}

describe.skipIf(skip !== null)(`docs and types${skip ? ` [skipped: ${skip}]` : ""}`, () => {
  it("deno.json exports the entry points npm gets (scripts/entries.mjs)", () => {
    const want = Object.fromEntries((entries as { subpath: string; source: string }[]).map((e) => [e.subpath, `./${e.source}`]));
    expect(denoExports()).toEqual(want);
  });

  it("deno doc --lint of every entry point reports nothing", () => {
    const r = run(bin("deno"), ["doc", "--lint", ...Object.values(denoExports()).map((p) => p.replace(/^\.\//, ""))]);
    expect(r.out.split("\n").filter((l) => /^error/.test(l)), r.out.slice(-3000)).toEqual([]);
    expect(r.code, r.out.slice(-3000)).toBe(0);
  }, 240_000);

  it("the library type-checks with isolatedDeclarations (JSR's no slow types)", () => {
    const r = run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json", "--noEmit"]);
    expect(r.out.trim()).toBe("");
    expect(r.code).toBe(0);
  }, 240_000);

  it("tests and examples type-check", () => {
    const r = run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.test.json", "--noEmit"]);
    expect(r.out.trim()).toBe("");
    expect(r.code).toBe(0);
  }, 240_000);
});
