#!/usr/bin/env node
// Import cost on Node, Bun and Deno: a process that imports the package against one that imports
// nothing (bench/import.mjs either way), on the same runtime. Each round runs every case's pair
// back to back, the order within a pair swapped every round, and the cost is the median over the
// rounds of (import process - empty process), wall clock, whole process: start-up, resolving,
// loading, compiling and evaluating the modules, exit. Target: under 30 ms on every runtime.
//
//   node bench/import-run.mjs [--rounds 31]
//
// Node imports the npm package by name (dist/, the bundle `npm run build` makes); Bun imports both
// the sources (mod.ts) and the npm package; Deno the sources, as JSR serves them, and the build.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { arg, bin, buildDist, median, root } from "./lib.mjs";

const rounds = arg("rounds", 31);
const warmup = 2; // uncounted rounds: Bun's and Deno's transpile caches, the page cache
const target = 30;

buildDist();

const script = join(root, "bench", "import.mjs");
const cases = [
  ["node, npm package (dist/)", process.execPath, [script], "tsbpf"],
  ["bun, sources (mod.ts)", bin("bun"), [script], "../mod.ts"],
  ["bun, npm package (dist/)", bin("bun"), [script], "tsbpf"],
  ["deno, sources (mod.ts)", bin("deno"), ["run", "-A", script], "../mod.ts"],
  ["deno, npm build (dist/)", bin("deno"), ["run", "-A", script], "../dist/mod.js"],
];

/** Runs one process to its exit: wall ms, and the ms the import took as the process saw it. */
function run(cmd, args) {
  const t0 = performance.now();
  const p = spawnSync(cmd, args, { cwd: root, encoding: "utf8" });
  const wall = performance.now() - t0;
  if (p.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${p.stderr || p.stdout}`);
  return { wall, inside: JSON.parse(p.stdout.trim().split("\n").pop()).inside };
}

const results = cases.map(() => ({ cost: [], empty: [], inside: [] }));
for (let r = -warmup; r < rounds; r++) {
  cases.forEach(([, cmd, args, spec], i) => {
    const withImport = () => run(cmd, [...args, spec]);
    const empty = () => run(cmd, args);
    let a, b;
    if (r % 2) (a = withImport()), (b = empty());
    else (b = empty()), (a = withImport());
    if (r < 0) return;
    results[i].cost.push(a.wall - b.wall);
    results[i].empty.push(b.wall);
    results[i].inside.push(a.inside);
  });
  if (r >= 0) process.stderr.write(`round ${r + 1}/${rounds} done\n`);
}

const f1 = (x) => x.toFixed(1);
/** The q-quantile of numbers, nearest rank. */
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.round(q * (xs.length - 1))];
const version = (cmd, ...args) => spawnSync(cmd, args, { encoding: "utf8" }).stdout.split(/[\n(]/)[0].trim();
let miss = 0;
console.log(`\nimport cost, median of ${rounds} rounds: import process - empty process, wall ms (node ${process.version}, bun ${version(bin("bun"), "--version")}, ${version(bin("deno"), "--version")})\n`);
console.log("| runtime, what is imported | import ms | middle half | min..max | empty process ms | import timed inside ms | target |");
console.log("|---|---|---|---|---|---|---|");
cases.forEach(([name], i) => {
  const { cost, empty, inside } = results[i];
  const m = median(cost);
  if (m >= target) miss++;
  const mark = m < target ? "✓" : `✗ (${target} ms)`;
  const half = `${f1(quantile(cost, 0.25))}..${f1(quantile(cost, 0.75))}`;
  console.log(`| ${name} | ${f1(m)} | ${half} | ${f1(Math.min(...cost))}..${f1(Math.max(...cost))} | ${f1(median(empty))} | ${f1(median(inside))} | ${mark} |`);
});
console.log(miss ? `\n${miss} target(s) missed` : "\nall targets met");
