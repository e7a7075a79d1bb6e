#!/usr/bin/env node
// Map hot loops on Node, Bun and Deno against the same loops in C, in one run.
//
// The baseline each target is judged on is C in the runtime's own process: bench/c/loops.c,
// compiled here, loaded through the runtime's FFI, run in chunks that alternate with the
// library's chunks on the same map and buffers (bench/map.mjs). Both sides then share the
// process's threads and fd table and the same moments of a noisy machine, and the ratio is the
// median of the paired chunk ratios: what the library adds over C, and nothing else.
//
// A standalone, single-threaded C process (bench/c/map.c) runs too, interleaved round by round
// with the runtimes (C, node, bun, deno, C, ...), as a reference: it is what a C program gets, and
// its ratio to the library also holds what differs between processes: threads (map.c measures
// what one idle thread costs its own lookups) and the moment.
//
//   node bench/run.mjs [--rounds 5] [--n 1000000] [--batch-rounds 300] [--only map|ringbuf|perf|events]
//
// Node runs the compiled package (dist/, what npm users import); Bun and Deno run the sources.
// The event readers' part (bench/events-run.mjs: ring buffer and perf buffer) follows the maps'.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { arg, buildDist, interleave, kernel, median, root, runtimeCommands } from "./lib.mjs";

const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
if (only === "ringbuf" || only === "perf" || only === "events") {
  await import("./events-run.mjs");
  process.exit();
}
const rounds = arg("rounds", 5);
const n = arg("n", 1_000_000);
const batchRounds = arg("batch-rounds", 300);

const out = join(root, ".cache", "bench");
mkdirSync(out, { recursive: true });
const cbin = join(out, "map");
const clib = join(out, "libloops.so");
execFileSync("gcc", ["-O2", "-pthread", "-o", cbin, join(root, "bench", "c", "map.c"), join(root, "bench", "c", "loops.c")]);
execFileSync("gcc", ["-O2", "-shared", "-fPIC", "-o", clib, join(root, "bench", "c", "loops.c")]);
buildDist();

const runtimes = ["node", "bun", "deno"];
const runs = {
  c: [cbin, [String(n), String(batchRounds)]],
  ...runtimeCommands(join(root, "bench", "map.mjs"), [clib, String(n), String(batchRounds)]),
};

const results = interleave(runs, rounds);
/** The median over rounds of `pick(round's result)`. */
const med = (name, pick) => median(results[name].map(pick));
const js = (name, op) => med(name, (x) => x[op].js);
const paired = (name, op) => med(name, (x) => x[op].ratio);
const cIn = (name, op) => med(name, (x) => x[op].c);
const cProc = (op) => med("c", (x) => x[op]);
const targets = { node: 1.25, bun: 1.08, deno: 1.08 };

console.log(`\nmap hot loops, median of ${rounds} rounds (each the median of 31 chunk pairs); ${n} ops per loop; kernel ${kernel()}`);
console.log("vs C: the paired ratio to the same C loop in the runtime's process (targets apply here); vs C process: to the standalone C process.\n");
console.log("| runtime | lookup ns/op | C in-process | vs C | vs C process | update ns/op | C in-process | vs C | vs C process | batch of 1024 µs | 1024 single lookups µs | batch speedup |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
const f0 = (x) => x.toFixed(0);
const f3 = (x) => x.toFixed(3);
console.log(`| C process | ${f0(cProc("lookup"))} | | | 1 | ${f0(cProc("update"))} | | | 1 | ${(cProc("batch1024") / 1000).toFixed(1)} | ${(cProc("single1024") / 1000).toFixed(1)} | ${(cProc("single1024") / cProc("batch1024")).toFixed(1)}x |`);
let miss = 0;
const mark = (ok, what) => {
  if (!ok) miss++;
  return ok ? " ✓" : ` ✗ (target ${what})`;
};
for (const name of runtimes) {
  const t = targets[name];
  const cells = [];
  for (const op of ["lookup", "update"]) {
    const r = paired(name, op);
    cells.push(f0(js(name, op)), f0(cIn(name, op)), f3(r) + mark(r <= t, t), f3(js(name, op) / cProc(op)));
  }
  const b = js(name, "batch1024");
  const s = js(name, "single1024");
  console.log(`| ${name} | ${cells.join(" | ")} | ${(b / 1000).toFixed(1)} | ${(s / 1000).toFixed(1)} | ${(s / b).toFixed(1)}x${mark(s / b >= 5, "5x")} |`);
}

console.log("\nBpfMap (u32 keys, u64n values: codecs encode the key and decode the value), paired with the C loops on its fd:\n");
console.log("| runtime | get ns/op | vs C lookup | set ns/op | vs C update | batch of 1024 vs C | 1024 single lookups vs C |");
console.log("|---|---|---|---|---|---|---|");
for (const name of runtimes) {
  console.log(`| ${name} | ${f0(js(name, "get"))} | ${f3(paired(name, "get"))} | ${f0(js(name, "set"))} | ${f3(paired(name, "set"))} | ${f3(paired(name, "batch1024"))} | ${f3(paired(name, "single1024"))} |`);
}
console.log(`\nThe C process's own lookups with one idle thread vs none (paired chunks): ${f3(cProc("threaded"))}x; every JS runtime has threads.`);
console.log(miss ? `\n${miss} target(s) missed` : "\nall targets met");
if (only !== "map") await import("./events-run.mjs");
