/**
 * Attachments that are no bpf_link: a program put on its hook the way kernels did before links
 * (BPF_PROG_ATTACH to a socket map or a network namespace, netlink for XDP and tc), shaped as a
 * BpfLink so that callers need not care which way a kernel took - as cgroup.ts's CgroupLink is
 * for BPF_PROG_ATTACH on cgroups.
 *
 * Such an attachment belongs to its hook, not to an fd: close() detaches it (and `using` does),
 * the GC does with a warning, but when the process dies first the program stays attached until
 * someone detaches it or the hook goes (the interface, the map, the namespace). Its id is 0, it
 * cannot be pinned, and info() is made from what the object knows. It holds a copy of the
 * program's fd (the kernel needs it to detach the right one) and of the target's.
 * @module
 */
import { close as closeFd } from "../cmd/fd.ts";
import { progInfoByFd } from "../cmd/info.ts";
import { BpfError, FeatureError, type FeatureNeeds, SyscallError } from "../errors.ts";
import { getBackend } from "../sys/backend.ts";
import { admitFd } from "../sys/fd-reserve.ts";
import { syscallNumbers } from "../sys/nr.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { warn } from "../util/warn.ts";
import type { BpfLinkInfo } from "./info.ts";
import { attachFailed, BpfLink, progFdOf, programText } from "./link.ts";
import type { ProgramRef } from "./socket-filter.ts";

/** How an attachment that is no bpf_link was made: BPF_PROG_ATTACH, or a netlink request (XDP, tc). */
export type AttachmentVia = "prog_attach" | "netlink";

/** What an attach function gives its attachment: how to detach, swap and release. */
export interface AttachmentOps {
  /** Detaches program `progFd` from the hook (BPF_PROG_DETACH, a netlink delete); throws on failure. */
  detach(progFd: number): void;
  /** Puts `newFd` on the hook in place of `oldFd`, in one step where the kernel can; absent where it cannot. */
  replace?(newFd: number, oldFd: number): void;
  /** Closes what the attachment holds besides the program copy (the target's fd, a netlink socket). */
  release(): void;
  /** Why detaching cannot work from the calling thread now (it is in another network namespace), or null. */
  blocked?(): string | null;
}

interface Held {
  what: string;
  progFd: number;
  attached: boolean;
  ops: AttachmentOps;
}

// An attachment outlives every fd: one dropped without close() is detached here.
const attachments = new FinalizationRegistry<Held>((h) => {
  let why: string | null = null;
  if (h.attached) {
    try {
      why = h.ops.blocked?.() ?? null;
      if (why === null) h.ops.detach(h.progFd);
    } catch {
      // detached by someone else meanwhile, or its hook is gone
    }
  }
  try {
    h.ops.release();
    closeFd(h.progFd);
  } catch {
    // gone already
  }
  warn(why === null ? `${h.what} was garbage-collected without close(); detached its program now` : `${h.what} was garbage-collected without close() and stays attached: ${why}`);
});

/** F_DUPFD_CLOEXEC of `fd`: a copy this library owns, whatever the caller does with theirs. */
export function dupFd(fd: number, what: string): number {
  const b = getBackend();
  const r = b.syscall(syscallNumbers(b.arch).fcntl, fd, 1030 /* F_DUPFD_CLOEXEC */, 0);
  if (r < 0) throw new SyscallError("fcntl", -r, `F_DUPFD_CLOEXEC of ${what} ${fd}`);
  return admitFd("fcntl", r);
}

/** What an attachment is made of: given by the attach function once the program is on its hook. */
export interface AttachmentParts {
  /** The object's own fd (a copy of the target's: the socket map, the namespace, the netlink socket). */
  fd: number;
  /** How messages name it. */
  what: string;
  /** Its LinkType where one describes it (xdp, netns, sockmap), else 0. */
  linkType: number;
  /** How it was made. */
  via: AttachmentVia;
  /** The program copy it holds (a dup of the caller's fd), and that program's id. */
  progFd: number;
  /** The id of that program. */
  progId: number;
  /** Detach, replace, release. */
  ops: AttachmentOps;
  /** info() from the program id now attached (0 once detached). */
  info: (progId: number) => BpfLinkInfo;
  /** The bpf_link feature a pin would need: what pin() names. */
  linkNeeds: FeatureNeeds;
}

let make: (p: AttachmentParts) => Attachment;

/**
 * A program attached without a bpf_link (`isBpfLink` false): through BPF_PROG_ATTACH or netlink,
 * on kernels that have no link for the hook or when asked. A BpfLink in shape; see the module's
 * documentation for what differs.
 */
