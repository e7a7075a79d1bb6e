/**
 * A minimal rtnetlink client: one AF_NETLINK socket (NETLINK_ROUTE) in the network namespace of
 * the thread that opened it, requests sent with sendto(2) and their replies read with
 * recvfrom(2) through the backend, as iproute2 and libbpf's netlink.c talk to the kernel. Each
 * request asks for an acknowledgement (NLM_F_ACK); an NLMSG_ERROR becomes a NetlinkError with
 * its errno and, where the kernel gave one (NETLINK_EXT_ACK, 4.12+), its own text. The request
 * and receive buffers are the socket's, reused for every request.
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { SyscallError } from "../errors.ts";
import { HOST_LITTLE } from "../util/endian.ts";
import { closeQuietly } from "./file.ts";
import { type NlMessage, NlMsgType, NlmF, NlWriter, parseError, parseMessages } from "./netlink-msg.ts";
import { recvfrom, sendto, setReceiveTimeout, setsockopt, socket } from "./socket.ts";

/** AF_NETLINK. */
export const AF_NETLINK = 16;
/** NETLINK_ROUTE: links, addresses, routes, qdiscs and filters (rtnetlink). */
export const NETLINK_ROUTE = 0;

const SOCK_RAW = 3;
const SOL_NETLINK = 270;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;
const MSG_TRUNC = 0x20;
const MSG_PEEK = 0x2;
const REPLY_TIMEOUT_MS = 5000;

/** A request the kernel refused: the errno of its NLMSG_ERROR, and the kernel's text where it gave one. */
export class NetlinkError extends SyscallError {
  /** The request, as messages name it ("RTM_NEWTFILTER"). */
  readonly request: string;
  /** The extended ack's text ("Exclusivity flag on, cannot modify"), when the kernel gave one. */
  readonly kernelMessage: string | undefined;

  /** An error for `request` failing with `errno`; `kernelMessage` is the extended ack's text. */
  constructor(request: string, errno: number, kernelMessage?: string, context?: string) {
    super(`netlink ${request}`, errno, context);
    this.name = "NetlinkError";
    this.request = request;
    this.kernelMessage = kernelMessage;
    if (kernelMessage !== undefined) this.message += `; the kernel says: ${JSON.stringify(kernelMessage)}`;
  }
}

// struct sockaddr_nl of the kernel: family AF_NETLINK, pid 0, groups 0.
const KERNEL = (() => {
  const a = new Uint8Array(new ArrayBuffer(12));
  new DataView(a.buffer).setUint16(0, AF_NETLINK, HOST_LITTLE);
  return a;
})();

function int1(): Uint8Array {
  const a = new Uint8Array(new ArrayBuffer(4));
  new DataView(a.buffer).setInt32(0, 1, HOST_LITTLE);
  return a;
}

/**
 * A netlink socket and its buffers. Its network namespace is the opening thread's for good, so a
 * request names interfaces as they are there even from a thread that moved elsewhere since.
 */
export class NetlinkSocket {
  #fd: number;
  #seq = Math.floor(Date.now() / 1000) >>> 0;
  #rx = new Uint8Array(new ArrayBuffer(32768));
  readonly #tx = new NlWriter();

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /** socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, `protocol`), with extended acks asked for where the kernel has them. */
  static open(protocol: number = NETLINK_ROUTE): NetlinkSocket {
    const fd = socket(AF_NETLINK, SOCK_RAW, protocol);
    try {
      // Both are optional: without them (before 4.3 and 4.12) errors are the errno alone.
      for (const opt of [NETLINK_EXT_ACK, NETLINK_CAP_ACK]) {
        try {
          setsockopt(fd, SOL_NETLINK, opt, int1());
        } catch {
          // an older kernel: fine
        }
      }
      // rtnetlink answers in the sender's context, so a reply is queued before sendto returns;
      // the timeout only guards against a kernel that never answers.
      setReceiveTimeout(fd, REPLY_TIMEOUT_MS);
    } catch (e) {
      closeQuietly(fd);
      throw e;
    }
    return new NetlinkSocket(fd);
  }

  /** The socket's fd; a TypeError once closed. */
  get fd(): number {
    if (this.#fd < 0) throw new TypeError("netlink socket is closed");
    return this.#fd;
  }

  /** True once close() ran. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /**
   * Starts request `type` with `flags` (NLM_F_REQUEST and NLM_F_ACK are added) in the socket's
   * writer: append the family header and attributes, then send it with transact().
   */
  request(type: number, flags = 0): NlWriter {
    this.fd;
    this.#seq = (this.#seq + 1) >>> 0;
    return this.#tx.start(type, flags | NlmF.request | NlmF.ack, this.#seq);
  }

  /**
   * Sends the request begun with request() and reads the replies up to its acknowledgement (or
   * the NLMSG_DONE of a dump), giving `onReply` every other message answering it (an
   * NLM_F_ECHO copy, a get's answer, the parts of a dump); the message is valid during the call
   * only. A NetlinkError naming `what` when the kernel refuses; messages of other requests
   * (answers a timed-out request got late) are skipped.
   */
  transact(what: string, onReply?: (msg: NlMessage) => void, context?: string): void {
    const fd = this.fd;
    const msg = this.#tx.finish();
    const seq = new DataView(msg.buffer, msg.byteOffset).getUint32(8, HOST_LITTLE);
    sendto(fd, msg, KERNEL);
    for (;;) {
      for (const m of parseMessages(this.#receive(what))) {
        if (m.seq !== seq || m.type === NlMsgType.noop) continue;
        if (m.type === NlMsgType.error) {
          const e = parseError(m.payload, m.flags);
          if (e.errno !== 0) throw new NetlinkError(what, e.errno, e.message, context);
          return;
        }
        if (m.type === NlMsgType.done) {
          // A dump's end carries its error (an int, then extended ack attributes) since 4.x.
          const err = m.payload.length >= 4 ? new DataView(m.payload.buffer, m.payload.byteOffset).getInt32(0, HOST_LITTLE) : 0;
          if (err < 0) throw new NetlinkError(what, -err, undefined, context);
          // The end of a dump: the kernel acknowledges no dump (netlink_dump_start returns -EINTR to skip the ack).
          return;
        }
        if (m.type === NlMsgType.overrun) throw new NetlinkError(what, Errno.ENOBUFS, undefined, context);
        onReply?.(m);
      }
    }
  }

  /** One datagram: its bytes, a view of the receive buffer (grown first when a datagram is larger). */
  #receive(what: string): Uint8Array {
    const fd = this.#fd;
    // MSG_PEEK | MSG_TRUNC tells the datagram's full length without taking it.
    const full = recvfrom(fd, this.#rx, MSG_PEEK | MSG_TRUNC);
    if (full === null) throw new SyscallError("recvfrom", Errno.ETIMEDOUT, `no netlink reply to ${what} within ${REPLY_TIMEOUT_MS} ms`);
    if (full > this.#rx.length) this.#rx = new Uint8Array(new ArrayBuffer((full + 4095) & ~4095));
    const n = recvfrom(fd, this.#rx);
    if (n === null) throw new SyscallError("recvfrom", Errno.ETIMEDOUT, `netlink reply to ${what} vanished after a peek`);
    return this.#rx.subarray(0, n);
  }

  /** Closes the socket. Idempotent. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    closeQuietly(fd);
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
