// xdp-count: packets per IP protocol an interface receives, counted by XDP on a veth in network namespaces it makes. See README "Attach and stream".
import { execFileSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import {
  attachXdp, type BpfLink, BpfMap, BpfProgram, FeatureError, getBackend, haveProgType, Insn, linuxArch, MapType, ProgramBuilder, ProgType, sendto, Sock,
  sockaddrIn, socket, syscallNumbers, sysClose, u32, u64,
} from "../mod.ts";

// Two network namespaces joined by a veth pair: xa (10.77.0.1) in one, xb (10.77.0.2) in the
// other; the program runs on xa's receive path. Nothing is made in this host's own namespace.
const NS_A = `tsbpf-ex-${process.pid}-a`, NS_B = `tsbpf-ex-${process.pid}-b`;
const PROTOS: Record<number, string> = { 1: "ICMP", 6: "TCP", 17: "UDP", 256: "not IPv4" };
const NOT_IP = 256;
const CLONE_NEWNET = 0x40000000;

/** Runs `fn` with this thread moved into network namespace `ns` (setns), then back. */
function inNetns<T>(ns: string, fn: () => T): T {
  const setns = syscallNumbers(linuxArch(process.arch)).setns;
  const home = openSync("/proc/thread-self/ns/net", "r");
  const there = openSync(`/run/netns/${ns}`, "r");
  try {
    if (getBackend().syscall(setns, there, CLONE_NEWNET) < 0) throw new Error(`setns into ${ns} failed`);
    try {
      return fn();
    } finally {
      if (getBackend().syscall(setns, home, CLONE_NEWNET) < 0) throw new Error("setns back failed");
    }
  } finally {
    closeSync(home);
    closeSync(there);
  }
}

/** Sends `n` one-byte UDP datagrams to `ip`:`port` from namespace `ns`. */
function udpFrom(ns: string, ip: string, port: number, n: number): void {
  inNetns(ns, () => {
    const fd = socket(Sock.AF_INET, Sock.SOCK_DGRAM);
    try {
      for (let i = 0; i < n; i++) sendto(fd, new Uint8Array(1), sockaddrIn(ip, port));
    } finally {
      sysClose(fd);
    }
  });
}

let ip = true;
try {
  execFileSync("ip", ["-V"], { stdio: "ignore" });
} catch {
  ip = false;
}
if (!haveProgType(ProgType.xdp) || !ip) {
  console.log(`xdp-count: needs XDP programs and the ip tool (iproute2)${ip ? "" : ": no ip here"}`);
} else {
  // key: the IPv4 header's protocol (0-255), or 256 for what is not IPv4 (ARP, IPv6).
  using counts = BpfMap.create({ type: MapType.array, key: u32, value: u64, maxEntries: 257, name: "xdp_protos" });
  const insns = new ProgramBuilder()
    .emit(Insn.ldx("word", "r2", "r1", 0), Insn.ldx("word", "r3", "r1", 4)) // xdp_md->data, ->data_end
    .emit(Insn.st("word", "r10", -4, NOT_IP))
    .emit(Insn.mov("r4", "r2"), Insn.add("r4", 14 + 20)).jmp("jgt", "r4", "r3", "count") // Ethernet + IPv4 header there?
    .emit(Insn.ldx("half_word", "r4", "r2", 12)).jmp("jne", "r4", 0x0008, "count") // ETH_P_IP, big-endian
    .emit(Insn.ldx("byte", "r4", "r2", 14 + 9), Insn.stx("word", "r10", -4, "r4"))
    .label("count")
    .ldMap("r1", "counts")
    .emit(Insn.mov("r2", "r10"), Insn.add("r2", -4), Insn.call("map_lookup_elem"))
    .jmp("jeq", "r0", 0, "pass")
    .emit(Insn.mov("r1", 1), Insn.xadd("r0", "r1"))
    .label("pass")
    .emit(Insn.mov("r0", 2), Insn.exit()) // XDP_PASS
    .finish();
  using prog = BpfProgram.load({ type: ProgType.xdp, insns, maps: { counts }, name: "xdp_count" });

  const run = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
  try {
    run("netns", "add", NS_A);
    run("netns", "add", NS_B);
    run("-n", NS_A, "link", "add", "xa", "type", "veth", "peer", "name", "xb", "netns", NS_B);
    run("-n", NS_A, "addr", "add", "10.77.0.1/24", "dev", "xa");
    run("-n", NS_B, "addr", "add", "10.77.0.2/24", "dev", "xb");
    run("-n", NS_A, "link", "set", "xa", "up");
    run("-n", NS_B, "link", "set", "xb", "up");
    let link: BpfLink | undefined;
    try {
      // Interface names and ifindexes are per namespace: attach from inside xa's.
      link = inNetns(NS_A, () => attachXdp(prog, "xa"));
    } catch (e) {
      if (!(e instanceof FeatureError)) throw e;
      console.log(`xdp-count: ${e.message}`);
    }
    if (link) {
      // Traffic arriving on xa: UDP from xb's side, and the ICMP port unreachables xb's side sends
      // back for UDP to a closed port there (plus the ARP that resolves each side first).
      udpFrom(NS_B, "10.77.0.1", 9, 5);
      udpFrom(NS_A, "10.77.0.2", 9, 3);
      await new Promise((r) => setTimeout(r, 200));
      link.close();
      console.log(`packets received on xa (veth in ${NS_A}), by protocol:`);
      for (const [proto, n] of counts) {
        if (n > 0n) console.log(`  ${(PROTOS[proto] ?? `proto ${proto}`).padEnd(9)} ${n}`);
      }
    }
  } finally {
    for (const ns of [NS_A, NS_B]) {
      try {
        run("netns", "del", ns);
      } catch { /* not made */ }
    }
  }
}
