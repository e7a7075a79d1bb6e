// The event readers' part of bench/run.mjs (run alone: node bench/run.mjs --only ringbuf|perf|events).
//
// RingBufReader.drain against libbpf's ring_buffer__consume and PerfReader.drain against its
// perf_buffer__consume (Debian's libbpf-dev), on the same records, in the runtime's own process:
// bench/c/{ringbuf,perf}.c is compiled to a shared library that bench/{ringbuf,perf}.mjs loads
// through the runtime's FFI and runs in chunks alternating with the library's; the ratio is the
// median of the paired chunk ratios (libbpf's ns per record over ours: our share of libbpf's
// records/s). Targets: 0.9 at 512-byte records, 0.5 at 8-byte ones. Then the wake-up latency of
// `for await (const r of reader)`, from a record's submit (BPF_PROG_TEST_RUN in a timer) to the
// loop body, next to what a C thread polling with libbpf gets on this machine (the same C file
// built as a program), interleaved round by round.
//   node bench/run.mjs --only ringbuf|perf|events [--rounds 5] [--chunks 31] [--samples 200]
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { arg, buildDist, interleave, kernel, median, root, runtimeCommands } from "./lib.mjs";

const rounds = arg("rounds", 5);
const chunks = arg("chunks", 31);
const samples = arg("samples", 200);
const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : "events";

/** Each reader: its C file, the macro that makes that file a latency program, what is compared. */
const READERS = {
  ringbuf: {
    main: "RINGBUF_LATENCY_MAIN",
    title: "ring buffer: RingBufReader.drain vs libbpf ring_buffer__consume",
    chunk: "One chunk drains a full 16 MiB ring: 1,048,575 records of 8 bytes or 32,263 of 512.",
    poller: "C thread in ring_buffer__poll",
  },
  perf: {
    main: "PERF_LATENCY_MAIN",
    title: "perf buffer: PerfReader.drain vs libbpf perf_buffer__consume",
    chunk: "One chunk drains what a 16 MiB ring of one CPU holds: 699,050 samples of 8 bytes or 31,775 of 512.",
    poller: "C thread in perf_buffer__poll",
  },
};

const out = join(root, ".cache", "bench");
mkdirSync(out, { recursive: true });
buildDist();
const runtimes = ["node", "bun", "deno"];
const f1 = (x) => x.toFixed(1);
const f2 = (x) => x.toFixed(2);
let miss = 0;
const mark = (r, t) => {
  if (r < t) miss++;
  return r >= t ? " ✓" : ` ✗ (target ${t})`;
};

for (const [kind, r] of Object.entries(READERS)) {
  if (only !== "events" && only !== kind) continue;
  const src = join(root, "bench", "c", `${kind}.c`);
  const so = join(out, `lib${kind}.so`);
  const latBin = join(out, `${kind}-latency`);
  execFileSync("gcc", ["-O2", "-shared", "-fPIC", "-o", so, src, "-lbpf"]);
  execFileSync("gcc", ["-O2", `-D${r.main}`, "-o", latBin, src, "-lbpf", "-pthread"]);
  const results = interleave({
    c: [latBin, [String(samples)]],
    ...runtimeCommands(join(root, "bench", `${kind}.mjs`), [so, String(chunks), String(samples)]),
  }, rounds);
  const med = (name, pick) => median(results[name].map(pick));
  console.log(`\n${r.title}, median of ${rounds} rounds (each the median of ${chunks} chunk pairs); kernel ${kernel()}`);
  console.log(`${r.chunk} vs libbpf: libbpf's ns/record over ours (records/s share).\n`);
  console.log("| runtime | 8 B ns/record | libbpf | vs libbpf | 512 B ns/record | libbpf | vs libbpf | wake-up median µs | p99 µs |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const name of runtimes) {
    const cells = [];
    for (const [k, t] of [["rec8", 0.5], ["rec512", 0.9]]) {
      const ratio = med(name, (x) => x[k].ratio);
      cells.push(f2(med(name, (x) => x[k].js)), f2(med(name, (x) => x[k].c)), f2(ratio) + mark(ratio, t));
    }
    console.log(`| ${name} | ${cells.join(" | ")} | ${f1(med(name, (x) => x.latency.median))} | ${f1(med(name, (x) => x.latency.p99))} |`);
  }
  console.log(`| ${r.poller} | | | | | | | ${f1(med("c", (x) => x.median))} | ${f1(med("c", (x) => x.p99))} |`);
}
console.log(miss ? `\n${miss} event reader target(s) missed` : "\nall event reader targets met");
if (miss) process.exitCode = 1;
