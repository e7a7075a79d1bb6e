/**
 * kprobe_multi links (BPF_TRACE_KPROBE_MULTI, 5.18, built on fprobe: CONFIG_FPROBE): one link
 * attaching a kprobe program to many kernel functions at once, by name, by address, or by a
 * glob over the functions ftrace can trace (available_filter_functions, else /proc/kallsyms).
 * @module
 */
import { AttachType, LinkType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { BPF } from "../uapi/flags.gen.ts";
import { linkCreate } from "../cmd/link.ts";
import { BpfError } from "../errors.ts";
import { closeQuietly, openRead, readToEnd } from "../sys/file.ts";
import { readTracefs, tracefsHas } from "../sys/tracefs.ts";
import { cStringAt } from "../util/text.ts";
import { attachFailed, type BpfLink, ownLink, progFdOf, programText } from "./link.ts";
import { kernelBelow, lacks } from "./needs.ts";
import type { ProgramRef } from "./socket-filter.ts";

/** Options of attachKprobeMulti: exactly one of `symbols`, `pattern`, `addresses`. */
export interface KprobeMultiOptions {
  /** Kernel function names. */
  symbols?: readonly string[];
  /** A glob ("tcp_*", "vfs_rea?") over the functions ftrace can trace. */
  pattern?: string;
  /** Kernel addresses (as /proc/kallsyms shows them to root). */
  addresses?: readonly (number | bigint)[];
  /** Return probes (BPF_F_KPROBE_MULTI_RETURN). */
  retprobe?: boolean;
  /** One cookie per function, in the order given (for a pattern: the order kprobeMultiSymbols returns). */
  cookies?: readonly (number | bigint)[];
}

/** The most functions one link may probe (MAX_KPROBE_MULTI_CNT). */
export const MAX_KPROBE_MULTI: number = 1 << 20;

/** Whether `name` matches glob `pattern`: `*` any run of characters, `?` any one, as libbpf's glob_match. */
export function globMatch(pattern: string, name: string): boolean {
  let p = 0, n = 0, star = -1, mark = 0;
  while (n < name.length) {
    if (p < pattern.length && (pattern[p] === "?" || pattern[p] === name[n])) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      mark = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

function kallsymsText(): string[] {
  const fd = openRead("/proc/kallsyms");
  try {
    const out: string[] = [];
    for (const line of cStringAt(readToEnd(fd, 0, "/proc/kallsyms")).split("\n")) {
      const [, type, name] = line.split(/\s+/);
      if (type === "t" || type === "T") out.push(name);
    }
    return out;
  } finally {
    closeQuietly(fd);
  }
}

/**
 * The kernel functions `pattern` matches, each once, in the order the kernel lists them: from
 * tracefs available_filter_functions (what fprobe can attach to), else /proc/kallsyms's text
 * symbols. Module functions appear by name alone.
 */
export function kprobeMultiSymbols(pattern: string): string[] {
  if (typeof pattern !== "string" || pattern === "") throw new TypeError(`kprobe_multi pattern must be a non-empty glob, got ${JSON.stringify(pattern)}`);
  let names: string[] | undefined;
  try {
    if (tracefsHas("available_filter_functions")) names = readTracefs("available_filter_functions").split("\n").map((l) => l.split(/\s/)[0]);
  } catch {
    // No tracefs to be had, or lockdown refuses the list (EPERM): kallsyms it is.
  }
  names ??= kallsymsText();
  const seen = new Set<string>();
  for (const n of names) {
    // Functions ftrace dropped at boot are listed under this placeholder name.
    if (n !== "" && !n.startsWith("__ftrace_invalid_address__") && globMatch(pattern, n)) seen.add(n);
  }
  return [...seen];
}

/**
 * One kprobe_multi link running kprobe program `prog` (loaded with attachType
 * AttachType.trace_kprobe_multi) on many functions (libbpf's bpf_program__attach_kprobe_multi_opts).
 * A kernel without kprobe_multi (before 5.18, or without CONFIG_FPROBE) throws a FeatureError.
 *
 * @example
 * ```ts
 * import { attachKprobeMulti } from "tsbpf";
 * using link = attachKprobeMulti(prog, { pattern: "vfs_read*" });
 * ```
 */
export function attachKprobeMulti(prog: ProgramRef, opts: KprobeMultiOptions): BpfLink {
  if (typeof opts !== "object" || opts === null) throw new TypeError("attachKprobeMulti(prog, { symbols | pattern | addresses, retprobe?, cookies? })");
  const given = [opts.symbols, opts.pattern, opts.addresses].filter((x) => x !== undefined).length;
  if (given !== 1) throw new TypeError(`attachKprobeMulti: give exactly one of symbols, pattern, addresses (got ${given})`);
  const attachType = (prog as { attachType?: number }).attachType;
  if (typeof prog === "object" && attachType !== undefined && attachType !== AttachType.trace_kprobe_multi) {
    throw new TypeError(`${programText(prog)} was not loaded for kprobe_multi: load it with attachType: AttachType.trace_kprobe_multi`);
  }
  const target = opts.pattern !== undefined ? `kprobe_multi ${opts.pattern}` : opts.symbols !== undefined
    ? `kprobe_multi ${opts.symbols.slice(0, 3).join(", ")}${opts.symbols.length > 3 ? `, ... (${opts.symbols.length})` : ""}`
    : `kprobe_multi at ${opts.addresses!.length} addresses`;
  const what = `${opts.retprobe ? "return " : ""}${target}`;
  const doing = `attaching ${programText(prog)} to ${what}`;
  const progFd = progFdOf(prog);
  let syms = opts.symbols;
  if (opts.pattern !== undefined) {
    try {
      syms = kprobeMultiSymbols(opts.pattern);
    } catch (e) {
      throw attachFailed(e, doing);
    }
    if (syms.length === 0) throw new Error(`${doing}: no traceable kernel function matches ${JSON.stringify(opts.pattern)}`);
  }
  const cnt = syms?.length ?? opts.addresses!.length;
  if (cnt === 0) throw new RangeError(`${doing}: no functions given`);
  if (cnt > MAX_KPROBE_MULTI) throw new RangeError(`${doing}: ${cnt} functions, more than one link may probe (${MAX_KPROBE_MULTI})`);
  const kprobeMulti = { flags: opts.retprobe ? BPF.F_KPROBE_MULTI_RETURN : 0, syms, addrs: opts.addresses, cookies: opts.cookies };
  try {
    return ownLink(linkCreate(progFd, 0, AttachType.trace_kprobe_multi, { kprobeMulti }), `${what} link of ${programText(prog)}`, LinkType.kprobe_multi);
  } catch (e) {
    if (e instanceof BpfError) {
      // Without CONFIG_FPROBE the kernel knows the attach type but has no fprobe: EOPNOTSUPP.
      if (e.errno === Errno.EOPNOTSUPP) throw attachFailed(lacks("kprobe_multi links", "kprobe_multi", e), doing);
      if (e.errno === Errno.EINVAL && kernelBelow("5.18")) throw attachFailed(lacks("kprobe_multi links", "kprobe_multi", e), doing);
      if (e.errno === Errno.ESRCH || e.errno === Errno.ENOENT) e.message += "; a function is not in kallsyms, or ftrace cannot trace it (see available_filter_functions)";
    }
    throw attachFailed(e, doing);
  }
}
