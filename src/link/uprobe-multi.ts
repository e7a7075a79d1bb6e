/**
 * uprobe_multi links (BPF_TRACE_UPROBE_MULTI, 6.6): one link attaching a kprobe program to many
 * functions of one executable or shared library at once, by symbol or by file offset, in every
 * process or in one, each probe with a cookie of its own.
 * @module
 */
import { AttachType, LinkType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { BPF } from "../uapi/flags.gen.ts";
import { linkCreate } from "../cmd/link.ts";
import { BpfError } from "../errors.ts";
import { attachFailed, type BpfLink, ownLink, progFdOf, programText } from "./link.ts";
import { ATTACH_VERSIONS, kernelBelow, lacks } from "./needs.ts";
import type { ProgramRef } from "./socket-filter.ts";
import { checkPid, readExecutable, uprobeSymbol } from "./uprobe.ts";
import { binaryPath } from "./binary-path.ts";

/** Options of attachUprobeMulti: exactly one of `symbols`, `offsets`. */
export interface UprobeMultiOptions {
  /** Function symbols of the file ("malloc", "malloc@@GLIBC_2.2.5"), resolved to file offsets from its ELF symbols. */
  symbols?: readonly string[];
  /** File offsets of the probes. */
  offsets?: readonly (number | bigint)[];
  /** The process to probe: -1 (default) for every process mapping the file, 0 for this one, else a pid. */
  pid?: number;
  /** Return probes (BPF_F_UPROBE_MULTI_RETURN). */
  retprobe?: boolean;
  /** One cookie per probe, in the order given; bpf_get_attach_cookie() returns the one of the probe hit. */
  cookies?: readonly (number | bigint)[];
  /** One USDT semaphore file offset per probe (0 for none), counted up while the link exists. */
  refCtrOffsets?: readonly (number | bigint)[];
}

/**
 * One uprobe_multi link running kprobe program `prog` (loaded with attachType
 * AttachType.trace_uprobe_multi) on many functions of the file at `path` (libbpf's
 * bpf_program__attach_uprobe_multi); a bare `path` is looked up as attachUprobe does. A kernel without uprobe_multi (before 6.6, or without
 * CONFIG_UPROBES) throws a FeatureError.
 *
 * @example
 * ```ts
 * import { attachUprobeMulti } from "tsbpf";
 * using link = attachUprobeMulti(prog, "/usr/lib/x86_64-linux-gnu/libc.so.6", { symbols: ["malloc", "free"], cookies: [1, 2] });
 * ```
 */
export function attachUprobeMulti(prog: ProgramRef, path: string, opts: UprobeMultiOptions): BpfLink {
  if (typeof path !== "string" || path === "" || path.includes("\0")) throw new TypeError(`uprobe_multi path must be a file's path, got ${JSON.stringify(path)}`);
  if (typeof opts !== "object" || opts === null) throw new TypeError("attachUprobeMulti(prog, path, { symbols | offsets, pid?, retprobe?, cookies?, refCtrOffsets? })");
  if ((opts.symbols === undefined) === (opts.offsets === undefined)) throw new TypeError("attachUprobeMulti: give exactly one of symbols, offsets");
  const list: readonly unknown[] = opts.symbols ?? opts.offsets!;
  if (!Array.isArray(list)) throw new TypeError(`attachUprobeMulti: ${opts.symbols !== undefined ? "symbols" : "offsets"} must be an array`);
  const attachType = (prog as { attachType?: number }).attachType;
  if (typeof prog === "object" && attachType !== undefined && attachType !== AttachType.trace_uprobe_multi) {
    throw new TypeError(`${programText(prog)} was not loaded for uprobe_multi: load it with attachType: AttachType.trace_uprobe_multi`);
  }
  const pid = checkPid(opts.pid ?? -1, "uprobe_multi pid");
  const names = list.map((x) => (typeof x === "string" ? x : `0x${BigInt(x as number | bigint).toString(16)}`));
  const shown = `${names.slice(0, 3).join(",")}${names.length > 3 ? `,... (${names.length})` : ""}`;
  path = binaryPath(path);
  const what = `${opts.retprobe ? "return " : ""}uprobe_multi ${path}:${shown}${pid === -1 ? "" : ` (pid ${pid})`}`;
  const doing = `attaching ${programText(prog)} to ${what}`;
  if (list.length === 0) throw new RangeError(`${doing}: no probes given`);
  for (const [k, xs] of [["cookies", opts.cookies], ["refCtrOffsets", opts.refCtrOffsets]] as const) {
    if (xs !== undefined && (!Array.isArray(xs) || xs.length !== list.length)) throw new RangeError(`${doing}: ${k} must have one entry per probe (${list.length})`);
  }
  const progFd = progFdOf(prog);
  let offsets: readonly (number | bigint)[];
  try {
    if (opts.symbols !== undefined) {
      const elf = readExecutable(path);
      offsets = opts.symbols.map((s) => uprobeSymbol(elf, s).offset);
    } else {
      offsets = opts.offsets!;
    }
  } catch (e) {
    throw attachFailed(e, doing);
  }
  const uprobeMulti = {
    path, offsets, cookies: opts.cookies, refCtrOffsets: opts.refCtrOffsets, pid: pid === -1 ? 0 : pid,
    flags: opts.retprobe ? BPF.F_UPROBE_MULTI_RETURN : 0,
  };
  try {
    return ownLink(linkCreate(progFd, 0, AttachType.trace_uprobe_multi, { uprobeMulti }), `${what} link of ${programText(prog)}`, LinkType.uprobe_multi);
  } catch (e) {
    if (e instanceof BpfError) {
      // Without CONFIG_UPROBES the kernel knows the attach type but cannot probe: EOPNOTSUPP.
      if (e.errno === Errno.EOPNOTSUPP) throw attachFailed(lacks("uprobe_multi links", "uprobe_multi", e), doing);
      // Before 6.6 the attach type is unknown to BPF_LINK_CREATE: EINVAL.
      if (e.errno === Errno.EINVAL && kernelBelow(ATTACH_VERSIONS.uprobe_multi.version)) throw attachFailed(lacks("uprobe_multi links", "uprobe_multi", e), doing);
      if (e.errno === Errno.ESRCH) e.message += `; pid ${pid} is no running process`;
      else if (e.errno === Errno.ENOENT) e.message += `; does ${path} exist?`;
      else if (e.errno === Errno.EBADF) e.message += `; is ${path} a regular file?`;
      else if (e.errno === Errno.EINVAL) e.message += `; is every offset an instruction of ${path}'s code, and was the program loaded with attachType trace_uprobe_multi?`;
    }
    throw attachFailed(e, doing);
  }
}
