#!/usr/bin/env node
// Map hot loops on Node, Bun and Deno against the same loops in C, in one run: processes are
// interleaved round by round (C, node, bun, deno, C, ...) so drift hits all alike, and the
// median of the rounds is reported as ns/op and as a ratio to C.
//
//   node bench/run.mjs [--rounds 5] [--n 1000000] [--batch-rounds 300]
//
// Node runs the compiled package (dist/, what npm users import); Bun and Deno run the sources.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { arg, buildDist, interleave, kernel, median, root, runtimeCommands } from "./lib.mjs";

const rounds = arg("rounds", 5);
const n = arg("n", 1_000_000);
const batchRounds = arg("batch-rounds", 300);

mkdirSync(join(root, ".cache", "bench"), { recursive: true });
const cbin = join(root, ".cache", "bench", "map");
execFileSync("gcc", ["-O2", "-o", cbin, join(root, "bench", "c", "map.c")]);
buildDist();

const runs = {
  c: [cbin, [String(n), String(batchRounds)]],
  ...runtimeCommands(join(root, "bench", "map.mjs"), [String(n), String(batchRounds)]),
};

const results = interleave(runs, rounds);
const med = (name, op) => median(results[name].map((x) => x[op]));
const targets = { node: 1.25, bun: 1.08, deno: 1.08 };

console.log(`\nmap hot loops, median of ${rounds} interleaved rounds; ${n} ops per loop; kernel ${kernel()}\n`);
console.log("| runtime | lookup ns/op | vs C | update ns/op | vs C | batch of 1024 µs | 1024 single lookups µs | batch speedup |");
console.log("|---|---|---|---|---|---|---|---|");
let miss = 0;
for (const name of ["c", "node", "bun", "deno"]) {
  const lk = med(name, "lookup");
  const up = med(name, "update");
  const b = med(name, "batch1024");
  const s = med(name, "single1024");
  const rl = lk / med("c", "lookup");
  const ru = up / med("c", "update");
  const t = targets[name];
  const mark = (ratio) => (t === undefined ? "" : ratio <= t ? " ✓" : ` ✗ (target ${t})`);
  if (t !== undefined && (rl > t || ru > t)) miss++;
  // The batch target is ours: C is the baseline, shown for reference.
  const batchMark = name === "c" ? "" : s / b >= 5 ? " ✓" : " ✗ (target 5x)";
  if (batchMark.includes("✗")) miss++;
  console.log(`| ${name} | ${lk.toFixed(0)} | ${rl.toFixed(3)}${mark(rl)} | ${up.toFixed(0)} | ${ru.toFixed(3)}${mark(ru)} | ${(b / 1000).toFixed(1)} | ${(s / 1000).toFixed(1)} | ${(s / b).toFixed(1)}x${batchMark} |`);
}
console.log(miss ? `\n${miss} target(s) missed` : "\nall targets met");
