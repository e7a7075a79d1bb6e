/**
 * What is attached where: BPF_PROG_QUERY on a cgroup, a network interface (tcx, netkit), a
 * network namespace (flow dissector, sk_lookup) or any attach point's fd (a sockmap), as
 * `bpftool cgroup show` and `bpftool net` list them and cilium/ebpf's link.QueryPrograms does.
 * @module
 */
import { progQueryInto, type QueryCounts } from "../cmd/prog.ts";
import { BpfError } from "../errors.ts";
import { closeQuietly, openRead } from "../sys/file.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { QueryFlags } from "../uapi/flags.gen.ts";
import { attachTypeName } from "../uapi/names.gen.ts";
import { checkFd, u32Arg } from "../util/args.ts";
import { attachFailed } from "./link.ts";
import { type NetInterface, resolveInterface } from "./xdp.ts";

/** An attach point to query: exactly one of its keys. */
export type QueryTarget =
  | { /** A cgroup v2 directory: its path, or an fd of it that stays the caller's. */ cgroup: string | number }
  | { /** A network interface (tcx, netkit): its name or ifindex. */ interface: NetInterface }
  | { /** A network namespace (flow dissector, sk_lookup): a path such as /run/netns/blue, or an fd. */ netns: string | number }
  | { /** Any attach point's fd (a sockmap's for its verdicts): the caller's. */ fd: number };

/** Options of queryPrograms. */
export interface QueryOptions {
  /** BPF_F_QUERY_EFFECTIVE: a cgroup's effective programs, its ancestors' that run for it included. */
  effective?: boolean;
}

/** One attached program, as BPF_PROG_QUERY reports it. */
export interface AttachedProgram {
  /** The program's id (prog_ids). */
  readonly id: number;
  /** Its own attach flags (prog_attach_flags: cgroups 6.0+, tcx); undefined where the kernel says none. */
  readonly attachFlags?: number;
  /** The id of the link that holds it (link_ids: tcx, netkit), 0 for none; undefined where the kernel says none. */
  readonly linkId?: number;
}

/** What is attached at one attach point as one attach type. */
export interface AttachedPrograms {
  /** attach_flags: the attach point's own (a cgroup's mode: AttachFlags.allow_multi, allow_override, or 0). */
  readonly attachFlags: number;
  /** revision: the list's revision, which tcx and netkit attaches may expect (0n where there is none). */
  readonly revision: bigint;
  /** The programs, in the order they run. */
  readonly programs: readonly AttachedProgram[];
}

// Entries the kernel leaves as they were: it did not fill that array.
const UNSET = 0xffffffff;
// The most programs one attach point holds (BPF_CGROUP_MAX_PROGS, bpf_mprog's limit): one call suffices.
const FIRST_GUESS = 64;
const MAX_ROOM = 1 << 16;
// What a query may name besides prog_ids: 2 both arrays (link_ids came with tcx, 6.6), 1
// prog_attach_flags alone (6.0), 0 neither; a kernel's EINVAL for more than it knows is learned once.
let extrasKnown = 2;

/**
 * The programs attached to `target` as `attachType` (AttachType.cgroup_inet_egress, tcx_ingress,
 * flow_dissector, ...), with each one's attach flags and link where the kernel reports them.
 * Errors name the attach point and type.
 *
 * @example
 * ```ts
 * import { AttachType, queryPrograms } from "tsbpf";
 * const { programs } = queryPrograms({ cgroup: "/sys/fs/cgroup/app" }, AttachType.cgroup_inet_egress);
 * console.log(programs.map((p) => p.id));
 * ```
 */
export function queryPrograms(target: QueryTarget, attachType: number, opts: QueryOptions = {}): AttachedPrograms {
  if (typeof opts !== "object" || opts === null) throw new TypeError("queryPrograms(target, attachType, { effective? })");
  const type = u32Arg(attachType, "queryPrograms: attachType");
  if (opts.effective !== undefined && typeof opts.effective !== "boolean") throw new TypeError(`queryPrograms: effective must be a boolean, got ${typeof opts.effective}`);
  const { open, owned, text } = resolveTarget(target);
  const flags = opts.effective ? QueryFlags.query_effective : 0;
  const doing = `querying the ${attachTypeName(type)} programs of ${text}${opts.effective ? " (effective)" : ""}`;
  let fd = -1;
  try {
    fd = open();
    // The kernel refuses per-program flags with an effective query (they are the ancestors').
    return queryFd(fd, type, flags, opts.effective ? 0 : extrasKnown);
  } catch (e) {
    throw attachFailed(explain(e, opts.effective === true), doing);
  } finally {
    if (fd >= 0 && owned) closeQuietly(fd);
  }
}

