#!/usr/bin/env node
// Runs examples/<name>.ts on Node (through tsx), Bun and Deno, one after another.
//   node scripts/example.mjs hello [args...]
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (n) => join(root, "node_modules", ".bin", n);
const file = join(root, "examples", `${process.argv[2] ?? "hello"}.ts`);
const extra = process.argv.slice(3); // passed on to the example
let failed = 0;
for (const [cmd, args] of [[bin("tsx"), [file, ...extra]], [bin("bun"), [file, ...extra]], [bin("deno"), ["run", "-A", file, ...extra]]]) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
