// Socket filters on real sockets: the socket helpers of src/sys/socket.ts with a BpfProgram
// attached by SO_ATTACH_BPF to a UDP socket on loopback.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterEach, beforeAll, beforeEach, expect } from "vitest";
import {
  attachSocketFilter, bind, BpfProgram, detachSocketFilter, getsockname, Insn, ProgType, recvfrom, sendto, setReceiveTimeout, Sock,
  sockaddrIn, sockaddrPort, socket, sysClose,
} from "../../mod.ts";
import { describePriv, isRoot, itPriv } from "../helpers/env.ts";

const filter = (verdict: number): BpfProgram => BpfProgram.load({ type: ProgType.socket_filter, insns: [Insn.mov("r0", verdict), Insn.exit()] });

const loUp = (): boolean => (Number(readFileSync("/sys/class/net/lo/flags", "utf8")) & 1) === 1; // IFF_UP

describePriv("socket filters", () => {
  // The test VMs boot without networking: loopback starts down there (and gets 127.0.0.1 when up).
  beforeAll(() => {
    if (isRoot && !loUp()) execFileSync("ip", ["link", "set", "dev", "lo", "up"]);
  });
  let rx = -1;
  let tx = -1;
  let to: Uint8Array;
  beforeEach(() => {
    if (!isRoot) return;
    rx = socket(Sock.AF_INET, Sock.SOCK_DGRAM);
    tx = socket(Sock.AF_INET, Sock.SOCK_DGRAM);
    bind(rx, sockaddrIn("127.0.0.1", 0));
    to = getsockname(rx);
  });
  afterEach(() => {
    if (rx >= 0) sysClose(rx);
    if (tx >= 0) sysClose(tx);
    rx = tx = -1;
  });

  itPriv("sockaddr_in round-trips through bind and getsockname", () => {
    expect(to.length).toBe(16);
    expect(sockaddrPort(to)).toBeGreaterThan(0);
    expect([...to.subarray(4, 8)]).toEqual([127, 0, 0, 1]);
    expect(() => sockaddrIn("1.2.3", 80)).toThrow(TypeError);
    expect(() => sockaddrIn("1.2.3.4", 70000)).toThrow(RangeError);
  });

  itPriv("a filter returning 0 drops every datagram; detached, they arrive again", () => {
    using drop = filter(0);
    attachSocketFilter(rx, drop.fd);
    sendto(tx, new Uint8Array([1, 2, 3]), to);
    const buf = new Uint8Array(16);
    setReceiveTimeout(rx, 200);
    expect(recvfrom(rx, buf)).toBeNull();
    detachSocketFilter(rx);
    sendto(tx, new Uint8Array([4, 5, 6]), to);
    expect(recvfrom(rx, buf)).toBe(3);
    expect([...buf.subarray(0, 3)]).toEqual([4, 5, 6]);
  });

  itPriv("a filter's return value is how many bytes to keep", () => {
    using keep2 = filter(8 + 2); // the skb starts at the UDP header
    attachSocketFilter(rx, keep2.fd);
    sendto(tx, new Uint8Array([9, 8, 7, 6, 5]), to);
    const buf = new Uint8Array(16);
    setReceiveTimeout(rx, 2000);
    expect(recvfrom(rx, buf)).toBe(2);
    expect([...buf.subarray(0, 2)]).toEqual([9, 8]);
  });

  itPriv("nothing queued: MSG_DONTWAIT gives null, bad fds a SyscallError", () => {
    expect(recvfrom(rx, new Uint8Array(4), Sock.MSG_DONTWAIT)).toBeNull();
    expect(() => attachSocketFilter(rx, 0x7ffff)).toThrow(/setsockopt: EBADF/);
  });
});
