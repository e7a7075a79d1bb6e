#!/usr/bin/env node
// The running kernel's BTF on Node, Bun and Deno against libbpf, in one run.
//
// 1. Start-up work of a BTF-using tool, each in a fresh process, rounds interleaved (C, node, bun,
//    deno, C, ...): parse /sys/kernel/btf/vmlinux, find struct task_struct, walk its members with
//    names resolved. C is bench/c/btf.c linked with the system's libbpf (btf__parse,
//    btf__find_by_name_kind); the library side is bench/btf.mjs. Each side times that span
//    in-process and reports the resident memory it added; the ratio is the median over rounds of
//    each round's JS/C pair. Targets (issue 12): no slower than libbpf, under 16 MiB added.
// 2. Whole processes: `bpftool btf dump file /sys/kernel/btf/vmlinux format c` against
//    `<runtime> bench/btf.mjs format-c`, output to /dev/null, wall time per process, interleaved;
//    the same for the raw format.
//
//   node bench/btf-run.mjs [--rounds 7] [--format-rounds 3]
//
// Needs root (or a readable /sys/kernel/btf/vmlinux), gcc, libbpf-dev and bpftool.
// Node runs the compiled package (dist/, what npm users import); Bun and Deno run the sources.
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import { arg, buildDist, kernel, median, root, runtimeCommands } from "./lib.mjs";

const rounds = arg("rounds", 7);
const formatRounds = arg("format-rounds", 3);
const out = join(root, ".cache", "bench");
mkdirSync(out, { recursive: true });
const cbin = join(out, "btf");
execFileSync("gcc", ["-O2", "-o", cbin, join(root, "bench", "c", "btf.c"), "-lbpf"]);
buildDist();

const runtimes = ["node", "bun", "deno"];
const script = join(root, "bench", "btf.mjs");
const cmds = (mode) => runtimeCommands(script, [mode]);

// Part 1: interleaved fresh processes, each printing one JSON line.
const parseRuns = { c: [cbin, [], {}], ...cmds("parse") };
const res = Object.fromEntries(Object.keys(parseRuns).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, [cmd, args, env]] of Object.entries(parseRuns)) {
    const p = spawnSync(cmd, args, { cwd: root, encoding: "utf8", env: { ...process.env, ...env } });
    if (p.status !== 0) throw new Error(`${name} failed: ${p.stderr || p.stdout}`);
    res[name].push(JSON.parse(p.stdout.trim().split("\n").pop()));
  }
  process.stderr.write(`parse round ${r + 1}/${rounds} done\n`);
}
const c0 = res.c[0];
for (const name of runtimes) {
  const x = res[name][0];
  // Same work on both sides: the same member count and the same name bytes.
  if (x.members !== c0.members || x.names !== c0.names || x.typeNames !== c0.typeNames || x.types !== c0.types) {
    throw new Error(`${name} saw another task_struct: ${JSON.stringify(x)} vs libbpf ${JSON.stringify(c0)}`);
  }
}
const med = (name, key) => median(res[name].map((x) => x[key]));
const ratio = (name) => median(res[name].map((x, i) => x.ms / res.c[i].ms));
const mib = (b) => (b / 1048576).toFixed(1);
const f1 = (x) => x.toFixed(1);
let miss = 0;
const mark = (ok, what) => {
  if (!ok) miss++;
  return ok ? " ✓" : ` ✗ (target ${what})`;
};

console.log(`\nkernel BTF, start-up work in a fresh process: median of ${rounds} interleaved rounds; kernel ${kernel()}, ${c0.types} type ids, task_struct has ${c0.members} members`);
console.log("ms: parse + find + members, in-process; vs libbpf: the median of the rounds' JS/C ratios; RSS: resident bytes added over that span.\n");
console.log("| side | ms | parse/kernel() ms | find ms | members ms | vs libbpf | RSS added MiB | vmlinux |");
console.log("|---|---|---|---|---|---|---|---|");
console.log(`| libbpf ${"(btf__parse)"} | ${f1(med("c", "ms"))} | ${f1(med("c", "parseMs"))} | ${med("c", "findMs").toFixed(2)} | ${med("c", "membersMs").toFixed(2)} | 1 | ${mib(med("c", "rssAdded"))} | read |`);
for (const name of runtimes) {
  const r = ratio(name), m = med(name, "rssAdded");
  console.log(`| ${name} | ${f1(med(name, "ms"))} | ${f1(med(name, "kernelMs"))} | ${f1(med(name, "findMs"))} | ${med(name, "membersMs").toFixed(2)} | ${r.toFixed(2)}${mark(r <= 1, "≤ 1")} | ${mib(m)}${mark(m < 16 * 1048576, "< 16")} | ${res[name][0].mapped ? "mapped" : "read"} |`);
}
console.log(`\n(FFI backend set-up before the span, as libbpf's dynamic linking before main: ${runtimes.map((n) => `${n} ${f1(med(n, "backendMs"))} ms`).join(", ")})`);

// Part 2: whole processes writing a dump to /dev/null.
function wall(cmd, args, env) {
  const devnull = openSync("/dev/null", "w");
  const t0 = performance.now();
  const p = spawnSync(cmd, args, { cwd: root, stdio: ["ignore", devnull, "pipe"], encoding: "utf8", env: { ...process.env, ...env } });
  const ms = performance.now() - t0;
  closeSync(devnull);
  return { ms, ok: p.status === 0, err: /(?:^|\s)(\w*Error: .*)$/m.exec(p.stderr ?? "")?.[1] ?? p.stderr };
}
for (const format of ["c", "raw"]) {
  const bpftoolArgs = ["btf", "dump", "file", "/sys/kernel/btf/vmlinux", ...(format === "c" ? ["format", "c"] : [])];
  const runs = { bpftool: ["bpftool", bpftoolArgs, {}], ...cmds(`format-${format}`) };
  const probe = wall(...runs.node);
  if (!probe.ok) {
    console.log(`\nformat("${format}") of vmlinux vs bpftool: pending, the library says: ${probe.err}`);
    continue;
  }
  const times = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (let r = 0; r < formatRounds; r++) {
    for (const [name, run] of Object.entries(runs)) {
      const w = wall(...run);
      if (!w.ok) throw new Error(`${name} format ${format} failed: ${w.err}`);
      times[name].push(w.ms);
    }
    process.stderr.write(`format ${format} round ${r + 1}/${formatRounds} done\n`);
  }
  console.log(`\nformat("${format}") of vmlinux, whole process to /dev/null, median of ${formatRounds} interleaved rounds:\n`);
  console.log("| command | wall ms | vs bpftool |");
  console.log("|---|---|---|");
  console.log(`| bpftool btf dump${format === "c" ? " format c" : ""} | ${f1(median(times.bpftool))} | 1 |`);
  for (const name of runtimes) {
    const r = median(times[name].map((t, i) => t / times.bpftool[i]));
    console.log(`| ${name} | ${f1(median(times[name]))} | ${r.toFixed(2)} |`);
  }
}
console.log(miss ? `\n${miss} target(s) missed` : "\nall targets met");
