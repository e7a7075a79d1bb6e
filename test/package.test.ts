// Packaging: the npm build imports in plain Node with no loader, and the JSR package passes
// `deno publish --dry-run` (no slow types). Run once per suite run, on the host.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runtime } from "./helpers/env.ts";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");
const bin = (n: string) => join(root, "node_modules", ".bin", n);
// The VM matrix sets this: packaging does not depend on the kernel, and the host run checks it.
const skip = process.env.TSBPF_SKIP_PACKAGE ? "packaging is checked by the host run, not in VMs" : runtime !== "node" ? "checked once, by the Node run" : null;
if (skip) console.warn(`skip: packaging: ${skip}`);

describe.skipIf(skip !== null)(`packaging${skip ? ` [skipped: ${skip}]` : ""}`, () => {
  it("npm run build emits ESM and declarations that plain node imports by package name", () => {
    execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.build.json")], { cwd: root });
    expect(existsSync(join(root, "dist", "mod.js"))).toBe(true);
    expect(existsSync(join(root, "dist", "mod.d.ts"))).toBe(true);
    const out = execFileSync("node", ["--input-type=module", "-e",
      "const m = await import('tsbpf'); console.log(typeof m.mapCreate, typeof m.Insn.encode, m.MapType.lru_hash, m.Cmd.prog_load)"], { cwd: root, encoding: "utf8" });
    expect(out.trim()).toBe("function function 9 5");
  });

  it("deno publish --dry-run passes: no slow types", () => {
    const r = spawnSync(bin("deno"), ["publish", "--dry-run", "--allow-dirty"], { cwd: root, encoding: "utf8" });
    expect((r.stderr + r.stdout).replace(/\x1b\[[0-9;]*m/g, "")).toMatch(/Success Dry run complete/);
    expect(r.status).toBe(0);
  }, 120_000);
});
