/**
 * Netlink messages as bytes, both ways (include/uapi/linux/netlink.h): a writer that builds one
 * request (struct nlmsghdr, a family header, attributes, nested attributes) in a buffer it keeps,
 * and readers for what the kernel sends back - messages, attributes, and the error or
 * acknowledgement (struct nlmsgerr) with the extended ack's text. Pure: no syscalls here; the
 * readers throw NetlinkFormatError, naming the offset, for bytes that are not netlink.
 * @module
 */
import { HOST_LITTLE as LE } from "../util/endian.ts";
import { cStringAt, utf8 } from "../util/text.ts";

/** sizeof(struct nlmsghdr): len u32, type u16, flags u16, seq u32, pid u32. */
export const NLMSG_HDRLEN = 16;
/** sizeof(struct nlattr): len u16, type u16. */
export const NLA_HDRLEN = 4;

/** Message types every netlink family shares (NLMSG_*). */
export const NlMsgType = {
  /** NLMSG_NOOP: nothing; skipped. */
  noop: 1,
  /** NLMSG_ERROR: an error, or with error 0 the acknowledgement NLM_F_ACK asked for. */
  error: 2,
  /** NLMSG_DONE: the end of a multi-part reply (a dump). */
  done: 3,
  /** NLMSG_OVERRUN: data was lost. */
  overrun: 4,
} as const;

/** nlmsghdr.nlmsg_flags (NLM_F_*); the values from 0x100 up mean different things for new, get and ack messages. */
export const NlmF = {
  /** NLM_F_REQUEST: a request (every message to the kernel). */
  request: 0x1,
  /** NLM_F_MULTI: part of a multi-part reply ended by NLMSG_DONE. */
  multi: 0x2,
  /** NLM_F_ACK: reply with an acknowledgement (an NLMSG_ERROR of error 0) on success. */
  ack: 0x4,
  /** NLM_F_ECHO: send the object made back to the requester. */
  echo: 0x8,
  /** NLM_F_DUMP_INTR: the dump changed while it was made. */
  dumpIntr: 0x10,
  /** NLM_F_DUMP (NLM_F_ROOT | NLM_F_MATCH) of a get request: every object. */
  dump: 0x300,
  /** NLM_F_REPLACE of a new request: replace an existing object. */
  replace: 0x100,
  /** NLM_F_EXCL of a new request: fail (EEXIST) if the object exists. */
  excl: 0x200,
  /** NLM_F_CREATE of a new request: create the object if it does not exist. */
  create: 0x400,
  /** NLM_F_CAPPED of an ack: the request was not copied back in full (NETLINK_CAP_ACK). */
  capped: 0x100,
  /** NLM_F_ACK_TLVS of an ack: extended ack attributes follow (NETLINK_EXT_ACK). */
  ackTlvs: 0x200,
} as const;

/** nlattr.nla_type flag: the payload is attributes (NLA_F_NESTED). */
export const NLA_F_NESTED = 0x8000;
/** nlattr.nla_type flag: the payload is in network byte order (NLA_F_NET_BYTEORDER). */
export const NLA_F_NET_BYTEORDER = 0x4000;
const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

/** Extended ack attributes of an nlmsgerr (enum nlmsgerr_attrs). */
const NLMSGERR_ATTR_MSG = 1;
const NLMSGERR_ATTR_OFFS = 2;

/** Bytes that are not what the kernel sends: a length past the end, a header cut short. */
export class NetlinkFormatError extends Error {
  /** Offset in the received bytes where the reader gave up. */
  readonly offset: number;

  /** An error for `what` at `offset`. */
  constructor(what: string, offset: number) {
    super(`netlink: ${what} (at offset ${offset})`);
    this.name = "NetlinkFormatError";
    this.offset = offset;
  }
}

const align4 = (n: number): number => (n + 3) & ~3;

/**
 * Builds one netlink request at a time in a buffer it keeps and grows: start() the header, the
 * family's fixed header with u8()/u16()/u32()/s32(), then attributes; finish() gives the bytes.
 */
export class NlWriter {
  #buf: Uint8Array;
  #dv: DataView;
  #len = 0;

  /** A writer whose buffer starts at `size` bytes. */
  constructor(size = 1024) {
    this.#buf = new Uint8Array(new ArrayBuffer(size));
    this.#dv = new DataView(this.#buf.buffer);
  }

