/**
 * cgroup programs: cgroup_skb, cgroup_sock, cgroup_sock_addr, sock_ops, cgroup_device,
 * cgroup_sysctl, cgroup_sockopt and lsm_cgroup programs on a cgroup v2 directory, run for the
 * processes in it and below. BPF_LINK_CREATE (Linux 5.7), else BPF_PROG_ATTACH with
 * BPF_F_ALLOW_MULTI (4.15; or BPF_F_ALLOW_OVERRIDE when asked) on kernels without cgroup links.
 *
 * Both ways give a CgroupLink, closed like any BpfLink. A PROG_ATTACH attachment is no kernel
 * object: it is the cgroup's, not the fd's - close() detaches it (BPF_PROG_DETACH of the program),
 * the GC does with a warning, but if the process dies first the program stays attached until the
 * cgroup is removed or someone detaches it. Its id is 0, it cannot be pinned, and info() is made
 * from what this object knows.
 * @module
 */
import { AttachType, LinkType } from "../uapi/enums.gen.ts";
import { AttachFlags } from "../uapi/flags.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { attachTypeName } from "../uapi/names.gen.ts";
import { checkFd } from "../cmd/args.ts";
import { close as closeFd } from "../cmd/fd.ts";
import { progInfoByFd } from "../cmd/info.ts";
import { linkCreate } from "../cmd/link.ts";
import { progAttach, progDetach } from "../cmd/prog.ts";
import { BpfError, FeatureError, SyscallError } from "../errors.ts";
import { getBackend } from "../sys/backend.ts";
import { admitFd } from "../sys/fd-reserve.ts";
import { openRead } from "../sys/file.ts";
import { syscallNumbers } from "../sys/nr.ts";
import { fdTarget, readTextFile } from "../sys/syscalls.ts";
import { warn } from "../util/warn.ts";
import type { BpfLinkInfo } from "./info.ts";
import { attachFailed, BpfLink, progFdOf, programText } from "./link.ts";
import { ATTACH_VERSIONS, kernelBelow, lacks } from "./needs.ts";
import type { ProgramRef } from "./socket-filter.ts";

/** How a program is put on a cgroup: "auto" makes a link, or on kernels without cgroup links (before 5.7) uses BPF_PROG_ATTACH. */
export type CgroupAttachVia = "auto" | "link" | "attach";

/** Options of attachCgroup. */
export interface CgroupOptions {
  /**
   * Further AttachFlags for the call made (AttachFlags.preorder, ...); BPF_PROG_ATTACH also gets
   * allow_multi, or allow_override with `override`.
   */
  flags?: number;
  /**
   * BPF_PROG_ATTACH with BPF_F_ALLOW_OVERRIDE instead of BPF_F_ALLOW_MULTI: the one program of
   * the cgroup, which a program attached below it replaces for its subtree. Links have no such
   * mode, so this attaches with BPF_PROG_ATTACH whatever the kernel.
   */
  override?: boolean;
  /**
   * "auto" (default): a cgroup link, else BPF_PROG_ATTACH on kernels without one; "link" or
   * "attach" force one way (forcing "attach" tests the path of kernels before 5.7 on newer ones).
   */
  via?: CgroupAttachVia;
}

// Attach types whose program type is a cgroup one (attach_type_to_prog_type in the kernel).
const CGROUP_TYPES = new Set<number>(Object.entries(AttachType)
  .filter(([name]) => name.startsWith("cgroup_") || name === "lsm_cgroup")
  .map(([, v]) => v));

interface Held {
  cgFd: number;
  progFd: number;
  type: number;
  what: string;
}

// A PROG_ATTACH attachment outlives every fd: one dropped without close() is detached here.
const attachments = new FinalizationRegistry<Held>((h) => {
  try {
    progDetach(h.cgFd, h.progFd, h.type);
  } catch {
    // detached by someone else meanwhile
  }
  for (const fd of [h.cgFd, h.progFd]) {
    try {
      closeFd(fd);
    } catch {
      // gone already
    }
  }
  warn(`${h.what} was garbage-collected without close(); detached its program now`);
});

/** F_DUPFD_CLOEXEC of `fd`: a copy this library owns, whatever the caller does with theirs. */
function dupFd(fd: number, what: string): number {
  const b = getBackend();
  const r = b.syscall(syscallNumbers(b.arch).fcntl, fd, 1030 /* F_DUPFD_CLOEXEC */, 0);
  if (r < 0) throw new SyscallError("fcntl", -r, `F_DUPFD_CLOEXEC of ${what} ${fd}`);
  return admitFd("fcntl", r);
}

/** The inode number of the file open on `fd` from its fdinfo (5.14+): a cgroup2 directory's is its cgroup id. 0n where not shown. */
function inodeOf(fd: number): bigint {
  try {
    const m = /^ino:\s*(\d+)/m.exec(readTextFile(`/proc/self/fdinfo/${fd}`));
    return m ? BigInt(m[1]) : 0n;
  } catch {
    return 0n;
  }
}

let make: (fd: number, what: string, held: Held | undefined, progId: number, cgroupId: bigint, type: number, flags: number) => CgroupLink;

