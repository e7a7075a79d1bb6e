// Every script in examples/ runs to completion against the real kernel, on the runtime running
// the tests (Node through tsx, Bun and Deno directly): the examples are part of the suite.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { describePriv, itPriv, runtime } from "./helpers/env.ts";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");
const bin = (n: string) => join(root, "node_modules", ".bin", n);
const command: Record<typeof runtime, (file: string) => [string, string[]]> = {
  node: (f) => [bin("tsx"), [f]],
  bun: (f) => [process.execPath, [f]],
  deno: (f) => [process.execPath, ["run", "-A", f]],
};
const examples = readdirSync(join(root, "examples")).filter((f) => f.endsWith(".ts")).sort();

describePriv("examples", () => {
  for (const name of examples) {
    itPriv(`examples/${name} runs and exits 0`, () => {
      const [cmd, args] = command[runtime](join(root, "examples", name));
      const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", timeout: 120_000, env: { ...process.env, NO_COLOR: "1" } });
      expect(r.stderr, `stderr of ${name}`).not.toMatch(/Error|error:/);
      expect(r.status, `${name} exit status; stderr: ${r.stderr}`).toBe(0);
      expect(r.stdout.trim().length).toBeGreaterThan(0);
    }, 180_000);
  }
});
