// tcpconnect: TCP connects as they happen (pid, comm, addresses, port), a tracepoint and a ring buffer. See README "Attach and stream".
import net from "node:net";
import { attachTracepoint, BpfMap, BpfProgram, haveMapType, Insn, MapType, ProgramBuilder, ProgType, readTracefs, RingBufReader } from "../mod.ts";

// sock:inet_sock_set_state fires on every TCP state change; a connect() is the change to
// TCP_SYN_SENT (2), in the context of the connecting process. The fields' offsets come from the
// tracepoint's format file, so they hold on every kernel that has it (4.16+).
if (!haveMapType(MapType.ringbuf)) {
  console.log("tcpconnect: needs ring buffers (Linux 5.8+)");
} else {
  const format = readTracefs("events/sock/inet_sock_set_state/format");
  const field = (name: string): number => {
    const off = Number(new RegExp(`\\s${name}(\\[\\d+\\])?;\\s*offset:(\\d+);`).exec(format)?.[2] ?? NaN);
    if (!Number.isInteger(off)) throw new Error(`no ${name} field in inet_sock_set_state's format`);
    return off;
  };
  const TCP_SYN_SENT = 2, AF_INET = 2;

  // A record: pid u32 at 0, sport u16 at 4 (still 0 at SYN_SENT: the port is picked after), dport
  // u16 at 6 (the tracepoint stores both in host order), saddr[4] at 8, daddr[4] at 12, comm[16] at 16.
  const SIZE = 32;
  using events = BpfMap.create({ type: MapType.ringbuf, keySize: 0, valueSize: 0, maxEntries: 1 << 16, name: "connects" });
  const insns = new ProgramBuilder()
    .emit(Insn.mov("r6", "r1"))
    .emit(Insn.ldx("word", "r1", "r6", field("newstate"))).jmp("jne", "r1", TCP_SYN_SENT, "out")
    .emit(Insn.ldx("half_word", "r1", "r6", field("family"))).jmp("jne", "r1", AF_INET, "out")
    .emit(Insn.ldx("half_word", "r1", "r6", field("sport")), Insn.stx("half_word", "r10", -SIZE + 4, "r1"))
    .emit(Insn.ldx("half_word", "r1", "r6", field("dport")), Insn.stx("half_word", "r10", -SIZE + 6, "r1"))
    .emit(Insn.ldx("word", "r1", "r6", field("saddr")), Insn.stx("word", "r10", -SIZE + 8, "r1"))
    .emit(Insn.ldx("word", "r1", "r6", field("daddr")), Insn.stx("word", "r10", -SIZE + 12, "r1"))
    .emit(Insn.call("get_current_pid_tgid"), Insn.alu(64, "rsh", "r0", 32), Insn.stx("word", "r10", -SIZE, "r0"))
    .emit(Insn.mov("r1", "r10"), Insn.add("r1", -SIZE + 16), Insn.mov("r2", 16), Insn.call("get_current_comm"))
    .ldMap("r1", "events")
    .emit(Insn.mov("r2", "r10"), Insn.add("r2", -SIZE), Insn.mov("r3", SIZE), Insn.mov("r4", 0), Insn.call("ringbuf_output"))
    .label("out")
    .emit(Insn.mov("r0", 0), Insn.exit())
    .finish();
  using prog = BpfProgram.load({ type: ProgType.tracepoint, insns, maps: { events }, name: "tcpconnect" });
  using _link = attachTracepoint(prog, "sock", "inet_sock_set_state");
  using reader = new RingBufReader(events);

  // Something to see: a server on 127.0.0.1 and three connects to it from this process.
  const server = net.createServer((s) => s.end());
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const port = (server.address() as net.AddressInfo).port;
  for (let i = 0; i < 3; i++) {
    await new Promise<void>((done, fail) => net.connect(port, "127.0.0.1", function (this: net.Socket) { this.end(); done(); }).on("error", fail));
  }
  server.close();

  const ip = (b: Uint8Array) => [...b].join(".");
  const text = (b: Uint8Array) => new TextDecoder().decode(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)));
  console.log(`${"PID".padStart(7)} ${"COMM".padEnd(16)} ${"SADDR".padEnd(15)} ${"DADDR".padEnd(15)} DPORT`);
  let ours = 0;
  const deadline = Date.now() + 5_000;
  while (ours < 3 && Date.now() < deadline) {
    if (!(await reader.wait(500))) continue;
    reader.drain((data, offset) => {
      const rec = data.subarray(offset, offset + SIZE);
      const dv = new DataView(rec.buffer, rec.byteOffset, SIZE);
      const dport = dv.getUint16(6, true);
      if (dport === port) ours++;
      console.log(`${String(dv.getUint32(0, true)).padStart(7)} ${text(rec.subarray(16, 32)).padEnd(16)} ${ip(rec.subarray(8, 12)).padEnd(15)} ${ip(rec.subarray(12, 16)).padEnd(15)} ${dport}`);
    });
  }
  console.log(`saw ${ours} of our 3 connects to 127.0.0.1:${port}`);
}