/**
 * A program attached to a cgroup: a cgroup bpf_link where the kernel has one (`isBpfLink`), else
 * a BPF_PROG_ATTACH attachment that close() detaches. See the module's documentation for what differs.
 */
export class CgroupLink extends BpfLink {
  /** True when the kernel made a bpf_link (5.7+): it has an id, can be pinned, and detaches when its last fd closes. */
  readonly isBpfLink: boolean;
  /** The attach type (AttachType.cgroup_inet_egress, ...). */
  readonly attachType: number;
  /** The BPF_PROG_ATTACH flags it was attached with (AttachFlags.allow_multi or allow_override, ...); 0 for a link. */
  readonly attachFlags: number;
  readonly #held: Held | undefined;
  readonly #cgroupId: bigint;
  #progId: number;
  #attached: boolean;

  static {
    make = (fd, what, held, progId, cgroupId, type, flags) => new CgroupLink(fd, what, held, progId, cgroupId, type, flags);
  }

  private constructor(fd: number, what: string, held: Held | undefined, progId: number, cgroupId: bigint, type: number, flags: number) {
    super(fd, what, LinkType.cgroup);
    this.isBpfLink = held === undefined;
    this.attachType = type;
    this.attachFlags = flags;
    this.#held = held;
    this.#progId = progId;
    this.#cgroupId = cgroupId;
    this.#attached = held !== undefined;
    if (held) attachments.register(this, held, this);
  }

  /** The bpf_link's id; 0 for a BPF_PROG_ATTACH attachment, which is no kernel object of its own. */
  override get id(): number {
    return this.isBpfLink ? super.id : 0;
  }

