// attachSocketFilter on the runtime's own sockets: a node:dgram UDP socket bound on loopback, a
// filter that drops everything, a datagram sent to it: nothing arrives until the filter is
// detached. Node and Bun expose the socket's fd; Deno's node:dgram does not, and says so.
import dgram from "node:dgram";
import { expect } from "vitest";
import { attachSocketFilter, BpfProgram, detachSocketFilter, Insn, ProgType, socketFd } from "../../mod.ts";
import { describePriv, itPriv, runtime } from "../helpers/env.ts";

/** A bound UDP socket on 127.0.0.1 and the datagrams it has received. */
async function udpSocket(): Promise<{ sock: dgram.Socket; got: string[]; port: number }> {
  const sock = dgram.createSocket("udp4");
  const got: string[] = [];
  sock.on("message", (m) => got.push(m.toString()));
  await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", resolve));
  return { sock, got, port: sock.address().port };
}

const send = (port: number, text: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const tx = dgram.createSocket("udp4");
    tx.send(text, port, "127.0.0.1", (e) => (tx.close(), e ? reject(e) : resolve()));
  });

/** Waits until `got` holds `n` datagrams or `ms` pass; returns what it holds. */
async function settle(got: string[], n: number, ms: number): Promise<string[]> {
  const end = Date.now() + ms;
  while (got.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return [...got];
}

describePriv("attachSocketFilter on a runtime socket", () => {
  if (runtime === "deno") {
    itPriv("Deno's node:dgram socket does not expose its fd: a TypeError saying so, before any syscall", async () => {
      const { sock } = await udpSocket();
      try {
        using drop = BpfProgram.load({ type: ProgType.socket_filter, insns: [Insn.mov("r0", 0), Insn.exit()] });
        expect(() => attachSocketFilter(sock, drop)).toThrow(/does not expose its file descriptor/);
      } finally {
        sock.close();
      }
    });
    return;
  }

  itPriv(`a filter on a node:dgram socket drops its datagrams until detached (${runtime})`, async () => {
    const { sock, got, port } = await udpSocket();
    try {
      expect(socketFd(sock)).toBeGreaterThan(2);
      await send(port, "before");
      expect(await settle(got, 1, 2000)).toEqual(["before"]);
      using drop = BpfProgram.load({ type: ProgType.socket_filter, insns: [Insn.mov("r0", 0), Insn.exit()] });
      attachSocketFilter(sock, drop);
      await send(port, "dropped");
      expect(await settle(got, 2, 300)).toEqual(["before"]);
      detachSocketFilter(sock);
      await send(port, "after");
      expect(await settle(got, 2, 2000)).toEqual(["before", "after"]);
    } finally {
      sock.close();
    }
  });

  itPriv("a closed socket or a non-socket is a TypeError naming the call", async () => {
    const { sock } = await udpSocket();
    await new Promise<void>((resolve) => sock.close(() => resolve()));
    using drop = BpfProgram.load({ type: ProgType.socket_filter, insns: [Insn.mov("r0", 0), Insn.exit()] });
    expect(() => attachSocketFilter(sock, drop)).toThrow(/attachSocketFilter: socket: this socket object does not expose/);
    expect(() => attachSocketFilter({}, drop)).toThrow(TypeError);
    expect(() => attachSocketFilter("3" as unknown as number, drop)).toThrow(/must be a socket fd or a socket object/);
  });
});
