// malloc-sizes: a log2 histogram of the sizes a child process asks malloc for, a uprobe on libc. See README "Attach and stream".
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { attachUprobe, BpfMap, BpfProgram, FeatureError, Insn, MapType, type PerfEventLink, ProgramBuilder, ProgType, u32, u64 } from "../mod.ts";

// The uprobe runs a kprobe-type program at malloc's entry, in one process only (pid); its
// context is the user registers (struct pt_regs), where the first argument, the size, is.
const ARG0: Record<string, number> = { x64: 112 /* rdi */, arm64: 0 /* regs[0] */ };
const arg0 = ARG0[process.arch];

// The child: a shell that waits for a line on stdin (so the probe is in place first), then
// becomes ls (exec keeps the pid, and the probe follows the process into its new image).
const child = spawn("/bin/sh", ["-c", "read go; exec /bin/ls -l / >/dev/null"], { stdio: ["pipe", "ignore", "inherit"] });
const exited = new Promise<number | null>((done) => child.on("exit", done));
await new Promise((r) => child.on("spawn", r));

// libc as the child maps it, else Debian's and Fedora's usual paths.
const mapped = /\s(\/\S*\/libc\.so\.6)$/m.exec(readFileSync(`/proc/${child.pid}/maps`, "utf8"))?.[1];
const libc = mapped ?? ["/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6", "/lib64/libc.so.6"].find((p) => existsSync(p));

if (arg0 === undefined || libc === undefined) {
  console.log(`malloc-sizes: needs x86-64 or arm64 and glibc's libc.so.6 (arch ${process.arch}, libc ${libc ?? "not found"})`);
  child.stdin.end("\n");
  await exited;
} else {
  using hist = BpfMap.create({ type: MapType.array, key: u32, value: u64, maxEntries: 64, name: "malloc_hist" });
  // bucket = floor(log2(size)) by halving steps (no loops: 5.10's verifier wants them bounded).
  const b = new ProgramBuilder().emit(Insn.ldx("double_word", "r1", "r1", arg0), Insn.mov("r2", 0));
  for (const shift of [32, 16, 8, 4, 2, 1]) {
    b.emit(Insn.mov("r3", "r1"), Insn.alu(64, "rsh", "r3", shift))
      .jmp("jeq", "r3", 0, `s${shift}`)
      .emit(Insn.mov("r1", "r3"), Insn.add("r2", shift))
      .label(`s${shift}`);
  }
  const insns = b.emit(Insn.stx("word", "r10", -4, "r2"))
    .ldMap("r1", "hist")
    .emit(Insn.mov("r2", "r10"), Insn.add("r2", -4), Insn.call("map_lookup_elem"))
    .jmp("jeq", "r0", 0, "out")
    .emit(Insn.mov("r1", 1), Insn.xadd("r0", "r1"))
    .label("out")
    .emit(Insn.mov("r0", 0), Insn.exit())
    .finish();
  using prog = BpfProgram.load({ type: ProgType.kprobe, insns, maps: { hist }, name: "malloc_sizes" });
  let link: PerfEventLink | undefined;
  try {
    link = attachUprobe(prog, libc, "malloc", { pid: child.pid! });
  } catch (e) {
    if (!(e instanceof FeatureError)) throw e;
    console.log(`malloc-sizes: ${e.message}`);
  }
  child.stdin.end("\n");
  const status = await exited;
  if (link) {
    link.close();
    const rows = [...hist].filter(([, n]) => n > 0n);
    const total = rows.reduce((s, [, n]) => s + n, 0n);
    const widest = rows.reduce((m, [, n]) => (n > m ? n : m), 1n);
    console.log(`${total} malloc calls in pid ${child.pid} (ls -l /, exit ${status}), ${libc}:`);
    for (const [i, n] of rows) {
      const range = `${2 ** i}-${2 ** (i + 1) - 1}`;
      console.log(`  ${range.padStart(13)} ${String(n).padStart(6)} ${"#".repeat(Math.max(1, Math.round(Number((n * 40n) / widest))))}`);
    }
  }
}
