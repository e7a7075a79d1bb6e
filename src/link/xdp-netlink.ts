/**
 * XDP through netlink (IFLA_XDP of RTM_SETLINK, Linux 4.8; generic mode 4.12): how programs went
 * on interfaces before XDP bpf_links (5.9), and what `ip link set dev <iface> xdp` still does. The
 * attachment is no link: close() takes the program off again, only if it is still the one there
 * (XDP_FLAGS_REPLACE with IFLA_XDP_EXPECTED_FD from 5.7; a query of the program id before that).
 * queryXdp() reads what an interface runs (RTM_GETLINK), whichever way it was attached.
 * @module
 */
import { LinkType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { progInfoByFd } from "../cmd/info.ts";
import { NetlinkError, type NetlinkSocket } from "../sys/netlink.ts";
import { attrU32, attrU8, type NlMessage, parseAttrs } from "../sys/netlink-msg.ts";
import { type Attachment, type AttachmentOps, makeAttachment } from "./attachment.ts";
import { attachFailed, programText } from "./link.ts";
import { ATTACH_VERSIONS, kernelBelow, lacks } from "./needs.ts";
import { withNetlinkHold } from "./netlink-hold.ts";
import type { ProgramRef } from "./socket-filter.ts";

const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_SETLINK = 19;
const IFLA_EXT_MASK = 29;
const IFLA_XDP = 43;
const IFLA_XDP_FD = 1;
const IFLA_XDP_ATTACHED = 2;
const IFLA_XDP_FLAGS = 3;
const IFLA_XDP_PROG_ID = 4;
const IFLA_XDP_DRV_PROG_ID = 5;
const IFLA_XDP_SKB_PROG_ID = 6;
const IFLA_XDP_HW_PROG_ID = 7;
const IFLA_XDP_EXPECTED_FD = 8;
const RTEXT_FILTER_SKIP_STATS = 1 << 3;
const IFINFOMSG_SIZE = 16;

/** XDP_FLAGS_UPDATE_IF_NOEXIST: netlink attach only - fail if a program is attached already. */
export const XDP_FLAGS_UPDATE_IF_NOEXIST = 1;
/** XDP_FLAGS_SKB_MODE: generic XDP, run on the skb by the core (any interface, slowest). */
export const XDP_FLAGS_SKB_MODE = 2;
/** XDP_FLAGS_DRV_MODE: native XDP, run by the driver before the skb (drivers that implement it). */
export const XDP_FLAGS_DRV_MODE = 4;
/** XDP_FLAGS_HW_MODE: offloaded to the NIC (a few SmartNICs). */
export const XDP_FLAGS_HW_MODE = 8;
/** XDP_FLAGS_REPLACE: netlink attach only - replace the program given as expected (IFLA_XDP_EXPECTED_FD). */
export const XDP_FLAGS_REPLACE = 16;
/** XDP_FLAGS_MODES: the three mode bits, the only flags an XDP link takes. */
export const XDP_FLAGS_MODES: number = XDP_FLAGS_SKB_MODE | XDP_FLAGS_DRV_MODE | XDP_FLAGS_HW_MODE;

const UPDATE_IF_NOEXIST = XDP_FLAGS_UPDATE_IF_NOEXIST;
const SKB_MODE = XDP_FLAGS_SKB_MODE;
const DRV_MODE = XDP_FLAGS_DRV_MODE;
const HW_MODE = XDP_FLAGS_HW_MODE;
const REPLACE = XDP_FLAGS_REPLACE;

/** What an interface runs, as RTM_GETLINK's IFLA_XDP says: the mode and the program id of each mode (0 where none). */
export interface XdpQuery {
  /** XDP_ATTACHED_*: "none", "driver", "skb", "hw", or "multi" (more than one mode at once). */
  attached: "none" | "driver" | "skb" | "hw" | "multi";
  /** IFLA_XDP_PROG_ID: the program of the one mode attached (0 when none, or several). */
  progId: number;
  /** IFLA_XDP_DRV_PROG_ID: the native (driver) mode's program. */
  driverProgId: number;
  /** IFLA_XDP_SKB_PROG_ID: the generic (skb) mode's program. */
  skbProgId: number;
  /** IFLA_XDP_HW_PROG_ID: the offloaded program. */
  hwProgId: number;
}

const ATTACHED = ["none", "driver", "skb", "hw", "multi"] as const;

/** Appends struct ifinfomsg for `ifindex` (family AF_UNSPEC, nothing to change). */
function ifinfomsg(w: ReturnType<NetlinkSocket["request"]>, ifindex: number): void {
  w.u8(0).u8(0).u16(0).s32(ifindex).u32(0).u32(0);
}

/** RTM_SETLINK with IFLA_XDP: program `fd` (-1: none) in the mode of `flags`, replacing `expectedFd` when given. */
function setXdp(sock: NetlinkSocket, ifindex: number, fd: number, flags: number, expectedFd?: number): void {
  const w = sock.request(RTM_SETLINK);
  ifinfomsg(w, ifindex);
  const xdp = w.nest(IFLA_XDP);
  w.attrS32(IFLA_XDP_FD, fd);
  if (flags !== 0) w.attrU32(IFLA_XDP_FLAGS, flags);
  if (expectedFd !== undefined) w.attrS32(IFLA_XDP_EXPECTED_FD, expectedFd);
  w.end(xdp);
  sock.transact("RTM_SETLINK", undefined, `IFLA_XDP of ifindex ${ifindex}`);
}

/** RTM_GETLINK of `ifindex` through `sock`: its IFLA_XDP decoded. */
export function queryXdpIndex(sock: NetlinkSocket, ifindex: number): XdpQuery {
  const w = sock.request(RTM_GETLINK);
  ifinfomsg(w, ifindex);
  w.attrU32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  const out: XdpQuery = { attached: "none", progId: 0, driverProgId: 0, skbProgId: 0, hwProgId: 0 };
  sock.transact("RTM_GETLINK", (m: NlMessage) => {
    if (m.type !== RTM_NEWLINK || m.payload.length < IFINFOMSG_SIZE) return;
    const xdp = parseAttrs(m.payload, IFINFOMSG_SIZE).get(IFLA_XDP);
    if (xdp === undefined) return;
    const a = parseAttrs(xdp);
    out.attached = ATTACHED[attrU8(a, IFLA_XDP_ATTACHED) ?? 0] ?? "multi";
    out.progId = attrU32(a, IFLA_XDP_PROG_ID) ?? 0;
    out.driverProgId = attrU32(a, IFLA_XDP_DRV_PROG_ID) ?? (out.attached === "driver" ? out.progId : 0);
    out.skbProgId = attrU32(a, IFLA_XDP_SKB_PROG_ID) ?? (out.attached === "skb" ? out.progId : 0);
    out.hwProgId = attrU32(a, IFLA_XDP_HW_PROG_ID) ?? (out.attached === "hw" ? out.progId : 0);
  }, `ifindex ${ifindex}`);
  return out;
}

/** The program id `q` shows for the mode of `mode` flags (0 = the kernel's default: driver where it has one, else skb). */
function idInMode(q: XdpQuery, mode: number): number {
  if (mode === SKB_MODE) return q.skbProgId;
  if (mode === DRV_MODE) return q.driverProgId;
  if (mode === HW_MODE) return q.hwProgId;
  return q.driverProgId || q.skbProgId;
}

/**
 * Puts XDP program `progFd` on interface `ifindex` through netlink in the mode of `mode` flags
 * (0: the kernel's choice), refusing to replace a program there unless `replace`; an Attachment
 * whose close() takes it off again. `text` names the interface, `doing` the attach, in messages.
 */
export function xdpNetlinkAttach(
  prog: ProgramRef, progFd: number, target: { ifindex: number; text: string }, mode: number, replace: boolean, doing: string,
): Attachment {
  const { ifindex, text } = target;
  return withNetlinkHold(progFd, (h) => {
    setXdp(h.sock, ifindex, progFd, mode | (replace ? 0 : UPDATE_IF_NOEXIST));
    const s = h.sock;
    // From 5.7 the kernel checks the program it takes off is ours in the same request.
    const checked = !kernelBelow(ATTACH_VERSIONS.xdp_expected_fd.version);
    const ours = (fd: number, id: () => number): number | undefined => {
      if (checked) return fd;
      const now = idInMode(queryXdpIndex(s, ifindex), mode);
      if (now !== id()) throw new NetlinkError("RTM_SETLINK", Errno.EEXIST, undefined, `${text} runs program id ${now}, not ours`);
      return undefined;
    };
    let progId = h.progId;
    const ops: AttachmentOps = {
      detach: (fd) => {
        const expected = ours(fd, () => progId);
        setXdp(s, ifindex, -1, mode | (expected === undefined ? 0 : REPLACE), expected);
      },
      replace: (newFd, oldFd) => {
        const expected = ours(oldFd, () => progId);
        setXdp(s, ifindex, newFd, mode | (expected === undefined ? 0 : REPLACE), expected);
        progId = Number(progInfoByFd(newFd).id);
      },
      release: () => s.close(),
    };
    const modeText = mode === SKB_MODE ? "skb" : mode === DRV_MODE ? "driver" : mode === HW_MODE ? "hw" : "default";
    return makeAttachment({
      fd: h.fd, what: `xdp attachment (netlink, ${modeText} mode) of ${programText(prog)} on ${text}`, linkType: LinkType.xdp, via: "netlink",
      progFd: h.progFd, progId: h.progId, ops, linkNeeds: ATTACH_VERSIONS.xdp_link,
      info: (id) => ({ id: 0, progId: id, linkType: LinkType.xdp, type: "xdp", ifindex }),
    });
  }, (e) => attachFailed(explain(e, mode, replace), doing));
}

function explain(e: unknown, mode: number, replace: boolean): unknown {
  if (!(e instanceof NetlinkError)) return e;
  if (e.errno === Errno.EBUSY || e.errno === Errno.EEXIST) {
    e.message += replace
      ? "; the interface runs an XDP program attached by a bpf_link (which netlink cannot replace)"
      : "; the interface runs an XDP program in that mode already (replace: true takes its place, where no bpf_link holds it)";
  } else if (e.errno === Errno.EOPNOTSUPP && mode !== SKB_MODE) {
    e.message += "; the driver has no native XDP: mode \"skb\" runs anywhere";
  } else if (e.errno === Errno.EINVAL && mode === SKB_MODE && kernelBelow(ATTACH_VERSIONS.xdp_generic.version)) {
    return lacks("generic (skb mode) XDP", "xdp_generic", e);
  } else if ((e.errno === Errno.EINVAL || e.errno === Errno.EOPNOTSUPP) && kernelBelow(ATTACH_VERSIONS.xdp_netlink.version)) {
    return lacks("XDP", "xdp_netlink", e);
  } else if (e.errno === Errno.ENODEV) {
    e.message += "; no interface of that index in this thread's network namespace";
  }
  return e;
}
