/**
 * BpfLink: an attachment of a program to a hook, owning one fd - a bpf_link (BPF_LINK_CREATE,
 * BPF_RAW_TRACEPOINT_OPEN) or, where the kernel has no link for it, the perf event or socket the
 * program is set on (PerfEventLink in perf-event.ts). Closing it detaches the program unless it
 * is pinned; `using` closes it too, and the GC does (with a warning) when nobody did.
 *
 * ```ts
 * using link = attachRawTracepoint(prog, "sys_enter");
 * link.info(); // { type: "raw_tracepoint", tpName: "sys_enter", ... }
 * ```
 * @module
 */
import { AttachFlags } from "../uapi/flags.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { linkTypeName } from "../uapi/names.gen.ts";
import { checkFd } from "../cmd/args.ts";
import { close as closeFd } from "../cmd/fd.ts";
import { linkGetFdById, linkGetNextId } from "../cmd/ids.ts";
import { linkDetach, linkUpdate } from "../cmd/link.ts";
import { objGet, type ObjOptions } from "../cmd/obj.ts";
import { BpfError } from "../errors.ts";
import { FdObject, pinHint } from "../fd-object.ts";
import { unlinkPath } from "../sys/path.ts";
import { fdTarget } from "../sys/syscalls.ts";
import { type BpfLinkInfo, linkInfo } from "./info.ts";
import type { ProgramRef } from "./socket-filter.ts";

/** The fd of a program given as a BpfProgram (or anything with an fd) or as the fd itself. */
export function progFdOf(prog: ProgramRef, what = "program"): number {
  if (typeof prog === "number") return checkFd(prog, `${what} fd`);
  if (typeof prog !== "object" || prog === null || !("fd" in prog)) {
    throw new TypeError(`${what} must be a BpfProgram or a program fd, got ${prog === null ? "null" : typeof prog}`);
  }
  return checkFd(prog.fd, `${what} fd`); // a closed BpfProgram throws here
}

/** How messages name a program: `program "counter" (fd 7)`, or `program fd 7`. */
export function programText(prog: ProgramRef): string {
  const name = typeof prog === "object" && prog !== null ? (prog as { name?: unknown }).name : undefined;
  const fd = typeof prog === "number" ? prog : (prog as { fd?: number } | null)?.fd;
  return typeof name === "string" && name !== "" ? `program "${name}" (fd ${fd})` : `program fd ${fd}`;
}

/**
 * Puts what an attach was doing in front of a failure's message - the program, the target, the
 * attach type - and returns the error (still a BpfError or SyscallError with its errno).
 */
export function attachFailed(e: unknown, doing: string): unknown {
  if (e instanceof Error && !e.message.startsWith(doing)) e.message = `${doing}: ${e.message}`;
  return e;
}

let make: (fd: number, what: string, type: number) => BpfLink;

/**
 * A link: a program attached to a hook for as long as the link exists (its fd is open, or it is
 * pinned). Opened from a pin, an id or an fd, or returned by the attach functions
 * (attachRawTracepoint, attachTracepoint, attachKprobe, attachTracing, ...).
 *
 * @example
 * ```ts
 * import { attachRawTracepoint, BpfLink } from "tsbpf";
 * const link = attachRawTracepoint(prog, "sys_enter");
 * link.pin("/sys/fs/bpf/counter");
 * link.close(); // the pinned link stays attached
 * using again = BpfLink.fromPin("/sys/fs/bpf/counter");
 * again.unpin(); // detached once `again` is closed
 * ```
 */
export class BpfLink extends FdObject {
  #id = 0;
  #type: number;
  #pinned: string | undefined;
  readonly #what: string;

  static {
    make = (fd, what, type) => new BpfLink(fd, what, type);
  }

  /** Takes ownership of `fd`; `type` is its LinkType when known, else 0 (read on first use). */
  protected constructor(fd: number, what: string, type = 0) {
    super(fd, what);
    this.#what = what;
    this.#type = type;
  }

  /**
   * BPF_OBJ_GET: opens the link pinned at `path` on a bpffs. NotFound (with a hint about the
   * bpffs) where nothing is pinned, a TypeError where a map or program is.
   */
  static fromPin(path: string, opts: ObjOptions = {}): BpfLink {
    let fd: number;
    try {
      fd = objGet(path, opts);
    } catch (e) {
      throw pinHint(e, path);
    }
    const link = BpfLink.#adopt(fd, `the object pinned at ${path}`, true);
    link.#pinned = path;
    return link;
  }

  /** BPF_LINK_GET_FD_BY_ID: opens link `id`. NotFound when there is none. */
  static fromId(id: number): BpfLink {
    return BpfLink.#adopt(linkGetFdById(id), `link ${id}`, true);
  }

  /** Takes ownership of link fd `fd`: close() closes it. A TypeError, leaving `fd` open, when it is not a link. */
  static fromFd(fd: number): BpfLink {
    return BpfLink.#adopt(checkFd(fd), `fd ${fd}`, false);
  }

