// The netlink codec (src/sys/netlink-msg.ts) byte for byte - a request as the kernel's headers
// lay it out, nested attributes and their padding, struct nlmsgerr with and without the copied
// request and its extended ack - and fuzzed: random and mutated replies give NetlinkFormatErrors
// naming an offset, never another exception or a hang. Then the socket (src/sys/netlink.ts)
// against the kernel: a get answered, a refusal as a NetlinkError with the kernel's errno, no fd left.
import { describe, expect, it } from "vitest";
import { NetlinkError } from "../../mod.ts";
import { NetlinkSocket } from "../../src/sys/netlink.ts";
import {
  attrString, attrU32, attrU8, NetlinkFormatError, NLA_F_NESTED, NlmF, NlMsgType, NlWriter, parseAttrs, parseError, parseMessages,
} from "../../src/sys/netlink-msg.ts";
import { xorshift } from "../helpers/random.ts";
import { libraryFds } from "../helpers/fds.ts";
import { thrown } from "../helpers/expect.ts";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");


/** An NLMSG_ERROR for a request of `reqLen` bytes (type 44, seq 7): capped or with the request copied, and TLVs. */
function errorMessage(errno: number, opts: { capped?: boolean; reqLen?: number; text?: string; offs?: number } = {}): Uint8Array {
  const reqLen = opts.reqLen ?? 40;
  const flags = (opts.capped ? NlmF.capped : 0) | (opts.text !== undefined || opts.offs !== undefined ? NlmF.ackTlvs : 0);
  const w = new NlWriter(16).start(NlMsgType.error, flags, 7).s32(-errno);
  // The request's header as copied back: len, type 44, flags, seq 7, pid 0; then its payload unless capped.
  w.u32(reqLen).u16(44).u16(NlmF.request | NlmF.ack).u32(7).u32(0);
  if (!opts.capped) for (let i = 16; i < reqLen; i += 4) w.u32(0xdeadbeef);
  if (opts.text !== undefined) w.attrString(1, opts.text);
  if (opts.offs !== undefined) w.attrU32(2, opts.offs);
  return w.finish().slice();
}

