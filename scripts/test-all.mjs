#!/usr/bin/env node
// Runs the vitest suite under Node, Bun and Deno, one after another, and prints one line per
// runtime and a last line "N passed, N failed, N skipped" summed over the three.
//
//   node scripts/test-all.mjs [--runtimes node,bun,deno] [vitest args...]
//
// TSBPF_SUMMARY=<file> also writes the per-runtime counts as JSON (the VM matrix reads it).
// A file whose hooks fail (the fd-leak check, an import error) counts as one failure even when
// all of its tests passed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (n) => join(root, "node_modules", ".bin", n);
const vitest = join(root, "node_modules", "vitest", "vitest.mjs");

let runtimes = ["node", "bun", "deno"];
const args = process.argv.slice(2);
const rtIdx = args.indexOf("--runtimes");
if (rtIdx >= 0) {
  runtimes = args[rtIdx + 1].split(",");
  args.splice(rtIdx, 2);
}

const outDir = process.env.TSBPF_RESULTS_DIR ?? join(root, ".cache", "results");
mkdirSync(outDir, { recursive: true });

const commands = {
  node: [process.execPath, [vitest, "run"]],
  bun: [bin("bun"), ["--bun", vitest, "run"]],
  deno: [bin("deno"), ["run", "-A", vitest, "run"]],
};

const summary = {};
for (const rt of runtimes) {
  const [cmd, base] = commands[rt];
  const json = join(outDir, `${rt}.json`);
  rmSync(json, { force: true });
  console.log(`\n=== ${rt} ===`);
  const t0 = Date.now();
  const r = spawnSync(cmd, [...base, "--reporter=default", "--reporter=json", `--outputFile.json=${json}`, ...args], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? "0" },
  });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  let passed = 0, failed = 0, skipped = 0;
  if (existsSync(json)) {
    const res = JSON.parse(readFileSync(json, "utf8"));
    passed = res.numPassedTests;
    failed = res.numFailedTests;
    skipped = res.numPendingTests + res.numTodoTests;
    for (const file of res.testResults) {
      const failedTests = file.assertionResults.filter((a) => a.status === "failed").length;
      if (file.status === "failed" && failedTests === 0) {
        failed++; // a hook or import failure: nothing else would count it
        console.log(`${rt}: file failed outside its tests: ${file.name}: ${(file.message ?? "").split("\n")[0]}`);
      }
    }
  } else {
    failed++; // the runner itself died before reporting
    console.log(`${rt}: vitest exited with ${r.status ?? r.signal} and wrote no report`);
  }
  if (r.status !== 0 && failed === 0) {
    failed++;
    console.log(`${rt}: vitest exited with ${r.status ?? r.signal} though no test failed`);
  }
  summary[rt] = { passed, failed, skipped, seconds: +secs };
}

console.log("\nruntime  passed  failed  skipped  time");
for (const [rt, s] of Object.entries(summary)) {
  console.log(`${rt.padEnd(7)}  ${String(s.passed).padStart(6)}  ${String(s.failed).padStart(6)}  ${String(s.skipped).padStart(7)}  ${s.seconds}s`);
}
if (process.env.TSBPF_SUMMARY) writeFileSync(process.env.TSBPF_SUMMARY, JSON.stringify(summary, null, 2));
const tot = Object.values(summary).reduce((a, s) => ({ p: a.p + s.passed, f: a.f + s.failed, s: a.s + s.skipped }), { p: 0, f: 0, s: 0 });
console.log(`${tot.p} passed, ${tot.f} failed` + (tot.s ? `, ${tot.s} skipped` : ""));
process.exit(tot.f === 0 ? 0 : 1);