// The kernel's EBADF and EINVAL say little here.
function explain(e: unknown, effective: boolean): unknown {
  if (!(e instanceof BpfError)) return e;
  if (e.errno === Errno.EBADF) {
    e.message += "; the target is not where that attach type attaches (a cgroup v2 directory for cgroup types, a netns for flow_dissector and sk_lookup, a sockmap or sockhash for its verdicts)";
  } else if (e.errno === Errno.EINVAL && effective) {
    e.message += "; effective lists are a cgroup's";
  }
  return e;
}

/** How to get the target's fd (or ifindex), whether that fd is ours to close, and its name for messages. */
function resolveTarget(target: QueryTarget): { open: () => number; owned: boolean; text: string } {
  if (typeof target !== "object" || target === null) throw new TypeError("queryPrograms: target must be { cgroup }, { interface }, { netns } or { fd }");
  const keys = Object.keys(target).filter((k) => (target as Record<string, unknown>)[k] !== undefined);
  if (keys.length !== 1 || !["cgroup", "interface", "netns", "fd"].includes(keys[0])) {
    throw new TypeError(`queryPrograms: target must have exactly one of cgroup, interface, netns, fd; got ${keys.length ? keys.join(", ") : "none"}`);
  }
  if ("interface" in target) {
    const { ifindex, text } = resolveInterface(target.interface);
    return { open: () => ifindex, owned: false, text };
  }
  if ("fd" in target) {
    const fd = checkFd(target.fd, "queryPrograms: target fd");
    return { open: () => fd, owned: false, text: `fd ${fd}` };
  }
  const [kind, where] = "cgroup" in target ? ["cgroup", target.cgroup] as const : ["netns", target.netns] as const;
  if (typeof where === "number") {
    const fd = checkFd(where, `queryPrograms: ${kind} fd`);
    return { open: () => fd, owned: false, text: `${kind} fd ${fd}` };
  }
  if (typeof where !== "string" || where === "" || where.includes("\0")) throw new TypeError(`queryPrograms: ${kind} must be a path or an fd, got ${JSON.stringify(where)}`);
  return { open: () => openRead(where, kind === "cgroup" ? 0o200000 /* O_DIRECTORY */ : 0), owned: true, text: `${kind} ${where}` };
}

function queryFd(fd: number, type: number, flags: number, level: number): AttachedPrograms {
  for (let room = FIRST_GUESS; ;) {
    const ids = new Uint32Array(room);
    const progFlags = level >= 1 ? new Uint32Array(room).fill(UNSET) : undefined;
    const linkIds = level >= 2 ? new Uint32Array(room).fill(UNSET) : undefined;
    let r: QueryCounts;
    try {
      r = progQueryInto(fd, type, flags, ids, progFlags, linkIds);
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      if (e.errno === Errno.ENOSPC && room < MAX_ROOM) {
        // More than `room` are attached (an effective list, or one that grew meanwhile): ask again.
        room *= 4;
        continue;
      }
      if (level > 0 && e.errno === Errno.EINVAL) {
        let back: AttachedPrograms;
        try {
          back = queryFd(fd, type, flags, level - 1);
        } catch {
          throw e;
        }
        // With less the same query works: the kernel predates the array dropped.
        extrasKnown = Math.min(extrasKnown, level - 1);
        return back;
      }
      throw e;
    }
    const n = Math.min(r.count, room);
    const programs: AttachedProgram[] = [];
    for (let i = 0; i < n; i++) {
      const p: { id: number; attachFlags?: number; linkId?: number } = { id: ids[i] };
      if (progFlags !== undefined && progFlags[i] !== UNSET) p.attachFlags = progFlags[i];
      if (linkIds !== undefined && linkIds[i] !== UNSET) p.linkId = linkIds[i];
      programs.push(p);
    }
    return { attachFlags: r.attachFlags, revision: r.revision, programs };
  }
}
