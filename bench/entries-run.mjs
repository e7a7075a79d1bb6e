#!/usr/bin/env node
// Iterating a 100k-entry hash map on Node, Bun and Deno: BpfMap's entries() (batched), its
// get_next_key fallback, and the same two walks by hand with the low-level calls. Processes are
// interleaved round by round (node, bun, deno, node, ...) and the median of the rounds is printed.
//
//   node bench/entries-run.mjs [--rounds 5] [--n 100000] [--walks 5]
//
// Node runs the compiled package (dist/, what npm users import); Bun and Deno run the sources.
import { execFileSync, spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const rounds = arg("rounds", 5);
const n = arg("n", 100_000);
const walks = arg("walks", 5);

execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.build.json")], { cwd: root });

const bin = (x) => join(root, "node_modules", ".bin", x);
const script = join(root, "bench", "entries.mjs");
const runs = {
  node: [process.execPath, [script, String(n), String(walks)], { TSBPF_ENTRY: "../dist/mod.js" }],
  bun: [bin("bun"), [script, String(n), String(walks)]],
  deno: [bin("deno"), ["run", "-A", script, String(n), String(walks)]],
};

const results = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, [cmd, args, env]] of Object.entries(runs)) {
    const p = spawnSync(cmd, args, { cwd: root, encoding: "utf8", env: { ...process.env, ...env } });
    if (p.status !== 0) throw new Error(`${name} failed: ${p.stderr || p.stdout}`);
    results[name].push(JSON.parse(p.stdout.trim().split("\n").pop()));
  }
  process.stderr.write(`round ${r + 1}/${rounds} done\n`);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ways = [
  ["entries", "entries()"],
  ["rawBatch", "raw mapLookupBatch"],
  ["entriesNoBatch", "entries({ batch: false })"],
  ["rawNextKey", "raw mapGetNextKey + mapLookupElem"],
];
const kernel = execFileSync("uname", ["-r"], { encoding: "utf8" }).trim();
console.log(`\nwalking a ${n}-entry hash map (u32 -> u64), median of ${rounds} interleaved rounds of ${walks} walks; kernel ${kernel}\n`);
console.log(`| runtime | ${ways.map(([, label]) => `${label} ms (ns/entry)`).join(" | ")} | entries() vs raw batch | batch vs next_key |`);
console.log(`|---|${ways.map(() => "---").join("|")}|---|---|`);
for (const name of Object.keys(runs)) {
  const med = (w) => median(results[name].map((x) => x[w]));
  const cells = ways.map(([w]) => `${med(w).toFixed(1)} (${((med(w) * 1e6) / n).toFixed(0)})`);
  const overhead = med("entries") / med("rawBatch");
  const speedup = med("entriesNoBatch") / med("entries");
  console.log(`| ${name} | ${cells.join(" | ")} | ${overhead.toFixed(2)}x | ${speedup.toFixed(1)}x faster |`);
}
