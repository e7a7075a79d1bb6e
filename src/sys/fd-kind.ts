/**
 * What an fd given to a command actually is, for the message of a failed call: the kernel says
 * EBADF or EINVAL alike for an fd that is closed, a regular file or the wrong kind of BPF object.
 * Reads /proc/self/fd, so only error paths use it.
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { BpfError } from "../errors.ts";
import { fdTarget } from "./syscalls.ts";

/** The kinds of BPF object an fd can be, by the name of their anonymous inode. */
export type BpfFdKind = "map" | "program" | "link" | "BTF object";

/** What an fd argument must be: one of some BPF kinds, or (a cgroup, a netns, a perf event) just open. */
export type FdWant = BpfFdKind | readonly BpfFdKind[] | "open";

// Links are "bpf_link" up to 6.x and "bpf-link" on newer kernels (6.18 here); both are links.
const KINDS: Readonly<Record<string, BpfFdKind>> = {
  "anon_inode:bpf-map": "map", "anon_inode:bpf-prog": "program", "anon_inode:bpf_link": "link", "anon_inode:bpf-link": "link",
  "anon_inode:btf": "BTF object",
};

// What an fd is, for messages: "a BPF map", or its /proc link ("/etc/passwd", "socket:[1234]").
function kindText(target: string): string {
  const kind = KINDS[target];
  return kind === undefined ? target : `a BPF ${kind}`;
}

/**
 * Why `fd` (named `what`, e.g. "program fd") is not what `want` says: "fd 5 is not a BPF map (it
 * is /etc/passwd)", "fd 5 is not open"; undefined when it is, so the error lies elsewhere.
 */
export function fdMismatch(fd: number, want: FdWant, what = "fd"): string | undefined {
  const target = fdTarget(fd);
  if (target === null) return `${what} ${fd} is not open`;
  if (want === "open") return undefined;
  const kinds = typeof want === "string" ? [want] : want;
  const kind = KINDS[target];
  if (kind !== undefined && kinds.includes(kind)) return undefined;
  const wanted = kinds.length === 1 ? kinds[0] : `${kinds.slice(0, -1).join(", ")} or ${kinds[kinds.length - 1]}`;
  return `${what} ${fd} is not a BPF ${wanted} (it is ${kindText(target)})`;
}

/** An fd argument of a command, for fdError(): its number, the kinds it may be, its name in messages. */
export type FdArg = readonly [fd: number, want: FdWant, what: string];

// The errnos the kernel gives for an fd that is closed or of the wrong kind.
const FD_ERRNOS = new Set<number>([Errno.EBADF, Errno.EBADFD, Errno.EINVAL]);

/**
 * The BpfError for `cmd` failing with `errno`; when that errno is one a wrong fd gives (EBADF,
 * EINVAL), its message says which of `fds` is not open or not the kind the command takes.
 */
export function fdError(cmd: string, errno: number, context: string, fds: readonly FdArg[]): BpfError {
  let what: string | undefined;
  if (FD_ERRNOS.has(errno)) {
    for (const [fd, want, name] of fds) if ((what = fdMismatch(fd, want, name)) !== undefined) break;
  }
  return new BpfError(cmd, errno, { context, what });
}
