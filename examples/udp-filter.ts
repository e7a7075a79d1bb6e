// udp-filter: a socket filter on a node:dgram UDP socket that keeps only datagrams starting with "k". See README "Attach and stream".
import dgram from "node:dgram";
import {
  attachSocketFilter, bind, BpfProgram, getsockname, Insn, ProgramBuilder, ProgType, recvfrom, sendto, Sock, sockaddrIn, socket, sysClose,
} from "../mod.ts";

// A socket filter runs on each datagram before the socket queues it; on a UDP socket the packet
// starts at the UDP header, so the payload's first byte is at offset 8. Returning 0 drops the
// datagram, -1 keeps all of it.
const insns = new ProgramBuilder()
  .emit(Insn.mov("r2", 8), Insn.mov("r3", "r10"), Insn.add("r3", -8), Insn.mov("r4", 1))
  .emit(Insn.call("skb_load_bytes")) // fails on an empty payload: dropped too
  .jmp("jne", "r0", 0, "drop")
  .emit(Insn.ldx("byte", "r0", "r10", -8))
  .jmp("jne", "r0", "k".charCodeAt(0), "drop")
  .emit(Insn.mov("r0", -1), Insn.exit())
  .label("drop")
  .emit(Insn.mov("r0", 0), Insn.exit())
  .finish();
using prog = BpfProgram.load({ type: ProgType.socket_filter, insns, name: "keep_k" });

const messages = ["keep me", "drop me", "kilo", "", "x-ray", "k"];
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const rx = dgram.createSocket("udp4");
await new Promise<void>((done) => rx.bind(0, "127.0.0.1", done));
let arrived: string[];
try {
  attachSocketFilter(rx, prog);
  // Collect what the socket delivers; loopback sends are queued by the time send's callback runs.
  const got: string[] = [];
  rx.on("message", (msg) => got.push(msg.toString()));
  const tx = dgram.createSocket("udp4");
  for (const m of messages) await new Promise<void>((done) => tx.send(m, rx.address().port, "127.0.0.1", () => done()));
  await new Promise((r) => setTimeout(r, 300));
  tx.close();
  arrived = got;
  console.log(`${runtime}: filter ${prog.name} on a node:dgram socket`);
} catch (e) {
  if (!(e instanceof TypeError)) throw e;
  // Deno's dgram sockets do not expose their fd: the library's own socket instead.
  console.log(`${runtime}: ${e.message.split(";")[0]}; using the library's socket() instead`);
  const fd = socket(Sock.AF_INET, Sock.SOCK_DGRAM);
  const tx = socket(Sock.AF_INET, Sock.SOCK_DGRAM);
  try {
    bind(fd, sockaddrIn("127.0.0.1", 0));
    attachSocketFilter(fd, prog);
    const to = getsockname(fd);
    for (const m of messages) sendto(tx, new TextEncoder().encode(m), to);
    arrived = [];
    const buf = new Uint8Array(512);
    for (let n; (n = recvfrom(fd, buf, 0x40 /* MSG_DONTWAIT */)) !== null;) arrived.push(new TextDecoder().decode(buf.subarray(0, n)));
  } finally {
    sysClose(fd);
    sysClose(tx);
  }
} finally {
  rx.close();
}
console.log(`sent ${messages.length}: ${messages.map((m) => JSON.stringify(m)).join(", ")}`);
console.log(`arrived ${arrived.length}: ${arrived.map((m) => JSON.stringify(m)).join(", ")}`);
