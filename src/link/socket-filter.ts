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
 * SO_ATTACH_BPF: runs socket-filter program `prog` on every packet socket `sockFd` receives
 * (a socket fd of the library's socket(), or any fd the runtime exposes).
 */
export function attachSocketFilter(sockFd: number, prog: ProgramRef): void {
  checkFd(sockFd, "attachSocketFilter: socket fd");
  const fd = checkFd(typeof prog === "number" ? prog : prog.fd, "attachSocketFilter: program fd");
  setsockopt(sockFd, Sock.SOL_SOCKET, Sock.SO_ATTACH_BPF, int32(fd));
}

/** SO_DETACH_BPF: removes the socket's filter program. */
export function detachSocketFilter(sockFd: number): void {
  checkFd(sockFd, "detachSocketFilter: socket fd");
  setsockopt(sockFd, Sock.SOL_SOCKET, Sock.SO_DETACH_BPF, int32(0));
}
