// The ring buffer part of bench/run.mjs (run alone: node bench/run.mjs --only ringbuf).
//
// RingBufReader.drain against libbpf's ring_buffer__consume (Debian's libbpf-dev) on the same
// ring and records, in the runtime's own process: bench/c/ringbuf.c is compiled to a shared
// library that bench/ringbuf.mjs loads through the runtime's FFI and runs in chunks alternating
// with the library's; the ratio is the median of the paired chunk ratios (libbpf's ns per record
// over ours: our share of libbpf's records/s). Targets: 0.9 at 512-byte records, 0.5 at 8-byte
// ones. Then the wake-up latency of `for await (const r of reader)`, from a record's submit
// (BPF_PROG_TEST_RUN in a timer) to the loop body, next to what a C thread in ring_buffer__poll
// gets on this machine (the same file built as a program), interleaved round by round.
//   node bench/run.mjs --only ringbuf [--rounds 5] [--chunks 31] [--samples 200]
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { arg, buildDist, interleave, kernel, median, root, runtimeCommands } from "./lib.mjs";

const rounds = arg("rounds", 5);
const chunks = arg("chunks", 31);
const samples = arg("samples", 200);

const out = join(root, ".cache", "bench");
mkdirSync(out, { recursive: true });
const src = join(root, "bench", "c", "ringbuf.c");
const so = join(out, "libringbuf.so");
const latBin = join(out, "ringbuf-latency");
execFileSync("gcc", ["-O2", "-shared", "-fPIC", "-o", so, src, "-lbpf"]);
execFileSync("gcc", ["-O2", "-DRINGBUF_LATENCY_MAIN", "-o", latBin, src, "-lbpf", "-pthread"]);
buildDist();

const runtimes = ["node", "bun", "deno"];
const results = interleave({
  c: [latBin, [String(samples)]],
  ...runtimeCommands(join(root, "bench", "ringbuf.mjs"), [so, String(chunks), String(samples)]),
}, rounds);
const med = (name, pick) => median(results[name].map(pick));
const f1 = (x) => x.toFixed(1);
const f2 = (x) => x.toFixed(2);
let miss = 0;
const mark = (r, t) => {
  if (r < t) miss++;
  return r >= t ? " ✓" : ` ✗ (target ${t})`;
};

console.log(`\nring buffer drain vs libbpf ring_buffer__consume, median of ${rounds} rounds (each the median of ${chunks} chunk pairs); kernel ${kernel()}`);
console.log("One chunk drains a full 16 MiB ring: 1,048,575 records of 8 bytes or 32,263 of 512. vs libbpf: libbpf's ns/record over ours (records/s share).\n");
console.log("| runtime | 8 B ns/record | libbpf | vs libbpf | 512 B ns/record | libbpf | vs libbpf | wake-up median µs | p99 µs |");
console.log("|---|---|---|---|---|---|---|---|---|");
for (const name of runtimes) {
  const cells = [];
  for (const [k, t] of [["rec8", 0.5], ["rec512", 0.9]]) {
    const r = med(name, (x) => x[k].ratio);
    cells.push(f2(med(name, (x) => x[k].js)), f2(med(name, (x) => x[k].c)), f2(r) + mark(r, t));
  }
  console.log(`| ${name} | ${cells.join(" | ")} | ${f1(med(name, (x) => x.latency.median))} | ${f1(med(name, (x) => x.latency.p99))} |`);
}
console.log(`| C thread in ring_buffer__poll | | | | | | | ${f1(med("c", (x) => x.median))} | ${f1(med("c", (x) => x.p99))} |`);
console.log(miss ? `\n${miss} ring buffer target(s) missed` : "\nall ring buffer targets met");
if (miss) process.exitCode = 1;
