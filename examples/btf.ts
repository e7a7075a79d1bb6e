// Kernel types from BTF: a struct and a member path, a C header, and a map typed by BTF. See README "BTF".
import { Btf, BtfBuilder, BpfMap, MapType } from "../mod.ts";

// The running kernel's types: /sys/kernel/btf/vmlinux, mapped and parsed lazily, cached.
const vmlinux = Btf.kernel();
const task = vmlinux.find("task_struct", "struct");
if (task?.kind !== "struct") throw new Error("no struct task_struct in vmlinux BTF");
console.log(task.size, task.members.find((m) => m.name === "pid")); // e.g. 3264 { name: "pid", type: 68, bitOffset: 10112, bitfieldSize: 0 }
const sk = vmlinux.find("sock", "struct")!;
console.log(vmlinux.offsetOf(sk, "__sk_common.skc_family").bitOffset / 8); // 16

// Types built here, printed as C as `bpftool btf dump ... format c` prints them, and used as a map's key and value.
const b = new BtfBuilder();
const u32 = b.addInt("unsigned int", 4);
const char = b.addInt("char", 1, { char: true });
const comm = b.addArray(char, u32, 16);
const value = b.addCStruct("proc", [{ name: "pid", type: u32 }, { name: "comm", type: comm }]);
const types = b.build();
console.log(types.format("c").includes("struct proc {")); // true

using procs = BpfMap.create({ type: MapType.hash, maxEntries: 64, btf: { types, key: u32, value } });
procs.set(1, { pid: 1, comm: "init" });
console.log(procs.get(1)); // { pid: 1, comm: "init" }
