/**
 * Kernel symbol addresses from /proc/kallsyms, for typeless `.ksyms` externs: one streaming pass
 * that keeps only the names asked for, matched as libbpf's kallsyms_cb matches them (a data
 * symbol's `.llvm.<hash>` suffix, which clang's ThinLTO adds to promoted statics, is ignored).
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { SyscallError } from "../errors.ts";
import { getBackend, keepAlive } from "./backend.ts";
import { closeQuietly, openRead } from "./file.ts";
import { syscallNumbers } from "./nr.ts";
import { readTextFile } from "./syscalls.ts";

/** Options of kernelSymbolAddresses. */
export interface KallsymsOptions {
  /** A file in /proc/kallsyms' format to read instead (tests, a saved copy). */
  path?: string;
}

/** A kernel symbol lookup that cannot be answered: /proc/kallsyms unreadable, addresses hidden, a name ambiguous. */
export class KallsymsError extends Error {
  /** The symbol concerned, when there is one. */
  readonly symbol?: string;

  /** An error saying `what`, about `symbol` when given. */
  constructor(what: string, symbol?: string, cause?: unknown) {
    super(`kallsyms: ${what}`, cause !== undefined ? { cause } : undefined);
    this.name = "KallsymsError";
    if (symbol !== undefined) this.symbol = symbol;
  }
}

const KALLSYMS = "/proc/kallsyms";
const CHUNK = 1 << 18;

/** What a pass over the file found: addresses by name, and whether any address was non-zero. */
interface Scan {
  found: Map<string, bigint>;
  visible: boolean;
}

/**
 * Scans the complete lines of `text` ("<hex address> <type> <name>[\t[module]]"), adding the
 * wanted names (whose lengths are in `lengths`, a cheap filter before any slice) to `scan`.
 */
function scanLines(text: string, want: Set<string>, lengths: Set<number>, scan: Scan, path: string): void {
  const n = text.length;
  let llvm = -2;
  for (let p = 0; p < n;) {
    let nl = text.indexOf("\n", p);
    if (nl < 0) nl = n;
    const sp = text.indexOf(" ", p);
    // A line libbpf's fscanf would not take ("%llx %c %s") ends the pass there too.
    if (sp <= p || sp + 3 > nl || text.charCodeAt(sp + 2) !== 32) {
      if (nl === p) { p++; continue; }
      throw new KallsymsError(`${path}: malformed line ${JSON.stringify(text.slice(p, Math.min(nl, p + 120)))}`);
    }
    const start = sp + 3;
    let end = start;
    while (end < nl && text.charCodeAt(end) > 32) end++;
    if (!scan.visible) {
      for (let i = p; i < sp; i++) if (text.charCodeAt(i) !== 48) { scan.visible = true; break; }
    }
    let len = end - start;
    if (text.charCodeAt(sp + 1) === 100 /* 'd' */) {
      if (llvm !== -1 && llvm < start) llvm = text.indexOf(".llvm.", start);
      if (llvm >= start && llvm < end) len = llvm - start;
    }
    if (lengths.has(len)) {
      const name = text.slice(start, start + len);
      if (want.has(name)) {
        const hex = text.slice(p, sp);
        if (!/^[0-9a-fA-F]+$/.test(hex)) throw new KallsymsError(`${path}: bad address ${JSON.stringify(hex)} of ${name}`, name);
        const addr = BigInt(`0x${hex}`);
        const had = scan.found.get(name);
        if (had !== undefined && had !== addr) {
          throw new KallsymsError(`symbol ${name} is ambiguous: 0x${had.toString(16)} or 0x${addr.toString(16)} (as libbpf, a typeless ksym must name one address)`, name);
        }
        scan.found.set(name, addr);
      }
    }
    p = nl + 1;
  }
}

function kptrRestrict(): string {
  try {
    return `kernel.kptr_restrict is ${readTextFile("/proc/sys/kernel/kptr_restrict").trim()}`;
  } catch {
    return "kernel.kptr_restrict hides them";
  }
}

/**
 * Addresses of the kernel symbols `names` (those found: an unknown name is absent), read in one
 * pass over /proc/kallsyms (or `options.path`) as libbpf resolves typeless ksyms. A name listed
 * with two different addresses is a KallsymsError, as is a file whose addresses all read as 0
 * (kptr_restrict hides them from processes without CAP_SYSLOG; root sees them).
 */
export function kernelSymbolAddresses(names: Iterable<string>, options?: KallsymsOptions): Map<string, bigint> {
  const want = new Set<string>();
  for (const name of names) {
    if (typeof name !== "string" || name === "") throw new TypeError(`a kernel symbol name must be a non-empty string, not ${JSON.stringify(name)}`);
    want.add(name);
  }
  const scan: Scan = { found: new Map(), visible: false };
  if (want.size === 0) return scan.found;
  const lengths = new Set<number>();
  for (const name of want) lengths.add(name.length);
  const path = options?.path ?? KALLSYMS;
  let fd: number;
  try {
    fd = openRead(path);
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e;
    const why = path === KALLSYMS ? " (a kernel built without CONFIG_KALLSYMS?)" : "";
    throw new KallsymsError(`cannot open ${path}${why}: ${e.message}`, undefined, e);
  }
  const b = getBackend();
  const nr = syscallNumbers(b.arch).read;
  const buf = new Uint8Array(new ArrayBuffer(CHUNK));
  const addr = b.address(buf);
  // Latin-1 is exact for the ASCII kallsyms holds, and a chunk cut mid-character cannot garble it.
  const dec = new (globalThis as unknown as { TextDecoder: new (label: string) => { decode(b: Uint8Array): string } }).TextDecoder("latin1");
  let kept = 0;
  try {
    for (;;) {
      const r = b.syscall(nr, fd, addr + kept, CHUNK - kept);
      if (r < 0) {
        if (-r === Errno.EINTR || -r === Errno.EAGAIN) continue;
        throw new KallsymsError(`reading ${path}: ${new SyscallError("read", -r, path).message}`);
      }
      const filled = kept + r;
      // Complete lines now; the partial last one is kept for the next read (or ends the file).
      const last = r === 0 ? filled : buf.lastIndexOf(10, filled - 1) + 1;
      if (last === 0 && filled === CHUNK) throw new KallsymsError(`${path}: a line longer than ${CHUNK} bytes`);
      if (last > 0) scanLines(dec.decode(buf.subarray(0, last)), want, lengths, scan, path);
      if (r === 0) break;
      buf.copyWithin(0, last, filled);
      kept = filled - last;
    }
  } finally {
    keepAlive(buf);
    closeQuietly(fd);
  }
  if (scan.found.size > 0 && !scan.visible) {
    throw new KallsymsError(`${path} shows every address as 0: ${kptrRestrict()}, and this process lacks CAP_SYSLOG (as root the addresses are visible)`);
  }
  return scan.found;
}

/** The address of kernel symbol `name` from /proc/kallsyms, or undefined when it has none there. */
export function kernelSymbolAddress(name: string, options?: KallsymsOptions): bigint | undefined {
  return kernelSymbolAddresses([name], options).get(name);
}
