// Per-CPU counters: a program adds to its CPU's slot of a per-CPU array, without atomics or
// contention; user space reads one value per possible CPU and sums them.
//   bun examples/percpu.ts | deno run -A examples/percpu.ts | npx tsx examples/percpu.ts   (as root)
import { BpfError, BpfMap, close, Insn, MapType, possibleCpus, progLoad, ProgType, progTestRun, TestRunFlags, u32, u64 } from "../mod.ts";

// u32 key -> one u64 counter per CPU. The value codec is u64: a per-CPU map's values are arrays.
using counts = BpfMap.create({ type: MapType.percpu_array, key: u32, value: u64, maxEntries: 1, name: "percpu_count" });

// A raw tracepoint program: test runs can pick the CPU it runs on.
const prog = progLoad(ProgType.raw_tracepoint, [
  Insn.st("word", "r10", -4, 0), //            key = 0
  Insn.mov("r2", "r10"),
  Insn.add("r2", -4),
  Insn.ldMapFd1("r1", counts.fd),
  Insn.ldMapFd2(counts.fd),
  Insn.call("map_lookup_elem"), //             r0 = this CPU's slot
  Insn.jeq("r0", 0, 3),
  Insn.ldx("double_word", "r1", "r0", 0),
  Insn.add("r1", 1), //                        no atomic needed: nobody else writes this slot
  Insn.stx("double_word", "r0", 0, "r1"),
  Insn.mov("r0", 0),
  Insn.exit(),
], { name: "percpu_count", license: "GPL" });

try {
  for (let cpu = 0; cpu < possibleCpus(); cpu++) {
    // CPU n runs the program 10 * (n + 1) times; offline CPUs cannot run it (ENXIO): skip them.
    try {
      for (let i = 0; i < 10 * (cpu + 1); i++) progTestRun(prog, { ctx: new Uint8Array(8), flags: TestRunFlags.test_run_on_cpu, cpu });
    } catch (e) {
      if (!(e instanceof BpfError && e.code === "ENXIO")) throw e;
    }
  }
  const perCpu = counts.get(0)!;
  perCpu.forEach((n, cpu) => console.log(`cpu ${cpu}: ${n}`));
  const total = perCpu.reduce((a, b) => a + b, 0n);
  const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
  console.log(`${runtime}: total ${total} over ${perCpu.length} possible CPUs`);
  if (total === 0n) throw new Error("the program never counted");
} finally {
  close(prog);
}
