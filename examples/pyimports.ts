// pyimports: the modules a python3 process loads, as it loads them, from the interpreter's own
// USDT probe python:import__find__load__start (Debian builds python3 with sys/sdt.h probes), read
// by a BPF program written in C (examples/bpf/pyimports.bpf.c) with libbpf's usdt.bpf.h. The
// probe's semaphore tells python3 to fire it only while a probe is attached.
import { spawnSync } from "node:child_process";
import { realpathSync } from "node:fs";
import { attachUsdt, codecFromBtf, Collection, RingBufReader } from "../mod.ts";

const python = realpathSync("/usr/bin/python3");
using obj = Collection.load(new URL("./bpf/pyimports.bpf.o", import.meta.url).pathname);
// Every process running this python3 (pid -1); the child's imports are picked out by pid.
using link = attachUsdt(obj.programs.on_import, python, "python", "import__find__load__start", { maps: obj.maps });
using reader = new RingBufReader(obj.maps.imports);
const btf = obj.spec.btf!;
const event = codecFromBtf<{ pid: number; module: string }>(btf, btf.find("import", "struct")!);

const child = spawnSync(python, ["-c", "import json, decimal; print(json.dumps(str(decimal.Decimal(1) / 7)))"], { encoding: "utf8" });
if (child.status !== 0) throw new Error(`python3 exited ${child.status}: ${child.stderr}`);
const loaded: string[] = [];
reader.drain((data, offset) => {
  const e = event.decode(data, offset);
  if (e.pid === child.pid) loaded.push(e.module);
});
console.log(`python3 printed ${child.stdout.trim()}; the probe has ${link.sites.length} site(s) in ${python}, argument ${link.sites[0].note.args}`);
console.log(`it loaded ${loaded.length} modules: ${loaded.join(", ")}`);
console.log(`the ring dropped ${obj.variables.dropped.get()}; the last import seen on the system: ${(obj.variables.last.get() as { module: string }).module}`);
for (const m of ["json", "decimal"]) if (!loaded.includes(m)) throw new Error(`pyimports: python3 imported ${m}, but it was not seen`);
