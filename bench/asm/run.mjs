#!/usr/bin/env node
// Assembler/disassembler throughput against LLVM 19's tools on the same 100k-instruction program,
// in one run. Whole processes (startup included) are timed round by round, interleaved (LLVM,
// node, bun, deno, LLVM, ...) so drift hits all alike; the median of the rounds is reported, as
// wall time and as CPU time (user + sys, JIT threads included), which a busy machine disturbs
// less. Then each runtime measures the four operations in-process.
//
//   node bench/asm/run.mjs [--n 100000] [--rounds 7]
//
// Needs llvm-19 (apt-get install -y llvm-19). Node runs a bundle of the sources (Node 20 cannot
// run TypeScript); Bun and Deno run the sources. Before timing, the run checks that llvm-mc
// makes exactly our bytes from our text and that llvm-objdump prints exactly our text.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { arg, bin, median, root } from "../lib.mjs";

const n = arg("n", 100_000);
const rounds = arg("rounds", 7);
const llvm = process.env.LLVM_BIN ?? "/usr/lib/llvm-19/bin";
for (const t of ["llvm-mc", "llvm-objdump", "llvm-objcopy"]) {
  if (!existsSync(join(llvm, t))) throw new Error(`missing ${join(llvm, t)}: apt-get install -y llvm-19 (or set LLVM_BIN)`);
}

const dir = join(root, ".cache", "bench-asm");
mkdirSync(dir, { recursive: true });
const f = (name) => join(dir, name);
const cliTs = join(root, "bench", "asm", "cli.ts");
const cliJs = f("cli.mjs");
execFileSync(bin("rolldown"), [cliTs, "--file", cliJs, "--format", "esm", "--platform", "node"], { cwd: root, stdio: "ignore" });

// The program, and the two checks that make the comparison meaningful.
execFileSync(process.execPath, [cliJs, "gen", String(n), f("prog.bin"), f("prog.s")]);
execFileSync(join(llvm, "llvm-mc"), ["-triple", "bpfel", "-mcpu=v4", "-filetype=obj", f("prog.s"), "-o", f("prog.o")]);
execFileSync(join(llvm, "llvm-objcopy"), ["-O", "binary", "--only-section=.text", f("prog.o"), f("mc.bin")]);
const ours = readFileSync(f("prog.bin"));
if (!ours.equals(readFileSync(f("mc.bin")))) throw new Error("llvm-mc's bytes differ from ours");
const dump = execFileSync(join(llvm, "llvm-objdump"), ["-d", "--mcpu=v4", "--no-print-imm-hex", f("prog.o")], { maxBuffer: 1 << 30 }).toString();
const norm = (t) => t.replace(/\s+<[^\s<>]+>\s*$/, "").replace(/\s+/g, " ").trim();
const llvmText = dump.split("\n").map((l) => /^\s*\d+:\t[0-9a-f ]+?\s*\t(.*)$/.exec(l)).filter(Boolean).map((m) => norm(m[1]));
const ourText = readFileSync(f("prog.s"), "utf8").trimEnd().split("\n").map(norm);
if (llvmText.length !== ourText.length || llvmText.some((t, i) => t !== ourText[i])) throw new Error("llvm-objdump's text differs from ours");
const slots = ours.length / 8;
console.log(`program: ${n} instructions (${slots} slots, ${readFileSync(f("prog.s")).length} bytes of text)`);
console.log("checked: llvm-mc makes our bytes from our text, llvm-objdump prints our text for our bytes\n");

const runtimes = {
  node: (args) => [process.execPath, [cliJs, ...args]],
  bun: (args) => [bin("bun"), [cliTs, ...args]],
  deno: (args) => [bin("deno"), ["run", "-A", cliTs, ...args]],
};
const ops = [
  { op: "assemble", tool: "llvm-mc", llvm: [join(llvm, "llvm-mc"), ["-triple", "bpfel", "-mcpu=v4", "-filetype=obj", f("prog.s"), "-o", f("t.o")]], ours: ["assemble", f("prog.s"), f("t.bin")] },
  { op: "disassemble", tool: "llvm-objdump", llvm: [join(llvm, "llvm-objdump"), ["-d", "--mcpu=v4", "--no-print-imm-hex", f("prog.o")]], ours: ["disassemble", f("prog.bin"), f("t.txt")] },
  { op: "encode", tool: "llvm-mc", llvm: null, ours: ["encode", String(n), f("t2.bin")] },
  { op: "decode", tool: "llvm-objdump", llvm: null, ours: ["decode", f("prog.bin")] },
];
// encode and decode have no LLVM tool of their own: they are set against the tool that makes
// bytes (llvm-mc) and the one that reads them (llvm-objdump), which do more work.
ops[2].llvm = ops[0].llvm;
ops[3].llvm = ops[1].llvm;

