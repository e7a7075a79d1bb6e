/**
 * BPF iterators: a tracing program loaded for an iterator target (attachType trace_iter,
 * attachTo "task", "bpf_map", "bpf_map_elem", ...) made into a link (BPF_LINK_CREATE with
 * BPF_TRACE_ITER, 5.8), from which each BPF_ITER_CREATE opens a file: reading it runs the
 * program over the target's objects, and what the program writes (bpf_seq_write,
 * bpf_seq_printf) is what the read returns. Map element iterators (5.9) are given the map.
 * @module
 */
import { AttachType, LinkType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { iterCreate, linkCreate } from "../cmd/link.ts";
import { BpfError } from "../errors.ts";
import { FdObject } from "../fd-object.ts";
import { readToEnd } from "../sys/file.ts";
import { checkFd } from "../util/args.ts";
import { attachFailed, BpfLink, progFdOf, programText } from "./link.ts";
import { ATTACH_VERSIONS, kernelBelow, lacks } from "./needs.ts";
import type { ProgramRef } from "./socket-filter.ts";
import { utf8Text } from "../util/text.ts";

/** Options of attachIter. */
export interface IterAttachOptions {
  /** For map element iterators ("bpf_map_elem", "bpf_sk_storage_map", "sockmap"): the map (a BpfMap or its fd) to walk. */
  map?: number | { readonly fd: number };
}


// union bpf_iter_link_info: 16 bytes (its largest member, cgroup: order, cgroup_fd, cgroup_id); map.map_fd at 0.
const ITER_INFO_SIZE = 16;

/**
 * One run of an iterator: a file whose reads run the program and return what it wrote, until
 * the end (an empty read). Close it, or `using`; a new run takes a new open().
 */
export class BpfIterator extends FdObject {
  /** Takes ownership of iterator fd `fd`. */
  constructor(fd: number, what: string) {
    super(fd, what);
  }

  /** Iterators are no kernel objects of their own: 0. */
  get id(): number {
    return 0;
  }

  /** Reads to the end: all the program writes over the rest of the walk. */
  read(): Uint8Array {
    return readToEnd(this.fd, 4096, "iterator");
  }

  /** read(), decoded as UTF-8 (for programs that bpf_seq_printf text). */
  readText(): string {
    return utf8Text(this.read());
  }

  /** An iterator file cannot be pinned (pin its link instead): a TypeError. */
  override pin(_path: string): void {
    throw new TypeError("an iterator's file cannot be pinned; pin the IterLink, whose pin reads as a new run each time it is opened");
  }
}

let make: (fd: number, what: string) => IterLink;

/** An iterator link: each open() starts a walk; read() does one whole walk and returns its output. */
export class IterLink extends BpfLink {
  static {
    make = (fd, what) => new IterLink(fd, what);
  }

  private constructor(fd: number, what: string) {
    super(fd, what, LinkType.iter);
  }

  /** BPF_ITER_CREATE: a new run of the iterator, read with its read() and closed after. */
  open(): BpfIterator {
    try {
      return new BpfIterator(iterCreate(this.fd), `iterator of ${this.description}`);
    } catch (e) {
      throw attachFailed(e, `opening ${this.description}`);
    }
  }

  /** One whole run: opens, reads to the end, closes; the bytes the program wrote. */
  read(): Uint8Array {
    using it = this.open();
    return it.read();
  }

  /** read(), decoded as UTF-8. */
  readText(): string {
    return utf8Text(this.read());
  }
}

/**
 * Makes iterator program `prog` (loaded with attachType trace_iter and attachTo its target) a
 * link (libbpf's bpf_program__attach_iter); for map element iterators, over `opts.map`.
 *
 * @example
 * ```ts
 * import { AttachType, attachIter, BpfProgram, ProgType } from "tsbpf";
 * using prog = BpfProgram.load({ type: ProgType.tracing, attachType: AttachType.trace_iter, attachTo: "bpf_map_elem", insns });
 * using link = attachIter(prog, { map });
 * const bytes = link.read(); // what the program wrote for each element
 * ```
 */
export function attachIter(prog: ProgramRef, opts: IterAttachOptions = {}): IterLink {
  if (typeof opts !== "object" || opts === null) throw new TypeError("attachIter(prog, { map? })");
  const p = typeof prog === "object" && prog !== null ? (prog as { attachTo?: string }) : {};
  const target = p.attachTo?.replace(/^bpf_iter_/, "") ?? "its target";
  const progFd = progFdOf(prog);
  let iterInfo: Uint8Array | undefined;
  let mapText = "";
  if (opts.map !== undefined) {
    const mapFd = checkFd(typeof opts.map === "number" ? opts.map : opts.map?.fd, "map fd");
    iterInfo = new Uint8Array(new ArrayBuffer(ITER_INFO_SIZE));
    new DataView(iterInfo.buffer).setUint32(0, mapFd, true);
    mapText = ` over map fd ${mapFd}`;
  }
  const doing = `attaching ${programText(prog)} as iterator ${target}${mapText}`;
  try {
    const fd = linkCreate(progFd, 0, AttachType.trace_iter, iterInfo ? { iterInfo } : {});
    return make(fd, `iter link of ${programText(prog)} on ${target}${mapText}`);
  } catch (e) {
    throw attachFailed(explain(e, opts.map !== undefined), doing);
  }
}

function explain(e: unknown, map: boolean): unknown {
  if (!(e instanceof BpfError)) return e;
  if (e.errno === Errno.EINVAL && kernelBelow(ATTACH_VERSIONS.iter.version)) return lacks("BPF iterators", "iter", e);
  if (map && (e.errno === Errno.EINVAL || e.errno === Errno.E2BIG) && kernelBelow(ATTACH_VERSIONS.iter_map_elem.version)) {
    return lacks("map element iterators", "iter_map_elem", e);
  }
  // Without a map, 6.1 answers EBADF (the absent map fd 0) where newer kernels say EINVAL.
  if (e.errno === Errno.EACCES || e.errno === Errno.EINVAL || (!map && e.errno === Errno.EBADF)) {
    e.message += map ? "; does the target walk maps, and fit this map's type (bpf_map_elem: array and hash maps)?" : "; does the target need a map (bpf_map_elem: give map)?";
  }
  return e;
}
