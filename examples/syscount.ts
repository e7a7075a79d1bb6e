// syscount: this process's system calls counted per syscall number, a raw tracepoint and a hash map. See README "Attach and stream".
import { readdirSync, readFileSync, statSync } from "node:fs";
import { attachRawTracepoint, BpfMap, BpfProgram, haveProgType, Insn, MapType, ProgramBuilder, ProgType, u32, u64 } from "../mod.ts";

// raw_tracepoint/sys_enter sees every syscall of every process: its context is the tracepoint's
// raw arguments as u64s, (struct pt_regs *regs, long id). The program keeps only this process's
// (the tgid from get_current_pid_tgid) and adds one to counts[id].
if (!haveProgType(ProgType.raw_tracepoint)) {
  console.log("syscount: needs raw tracepoint programs (Linux 4.17+)");
} else {
  using counts = BpfMap.create({ type: MapType.hash, key: u32, value: u64, maxEntries: 1024, name: "sys_counts" });
  const insns = new ProgramBuilder()
    .emit(Insn.mov("r6", "r1"), Insn.call("get_current_pid_tgid"))
    .emit(Insn.alu(64, "rsh", "r0", 32))
    .jmp("jne", "r0", process.pid, "out")
    .emit(Insn.ldx("double_word", "r1", "r6", 8), Insn.stx("word", "r10", -4, "r1")) // key = id
    .ldMap("r1", "counts")
    .emit(Insn.mov("r2", "r10"), Insn.add("r2", -4), Insn.call("map_lookup_elem"))
    .jmp("jeq", "r0", 0, "first")
    .emit(Insn.mov("r1", 1), Insn.xadd("r0", "r1"))
    .ja("out")
    .label("first") // not there yet: insert 1 (BPF_NOEXIST, so a racing thread's insert wins)
    .emit(Insn.st("double_word", "r10", -16, 1))
    .ldMap("r1", "counts")
    .emit(Insn.mov("r2", "r10"), Insn.add("r2", -4), Insn.mov("r3", "r10"), Insn.add("r3", -16), Insn.mov("r4", 1))
    .emit(Insn.call("map_update_elem"))
    .label("out")
    .emit(Insn.mov("r0", 0), Insn.exit())
    .finish();
  using prog = BpfProgram.load({ type: ProgType.raw_tracepoint, insns, maps: { counts }, name: "syscount" });
  {
    using _link = attachRawTracepoint(prog, "sys_enter");
    // Something to count: reads, stats and directory listings.
    for (let i = 0; i < 20; i++) {
      readFileSync("/proc/self/stat");
      statSync("/");
      readdirSync("/");
    }
  } // detached here: the counting below is not counted

  // A few x86-64 syscall numbers by name (other architectures number them differently).
  const NAMES: Record<number, string> = process.arch === "x64"
    ? { 0: "read", 1: "write", 3: "close", 4: "stat", 5: "fstat", 6: "lstat", 8: "lseek", 9: "mmap", 16: "ioctl", 17: "pread64", 202: "futex", 217: "getdents64", 232: "epoll_wait", 257: "openat", 262: "newfstatat", 281: "epoll_pwait", 321: "bpf", 332: "statx" }
    : {};
  const top = [...counts].sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0)).slice(0, 5);
  console.log(`syscalls of pid ${process.pid} while attached, top ${top.length} of ${[...counts].length}:`);
  for (const [nr, n] of top) console.log(`  ${String(nr).padStart(4)} ${(NAMES[nr] ?? "?").padEnd(12)} ${n}`);
}