// [wall ms, cpu ms] of one process, from bash's `time` (getrusage of the child).
function run([cmd, args]) {
  const script = 'TIMEFORMAT="%3R %3U %3S"; time "$@" > "$BENCH_OUT"';
  const p = spawnSync("bash", ["-c", script, "bash", cmd, ...args], {
    cwd: root, encoding: "utf8", env: { ...process.env, BENCH_OUT: f("stdout.txt") },
  });
  if (p.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${p.stderr}`);
  const [real, user, sys] = p.stderr.trim().split("\n").pop().split(" ").map(Number);
  return [real * 1000, (user + sys) * 1000];
}

const names = ["llvm", ...Object.keys(runtimes)];
const wall = Object.fromEntries(ops.map((o) => [o.op, Object.fromEntries(names.map((k) => [k, []]))]));
const cpu = Object.fromEntries(ops.map((o) => [o.op, Object.fromEntries(names.map((k) => [k, []]))]));
for (let r = -1; r < rounds; r++) { // round -1 warms caches (Deno's transpile cache among them)
  for (const o of ops) {
    for (const k of names) {
      const [w, c] = run(k === "llvm" ? o.llvm : runtimes[k](o.ours));
      if (r >= 0) {
        wall[o.op][k].push(w);
        cpu[o.op][k].push(c);
      }
    }
  }
}

const pad = (s, w) => String(s).padEnd(w);
const lpad = (s, w) => String(s).padStart(w);
for (const [title, times] of [["wall", wall], ["CPU (user + sys)", cpu]]) {
  console.log(`Whole process, startup included: ${title} time, median of ${rounds} rounds, ms ("x" = LLVM's time / ours):`);
  console.log(`| ${pad("operation", 11)} | ${pad("LLVM tool", 12)} | ${lpad("LLVM", 7)} | ${Object.keys(runtimes).map((k) => lpad(k, 15)).join(" | ")} |`);
  console.log(`|${"-".repeat(13)}|${"-".repeat(14)}|${"-".repeat(9)}|${Object.keys(runtimes).map(() => "-".repeat(17)).join("|")}|`);
  for (const o of ops) {
    const l = median(times[o.op].llvm);
    const cells = Object.keys(runtimes).map((k) => {
      const m = median(times[o.op][k]);
      return lpad(`${m.toFixed(0)} (${(l / m).toFixed(2)}x)`, 15);
    });
    console.log(`| ${pad(o.op, 11)} | ${pad(o.tool, 12)} | ${lpad(l.toFixed(0), 7)} | ${cells.join(" | ")} |`);
  }
  console.log();
}
console.log(`In process (median ms per pass over the ${n} instructions; million instructions/s):`);
console.log(`| ${pad("operation", 11)} | ${Object.keys(runtimes).map((k) => lpad(k, 18)).join(" | ")} |`);
console.log(`|${"-".repeat(13)}|${Object.keys(runtimes).map(() => "-".repeat(20)).join("|")}|`);
const inproc = {};
for (const k of Object.keys(runtimes)) {
  const [cmd, args] = runtimes[k](["inproc", f("prog.s"), f("prog.bin"), String(n)]);
  inproc[k] = JSON.parse(execFileSync(cmd, args, { cwd: root }).toString().trim().split("\n").pop());
}
for (const op of ["encode", "decode", "disassemble", "assemble"]) {
  const cells = Object.keys(runtimes).map((k) => {
    const ms = inproc[k][op].ms;
    return lpad(`${ms.toFixed(1)} (${(n / ms / 1000).toFixed(1)} M/s)`, 18);
  });
  console.log(`| ${pad(op, 11)} | ${cells.join(" | ")} |`);
}
