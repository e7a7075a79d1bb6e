// execsnoop: every exec as it happens (pid, comm, filename), a tracepoint and a ring buffer. See README "Attach and stream".
import { spawnSync } from "node:child_process";
import { attachTracepoint, BpfMap, BpfProgram, Insn, MapType, ProgramBuilder, ProgType, readTracefs, RingBufReader } from "../mod.ts";

// The program runs on sched:sched_process_exec and sends each exec through a ring buffer, which
// is read without blocking the event loop. It execs a few programs itself, so there is something to see.

// Where the tracepoint keeps the filename: a __data_loc field (offset in the low 16 bits of a u32).
const format = readTracefs("events/sched/sched_process_exec/format");
const loc = Number(/__data_loc char\[\] filename;\s*offset:(\d+);/.exec(format)?.[1] ?? NaN);
if (!Number.isInteger(loc)) throw new Error("no filename field in sched_process_exec's format");

// A record: pid (u32) at 0, comm[16] at 8, filename[64] at 24.
const SIZE = 88;
using events = BpfMap.create({ type: MapType.ringbuf, keySize: 0, valueSize: 0, maxEntries: 1 << 16, name: "events" });
const insns = new ProgramBuilder()
  .emit(Insn.mov("r6", "r1"), Insn.call("get_current_pid_tgid"))
  .asm(`r0 >>= 32
        *(u32 *)(r10 - ${SIZE}) = w0
        r1 = r10
        r1 += -${SIZE - 8}
        r2 = 16`)
  .emit(Insn.call("get_current_comm"))
  .asm(`r3 = *(u32 *)(r6 + ${loc})
        r3 &= 0xffff
        r3 += r6
        r1 = r10
        r1 += -${SIZE - 24}
        r2 = 64`)
  .emit(Insn.call("probe_read_kernel_str"))
  .ldMap("r1", "events")
  .asm(`r2 = r10
        r2 += -${SIZE}
        r3 = ${SIZE}
        r4 = 0`)
  .emit(Insn.call("ringbuf_output"), Insn.mov("r0", 0), Insn.exit())
  .finish();
using prog = BpfProgram.load({ type: ProgType.tracepoint, insns, maps: { events }, name: "execsnoop" });
using link = attachTracepoint(prog, "sched", "sched_process_exec");
using reader = new RingBufReader(events);

const text = (b: Uint8Array) => new TextDecoder().decode(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)));
const mine = new Set<string>();
for (const cmd of ["/bin/true", "/bin/echo", "/usr/bin/env"]) {
  spawnSync(cmd, [], { stdio: "ignore" });
  mine.add(cmd);
}
// Wait (asynchronously) for records and print them; stop once our three execs were seen.
const seen = new Set<string>();
const deadline = Date.now() + 10_000;
while (seen.size < mine.size && Date.now() < deadline) {
  if (!(await reader.wait(500))) continue;
  reader.drain((data, offset) => {
    const rec = data.subarray(offset, offset + SIZE);
    const pid = new DataView(rec.buffer, rec.byteOffset).getUint32(0, true);
    const file = text(rec.subarray(24, 88));
    if (mine.has(file)) seen.add(file);
    console.log(`${String(pid).padStart(7)} ${text(rec.subarray(8, 24)).padEnd(16)} ${file}`);
  });
}
console.log(`saw ${seen.size} of our ${mine.size} execs; link ${link.info().type}`);
if (seen.size !== mine.size) throw new Error("execsnoop: an exec was not seen");
