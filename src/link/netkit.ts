/**
 * netkit: a BPF_PROG_TYPE_SCHED_CLS program on a netkit device pair (Linux 6.7, CONFIG_NETKIT),
 * run for what the primary device sends ("primary") or what its peer sends ("peer"), in a
 * multi-program list ordered as tcx's is. Both are attached through the primary device.
 * @module
 */
import { AttachType, LinkType, ProgType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { linkCreate } from "../cmd/link.ts";
import { BpfError } from "../errors.ts";
import { attachFailed, type BpfLink, ownLink, progFdOf, programText } from "./link.ts";
import { lacks } from "./needs.ts";
import type { ProgramRef } from "./socket-filter.ts";
import { anchorAttrs, explainMprog, type MultiProgOptions } from "./tcx.ts";
import { type NetInterface, resolveInterface } from "./xdp.ts";

/** Which device of the netkit pair the program runs for: the primary (host side) or its peer. */
export type NetkitSide = "primary" | "peer";

/**
 * Runs `prog` on the packets of netkit device `iface` ("primary") or of its peer ("peer"),
 * `iface` being the primary device either way (libbpf's bpf_program__attach_netkit).
 * Kernels without netkit (before 6.7, or built without CONFIG_NETKIT) say EINVAL: a FeatureError.
 *
 * @example
 * ```ts
 * import { attachNetkit } from "tsbpf";
 * using link = attachNetkit(prog, "nk0", "peer");
 * ```
 */
export function attachNetkit(prog: ProgramRef, iface: NetInterface, side: NetkitSide, opts: MultiProgOptions = {}): BpfLink {
  if (side !== "primary" && side !== "peer") throw new TypeError(`netkit side must be "primary" or "peer", got ${JSON.stringify(side)}`);
  const { flags, relative, text: where } = anchorAttrs(opts);
  const progFd = progFdOf(prog);
  const { ifindex, text } = resolveInterface(iface);
  const type = side === "primary" ? AttachType.netkit_primary : AttachType.netkit_peer;
  const doing = `attaching ${programText(prog)} to netkit ${side} of ${text}${where}`;
  try {
    return ownLink(linkCreate(progFd, ifindex, type, { flags, relative }), `netkit ${side} link of ${programText(prog)} on ${text}`, LinkType.netkit);
  } catch (e) {
    // Without CONFIG_NETKIT the kernel's stub says EINVAL whatever the attr: the build lacks it.
    // (A program of another type is refused with EINVAL before that: not the kernel's lack.)
    const type = typeof prog === "object" && prog !== null ? (prog as { type?: number }).type : undefined;
    const absent = e instanceof BpfError && e.errno === Errno.EINVAL && flags === 0 && (type === undefined || type === ProgType.sched_cls);
    if (absent) throw attachFailed(lacks("netkit links", "netkit", e), doing);
    if (e instanceof BpfError && e.errno === Errno.ENXIO) e.message += `; ${text} is not a netkit device`;
    if (e instanceof BpfError && e.errno === Errno.EACCES) e.message += "; give the primary device of the pair, for \"peer\" too";
    throw attachFailed(explainMprog(e, "netkit", "netkit links"), doing);
  }
}