  #room(n: number): number {
    const at = this.#len;
    if (at + n > this.#buf.length) {
      const grown = new Uint8Array(new ArrayBuffer(Math.max(this.#buf.length * 2, align4(at + n))));
      grown.set(this.#buf.subarray(0, at));
      this.#buf = grown;
      this.#dv = new DataView(grown.buffer);
    }
    this.#len = at + n;
    return at;
  }

  /** Starts a message of `type` with `flags` and sequence number `seq` (pid 0: the kernel fills it in). */
  start(type: number, flags: number, seq: number): this {
    this.#len = 0;
    const at = this.#room(NLMSG_HDRLEN);
    this.#buf.fill(0, 0, NLMSG_HDRLEN);
    this.#dv.setUint16(at + 4, type, LE);
    this.#dv.setUint16(at + 6, flags, LE);
    this.#dv.setUint32(at + 8, seq >>> 0, LE);
    return this;
  }

  /** Appends a u8 of the family header. */
  u8(v: number): this {
    const at = this.#room(1);
    this.#dv.setUint8(at, v);
    return this;
  }

  /** Appends a u16 of the family header (host order). */
  u16(v: number): this {
    const at = this.#room(2);
    this.#dv.setUint16(at, v, LE);
    return this;
  }

  /** Appends a u32 of the family header (host order). */
  u32(v: number): this {
    const at = this.#room(4);
    this.#dv.setUint32(at, v >>> 0, LE);
    return this;
  }

  /** Appends an s32 of the family header (host order). */
  s32(v: number): this {
    const at = this.#room(4);
    this.#dv.setInt32(at, v | 0, LE);
    return this;
  }

  /** Appends attribute `type` with payload `data`, padded to 4 bytes. */
  attr(type: number, data: Uint8Array): this {
    const at = this.#header(type, data.length);
    this.#buf.set(data, at + NLA_HDRLEN);
    return this;
  }

  #header(type: number, len: number): number {
    const at = this.#room(align4(NLA_HDRLEN + len));
    this.#buf.fill(0, at, this.#len);
    this.#dv.setUint16(at, NLA_HDRLEN + len, LE);
    this.#dv.setUint16(at + 2, type, LE);
    return at;
  }

  /** Appends a u32 attribute (host order). */
  attrU32(type: number, v: number): this {
    const at = this.#header(type, 4);
    this.#dv.setUint32(at + NLA_HDRLEN, v >>> 0, LE);
    return this;
  }

  /** Appends an s32 attribute (host order): an fd, where -1 means none. */
  attrS32(type: number, v: number): this {
    const at = this.#header(type, 4);
    this.#dv.setInt32(at + NLA_HDRLEN, v | 0, LE);
    return this;
  }

  /** Appends a NUL-terminated string attribute. */
  attrString(type: number, s: string): this {
    const bytes = utf8(s, "netlink string attribute");
    const at = this.#header(type, bytes.length + 1);
    this.#buf.set(bytes, at + NLA_HDRLEN);
    return this;
  }

  /** Opens nested attribute `type` (NLA_F_NESTED set); returns where it starts, for end(). */
  nest(type: number): number {
    return this.#header(type | NLA_F_NESTED, 0);
  }

  /** Closes the nested attribute begun at `at`: its length covers everything appended since. */
  end(at: number): this {
    this.#dv.setUint16(at, this.#len - at, LE);
    return this;
  }

  /** The message: its length written into the header; a view of the writer's buffer, valid until the next start(). */
  finish(): Uint8Array {
    this.#dv.setUint32(0, this.#len, LE);
    return this.#buf.subarray(0, this.#len);
  }
}

/** One message of a reply: its header fields and a view of its payload (valid until the buffer is reused). */
export interface NlMessage {
  /** nlmsg_type: NlMsgType, or the family's (RTM_NEWLINK, ...). */
  type: number;
  /** nlmsg_flags. */
  flags: number;
  /** nlmsg_seq: the request's sequence number it answers. */
  seq: number;
  /** nlmsg_pid: the sender's port, 0 for the kernel. */
  pid: number;
  /** The bytes after the header, up to nlmsg_len. */
  payload: Uint8Array;
  /** Where the message starts in the bytes read. */
  offset: number;
}

/**
 * The messages in `bytes` (one datagram from a netlink socket), in order. A NetlinkFormatError
 * for a header cut short or a length that is too small or runs past the end.
 */
export function parseMessages(bytes: Uint8Array): NlMessage[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: NlMessage[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < NLMSG_HDRLEN) throw new NetlinkFormatError(`${bytes.length - at} bytes left, less than a message header`, at);
    const len = dv.getUint32(at, LE);
    if (len < NLMSG_HDRLEN) throw new NetlinkFormatError(`message length ${len} is less than its header`, at);
    if (len > bytes.length - at) throw new NetlinkFormatError(`message length ${len} runs past the ${bytes.length - at} bytes left`, at);
    out.push({
      type: dv.getUint16(at + 4, LE), flags: dv.getUint16(at + 6, LE), seq: dv.getUint32(at + 8, LE), pid: dv.getUint32(at + 12, LE),
      payload: bytes.subarray(at + NLMSG_HDRLEN, at + len), offset: at,
    });
    at += align4(len);
  }
  return out;
}

/**
 * The attributes in `bytes` from offset `from` (after a family header), by type with the nested
 * and byte-order flags masked off; the last wins where a type repeats. Each value is a view of
 * its payload. A NetlinkFormatError for an attribute whose length is too small or runs past the end.
 */
export function parseAttrs(bytes: Uint8Array, from = 0): Map<number, Uint8Array> {
  if (from > bytes.length) throw new NetlinkFormatError(`attributes start past the ${bytes.length} bytes of the message`, from);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<number, Uint8Array>();
  let at = from;
  while (bytes.length - at >= NLA_HDRLEN) {
    const len = dv.getUint16(at, LE);
    if (len < NLA_HDRLEN) throw new NetlinkFormatError(`attribute length ${len} is less than its header`, at);
    if (len > bytes.length - at) throw new NetlinkFormatError(`attribute length ${len} runs past the ${bytes.length - at} bytes left`, at);
    out.set(dv.getUint16(at + 2, LE) & NLA_TYPE_MASK, bytes.subarray(at + NLA_HDRLEN, at + len));
    at += align4(len);
  }
  return out;
}

/** A u32 attribute's value (host order); undefined when absent. A NetlinkFormatError when it is shorter than 4 bytes. */
export function attrU32(attrs: Map<number, Uint8Array>, type: number): number | undefined {
  const v = attrs.get(type);
  if (v === undefined) return undefined;
  if (v.length < 4) throw new NetlinkFormatError(`attribute ${type} has ${v.length} bytes, not a u32`, v.byteOffset);
  return new DataView(v.buffer, v.byteOffset, 4).getUint32(0, LE);
}

/** A u8 attribute's value; undefined when absent. A NetlinkFormatError when it is empty. */
export function attrU8(attrs: Map<number, Uint8Array>, type: number): number | undefined {
  const v = attrs.get(type);
  if (v === undefined) return undefined;
  if (v.length < 1) throw new NetlinkFormatError(`attribute ${type} is empty, not a u8`, v.byteOffset);
  return v[0];
}

/** A string attribute's text, up to its NUL; undefined when absent. */
export function attrString(attrs: Map<number, Uint8Array>, type: number): string | undefined {
  const v = attrs.get(type);
  if (v === undefined) return undefined;
  return cStringAt(v);
}

/** What an NLMSG_ERROR message says: 0 for an acknowledgement, else the errno, and the extended ack. */
export interface NlError {
  /** The errno (positive), or 0 for success. */
  errno: number;
  /** NLMSGERR_ATTR_MSG: the kernel's text for the failure ("Exclusivity flag on, cannot modify"), when it gave one. */
  message?: string;
  /** NLMSGERR_ATTR_OFFS: the offset in the request of the attribute it refused, when it said. */
  attrOffset?: number;
  /** nlmsg_type of the request it answers. */
  requestType: number;
  /** nlmsg_seq of the request it answers. */
  requestSeq: number;
}

/**
 * Decodes the payload of an NLMSG_ERROR message whose header flags are `flags` (struct nlmsgerr:
 * the error, the request's header - and its payload unless NLM_F_CAPPED - then, with
 * NLM_F_ACK_TLVS, the extended ack attributes). A NetlinkFormatError where it is cut short.
 */
export function parseError(payload: Uint8Array, flags: number): NlError {
  if (payload.length < 4 + NLMSG_HDRLEN) throw new NetlinkFormatError(`error message of ${payload.length} bytes, less than struct nlmsgerr`, payload.byteOffset);
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const error = dv.getInt32(0, LE);
  const reqLen = dv.getUint32(4, LE);
  const out: NlError = { errno: error < 0 ? -error : error, requestType: dv.getUint16(8, LE), requestSeq: dv.getUint32(12, LE) };
  if ((flags & NlmF.ackTlvs) === 0) return out;
  // The TLVs follow the request as copied back: its header only when capped, else all of it.
  const copied = (flags & NlmF.capped) !== 0 ? NLMSG_HDRLEN : align4(reqLen);
  if (copied < NLMSG_HDRLEN || 4 + copied > payload.length) throw new NetlinkFormatError(`error message copies a request of ${reqLen} bytes, more than it holds`, payload.byteOffset + 4);
  const tlvs = parseAttrs(payload, 4 + copied);
  const text = attrString(tlvs, NLMSGERR_ATTR_MSG);
  if (text !== undefined && text !== "") out.message = text;
  const offs = attrU32(tlvs, NLMSGERR_ATTR_OFFS);
  if (offs !== undefined) out.attrOffset = offs;
  return out;
}
