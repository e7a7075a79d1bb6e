// Counts the packets a UDP socket on loopback receives, by size, in a BPF map: a socket filter
// attached with SO_ATTACH_BPF sees every datagram before the socket queues it. The script sends
// the traffic itself, reads the counts back and checks them.
//   bun examples/count-packets.ts | deno run -A examples/count-packets.ts | npx tsx examples/count-packets.ts   (as root)
import {
  attachSocketFilter, bind, BpfMap, BpfProgram, getsockname, Insn, MapType, ProgramBuilder, ProgType, recvfrom, sendto,
  setReceiveTimeout, SkBuff, Sock, sockaddrIn, socket, struct, sysClose, u32, u64,
} from "../mod.ts";

const CLASSES = ["< 64 B", "64-255 B", "256-1023 B", ">= 1024 B"]; // by skb->len: UDP header + payload

// One array slot per size class: how many packets and bytes.
using counts = BpfMap.create({
  type: MapType.array, key: u32, value: struct({ packets: u64, bytes: u64 }), maxEntries: CLASSES.length, name: "pkt_sizes",
});

// r7 = skb->len; key = its size class; counts[key].packets += 1, .bytes += len; keep the packet.
const filter = new ProgramBuilder()
  .emit(Insn.ldx("word", "r7", "r1", SkBuff.fields.len.off))
  .emit(Insn.st("word", "r10", -4, 3)).jmp("jge", "r7", 1024, "count")
  .emit(Insn.st("word", "r10", -4, 2)).jmp("jge", "r7", 256, "count")
  .emit(Insn.st("word", "r10", -4, 1)).jmp("jge", "r7", 64, "count")
  .emit(Insn.st("word", "r10", -4, 0))
  .label("count")
  .ldMap("r1", "counts")
  .emit(Insn.mov("r2", "r10"), Insn.add("r2", -4), Insn.call("map_lookup_elem"))
  .jmp("jeq", "r0", 0, "keep")
  .emit(Insn.mov("r1", 1), Insn.xadd("r0", "r1")) // packets (offset 0), atomically
  .emit(Insn.add("r0", 8), Insn.xadd("r0", "r7")) // bytes (offset 8)
  .label("keep")
  .emit(Insn.mov("r0", -1), Insn.exit()) // accept the whole packet
  .finish();

using prog = BpfProgram.load({ type: ProgType.socket_filter, insns: filter, maps: { counts }, name: "count_sizes" });

// A receiving socket on 127.0.0.1 with the filter attached, and a sender.
const rx = socket(Sock.AF_INET, Sock.SOCK_DGRAM);
const tx = socket(Sock.AF_INET, Sock.SOCK_DGRAM);
try {
  bind(rx, sockaddrIn("127.0.0.1", 0));
  setReceiveTimeout(rx, 5000);
  attachSocketFilter(rx, prog.fd);
  const to = getsockname(rx);

  const sizes = [...Array(10).fill(20), ...Array(5).fill(200), ...Array(3).fill(900), ...Array(2).fill(1400)];
  for (const n of sizes) sendto(tx, new Uint8Array(n), to);
  const buf = new Uint8Array(2048);
  for (let i = 0; i < sizes.length; i++) {
    if (recvfrom(rx, buf) === null) throw new Error(`only ${i} of ${sizes.length} datagrams arrived`);
  }

  const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
  console.log(`${runtime}: program ${prog.name} (id ${prog.id}, tag ${prog.info().tag}) saw:`);
  const want = [0, 0, 0, 0];
  for (const n of sizes) want[n + 8 >= 1024 ? 3 : n + 8 >= 256 ? 2 : n + 8 >= 64 ? 1 : 0]++;
  let ok = true;
  CLASSES.forEach((label, i) => {
    const { packets, bytes } = counts.get(i)!;
    console.log(`  ${label.padEnd(10)} ${String(packets).padStart(3)} packets ${String(bytes).padStart(6)} bytes`);
    if (packets !== BigInt(want[i])) ok = false;
  });
  if (!ok) throw new Error(`expected ${want.join(", ")} packets per class`);
} finally {
  sysClose(rx);
  sysClose(tx);
}
