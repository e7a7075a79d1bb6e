#!/usr/bin/env node
// `npm run test:vm`: the privileged suite on real kernels. Fetches the kernels of vm/kernels.list
// (cached in .cache/vm/), builds their initramfs, and boots one QEMU VM per kernel x runtime it
// runs (each kernel's own list, the 4th column of vm/kernels.list, unless --runtimes gives one for
// every kernel), two at a time, each running scripts/test-all.mjs for that runtime. Prints a table
// kernel x runtime ("-" where a kernel did not run a runtime), then "matrix tests: N passed,
// N failed, N skipped" summing the cells' tests and, last, "matrix: N passed, N failed" counting
// cells; exits 1 if any cell failed.
//
//   node vm/run.mjs [--kernels 5.10,6.1] [--runtimes node] [--jobs 2] [--timeout 2100] [vitest args]
//
// Each run gets .cache/vm/runs/<date>-<pid>/ (runs/latest points to the newest; the last 10 are
// kept), so runs may overlap. Per VM, <run>/<kernel>-<runtime>/ holds console.log (the serial
// console), summary.json, results/<runtime>.json (vitest's report) and status (the guest runner's
// exit code); <run>/matrix.json and matrix.md hold the table.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import {
  argsScript, cell, columns, consoleTail, formatTable, guestVitestArgs, markdownTable, matrixLine, parseArgs, parseKernelList, pool,
  runtimesOf, schedule, selectKernels, testsLine, usage,
} from "./matrix.mjs";
import { boot, killAll, qemuArgs } from "./qemu.mjs";

const vmDir = dirname(fileURLToPath(import.meta.url));
const project = dirname(vmDir);
const cache = join(project, ".cache", "vm");
const runsRoot = join(cache, "runs");
const KEEP_RUNS = 10;
const TAIL_LINES = 60;

const say = (msg) => console.log(`vm: ${msg}`);
const rel = (p) => relative(process.cwd(), p) || ".";

function fail(msg) {
  console.error(`vm: ${msg}`);
  console.log("matrix tests: 0 passed, 1 failed");
  console.log("matrix: 0 passed, 1 failed");
  process.exit(1);
}

function sh(script, args) {
  const r = spawnSync("bash", [join(vmDir, script), ...args], { stdio: "inherit" });
  if (r.status !== 0) fail(`${script} ${args.join(" ")} failed (exit ${r.status ?? r.signal})`);
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

function readText(file) {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return null;
  }
}

/** Makes this run's directory, points runs/latest at it and drops all but the newest runs. */
function newRunDir() {
  mkdirSync(runsRoot, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const dir = join(runsRoot, `${stamp}-${process.pid}`);
  mkdirSync(dir);
  const old = readdirSync(runsRoot).filter((d) => /^\d{8}-\d{6}-\d+$/.test(d)).sort().slice(0, -KEEP_RUNS);
  for (const d of old) rmSync(join(runsRoot, d), { recursive: true, force: true });
  rmSync(join(runsRoot, "latest"), { force: true });
  symlinkSync(relative(runsRoot, dir), join(runsRoot, "latest"));
  return dir;
}

/**
 * Cell times of the previous run, "kernel/runtime" -> seconds, to boot the longest first; only
 * when that run gave the guests the same arguments (other files take other times).
 */
function previousTimes(guestArgs) {
  const m = readJson(join(runsRoot, "latest", "matrix.json"));
  const out = {};
  if (JSON.stringify(m?.guestArgs) !== JSON.stringify(guestArgs)) return out;
  for (const r of m?.rows ?? []) for (const c of r.cells ?? []) if (c.seconds) out[`${r.name}/${c.runtime}`] = c.seconds;
  return out;
}

/** The project's test files: test/…/*.test.ts, without the harness's own tests in test/vm/. */
function testFiles() {
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(join(project, dir), { withFileTypes: true })) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory() && p !== "test/vm" && e.name !== "node_modules") walk(p);
      else if (e.isFile() && e.name.endsWith(".test.ts")) out.push({ path: p, source: readFileSync(join(project, p), "utf8") });
    }
  };
  walk("test");
  return out;
}

