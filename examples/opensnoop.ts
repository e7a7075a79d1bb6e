// opensnoop: every openat(2) of this process as it happens, from a BPF program written in C
// (examples/bpf/opensnoop.bpf.c, built by clang) and loaded in one call. See README "Load what clang compiles".
import { closeSync, openSync } from "node:fs";
import process from "node:process";
import { attachTracepoint, Collection, codecFromBtf, RingBufReader } from "../mod.ts";

// Only this process's opens: a .rodata constant, set before the verifier sees the program.
using obj = Collection.load(new URL("./bpf/opensnoop.bpf.o", import.meta.url).pathname, { constants: { target_tgid: process.pid } });
using link = attachTracepoint(obj.programs.on_openat, "syscalls", "sys_enter_openat");
using reader = new RingBufReader(obj.maps.events);
// The records are struct event of the object's BTF: decoded as objects, strings and numbers.
const btf = obj.spec.btf!;
const event = codecFromBtf<{ pid: number; dfd: number; comm: string; filename: string }>(btf, btf.find("event", "struct")!);

const files = ["/etc/hostname", "/etc/os-release", "/proc/self/status"];
for (const f of files) closeSync(openSync(f, "r"));
const seen = new Set<string>();
const deadline = Date.now() + 10_000;
while (seen.size < files.length && Date.now() < deadline) {
  if (!(await reader.wait(500))) continue;
  reader.drain((data, offset) => {
    const e = event.decode(data, offset);
    if (files.includes(e.filename)) seen.add(e.filename);
    console.log(`${String(e.pid).padStart(7)} ${e.comm.padEnd(16)} ${e.filename}`);
  });
}
// .bss read straight from the mapped memory the program writes.
console.log(`saw ${seen.size} of our ${files.length} opens; the program counted ${obj.variables.opens.get()}, the last was ${(obj.variables.last.get() as { filename: string }).filename}; link ${link.info().type}`);
if (seen.size !== files.length) throw new Error("opensnoop: an open was not seen");