/** A reply as the kernel sends one: RTM_NEWLINK of "lo" with a nested IFLA_XDP, then an ack. */
function reply(): Uint8Array {
  const w = new NlWriter().start(16, 0, 7).u8(0).u8(0).u16(772).s32(1).u32(0x49).u32(0);
  w.attrString(3, "lo").attrU32(4, 65536);
  const xdp = w.nest(43);
  w.attr(2, new Uint8Array([2])).attrU32(4, 99).attrU32(6, 99);
  w.end(xdp);
  const a = w.finish().slice();
  const b = errorMessage(0, { capped: true, text: "ok" });
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

// Everything a caller reads from a reply; the only failure allowed is a NetlinkFormatError.
function exercise(bytes: Uint8Array): void {
  for (const m of parseMessages(bytes)) {
    if (m.type === NlMsgType.error) {
      parseError(m.payload, m.flags);
      continue;
    }
    const attrs = parseAttrs(m.payload, Math.min(16, m.payload.length));
    attrString(attrs, 3);
    for (const [type, v] of attrs) {
      if (type === 43) {
        const inner = parseAttrs(v);
        attrU8(inner, 2);
        attrU32(inner, 4);
      } else if (v.length >= 4) attrU32(attrs, type);
    }
  }
}

function check(bytes: Uint8Array): void {
  try {
    exercise(bytes);
  } catch (e) {
    if (!(e instanceof NetlinkFormatError)) throw new Error(`non-NetlinkFormatError on ${hex(bytes.subarray(0, 64))}: ${e}`);
    expect(e.message).toMatch(/\(at offset \d+\)$/);
    expect(e.offset).toBeGreaterThanOrEqual(0);
  }
}

describe("netlink messages", () => {
  it("a request is laid out as struct nlmsghdr, the family header, then 4-byte aligned attributes", () => {
    // RTM_NEWQDISC clsact on ifindex 5, as tc qdisc add dev <5> clsact sends it.
    const w = new NlWriter(8); // small, so that the writer must grow
    w.start(36, NlmF.request | NlmF.ack | NlmF.create | NlmF.excl, 0x01020304)
      .u8(0).u8(0).u16(0).s32(5).u32(0xffff0000).u32(0xfffffff1).u32(0)
      .attrString(1, "clsact");
    const msg = w.finish();
    expect(msg.length).toBe(16 + 20 + 12);
    expect(hex(msg)).toBe(
      "30000000" + "2400" + "0506" + "04030201" + "00000000" + // len 48, type 36, flags 0x605, seq, pid
        "00000000" + "05000000" + "0000ffff" + "f1ffffff" + "00000000" + // tcmsg
        "0b000100" + "636c7361637400" + "00", // TCA_KIND "clsact\0", len 11, padded to 12
    );
  });

  it("nested attributes carry NLA_F_NESTED and a length covering what they hold; reading strips the flag", () => {
    const w = new NlWriter().start(19, NlmF.request, 1).u32(0).u32(0).u32(0).u32(0);
    const at = w.nest(43);
    w.attrS32(1, -1).attrU32(3, 2);
    w.end(at);
    const [m] = parseMessages(w.finish().slice());
    expect(m).toMatchObject({ type: 19, flags: NlmF.request, seq: 1, pid: 0 });
    const outer = parseAttrs(m.payload, 16);
    const raw = new DataView(m.payload.buffer, m.payload.byteOffset + 16);
    expect(raw.getUint16(0, true)).toBe(4 + 8 + 8);
    expect(raw.getUint16(2, true)).toBe(43 | NLA_F_NESTED);
    const inner = parseAttrs(outer.get(43)!);
    expect(new DataView(inner.get(1)!.buffer, inner.get(1)!.byteOffset).getInt32(0, true)).toBe(-1);
    expect(attrU32(inner, 3)).toBe(2);
    expect(attrU32(inner, 9)).toBeUndefined();
  });

  it("several messages in one datagram, each at its aligned length", () => {
    const ms = parseMessages(reply());
    expect(ms.map((m) => m.type)).toEqual([16, NlMsgType.error]);
    const attrs = parseAttrs(ms[0].payload, 16);
    expect(attrString(attrs, 3)).toBe("lo");
    expect(attrU32(attrs, 4)).toBe(65536);
    expect(attrU8(parseAttrs(attrs.get(43)!), 2)).toBe(2);
    expect(ms[1].offset % 4).toBe(0);
  });

  it("struct nlmsgerr: the errno, and the extended ack after the request copied back (or only its header when capped)", () => {
    for (const capped of [true, false]) {
      const [m] = parseMessages(errorMessage(17, { capped, reqLen: 44, text: "Exclusivity flag on, cannot modify", offs: 36 }));
      expect(parseError(m.payload, m.flags)).toEqual({
        errno: 17, message: "Exclusivity flag on, cannot modify", attrOffset: 36, requestType: 44, requestSeq: 7,
      });
    }
    const [ack] = parseMessages(errorMessage(0, { capped: true }));
    expect(parseError(ack.payload, ack.flags)).toEqual({ errno: 0, requestType: 44, requestSeq: 7 });
  });

  it("bytes cut short or lengths past the end are NetlinkFormatErrors naming the offset", () => {
    const r = reply();
    expect(() => parseMessages(r.subarray(0, 10))).toThrow(/10 bytes left, less than a message header \(at offset 0\)/);
    expect(() => parseMessages(r.subarray(0, r.length - 1))).toThrow(NetlinkFormatError);
    const bad = r.slice();
    new DataView(bad.buffer).setUint32(0, 8, true);
    expect(() => parseMessages(bad)).toThrow(/message length 8 is less than its header/);
    const [m] = parseMessages(r);
    const attrs = m.payload.slice();
    new DataView(attrs.buffer).setUint16(16, 200, true);
    expect(() => parseAttrs(attrs, 16)).toThrow(/attribute length 200 runs past the \d+ bytes left \(at offset 16\)/);
    const long = errorMessage(1, { capped: false, reqLen: 24, text: "x" });
    new DataView(long.buffer).setUint32(20, 4000, true); // the copied request's length
    const [e] = parseMessages(long);
    expect(() => parseError(e.payload, e.flags)).toThrow(/copies a request of 4000 bytes, more than it holds/);
  });

  it("fuzz: random bytes and mutated replies give only NetlinkFormatErrors", () => {
    const rnd = xorshift(14);
    const base = reply();
    const t0 = Date.now();
    for (let i = 0; i < 4000; i++) {
      let b: Uint8Array;
      if (i % 2) {
        b = new Uint8Array(rnd() % 160);
        for (let j = 0; j < b.length; j++) b[j] = rnd() & 0xff;
        // Mostly plausible headers: a length within the bytes, so the readers go past it.
        if (b.length >= 16 && rnd() % 4) new DataView(b.buffer).setUint32(0, 16 + (rnd() % (b.length - 15)), true);
        if (b.length >= 16 && rnd() % 2) new DataView(b.buffer).setUint16(4, [2, 3, 16][rnd() % 3], true);
      } else {
        b = base.slice();
        for (let n = 1 + (rnd() % 4); n > 0; n--) {
          const at = rnd() % b.length;
          if (rnd() % 5 === 0) b = b.subarray(0, at);
          else b[at] = rnd() % 2 ? rnd() & 0xff : b[at] ^ (1 << (rnd() % 8));
          if (b.length === 0) break;
        }
      }
      check(b);
    }
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});

describe("netlink socket", () => {
  const fds = libraryFds;

  it("RTM_GETLINK of the loopback is answered, then acknowledged; every fd is closed", () => {
    const before = fds();
    let name: string | undefined;
    {
      using sock = NetlinkSocket.open();
      const w = sock.request(18);
      w.u8(0).u8(0).u16(0).s32(1).u32(0).u32(0);
      sock.transact("RTM_GETLINK", (m) => {
        if (m.type === 16) name = attrString(parseAttrs(m.payload, 16), 3);
      });
      // The buffers are the socket's: a second request on it works the same.
      sock.request(18).u8(0).u8(0).u16(0).s32(1).u32(0).u32(0);
      sock.transact("RTM_GETLINK");
      expect(sock.closed).toBe(false);
      // The leak check sees a netlink socket (it skips only AF_UNIX ones, a runtime's own).
      expect(fds()).toBe(before + 1);
    }
    expect(name).toBe("lo");
    expect(fds()).toBe(before);
  });

  it("a refusal is a NetlinkError with the kernel's errno, naming the request", () => {
    using sock = NetlinkSocket.open();
    sock.request(18).u8(0).u8(0).u16(0).s32(0x7ffffff0).u32(0).u32(0);
    const e = thrown(() => sock.transact("RTM_GETLINK", undefined, "ifindex 2147483632"), NetlinkError);
    expect(e.errno).toBe(19); // ENODEV
    expect(e.request).toBe("RTM_GETLINK");
    expect(e.message).toMatch(/^netlink RTM_GETLINK: ENODEV: .*\[ifindex 2147483632\]/);
    sock.close();
    expect(() => sock.request(18)).toThrow(/netlink socket is closed/);
  });
});
