/**
 * XDP: a BPF_PROG_TYPE_XDP program on a network interface, run on every packet it receives
 * before the kernel allocates an skb. BPF_LINK_CREATE with BPF_XDP (Linux 5.9); on older kernels
 * (or when asked) through netlink's IFLA_XDP (xdp-netlink.ts), an Attachment that close() takes off.
 *
 * Interfaces are named as the calling thread's network namespace knows them: a name is resolved
 * with the SIOCGIFINDEX ioctl (what if_nametoindex(3) does), not through /sys/class/net, which
 * shows the namespace sysfs was mounted in - another one's after setns(2) without a remount.
 * @module
 */
import { AttachType, LinkType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { linkCreate } from "../cmd/link.ts";
import { BpfError, SyscallError } from "../errors.ts";
import { cString } from "../sys/attr.ts";
import { getBackend, keepAlive } from "../sys/backend.ts";
import { closeQuietly } from "../sys/file.ts";
import { syscallNumbers } from "../sys/nr.ts";
import { Sock, socket } from "../sys/socket.ts";
import { readTextFile } from "../sys/syscalls.ts";
import { NetlinkSocket } from "../sys/netlink.ts";
import { attachFailed, type BpfLink, ownLink, progFdOf, programText } from "./link.ts";
import { ATTACH_VERSIONS, kernelBelow, lacks } from "./needs.ts";
import type { ProgramRef } from "./socket-filter.ts";
import {
  queryXdpIndex, XDP_FLAGS_DRV_MODE, XDP_FLAGS_HW_MODE, XDP_FLAGS_MODES, XDP_FLAGS_SKB_MODE, type XdpQuery, xdpNetlinkAttach,
} from "./xdp-netlink.ts";

export {
  XDP_FLAGS_DRV_MODE, XDP_FLAGS_HW_MODE, XDP_FLAGS_MODES, XDP_FLAGS_REPLACE, XDP_FLAGS_SKB_MODE, XDP_FLAGS_UPDATE_IF_NOEXIST, type XdpQuery,
} from "./xdp-netlink.ts";

/** Where an XDP program runs: generic ("skb"), in the driver ("driver", native), or on the NIC ("hw"). */
export type XdpMode = "skb" | "driver" | "hw";

/** How attachXdp puts a program on an interface: "auto" makes a link, or through netlink on kernels without XDP links (before 5.9). */
export type XdpAttachVia = "auto" | "link" | "netlink";

/** Options of attachXdp. */
export interface XdpOptions {
  /**
   * "skb", "driver" or "hw", or XDP_FLAGS_* mode bits; omitted, the kernel picks native where
   * the driver has it, else generic.
   */
  mode?: XdpMode | number;
  /**
   * "auto" (default): an XDP link, else netlink's IFLA_XDP on kernels without one; "link" or
   * "netlink" force one way (forcing "netlink" tests the path of kernels before 5.9 on newer ones).
   */
  via?: XdpAttachVia;
  /**
   * Take the place of a program attached through netlink in that mode (XDP_FLAGS_UPDATE_IF_NOEXIST
   * left out), which only netlink can: with it, "auto" attaches through netlink. Default false:
   * refuse, as a link does.
   */
  replace?: boolean;
}

/** A network interface as a name ("veth0") in the calling thread's network namespace, or an ifindex. */
export type NetInterface = string | number;

const MODES: Readonly<Record<XdpMode, number>> = { skb: XDP_FLAGS_SKB_MODE, driver: XDP_FLAGS_DRV_MODE, hw: XDP_FLAGS_HW_MODE };

const SIOCGIFINDEX = 0x8933;
const IFNAMSIZ = 16;
const IFREQ_SIZE = 40; // struct ifreq on 64-bit: the name, then a 24-byte union (ifr_ifindex at 16)

/**
 * The index of network interface `name` in the calling thread's network namespace (SIOCGIFINDEX,
 * as if_nametoindex(3)); /sys/class/net/<name>/ifindex where no socket can be made. A
 * SyscallError ENODEV, saying so, when there is no such interface there.
 */
export function interfaceIndex(name: string): number {
  if (typeof name !== "string" || name === "" || name.includes("/")) {
    throw new TypeError(`interface name must be a non-empty string without "/", got ${JSON.stringify(name)}`);
  }
  const bytes = cString(name);
  if (bytes.length > IFNAMSIZ) throw new RangeError(`interface name ${JSON.stringify(name)} is longer than ${IFNAMSIZ - 1} bytes`);
  let fd: number;
  try {
    fd = socket(Sock.AF_INET, Sock.SOCK_DGRAM);
  } catch {
    return sysfsIndex(name); // no AF_INET here: sysfs, right unless the thread changed namespace
  }
  try {
    const req = new Uint8Array(new ArrayBuffer(IFREQ_SIZE));
    req.set(bytes);
    const b = getBackend();
    const rc = b.syscall(syscallNumbers(b.arch).ioctl, fd, SIOCGIFINDEX, b.address(req));
    keepAlive(req);
    if (rc < 0) throw noInterface(name, -rc);
    return new DataView(req.buffer).getInt32(16, true);
  } finally {
    closeQuietly(fd);
  }
}

function sysfsIndex(name: string): number {
  let text: string;
  try {
    text = readTextFile(`/sys/class/net/${name}/ifindex`);
  } catch (e) {
    throw e instanceof SyscallError && e.errno === Errno.ENOENT ? noInterface(name, Errno.ENODEV) : e;
  }
  return Number(text.trim());
}

function noInterface(name: string, errno: number): SyscallError {
  const e = new SyscallError("ioctl", errno, `SIOCGIFINDEX of interface "${name}"`);
  if (errno === Errno.ENODEV) e.message += `: no interface "${name}" in this thread's network namespace`;
  return e;
}

/** `iface` resolved: its ifindex and how messages name it ("veth0 (ifindex 5)", "ifindex 5"). */
export function resolveInterface(iface: NetInterface): { ifindex: number; text: string } {
  if (typeof iface === "number") {
    if (!Number.isInteger(iface) || iface <= 0 || iface > 0x7fffffff) throw new RangeError(`ifindex must be a positive integer, got ${iface}`);
    return { ifindex: iface, text: `ifindex ${iface}` };
  }
  if (typeof iface !== "string") throw new TypeError(`interface must be a name or an ifindex, got ${iface === null ? "null" : typeof iface}`);
  const ifindex = interfaceIndex(iface);
  return { ifindex, text: `${iface} (ifindex ${ifindex})` };
}

function modeFlags(mode: XdpMode | number | undefined): number {
  if (mode === undefined) return 0;
  if (typeof mode === "number") {
    if (!Number.isInteger(mode) || (mode & ~XDP_FLAGS_MODES) !== 0 || (mode & (mode - 1)) !== 0) {
      throw new RangeError(`XDP mode flags must be one of XDP_FLAGS_SKB_MODE, _DRV_MODE, _HW_MODE (or 0), got ${mode}`);
    }
    return mode;
  }
  const f = (MODES as Record<string, number>)[mode];
  if (f === undefined) throw new TypeError(`XDP mode must be "skb", "driver" or "hw", got ${JSON.stringify(mode)}`);
  return f;
}

function modeText(flags: number): string {
  return flags === XDP_FLAGS_SKB_MODE ? " in skb mode" : flags === XDP_FLAGS_DRV_MODE ? " in driver mode" : flags === XDP_FLAGS_HW_MODE ? " in hw mode" : "";
}

/**
 * Runs XDP program `prog` on every packet interface `iface` receives (libbpf's
 * bpf_program__attach_xdp): a BPF_XDP link, detached when closed. On kernels before 5.9 (or
 * with via "netlink", or replace) through netlink as libbpf's bpf_xdp_attach does: an Attachment
 * that close() takes off, if its program is still the one there.
 *
 * @example
 * ```ts
 * import { attachXdp } from "tsbpf";
 * using link = attachXdp(prog, "veth0", { mode: "skb" });
 * ```
 */
export function attachXdp(prog: ProgramRef, iface: NetInterface, opts: XdpOptions = {}): BpfLink {
  if (typeof opts !== "object" || opts === null) throw new TypeError(`attachXdp(prog, iface, { mode?, via?, replace? })`);
  const flags = modeFlags(opts.mode);
  const via = opts.via ?? "auto";
  if (via !== "auto" && via !== "link" && via !== "netlink") throw new TypeError(`via must be "auto", "link" or "netlink", got ${JSON.stringify(via)}`);
  if (opts.replace !== undefined && typeof opts.replace !== "boolean") throw new TypeError(`replace must be a boolean, got ${typeof opts.replace}`);
  if (opts.replace && via === "link") throw new TypeError("replace is a netlink mode that links do not have: use via \"auto\" or \"netlink\"");
  const progFd = progFdOf(prog);
  const target = resolveInterface(iface);
  const { ifindex, text } = target;
  const doing = `attaching ${programText(prog)} to XDP of ${text}${modeText(flags)}`;
  if (via !== "netlink" && !opts.replace) {
    try {
      return ownLink(linkCreate(progFd, ifindex, AttachType.xdp, { flags }), `xdp link of ${programText(prog)} on ${text}`, LinkType.xdp);
    } catch (e) {
      // Before 5.9 the attach type is unknown (before 5.7 the command too): EINVAL.
      const old = e instanceof BpfError && e.errno === Errno.EINVAL && kernelBelow(ATTACH_VERSIONS.xdp_link.version);
      if (!old) throw attachFailed(explain(e, flags), doing);
      if (via === "link") throw attachFailed(lacks("XDP bpf_links (via \"auto\" attaches through netlink instead)", "xdp_link", e), doing);
    }
  }
  return xdpNetlinkAttach(prog, progFd, target, flags, opts.replace ?? false, `${doing} through netlink`);
}

/**
 * What interface `iface` runs (RTM_GETLINK's IFLA_XDP, as `ip link` shows it): the mode and the
 * program id of each mode, whether a link or netlink put it there. Names resolve in the calling
 * thread's network namespace.
 */
export function queryXdp(iface: NetInterface): XdpQuery {
  const { ifindex } = resolveInterface(iface);
  using sock = NetlinkSocket.open();
  return queryXdpIndex(sock, ifindex);
}

function explain(e: unknown, flags: number): unknown {
  if (!(e instanceof BpfError)) return e;
  if (e.errno === Errno.EBUSY || e.errno === Errno.EEXIST) {
    e.message += "; the interface runs an XDP program in that mode already (one per mode: a link, or one set through netlink, e.g. by ip link)";
  } else if (flags === XDP_FLAGS_HW_MODE && (e.errno === Errno.EINVAL || e.errno === Errno.EOPNOTSUPP)) {
    // Offload takes a program loaded for that NIC (prog_ifindex); any other is EINVAL.
    e.message += "; hw mode needs a NIC that offloads XDP and a program loaded for offload to it";
  } else if (e.errno === Errno.EOPNOTSUPP && flags !== XDP_FLAGS_SKB_MODE) {
    e.message += "; the driver has no native XDP: mode \"skb\" runs anywhere";
  } else if (e.errno === Errno.ENODEV) {
    e.message += "; no interface of that index in this thread's network namespace";
  }
  return e;
}
