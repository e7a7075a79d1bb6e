/**
 * The few socket calls a socket-filter program needs around it - socket, bind, setsockopt
 * (SO_ATTACH_BPF), sendto, recvfrom, getsockname - made through the backend's raw syscall(), so
 * they work the same on Deno, Bun and Node without a runtime networking API.
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { SyscallError } from "../errors.ts";
import { checkBytes, checkFd } from "../util/args.ts";
import { getBackend, keepAlive } from "./backend.ts";
import { syscallNumbers } from "./nr.ts";

/** Address families, socket types, levels and options (include/linux/socket.h, asm-generic/socket.h). */
export const Sock = {
  AF_INET: 2,
  AF_PACKET: 17,
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_RAW: 3,
  SOCK_NONBLOCK: 0o4000,
  SOCK_CLOEXEC: 0o2000000,
  SOL_SOCKET: 1,
  SO_RCVTIMEO: 20, // SO_RCVTIMEO_OLD: struct timeval of two longs on 64-bit
  SO_ATTACH_BPF: 50,
  SO_DETACH_BPF: 27, // SO_DETACH_FILTER: removes a classic or eBPF filter alike
  MSG_DONTWAIT: 0x40,
  IPPROTO_UDP: 17,
} as const;

function nr(): ReturnType<typeof syscallNumbers> {
  return syscallNumbers(getBackend().arch);
}

function check(rc: number, call: string, context?: string): number {
  if (rc < 0) throw new SyscallError(call, -rc, context);
  return rc;
}

/** socket(2): a new socket fd of `domain`, `type` (with SOCK_CLOEXEC added) and `protocol`. */
export function socket(domain: number, type: number, protocol = 0): number {
  return check(getBackend().syscall(nr().socket, domain, type | Sock.SOCK_CLOEXEC, protocol), "socket");
}

/** A struct sockaddr_in for the dotted IPv4 address `ip` and `port` (0 lets bind() pick one). */
export function sockaddrIn(ip: string, port: number): Uint8Array {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new TypeError(`not an IPv4 address: ${JSON.stringify(ip)}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be in [0, 65535], got ${port}`);
  const a = new Uint8Array(new ArrayBuffer(16));
  const dv = new DataView(a.buffer);
  dv.setUint16(0, Sock.AF_INET, true);
  dv.setUint16(2, port, false); // network byte order
  a.set(parts, 4);
  return a;
}

/** The port of a struct sockaddr_in. */
export function sockaddrPort(addr: Uint8Array): number {
  return new DataView(addr.buffer, addr.byteOffset, addr.byteLength).getUint16(2, false);
}

/** bind(2) to the socket address `addr` (a sockaddr_in, sockaddr_ll, ...). */
export function bind(fd: number, addr: Uint8Array): void {
  checkFd(fd, "bind: socket fd");
  checkBytes(addr, "bind: address");
  const b = getBackend();
  const rc = b.syscall(nr().bind, fd, b.address(addr), addr.length);
  keepAlive(addr);
  check(rc, "bind", `fd ${fd}`);
}

/** getsockname(2): the address the socket is bound to (16 bytes for AF_INET). */
export function getsockname(fd: number): Uint8Array {
  checkFd(fd, "getsockname: socket fd");
  const b = getBackend();
  const addr = new Uint8Array(new ArrayBuffer(128));
  const len = new Uint8Array(new ArrayBuffer(4));
  new DataView(len.buffer).setUint32(0, addr.length, true);
  const rc = b.syscall(nr().getsockname, fd, b.address(addr), b.address(len));
  keepAlive(addr, len);
  check(rc, "getsockname", `fd ${fd}`);
  return addr.slice(0, new DataView(len.buffer).getUint32(0, true));
}

/** setsockopt(2) with raw option bytes. */
export function setsockopt(fd: number, level: number, option: number, value: Uint8Array): void {
  checkFd(fd, "setsockopt: socket fd");
  checkBytes(value, "setsockopt: value");
  const b = getBackend();
  const rc = b.syscall(nr().setsockopt, fd, level, option, b.address(value), value.length);
  keepAlive(value);
  check(rc, "setsockopt", `fd ${fd}, level ${level}, option ${option}`);
}

/** SO_RCVTIMEO: blocking receives give up with EAGAIN after `ms` milliseconds. */
export function setReceiveTimeout(fd: number, ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`setReceiveTimeout: ms must be a non-negative number, got ${ms}`);
  const tv = new Uint8Array(new ArrayBuffer(16));
  const dv = new DataView(tv.buffer);
  dv.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true);
  dv.setBigInt64(8, BigInt((ms % 1000) * 1000), true);
  setsockopt(fd, Sock.SOL_SOCKET, Sock.SO_RCVTIMEO, tv);
}

/** sendto(2): sends `data` to `addr`; returns the bytes sent. */
export function sendto(fd: number, data: Uint8Array, addr: Uint8Array, flags = 0): number {
  checkFd(fd, "sendto: socket fd");
  checkBytes(data, "sendto: data");
  checkBytes(addr, "sendto: address");
  const b = getBackend();
  const rc = b.syscall(nr().sendto, fd, data.length ? b.address(data) : 0, data.length, flags, b.address(addr), addr.length);
  keepAlive(data, addr);
  return check(rc, "sendto", `fd ${fd}`);
}

/**
 * recvfrom(2) into `buf`: the bytes received (a longer datagram is cut to `buf`), or null when
 * nothing arrived in time (EAGAIN with MSG_DONTWAIT or after SO_RCVTIMEO). EINTR is retried.
 */
export function recvfrom(fd: number, buf: Uint8Array, flags = 0): number | null {
  checkFd(fd, "recvfrom: socket fd");
  checkBytes(buf, "recvfrom: buffer");
  const b = getBackend();
  for (;;) {
    const rc = b.syscall(nr().recvfrom, fd, buf.length ? b.address(buf) : 0, buf.length, flags, 0, 0);
    keepAlive(buf);
    if (rc === -Errno.EINTR) continue;
    if (rc === -Errno.EAGAIN) return null;
    return check(rc, "recvfrom", `fd ${fd}`);
  }
}