export class Attachment extends BpfLink {
  /** Always false: the kernel made no bpf_link (no id, no pin; it stays attached if the process dies). */
  readonly isBpfLink: false = false;
  /** How it was made: "prog_attach" or "netlink". */
  readonly via: AttachmentVia;
  readonly #held: Held;
  readonly #info: (progId: number) => BpfLinkInfo;
  readonly #needs: FeatureNeeds;
  #progId: number;

  static {
    make = (p) => new Attachment(p);
  }

  /** Takes ownership of `p.fd`, `p.progFd` and what `p.ops` releases. */
  protected constructor(p: AttachmentParts) {
    super(p.fd, p.what, p.linkType);
    this.via = p.via;
    this.#held = { what: p.what, progFd: p.progFd, attached: true, ops: p.ops };
    this.#info = p.info;
    this.#needs = p.linkNeeds;
    this.#progId = p.progId;
    attachments.register(this, this.#held, this);
  }

  /** 0: an attachment is no kernel object of its own. */
  override get id(): number {
    return 0;
  }

  /** True until detach() or close() took the program off its hook. */
  get attached(): boolean {
    return this.#held.attached;
  }

  /** The same shape as a link's info, from what this object knows (progId 0 once detached). */
  override info(): BpfLinkInfo {
    this.fd; // throws once closed, as a link's info() does
    return this.#info(this.#held.attached ? this.#progId : 0);
  }

  /** A FeatureError: an attachment belongs to its hook, not to a file. */
  override pin(_path: string): void {
    throw new FeatureError(`pinning ${this.description}`, new Error(`it was made with ${this.via === "netlink" ? "netlink" : "BPF_PROG_ATTACH"}, not a bpf_link`), this.#needs);
  }

  /**
   * Swaps the program in place (where the kernel can in one step: a netlink replace, a
   * BPF_PROG_ATTACH over the old one); with `oldProgram`, only if that is the one attached (else
   * EPERM, as a link says).
   */
  override update(newProgram: ProgramRef, opts: { oldProgram?: ProgramRef } = {}): void {
    const h = this.#held;
    const doing = `updating ${this.description} to ${programText(newProgram)}`;
    if (!h.attached) throw new TypeError(`${doing}: it was detached`);
    if (h.ops.replace === undefined) throw new TypeError(`${doing}: this kind of attachment has no update; detach it and attach anew`);
    const newFd = progFdOf(newProgram, "new program");
    try {
      if (opts.oldProgram !== undefined && Number(progInfoByFd(progFdOf(opts.oldProgram, "old program")).id) !== this.#progId) {
        throw new BpfError("prog_attach", Errno.EPERM, { context: `old program is not the one ${this.description} runs` });
      }
      const copy = dupFd(newFd, "program fd");
      let id: number;
      try {
        id = Number(progInfoByFd(copy).id);
        h.ops.replace(copy, h.progFd);
      } catch (e) {
        closeFd(copy);
        throw e;
      }
      closeFd(h.progFd);
      h.progFd = copy;
      this.#progId = id;
    } catch (e) {
      throw attachFailed(e, doing);
    }
  }

  /** Detaches the program now while the object stays open; close() still releases it. Idempotent. */
  override detach(): void {
    const h = this.#held;
    if (!h.attached) return;
    const doing = `detaching ${this.description}`;
    const why = h.ops.blocked?.() ?? null;
    if (why !== null) throw new TypeError(`${doing}: ${why}`);
    try {
      h.ops.detach(h.progFd);
    } catch (e) {
      throw attachFailed(e, doing);
    }
    h.attached = false;
  }

  /** Detaches the program (a failure there is a warning) and closes what the object holds. Idempotent. */
  override close(): void {
    if (this.closed) return;
    const h = this.#held;
    attachments.unregister(this);
    if (h.attached) {
      h.attached = false;
      try {
        const why = h.ops.blocked?.() ?? null;
        if (why !== null) throw new Error(`stays attached: ${why}`);
        h.ops.detach(h.progFd);
      } catch (e) {
        warn(`${this.description}: ${(e as Error).message}`);
      }
    }
    try {
      h.ops.release();
    } finally {
      closeFd(h.progFd);
      super.close();
    }
  }
}

/** An Attachment of `p`'s parts: called by the attach functions once the program is on its hook. */
export function makeAttachment(p: AttachmentParts): Attachment {
  return make(p);
}

/**
 * The program copy and id an attachment holds: a dup of `progFd` and its id, read before the
 * attach so that nothing can fail after it. The caller closes the copy if the attach fails.
 */
export function holdProgram(progFd: number): { progFd: number; progId: number } {
  const copy = dupFd(progFd, "program fd");
  try {
    return { progFd: copy, progId: Number(progInfoByFd(copy).id) };
  } catch (e) {
    closeFd(copy);
    throw e;
  }
}
