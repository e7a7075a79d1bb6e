/**
 * Headroom below RLIMIT_NOFILE: a command that makes a new fd may not take one of the last few
 * the process may open, so the runtime keeps some for itself. Deno, for one, sets up its signal
 * handling lazily, half a second or so after start, and panics when the socketpair that needs
 * fails with EMFILE; a process whose fds were all taken by BPF objects awaiting the GC dies there.
 * The kernel hands out the lowest free fd, so a new fd numbered n means n + 1 fds are open at
 * least: until n nears the limit the check is one comparison.
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { BpfError } from "../errors.ts";
import { getNofile } from "./rlimit.ts";
import { sysClose } from "./syscalls.ts";

/** The fds kept free for the runtime under a soft RLIMIT_NOFILE of `soft`: 16, or a sixteenth of a smaller limit. */
export function fdReserve(soft: number): number {
  return Math.min(16, Math.floor(soft / 16));
}

// The lowest fd number that is refused, from the soft limit when last read; 0 until then.
let refuseFrom = 0;
let soft = Infinity;

function readLimit(): void {
  try {
    const s = getNofile().soft;
    // 0 is no limit a process with fds can have: a fake backend's answer, so nothing to keep.
    soft = s > 0x7fffffffn || s === 0n ? Infinity : Number(s);
  } catch {
    soft = Infinity; // no limit we can read: nothing to keep
  }
  refuseFrom = soft - fdReserve(soft);
}

/**
 * `fd`, just made by bpf(`cmd`); or, when it is one of the last fdReserve() below RLIMIT_NOFILE,
 * closed again and a BpfError EMFILE that says so. The limit is read again before refusing, as
 * the caller may have raised it.
 */
export function admitFd(cmd: string, fd: number): number {
  if (fd < refuseFrom) return fd;
  readLimit();
  if (fd < refuseFrom) return fd;
  sysClose(fd);
  throw new BpfError(cmd, Errno.EMFILE, {
    what: `refused a new fd (${fd}): it would leave fewer than ${fdReserve(soft)} of this process's RLIMIT_NOFILE of ${soft} ` +
      "free for the runtime's own use (ulimit -n)",
  });
}
