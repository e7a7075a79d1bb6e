/**
 * Anonymous memory the library maps for itself (mmap(2), mprotect(2), munmap(2)) and reaches
 * through the backend's live view: scratch regions that end at a guard page, executable stubs.
 * @module
 */
import { SyscallError } from "../errors.ts";
import type { Backend } from "./backend.ts";
import { syscallNumbers } from "./nr.ts";

/** PROT_* of mmap(2). */
export const Prot = { none: 0, read: 1, write: 2, exec: 4 } as const;

const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20;
const MAP_FIXED_NOREPLACE = 0x100000;

/**
 * The granule every mapping and guard is rounded to: 64 KiB covers the 4K, 16K and 64K pages of
 * x86_64 and aarch64 kernels, so a guard is always a whole page wherever the library runs.
 */
export const GRANULE = 65536;

/** `n` rounded up to a whole number of granules (at least one). */
export function granules(n: number): number {
  return Math.max(GRANULE, Math.ceil(n / GRANULE) * GRANULE);
}

/** mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS): the address; throws a SyscallError. */
export function mmapAnon(b: Backend, len: number, prot: number): number {
  const r = b.syscall(syscallNumbers(b.arch).mmap, 0, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  // Addresses are positive on both supported architectures; -4095..-1 is an errno.
  if (r < 0 && r > -4096) throw new SyscallError("mmap", -r, `${len} anonymous bytes`);
  return r;
}

/** mprotect(addr, len, prot); throws a SyscallError. */
export function mprotect(b: Backend, addr: number, len: number, prot: number): void {
  const r = b.syscall(syscallNumbers(b.arch).mprotect, addr, len, prot);
  if (r < 0) throw new SyscallError("mprotect", -r, `${len} bytes at 0x${addr.toString(16)}`);
}

/** munmap(addr, len); throws a SyscallError. */
export function munmap(b: Backend, addr: number, len: number): void {
  const r = b.syscall(syscallNumbers(b.arch).munmap, addr, len);
  if (r < 0) throw new SyscallError("munmap", -r, `${len} bytes at 0x${addr.toString(16)}`);
}

/** MAP_SHARED and MAP_PRIVATE of mmap(2), for {@link mmapFd}. */
export const MapFlag = { shared: 0x01, private: 0x02 } as const;

/**
 * mmap(at, len, prot, flags, fd, offset) of a file or a BPF map (a BTF file, a ring buffer's
 * pages, an mmapable array, an arena): the address; throws a SyscallError naming `what`. `at` 0
 * lets the kernel choose; any other address is taken with MAP_FIXED_NOREPLACE, so that nothing
 * mapped there already is replaced (EEXIST instead).
 */
export function mmapFd(b: Backend, fd: number, len: number, prot: number, flags: number, offset: number, what: string, at = 0): number {
  const r = b.syscall(syscallNumbers(b.arch).mmap, at, len, prot, at === 0 ? flags : flags | MAP_FIXED_NOREPLACE, fd, offset);
  const where = at === 0 ? "" : ` at 0x${at.toString(16)}`;
  if (r < 0 && r > -4096) throw new SyscallError("mmap", -r, `${len} bytes of ${what} (fd ${fd}) at offset ${offset}${where}`);
  if (at !== 0 && r !== at) {
    // A kernel before 4.17 takes the flag for a hint and maps elsewhere.
    munmap(b, r, len);
    throw new SyscallError("mmap", 17 /* EEXIST */, `${len} bytes of ${what} (fd ${fd}) at 0x${at.toString(16)}: the kernel mapped them at 0x${r.toString(16)}`);
  }
  return r;
}
