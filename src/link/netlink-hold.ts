/**
 * What an attachment made over rtnetlink holds (tc filters, XDP before links): its netlink
 * socket, opened in the calling thread's network namespace and kept so that the detach goes to
 * the same namespace later, a copy of the program fd and its id, and a dup of the socket as the
 * attachment's own fd. One place acquires the three and gives them all back when the attach fails.
 * @module
 */
import { close as closeFd } from "../cmd/fd.ts";
import { NetlinkSocket } from "../sys/netlink.ts";
import { dupFd, holdProgram } from "./attachment.ts";

/** The resources of a netlink attachment while it is being made. */
export interface NetlinkHold {
  /** The rtnetlink socket the attach and, later, the detach go through. */
  sock: NetlinkSocket;
  /** The attachment's copy of the program fd. */
  progFd: number;
  /** The program's id, read before the attach. */
  progId: number;
  /** A dup of the socket's fd: the attachment's own fd. */
  fd: number;
}

/**
 * Opens the socket, holds the program and runs `attach` with them; if anything throws, closes
 * all of it and throws `fail(error)` instead. On success the attachment owns what it was given.
 */
export function withNetlinkHold<T>(progFd: number, attach: (h: NetlinkHold) => T, fail: (e: unknown) => unknown): T {
  let sock: NetlinkSocket | undefined;
  let held: { progFd: number; progId: number } | undefined;
  let fd = -1;
  try {
    sock = NetlinkSocket.open();
    held = holdProgram(progFd);
    fd = dupFd(sock.fd, "netlink socket");
    return attach({ sock, progFd: held.progFd, progId: held.progId, fd });
  } catch (e) {
    sock?.close();
    if (held) closeFd(held.progFd);
    if (fd >= 0) closeFd(fd);
    throw fail(e);
  }
}
