/**
 * Whole files and directory listings through the backend (openat, lseek, read, getdents64): the
 * kernel's BTF files in /sys/kernel/btf, read without any runtime's file API.
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { SyscallError } from "../errors.ts";
import { cStringAt } from "../util/text.ts";
import { cString } from "./attr.ts";
import { getBackend, keepAlive } from "./backend.ts";
import { syscallNumbers } from "./nr.ts";

const AT_FDCWD = -100;
const O_RDONLY = 0;
const O_DIRECTORY = 0o200000;
const O_CLOEXEC = 0o2000000;
const SEEK_SET = 0;
const SEEK_END = 2;

/** openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | extra): the fd, which the caller owns and closes. */
export function openRead(path: string, flags = 0): number {
  const b = getBackend();
  const p = cString(path);
  const fd = b.syscall(syscallNumbers(b.arch).openat, AT_FDCWD, b.address(p), O_RDONLY | O_CLOEXEC | flags, 0);
  keepAlive(p);
  if (fd < 0) throw new SyscallError("open", -fd, path);
  return fd;
}

/** True when `path` names something that exists and is not a directory (one open: O_DIRECTORY fails with ENOTDIR on a file). */
export function existsNotDirectory(path: string): boolean {
  try {
    closeQuietly(openRead(path, O_DIRECTORY));
    return false;
  } catch (e) {
    return e instanceof SyscallError && e.errno === Errno.ENOTDIR;
  }
}

/** close(2) where a failure has nothing left to undo (the fd was only read). */
export function closeQuietly(fd: number): void {
  const b = getBackend();
  b.syscall(syscallNumbers(b.arch).close, fd);
}

/** The size of the file open on `fd` (lseek to its end, then back to 0); `what` names it in errors. */
export function fileSize(fd: number, what: string): number {
  const b = getBackend();
  const n = syscallNumbers(b.arch).lseek;
  const size = b.syscall(n, fd, 0, SEEK_END);
  if (size < 0) throw new SyscallError("lseek", -size, what);
  const r = b.syscall(n, fd, 0, SEEK_SET);
  if (r < 0) throw new SyscallError("lseek", -r, what);
  return size;
}

/**
 * Reads `fd` from its current offset to its end into one buffer sized `hint` bytes up front
 * (sysfs hands out a bin file a page per read(2), so the count of calls is size/4096 either way).
 */
export function readToEnd(fd: number, hint: number, what: string): Uint8Array {
  const b = getBackend();
  const nr = syscallNumbers(b.arch).read;
  // One byte spare, so that the read that finds the end needs no bigger buffer.
  let buf = new Uint8Array(new ArrayBuffer(Math.max(hint + 1, 4096)));
  let addr = b.address(buf), len = 0;
  for (;;) {
    if (len === buf.length) {
      // Longer than it said (a file that grew, or a size of 0 as in procfs): double and go on.
      const bigger = new Uint8Array(new ArrayBuffer(buf.length * 2));
      bigger.set(buf);
      buf = bigger;
      addr = b.address(buf);
    }
    const r = b.syscall(nr, fd, addr + len, buf.length - len);
    if (r < 0) {
      if (-r === Errno.EINTR || -r === Errno.EAGAIN) continue;
      keepAlive(buf);
      throw new SyscallError("read", -r, what);
    }
    if (r === 0) break;
    len += r;
  }
  keepAlive(buf);
  return buf.subarray(0, len);
}

/** The whole file at `path`, read with read(2). */
export function readFileBytes(path: string): Uint8Array {
  const fd = openRead(path);
  try {
    return readToEnd(fd, fileSize(fd, path), path);
  } finally {
    closeQuietly(fd);
  }
}

/** The entry names of directory `path` (getdents64), without "." and "..", in the order the kernel gives. */
export function listDirectory(path: string): string[] {
  const b = getBackend();
  const n = syscallNumbers(b.arch).getdents64;
  const fd = openRead(path, O_DIRECTORY);
  const names: string[] = [];
  try {
    const buf = new Uint8Array(new ArrayBuffer(32768));
    const dv = new DataView(buf.buffer);
    const addr = b.address(buf);
    for (;;) {
      const r = b.syscall(n, fd, addr, buf.length);
      if (r < 0) {
        if (-r === Errno.EINTR) continue;
        throw new SyscallError("getdents64", -r, path);
      }
      if (r === 0) break;
      // struct linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, char d_name[];
      // native order, little-endian on both supported architectures.
      for (let at = 0; at < r;) {
        const reclen = dv.getUint16(at + 16, true);
        const name = cStringAt(buf, at + 19, reclen - 19);
        if (name !== "." && name !== "..") names.push(name);
        at += reclen;
      }
    }
    keepAlive(buf);
  } finally {
    closeQuietly(fd);
  }
  return names;
}
