// The library's side of the BTF benchmark (bench/btf-run.mjs), one fresh process per run:
//   <runtime> bench/btf.mjs parse      Btf.kernel() + find("task_struct", "struct") + its members
//                                      with their names and their types' names, as bench/c/btf.c
//                                      does with libbpf; prints one JSON object (times in ms, bytes)
//   <runtime> bench/btf.mjs format-c   writes Btf.kernel().format("c") to stdout, as
//                                      `bpftool btf dump file /sys/kernel/btf/vmlinux format c` does
//   <runtime> bench/btf.mjs format-raw the same for format("raw") (bpftool's default format)
// The sources (../mod.ts) on Bun and Deno; TSBPF_ENTRY=../dist/mod.js for Node, which runs the build.
const g = globalThis;
const entry = (g.Deno ? g.Deno.env.get("TSBPF_ENTRY") : g.process.env.TSBPF_ENTRY) ?? "../mod.ts";
const { Btf, getBackend, kernelBtf } = await import(entry);
const mode = (g.Deno ? g.Deno.args : g.process.argv.slice(2))[0] ?? "parse";

/** Resident bytes now, as each runtime reports them. */
const rss = () => (g.Deno ? g.Deno.memoryUsage().rss : g.process.memoryUsage.rss());

function write(text) {
  const bytes = new TextEncoder().encode(text);
  if (g.Deno) {
    for (let at = 0; at < bytes.length;) at += g.Deno.stdout.writeSync(bytes.subarray(at));
  } else {
    g.process.stdout.write(bytes);
  }
}

if (mode === "parse") {
  // The FFI backend (dlopen of libc, binding syscall()) is start-up, as the C side's dynamic
  // linking of libbpf is: timed apart.
  const b0 = performance.now();
  getBackend();
  const backendMs = performance.now() - b0;
  const rss0 = rss();
  const t0 = performance.now();
  const btf = Btf.kernel();
  const t1 = performance.now();
  const task = btf.find("task_struct", "struct");
  if (!task) throw new Error("no struct task_struct");
  const t2 = performance.now();
  let names = 0, typeNames = 0;
  for (const m of task.members) {
    names += m.name.length;
    typeNames += btf.typeById(m.type).name.length;
  }
  const t3 = performance.now();
  const rss1 = rss();
  console.log(JSON.stringify({
    ms: t3 - t0, kernelMs: t1 - t0, findMs: t2 - t1, membersMs: t3 - t2, backendMs, rssAdded: rss1 - rss0,
    types: btf.count, members: task.members.length, names, typeNames, mapped: kernelBtf().vmlinuxMapped,
  }));
} else if (mode === "format-c" || mode === "format-raw") {
  write(Btf.kernel().format(mode === "format-c" ? "c" : "raw"));
} else {
  throw new Error(`unknown mode ${mode}: parse, format-c or format-raw`);
}
