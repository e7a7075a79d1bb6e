/**
 * Socket map programs: a BPF_PROG_TYPE_SK_SKB verdict or stream parser, or a BPF_PROG_TYPE_SK_MSG
 * verdict, on a BPF_MAP_TYPE_SOCKMAP or SOCKHASH, run for the sockets in that map (what they
 * receive; what they send, for sk_msg). A sockmap bpf_link (BPF_LINK_CREATE on the map, Linux
 * 6.10) where the kernel has one, else BPF_PROG_ATTACH to the map (4.14; sk_msg 4.17, sk_skb
 * verdict 5.13): an Attachment that close() detaches (BPF_PROG_DETACH).
 *
 * The kernel gives a socket the map's programs when the socket is added to the map: attach
 * first, then add the sockets. Detaching takes the program off the map, not off the sockets in
 * it already - they run it until they leave the map (delete them, or close them).
 * @module
 */
import { AttachType, LinkType, MapType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { attachTypeName } from "../uapi/names.gen.ts";
import { checkFd } from "../cmd/args.ts";
import { close as closeFd } from "../cmd/fd.ts";
import { mapInfoByFd } from "../cmd/info.ts";
import { linkCreate } from "../cmd/link.ts";
import { progAttach, progDetach, progQuery } from "../cmd/prog.ts";
import { BpfError } from "../errors.ts";
import { type AttachmentOps, dupFd, holdProgram, makeAttachment } from "./attachment.ts";
import { attachFailed, type BpfLink, ownLink, progFdOf, programText } from "./link.ts";
import { ATTACH_VERSIONS, type AttachFeature, kernelBelow, lacks } from "./needs.ts";
import type { ProgramRef } from "./socket-filter.ts";

/** The attach types of a socket map: sk_skb stream parser, stream verdict and verdict, and sk_msg verdict. */
export type SockMapAttachType =
  | typeof AttachType.sk_skb_stream_parser | typeof AttachType.sk_skb_stream_verdict | typeof AttachType.sk_skb_verdict
  | typeof AttachType.sk_msg_verdict;

/** How a program is put on a socket map: "auto" makes a link, or on kernels without sockmap links (before 6.10) uses BPF_PROG_ATTACH. */
export type SockMapAttachVia = "auto" | "link" | "attach";

/** Options of attachSockMap. */
export interface SockMapOptions {
  /**
   * "auto" (default): a sockmap link, else BPF_PROG_ATTACH on kernels without one; "link" or
   * "attach" force one way (forcing "attach" tests the path of kernels before 6.10 on newer ones).
   */
  via?: SockMapAttachVia;
}

/** A socket map as a BpfMap (or anything with an fd) or the fd itself. */
export type SockMapRef = number | { readonly fd: number };

const TYPES: Readonly<Record<number, AttachFeature>> = {
  [AttachType.sk_skb_stream_parser]: "sockmap",
  [AttachType.sk_skb_stream_verdict]: "sockmap",
  [AttachType.sk_skb_verdict]: "sk_skb_verdict",
  [AttachType.sk_msg_verdict]: "sk_msg",
};

/** How messages name the map: `sockmap "socks" (fd 7)`, `sockhash fd 7`. */
function mapText(map: SockMapRef, fd: number, type: number): string {
  const kind = type === MapType.sockhash ? "sockhash" : "sockmap";
  const name = typeof map === "object" && map !== null ? (map as { name?: unknown }).name : undefined;
  return typeof name === "string" && name !== "" ? `${kind} "${name}" (fd ${fd})` : `${kind} fd ${fd}`;
}

/**
 * Attaches `prog` to socket map `map` (a BpfMap of type sockmap or sockhash, or its fd, which
 * stays the caller's) as `attachType`: AttachType.sk_skb_stream_verdict, sk_skb_stream_parser,
 * sk_skb_verdict or sk_msg_verdict (libbpf's bpf_program__attach_sockmap, bpf_prog_attach). It
 * runs for sockets added to the map from then on; see the module's documentation.
 *
 * @example
 * ```ts
 * import { AttachType, attachSockMap } from "tsbpf";
 * using link = attachSockMap(verdict, socks, AttachType.sk_skb_verdict);
 * socks.set(0, socketFd); // after the attach: the socket gets the map's programs as it joins
 * ```
 */
export function attachSockMap(prog: ProgramRef, map: SockMapRef, attachType: SockMapAttachType, opts: SockMapOptions = {}): BpfLink {
  if (typeof opts !== "object" || opts === null) throw new TypeError("attachSockMap(prog, map, attachType, { via? })");
  const via = opts.via ?? "auto";
  if (via !== "auto" && via !== "link" && via !== "attach") throw new TypeError(`via must be "auto", "link" or "attach", got ${JSON.stringify(via)}`);
  const feature = TYPES[attachType as number];
  if (feature === undefined) {
    const name = typeof attachType === "number" ? `${attachTypeName(attachType)} (${attachType})` : String(attachType);
    throw new TypeError(`a socket map takes AttachType.sk_skb_stream_verdict, sk_skb_stream_parser, sk_skb_verdict or sk_msg_verdict, got ${name}`);
  }
  const progFd = progFdOf(prog);
  const mapFd = checkFd(typeof map === "number" ? map : map?.fd, "socket map fd");
  const mapType = Number(mapInfoByFd(mapFd).type);
  if (mapType !== MapType.sockmap && mapType !== MapType.sockhash) throw new TypeError(`map fd ${mapFd} is no sockmap or sockhash (map type ${mapType})`);
  const kind = attachTypeName(attachType);
  const where = mapText(map, mapFd, mapType);
  const doing = `attaching ${programText(prog)} as ${kind} to ${where}`;
  if (via !== "attach") {
    try {
      return ownLink(linkCreate(progFd, mapFd, attachType), `sockmap ${kind} link of ${programText(prog)} on ${where}`, LinkType.sockmap);
    } catch (e) {
      // Before 6.10 link_create knows no sk_skb or sk_msg program: EINVAL.
      const old = e instanceof BpfError && e.errno === Errno.EINVAL && kernelBelow(ATTACH_VERSIONS.sockmap_link.version);
      if (!old) throw attachFailed(explain(e, feature), doing);
      if (via === "link") throw attachFailed(lacks(`sockmap bpf_links for ${kind} (via "auto" uses BPF_PROG_ATTACH instead)`, "sockmap_link", e), doing);
    }
  }
  let held: { progFd: number; progId: number } | undefined;
  let target = -1, ownFd = -1;
  try {
    held = holdProgram(progFd);
    target = dupFd(mapFd, "map fd");
    ownFd = dupFd(mapFd, "map fd");
    refuseIfTaken(target, attachType, kind, where);
    progAttach(target, progFd, attachType);
  } catch (e) {
    for (const f of [held?.progFd ?? -1, target, ownFd]) if (f >= 0) closeFd(f);
    throw attachFailed(explain(e, feature), doing);
  }
  const t = target;
  const mapId = Number(mapInfoByFd(t).id);
  const ops: AttachmentOps = {
    detach: (fd) => progDetach(t, fd, attachType),
    // BPF_PROG_ATTACH over the map's program puts the new one in its place.
    replace: (newFd) => progAttach(t, newFd, attachType),
    release: () => closeFd(t),
  };
  return makeAttachment({
    fd: ownFd, what: `sockmap ${kind} attachment (BPF_PROG_ATTACH) of ${programText(prog)} on ${where}`, linkType: LinkType.sockmap, via: "prog_attach",
    progFd: held.progFd, progId: held.progId, ops, linkNeeds: ATTACH_VERSIONS.sockmap_link,
    info: (progId) => ({ id: 0, progId, linkType: LinkType.sockmap, type: "sockmap", mapId, attachType }),
  });
}

/**
 * BPF_PROG_ATTACH to a map puts its program in place of any other there, silently; a link would
 * be refused (EBUSY). Refuse the same where BPF_PROG_QUERY can tell (on a socket map, 5.18+).
 */
function refuseIfTaken(mapFd: number, attachType: number, kind: string, where: string): void {
  let count: number;
  try {
    count = progQuery(mapFd, attachType, { max: 1 }).count;
  } catch {
    return; // no query on socket maps here: the attach replaces what is there
  }
  if (count > 0) throw new BpfError("prog_attach", Errno.EBUSY, { context: `${where} has a ${kind} program already` });
}

function explain(e: unknown, feature: AttachFeature): unknown {
  if (!(e instanceof BpfError)) return e;
  // An attach type the kernel's socket maps do not know is EOPNOTSUPP (EINVAL before the prog type checks).
  if ((e.errno === Errno.EOPNOTSUPP || e.errno === Errno.EINVAL) && kernelBelow(ATTACH_VERSIONS[feature].version)) {
    return lacks(feature === "sk_msg" ? "sk_msg programs on socket maps" : feature === "sk_skb_verdict" ? "sk_skb_verdict programs" : "sk_skb programs on socket maps", feature, e);
  }
  if (e.errno === Errno.EBUSY) {
    e.message += "; the map has a program of that attach type (or the other verdict: stream_verdict and verdict exclude each other) already";
  } else if (e.errno === Errno.EOPNOTSUPP && feature === "sockmap") {
    e.message += "; stream parsers need a kernel built with CONFIG_BPF_STREAM_PARSER";
  } else if (e.errno === Errno.EINVAL) {
    e.message += "; is the program of type sk_skb (sk_msg for sk_msg_verdict)?";
  }
  return e;
}