/** Boots one VM for a kernel x runtime, retrying once when the guest dies without a status. */
async function runCell({ kernel: k, runtime }, opts) {
  const id = `${k.name}-${runtime}`;
  const kernelDir = join(cache, "kernels", k.name);
  const runDir = join(opts.runDir, id);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, "args.sh"), argsScript([runtime], opts.guestArgs));
  const args = qemuArgs({ kernelDir, name: k.name, project, runDir, memory: opts.memory });
  const consoleLog = join(runDir, "console.log");

  let res, status = null, attempts, note = "";
  for (attempts = 1; ; attempts++) {
    say(`${id}: booting${attempts > 1 ? " again" : ""}`);
    res = await boot({
      args, consoleLog, timeout: opts.timeout,
      onLine: opts.verbose ? (line) => console.log(`[${id}] ${consoleTail(line, 1)}`) : undefined,
    });
    status = readText(join(runDir, "status"));
    if (status !== null) break;
    note = res.timedOut ? `timed out after ${opts.timeout}s` : `died without a status (qemu exit ${res.code ?? res.signal})`;
    if (res.timedOut || attempts === 2) break;
    say(`${id}: ${note} after ${Math.round(res.seconds)}s; retrying once`);
    renameSync(consoleLog, join(runDir, "console.1.log"));
    for (const f of ["summary.json", "results"]) rmSync(join(runDir, f), { recursive: true, force: true });
  }
  if (status !== null) note = status === "0" ? "" : `runner exit ${status}`;
  const c = { ...cell(readJson(join(runDir, "summary.json")), runtime), seconds: res.seconds, attempts, note };
  const counts = c.reported ? ` ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped` : "";
  say(`${id}: ${c.ok ? "ok" : "FAILED"} in ${Math.round(res.seconds)}s${counts}${note ? ` (${note})` : ""}`);
  return { kernel: k.name, cell: c, consoleLog };
}

async function main() {
  let opts, kernels;
  try {
    opts = parseArgs(process.argv.slice(2));
    if (opts.help) {
      console.log(usage);
      return;
    }
    kernels = selectKernels(parseKernelList(readFileSync(join(vmDir, "kernels.list"), "utf8")), opts.kernels);
    opts.guestArgs = guestVitestArgs(opts, testFiles());
  } catch (e) {
    fail(e.message);
  }
  if (process.getuid?.() !== 0) fail("run as root: the guests share this machine's files with their owners' ids");
  if (!existsSync(join(project, "node_modules", "vitest"))) fail("node_modules is missing: run `npm ci` first");
  if (!existsSync(join(project, ".cache", "uapi"))) fail("the kernel UAPI headers are missing: run `npm run uapi` first");

  const t0 = performance.now();
  sh("install-deps.sh", []);
  const names = kernels.map((k) => k.name);
  sh("kernels.sh", [...(opts.refresh ? ["--refresh"] : []), ...names]);
  sh("initramfs.sh", names);
  const prepared = (performance.now() - t0) / 1000;
  say(`kernels and initramfs ready in ${Math.round(prepared)}s (cache: ${rel(cache)})`);

  const jobs = schedule(kernels, opts.runtimes, previousTimes(opts.guestArgs));
  opts.runDir = newRunDir();
  // Mount points for the guests' private tmpfs (vm/guest/init): node_modules is read-only there.
  for (const d of [".vite", ".vite-temp"]) mkdirSync(join(project, "node_modules", d), { recursive: true });
  process.on("SIGINT", () => {
    killAll();
    process.exit(130);
  });
  const cols = columns(kernels, opts.runtimes);
  const plan = kernels.map((k) => `${k.name}:${runtimesOf(k, opts.runtimes).join(",")}`).join(" ");
  say(`${plan}: ${jobs.length} VMs, ${opts.jobs} at a time, timeout ${opts.timeout}s each; logs in ${rel(opts.runDir)}/`);
  say(`vitest args in the VMs: ${opts.guestArgs.join(" ") || "(none: every file)"}`);
  const t1 = performance.now();
  const done = await pool(jobs, opts.jobs, (j) => runCell(j, opts));
  const vmWall = (performance.now() - t1) / 1000;

  const rows = kernels.map((k) => ({
    name: k.name, suite: k.suite, release: readText(join(cache, "kernels", k.name, "release")),
    cells: done.filter((d) => d.kernel === k.name).map((d) => d.cell).sort((a, b) => cols.indexOf(a.runtime) - cols.indexOf(b.runtime)),
  }));
  for (const d of done) {
    if (d.cell.ok) continue;
    console.log(`\n--- ${d.kernel} ${d.cell.runtime}${d.cell.note ? ` (${d.cell.note})` : ""}: last ${TAIL_LINES} lines of ${rel(d.consoleLog)} ---`);
    console.log(consoleTail(readText(d.consoleLog) ?? "(no console output)", TAIL_LINES));
  }

  writeFileSync(join(opts.runDir, "matrix.json"), JSON.stringify({ date: new Date().toISOString(), guestArgs: opts.guestArgs, vmSeconds: vmWall, prepareSeconds: prepared, rows }, null, 2));
  writeFileSync(join(opts.runDir, "matrix.md"), markdownTable(rows, cols) + "\n");
  console.log("\n" + formatTable(rows, cols));
  console.log(`wall time: ${Math.round(vmWall)}s for the VMs (${opts.jobs} at a time), ${Math.round(prepared)}s to prepare; Markdown table: ${rel(join(opts.runDir, "matrix.md"))}`);
  console.log(testsLine(rows));
  const last = matrixLine(rows);
  console.log(last);
  process.exitCode = / 0 failed$/.test(last) ? 0 : 1;
}

await main();
