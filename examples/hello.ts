// Loads a program that counts packets into a map, runs it 1000 times in the kernel, reads the count.
//   bun examples/hello.ts | deno run -A examples/hello.ts | npx tsx examples/hello.ts   (as root)
import { close, Insn, mapCreate, mapLookupElem, MapType, progLoad, ProgType, progTestRun } from "../mod.ts";

const map = mapCreate(MapType.array, 4, 8, 1, { name: "hello_count" }); // u32 key -> u64 counter
const prog = progLoad(ProgType.socket_filter, [
  Insn.st("word", "r10", -4, 0), //            key = 0 (on the stack)
  Insn.mov("r2", "r10"),
  Insn.add("r2", -4), //                       r2 = &key
  Insn.ldMapFd1("r1", map),
  Insn.ldMapFd2(map), //                       r1 = map
  Insn.call("map_lookup_elem"), //             r0 = &value or NULL
  Insn.jeq("r0", 0, 2),
  Insn.mov("r1", 1),
  Insn.xadd("r0", "r1"), //                    atomically value += 1
  Insn.mov("r0", 0),
  Insn.exit(),
], { name: "hello", license: "GPL" });

const run = progTestRun(prog, { data: new Uint8Array(64), repeat: 1000 });
const value = new Uint8Array(8);
mapLookupElem(map, new Uint8Array(4), value);
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
console.log(`${runtime}: counted ${new DataView(value.buffer).getBigUint64(0, true)} packets, ${run.duration} ns per run`);
close(prog);
close(map);