  static #adopt(fd: number, where: string, ours: boolean): BpfLink {
    let info: BpfLinkInfo;
    try {
      const target = fdTarget(fd);
      // "bpf_link" until the kernel renamed the inode "bpf-link" (6.x), as maps and programs are named.
      if (target !== "anon_inode:bpf_link" && target !== "anon_inode:bpf-link") {
        const what = target === null ? "not an open fd" : target.startsWith("anon_inode:") ? target.slice(11) : target;
        throw new TypeError(`${where} is ${what}, not a BPF link`);
      }
      info = linkInfo(fd);
    } catch (e) {
      if (ours) closeFd(fd);
      throw e;
    }
    const link = new BpfLink(fd, `${linkTypeName(info.linkType)} link ${info.id}`, info.linkType);
    link.#id = info.id;
    return link;
  }

  /** Ids of every link on the system, ascending (BPF_LINK_GET_NEXT_ID). */
  static ids(): number[] {
    const ids: number[] = [];
    for (let id = linkGetNextId(0); id !== null; id = linkGetNextId(id)) ids.push(id);
    return ids;
  }

  /** Info of every link on the system, each opened just long enough to read it; links gone meanwhile are left out. */
  static list(): BpfLinkInfo[] {
    const out: BpfLinkInfo[] = [];
    for (const id of BpfLink.ids()) {
      let fd: number;
      try {
        fd = linkGetFdById(id);
      } catch (e) {
        if (e instanceof BpfError && e.errno === Errno.ENOENT) continue;
        throw e;
      }
      try {
        out.push(linkInfo(fd));
      } finally {
        closeFd(fd);
      }
    }
    return out;
  }

  /** The link's kernel id (read once, on first use). */
  get id(): number {
    if (this.#id === 0) this.#id = this.info().id;
    return this.#id;
  }

  /** The link's LinkType value. */
  get type(): number {
    if (this.#type === 0) this.#type = this.info().linkType;
    return this.#type;
  }

  /** What the link is, for messages ("raw_tracepoint link of program \"counter\" (fd 7) on sys_enter"). */
  get description(): string {
    return this.#what;
  }

  /** The path this object pinned the link at, or opened it from; undefined when none. */
  get pinnedPath(): string | undefined {
    return this.#pinned;
  }

  /** BPF_OBJ_GET_INFO_BY_FD: what the kernel says of the link now, decoded for its type. */
  info(): BpfLinkInfo {
    return linkInfo(this.fd);
  }

  /** Pins the link at `path` on a bpffs: it stays attached after close() and after this process exits. */
  override pin(path: string): void {
    super.pin(path);
    this.#pinned = path;
  }

  /**
   * Removes the pin at `path` (default: where this object pinned the link, or opened it from).
   * The link is detached once no fd and no pin hold it.
   */
  unpin(path: string | undefined = this.#pinned): void {
    if (path === undefined) throw new TypeError(`${this.#what} was not pinned by this object: give the pin path to unpin`);
    unlinkPath(path);
    if (path === this.#pinned) this.#pinned = undefined;
  }

  /**
   * BPF_LINK_UPDATE: replaces the link's program with `newProgram` in place (no moment without a
   * program); with `oldProgram`, only if that is the one attached (AttachFlags.replace). Link types
   * without an update in the kernel (raw tracepoint, tracing, perf event) refuse with EINVAL or EOPNOTSUPP.
   */
  update(newProgram: ProgramRef, opts: { oldProgram?: ProgramRef } = {}): void {
    const newFd = progFdOf(newProgram, "new program");
    const oldFd = opts.oldProgram === undefined ? undefined : progFdOf(opts.oldProgram, "old program");
    try {
      linkUpdate(this.fd, newFd, oldFd === undefined ? {} : { flags: AttachFlags.replace, oldProgFd: oldFd });
    } catch (e) {
      const cannot = e instanceof BpfError && (e.errno === Errno.EOPNOTSUPP || e.errno === Errno.EINVAL)
        ? ` (${linkTypeName(this.type)} links may not support BPF_LINK_UPDATE)` : "";
      throw attachFailed(e, `updating ${this.#what} to ${programText(newProgram)}${cannot}`);
    }
  }

  /**
   * BPF_LINK_DETACH (5.9+): detaches the program while the fd stays open (the link then reads as
   * defunct; close() still releases it). Link types without a detach in the kernel say EOPNOTSUPP.
   */
  detach(): void {
    try {
      linkDetach(this.fd);
    } catch (e) {
      const cannot = e instanceof BpfError && e.errno === Errno.EOPNOTSUPP ? ` (${linkTypeName(this.type)} links have no BPF_LINK_DETACH: close it instead)` : "";
      throw attachFailed(e, `detaching ${this.#what}${cannot}`);
    }
  }
}

/** A BpfLink owning `fd`, a link this process just made; `what` names it in messages. */
export function ownLink(fd: number, what: string, type = 0): BpfLink {
  return make(fd, what, type);
}