  /**
   * The kernel's bpf_link_info; without a link, the same shape from what this object knows (the
   * cgroup id from the directory's inode, 0n on kernels before 5.14 that do not show it; progId 0
   * once detached).
   */
  override info(): BpfLinkInfo {
    if (this.isBpfLink) return super.info();
    this.fd; // throws once closed, as a link's info() does
    return { id: 0, progId: this.#attached ? this.#progId : 0, linkType: LinkType.cgroup, type: "cgroup", cgroupId: this.#cgroupId, attachType: this.attachType };
  }

  /** Pins the bpf_link; a FeatureError without one (a BPF_PROG_ATTACH attachment belongs to the cgroup, not to a file). */
  override pin(path: string): void {
    if (!this.isBpfLink) {
      throw new FeatureError("pinning a cgroup attachment", new Error(`${this.description} was made with BPF_PROG_ATTACH, not a bpf_link`), ATTACH_VERSIONS.cgroup_link);
    }
    super.pin(path);
  }

  /**
   * Swaps the program in place: BPF_LINK_UPDATE for a link; for a BPF_PROG_ATTACH one,
   * BPF_PROG_ATTACH with BPF_F_REPLACE (5.6) in allow_multi mode, or a plain re-attach in
   * override mode. With `oldProgram`, only if that is the program attached (else EPERM, as a link says).
   */
  override update(newProgram: ProgramRef, opts: { oldProgram?: ProgramRef } = {}): void {
    if (this.isBpfLink) return super.update(newProgram, opts);
    const h = this.#held!;
    const doing = `updating ${this.description} to ${programText(newProgram)}`;
    if (!this.#attached) throw new TypeError(`${doing}: it was detached`);
    const newFd = progFdOf(newProgram, "new program");
    try {
      if (opts.oldProgram !== undefined && Number(progInfoByFd(progFdOf(opts.oldProgram, "old program")).id) !== this.#progId) {
        throw new BpfError("prog_attach", Errno.EPERM, { context: `old program is not the one ${this.description} runs` });
      }
      const multi = (this.attachFlags & AttachFlags.allow_multi) !== 0;
      const copy = dupFd(newFd, "program fd");
      try {
        progAttach(h.cgFd, newFd, h.type, multi ? { flags: this.attachFlags | AttachFlags.replace, replaceFd: h.progFd } : { flags: this.attachFlags });
      } catch (e) {
        closeFd(copy);
        throw e;
      }
      closeFd(h.progFd);
      h.progFd = copy;
      this.#progId = Number(progInfoByFd(copy).id);
    } catch (e) {
      throw attachFailed(e, doing);
    }
  }

  /** Detaches the program now (BPF_LINK_DETACH, or BPF_PROG_DETACH) while the object stays open; close() still releases it. */
  override detach(): void {
    if (this.isBpfLink) return super.detach();
    if (!this.#attached) return;
    const h = this.#held!;
    try {
      progDetach(h.cgFd, h.progFd, h.type);
    } catch (e) {
      throw attachFailed(e, `detaching ${this.description}`);
    }
    this.#attached = false;
  }

  /** Closes the link; a BPF_PROG_ATTACH attachment is detached first (a failure there is a warning). Idempotent. */
  override close(): void {
    if (this.closed) return;
    const h = this.#held;
    if (h) {
      attachments.unregister(this);
      if (this.#attached) {
        this.#attached = false;
        try {
          progDetach(h.cgFd, h.progFd, h.type);
        } catch (e) {
          warn(`${this.description}: ${(e as Error).message}`);
        }
      }
      for (const fd of [h.cgFd, h.progFd]) closeFd(fd);
    }
    super.close();
  }
}

/**
 * Attaches cgroup program `prog` to cgroup v2 directory `cgroup` (a path, or an fd of it that
 * stays the caller's) as `attachType` (AttachType.cgroup_inet_egress, cgroup_inet4_connect, ...),
 * for every process in the cgroup and its descendants (libbpf's bpf_program__attach_cgroup).
 *
 * @example
 * ```ts
 * import { AttachType, attachCgroup } from "tsbpf";
 * using link = attachCgroup(prog, "/sys/fs/cgroup/app", AttachType.cgroup_inet_egress);
 * ```
 */
export function attachCgroup(prog: ProgramRef, cgroup: string | number, attachType: number, opts: CgroupOptions = {}): CgroupLink {
  if (typeof opts !== "object" || opts === null) throw new TypeError("attachCgroup(prog, cgroup, attachType, { flags?, override?, via? })");
  const via = opts.via ?? "auto";
  if (via !== "auto" && via !== "link" && via !== "attach") throw new TypeError(`via must be "auto", "link" or "attach", got ${JSON.stringify(via)}`);
  if (!CGROUP_TYPES.has(attachType)) {
    throw new TypeError(`${typeof attachType === "number" ? `${attachTypeName(attachType)} (${attachType})` : String(attachType)} is not a cgroup attach type`);
  }
  if (opts.override && via === "link") throw new TypeError("override is a BPF_PROG_ATTACH mode that links do not have: use via \"auto\" or \"attach\"");
  const extra = opts.flags ?? 0;
  if (!Number.isInteger(extra) || extra < 0 || (extra & (AttachFlags.allow_multi | AttachFlags.allow_override)) !== 0) {
    throw new RangeError(`flags must be further AttachFlags (allow_multi/allow_override are chosen by \`override\`), got ${extra}`);
  }
  const progFd = progFdOf(prog);
  const kind = attachTypeName(attachType);
  const where = typeof cgroup === "string" ? `cgroup ${cgroup}` : `cgroup fd ${cgroup}`;
  const doing = `attaching ${programText(prog)} as ${kind} to ${where}`;
  const what = `cgroup ${kind} link of ${programText(prog)} on ${where}`;
  let fd: number;
  try {
    fd = typeof cgroup === "string" ? openRead(cgroup, 0o200000 /* O_DIRECTORY */) : checkFd(cgroup, "cgroup fd");
  } catch (e) {
    throw attachFailed(e, doing);
  }
  const ours = typeof cgroup === "string";
  try {
    const target = fdTarget(fd);
    if (target !== null && target.startsWith("anon_inode:")) throw new TypeError(`${where} is ${target.slice(11)}, not a cgroup directory`);
    if (via !== "attach" && !opts.override) {
      try {
        const linkFd = linkCreate(progFd, fd, attachType, { flags: extra });
        return make(linkFd, what, undefined, 0, 0n, attachType, 0);
      } catch (e) {
        // Before 5.7 the command (and so every cgroup link) is unknown: EINVAL.
        const old = e instanceof BpfError && e.errno === Errno.EINVAL && kernelBelow(ATTACH_VERSIONS.cgroup_link.version);
        if (!old) throw e;
        if (via === "link") throw lacks(`a cgroup bpf_link for ${kind}`, "cgroup_link", e);
      }
    }
    const flags = extra | (opts.override ? AttachFlags.allow_override : AttachFlags.allow_multi);
    const cgFd = ours ? fd : dupFd(fd, "cgroup fd");
    let progCopy = -1, ownFd = -1, progId = 0;
    try {
      progCopy = dupFd(progFd, "program fd");
      ownFd = dupFd(cgFd, "cgroup fd");
      progId = Number(progInfoByFd(progCopy).id); // before the attach: nothing may fail after it
      progAttach(cgFd, progFd, attachType, { flags });
    } catch (e) {
      for (const f of [progCopy, ownFd, ours ? -1 : cgFd]) if (f >= 0) closeFd(f);
      throw e;
    }
    const mode = opts.override ? "override" : "multi";
    const attachment = `cgroup ${kind} attachment (BPF_PROG_ATTACH, ${mode}) of ${programText(prog)} on ${where}`;
    const held: Held = { cgFd: ownFd, progFd: progCopy, type: attachType, what: attachment };
    fd = -1; // the object owns cgFd now
    return make(cgFd, attachment, held, progId, inodeOf(cgFd), attachType, flags);
  } catch (e) {
    throw attachFailed(explain(e), doing);
  } finally {
    if (ours && fd >= 0) closeFd(fd);
  }
}

function explain(e: unknown): unknown {
  if (!(e instanceof BpfError)) return e;
  if (e.errno === Errno.EPERM && e.cmd === "prog_attach") {
    e.message += "; the cgroup has a program attached in another mode (override or exclusive) that this one cannot join";
  } else if (e.errno === Errno.EBADF || e.errno === Errno.ENOTDIR) {
    e.message += "; the target must be a cgroup v2 directory";
  }
  return e;
}
