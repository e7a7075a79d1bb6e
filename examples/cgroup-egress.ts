// cgroup-egress: packets and bytes sent by the processes of a cgroup it makes, a cgroup_skb egress program. See README "Attach and stream".
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import {
  AttachType, attachCgroup, BpfMap, BpfProgram, haveProgType, Insn, MapType, ProgramBuilder, ProgType, queryPrograms, SkBuff, struct, u32, u64,
} from "../mod.ts";

// A cgroup_skb program on BPF_CGROUP_INET_EGRESS runs on every packet a socket of a process in
// the cgroup (or its descendants) sends; skb->len there is the IP packet's length. Returning 1
// lets the packet go.
const root = readFileSync("/proc/mounts", "utf8").split("\n").map((l) => l.split(" ")).find((f) => f[2] === "cgroup2")?.[1];
if (!haveProgType(ProgType.cgroup_skb) || root === undefined || !existsSync("/bin/bash")) {
  console.log(`cgroup-egress: needs cgroup_skb programs (Linux 4.10+), a cgroup2 mount${root ? "" : " (none in /proc/mounts)"} and bash`);
} else {
  using counts = BpfMap.create({ type: MapType.array, key: u32, value: struct({ packets: u64, bytes: u64 }), maxEntries: 1, name: "egress" });
  const insns = new ProgramBuilder()
    .emit(Insn.ldx("word", "r6", "r1", SkBuff.fields.len.off))
    .emit(Insn.st("word", "r10", -4, 0))
    .ldMap("r1", "counts")
    .emit(Insn.mov("r2", "r10"), Insn.add("r2", -4), Insn.call("map_lookup_elem"))
    .jmp("jeq", "r0", 0, "allow")
    .emit(Insn.mov("r1", 1), Insn.xadd("r0", "r1")) // packets
    .emit(Insn.add("r0", 8), Insn.xadd("r0", "r6")) // bytes
    .label("allow")
    .emit(Insn.mov("r0", 1), Insn.exit())
    .finish();
  using prog = BpfProgram.load({ type: ProgType.cgroup_skb, attachType: AttachType.cgroup_inet_egress, insns, maps: { counts }, name: "cg_egress" });

  const cgroup = join(root, `tsbpf-ex-${process.pid}-egress`);
  mkdirSync(cgroup, { recursive: true });
  try {
    let pid = 0;
    {
      using _link = attachCgroup(prog, cgroup, AttachType.cgroup_inet_egress);
      // What the cgroup runs on egress now, as `bpftool cgroup show` lists it.
      const { programs } = queryPrograms({ cgroup }, AttachType.cgroup_inet_egress);
      console.log(`${cgroup} runs on egress: ${programs.map((p) => `program ${p.id}${p.id === prog.id ? " (ours)" : ""}`).join(", ")}`);
      // The child moves itself into the cgroup, then sends five 6-byte UDP datagrams to 127.0.0.1:9.
      const script = `echo $$ > ${cgroup}/cgroup.procs || exit 1; for i in 1 2 3 4 5; do echo hello > /dev/udp/127.0.0.1/9; done`;
      const child = spawn("/bin/bash", ["-c", script], { stdio: ["ignore", "ignore", "ignore"] });
      pid = child.pid ?? 0;
      const status = await new Promise<number | null>((done) => child.on("exit", done));
      if (status !== 0) console.log(`cgroup-egress: the child exited ${status}`);
    }
    const { packets, bytes } = counts.get(0)!;
    console.log(`pid ${pid} in ${cgroup} sent ${packets} packets, ${bytes} bytes (IPv4 + UDP headers and "hello\\n" each)`);
  } finally {
    // rmdir waits for the exited child to leave the cgroup (EBUSY until then).
    for (let i = 0; existsSync(cgroup); i++) {
      try {
        rmdirSync(cgroup);
      } catch (e) {
        if (i >= 100) throw e;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}
