#!/usr/bin/env node
// Iterating a 100k-entry hash map on Node, Bun and Deno: BpfMap's entries() (batched), its
// get_next_key fallback, and the same two walks by hand with the low-level calls. Processes are
// interleaved round by round (node, bun, deno, node, ...) and the median of the rounds is printed.
//
//   node bench/entries-run.mjs [--rounds 5] [--n 100000] [--walks 5]
//
// Node runs the compiled package (dist/, what npm users import); Bun and Deno run the sources.
import { join } from "node:path";
import { arg, buildDist, interleave, kernel, median, root, runtimeCommands } from "./lib.mjs";

const rounds = arg("rounds", 5);
const n = arg("n", 100_000);
const walks = arg("walks", 5);

buildDist();

const runs = runtimeCommands(join(root, "bench", "entries.mjs"), [String(n), String(walks)]);

const results = interleave(runs, rounds);
const ways = [
  ["entries", "entries()"],
  ["rawBatch", "raw mapLookupBatch"],
  ["entriesNoBatch", "entries({ batch: false })"],
  ["rawNextKey", "raw mapGetNextKey + mapLookupElem"],
];
console.log(`\nwalking a ${n}-entry hash map (u32 -> u64), median of ${rounds} interleaved rounds of ${walks} walks; kernel ${kernel()}\n`);
console.log(`| runtime | ${ways.map(([, label]) => `${label} ms (ns/entry)`).join(" | ")} | entries() vs raw batch | batch vs next_key |`);
console.log(`|---|${ways.map(() => "---").join("|")}|---|---|`);
for (const name of Object.keys(runs)) {
  const med = (w) => median(results[name].map((x) => x[w]));
  const cells = ways.map(([w]) => `${med(w).toFixed(1)} (${((med(w) * 1e6) / n).toFixed(0)})`);
  const overhead = med("entries") / med("rawBatch");
  const speedup = med("entriesNoBatch") / med("entries");
  console.log(`| ${name} | ${cells.join(" | ")} | ${overhead.toFixed(2)}x | ${speedup.toFixed(1)}x faster |`);
}
