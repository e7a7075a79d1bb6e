/**
 * The few non-bpf syscalls the core needs (close, reading small /sys and /proc files, mount),
 * made through the backend so the core stays free of runtime APIs.
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { SyscallError } from "../errors.ts";
import { cStringAt } from "../util/text.ts";
import { cString } from "./attr.ts";
import { getBackend, keepAlive } from "./backend.ts";
import { syscallNumbers } from "./nr.ts";
import { openRead } from "./file.ts";
import { checkFd } from "../util/args.ts";

const AT_FDCWD = -100;

/** The syscall numbers of the backend's architecture. */
function nr(): ReturnType<typeof syscallNumbers> {
  return syscallNumbers(getBackend().arch);
}

/** close(2) on `fd`; throws a SyscallError (EBADF for an fd that is not open). */
export function sysClose(fd: number): void {
  checkFd(fd);
  const rc = getBackend().syscall(nr().close, fd);
  if (rc < 0) throw new SyscallError("close", -rc, `fd ${fd}`);
}

/**
 * Reads `fd` to its end (an iterator fd from iterCreate, a pipe): every byte, whatever the
 * runtime's own file APIs make of fds they did not open.
 */
export function readAll(fd: number, chunk = 65536): Uint8Array {
  checkFd(fd);
  if (!Number.isSafeInteger(chunk) || chunk < 1 || chunk > 1 << 30) throw new RangeError(`readAll: chunk must be an integer in [1, 2^30], got ${chunk}`);
  const b = getBackend();
  const n = nr();
  const parts: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(new ArrayBuffer(chunk));
  const addr = b.address(buf);
  for (;;) {
    const r = b.syscall(n.read, fd, addr, chunk);
    if (r < 0) {
      if (-r === Errno.EINTR || -r === Errno.EAGAIN) continue;
      throw new SyscallError("read", -r, `fd ${fd}`);
    }
    if (r === 0) break;
    parts.push(buf.slice(0, r));
    total += r;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads a whole small file (a /sys or /proc entry) as text, up to `max` bytes. */
export function readTextFile(path: string, max = 65536): string {
  const b = getBackend();
  const n = nr();
  const fd = openRead(path);
  try {
    const buf = new Uint8Array(new ArrayBuffer(max));
    const addr = b.address(buf);
    let len = 0;
    for (;;) {
      const r = b.syscall(n.read, fd, addr + len, max - len);
      if (r < 0) {
        if (-r === Errno.EINTR) continue;
        throw new SyscallError("read", -r, path);
      }
      if (r === 0 || (len += r) === max) break;
    }
    return cStringAt(buf, 0, len);
  } finally {
    b.syscall(n.close, fd);
  }
}

/** What /proc/self/fd/<fd> points at ("anon_inode:bpf-map"), or null when fd is not open. */
export function fdTarget(fd: number): string | null {
  checkFd(fd);
  const b = getBackend();
  const p = cString(`/proc/self/fd/${fd}`);
  const buf = new Uint8Array(new ArrayBuffer(256));
  const n = b.syscall(nr().readlinkat, AT_FDCWD, b.address(p), b.address(buf), buf.length);
  keepAlive(p, buf);
  return n < 0 ? null : cStringAt(buf, 0, n);
}
