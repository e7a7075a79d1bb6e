/**
 * Socket filters: a BPF_PROG_TYPE_SOCKET_FILTER program attached to a socket with
 * setsockopt(SO_ATTACH_BPF), run on every packet the socket receives. Not a bpf_link: the socket
 * holds the program until SO_DETACH_BPF or its close.
 * @module
 */
import { Sock, setsockopt } from "../sys/socket.ts";
import { checkFd } from "../util/args.ts";

/** A program as its fd, or anything that has one (a BpfProgram). */
export type ProgramRef = number | { readonly fd: number };

function int32(v: number): Uint8Array {
  const a = new Uint8Array(new ArrayBuffer(4));
  new DataView(a.buffer).setInt32(0, v, true);
  return a;
}

/**
 * A socket given to attachSocketFilter: its fd, or a socket object of the runtime that holds
 * one - Node's and Bun's `node:dgram` and `node:net` sockets do; Deno's do not expose theirs.
 */
export type SocketRef = number | object;

// Node keeps a socket's handle under a symbol (dgram: state.handle; net: the handle itself), with
// `fd` on it; Bun has `_handle.fd`. Node's dgram `_handle` getter is deprecated (DEP0112), so
// only own data properties are read, never that getter.
function handleFd(v: unknown): number | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  const fd = (v as { fd?: unknown }).fd;
  if (typeof fd === "number" && Number.isInteger(fd) && fd >= 0) return fd;
  const h = (v as { handle?: { fd?: unknown } }).handle;
  return typeof h === "object" && h !== null && typeof h.fd === "number" && h.fd >= 0 ? h.fd : undefined;
}

/** The fd of `sock`: a number as given, else the fd the runtime's socket object holds; a TypeError when it holds none. */
export function socketFd(sock: SocketRef, what = "socket"): number {
  if (typeof sock === "number") return checkFd(sock, `${what} fd`);
  if (typeof sock !== "object" || sock === null) throw new TypeError(`${what} must be a socket fd or a socket object, got ${sock === null ? "null" : typeof sock}`);
  let fd = handleFd(sock);
  for (const sym of Object.getOwnPropertySymbols(sock)) fd ??= handleFd((sock as Record<symbol, unknown>)[sym]);
  fd ??= handleFd(Object.getOwnPropertyDescriptor(sock, "_handle")?.value);
  if (fd === undefined) {
    throw new TypeError(`${what}: this socket object does not expose its file descriptor (Deno's sockets do not, nor does one not yet bound or already closed); use the library's socket() for a filter there`);
  }
  return checkFd(fd, `${what} fd`);
}

/**
 * SO_ATTACH_BPF: runs socket-filter program `prog` on every packet the socket receives: a socket
 * fd (the library's socket()) or a runtime socket that holds one (Node's and Bun's dgram and net
 * sockets, once bound or connected).
 *
 * @example
 * ```ts
 * import dgram from "node:dgram";
 * import { attachSocketFilter } from "tsbpf";
 * const udp = dgram.createSocket("udp4").bind(0, "127.0.0.1", () => attachSocketFilter(udp, prog));
 * ```
 */
export function attachSocketFilter(sock: SocketRef, prog: ProgramRef): void {
  const sockFd = socketFd(sock, "attachSocketFilter: socket");
  const fd = checkFd(typeof prog === "number" ? prog : prog.fd, "attachSocketFilter: program fd");
  setsockopt(sockFd, Sock.SOL_SOCKET, Sock.SO_ATTACH_BPF, int32(fd));
}

/** SO_DETACH_BPF: removes the socket's filter program (a socket fd or a runtime socket, as attachSocketFilter takes). */
export function detachSocketFilter(sock: SocketRef): void {
  const sockFd = socketFd(sock, "detachSocketFilter: socket");
  setsockopt(sockFd, Sock.SOL_SOCKET, Sock.SO_DETACH_BPF, int32(0));
}
