/**
 * Linux syscall numbers the library uses, per architecture (arch/x86/entry/syscalls/syscall_64.tbl,
 * include/uapi/asm-generic/unistd.h for aarch64).
 * @module
 */

/** Syscall numbers by name for one architecture. */
export interface SyscallNumbers {
  /** bpf(2). */
  readonly bpf: number;
  /** close(2). */
  readonly close: number;
  /** getpid(2). */
  readonly getpid: number;
  /** prlimit64(2): get and set resource limits. */
  readonly prlimit64: number;
  /** mount(2). */
  readonly mount: number;
  /** umount2(2). */
  readonly umount2: number;
  /** perf_event_open(2). */
  readonly perf_event_open: number;
  /** ioctl(2). */
  readonly ioctl: number;
  /** mmap(2). */
  readonly mmap: number;
  /** munmap(2). */
  readonly munmap: number;
  /** openat(2). */
  readonly openat: number;
  /** read(2). */
  readonly read: number;
  /** write(2). */
  readonly write: number;
  /** epoll_create1(2). */
  readonly epoll_create1: number;
  /** epoll_ctl(2). */
  readonly epoll_ctl: number;
  /** epoll_pwait(2). */
  readonly epoll_pwait: number;
  /** socket(2). */
  readonly socket: number;
  /** setsockopt(2). */
  readonly setsockopt: number;
  /** sendto(2). */
  readonly sendto: number;
  /** bind(2). */
  readonly bind: number;
  /** getsockname(2). */
  readonly getsockname: number;
  /** recvfrom(2). */
  readonly recvfrom: number;
  /** fcntl(2). */
  readonly fcntl: number;
  /** dup3(2). */
  readonly dup3: number;
  /** readlinkat(2). */
  readonly readlinkat: number;
  /** mprotect(2). */
  readonly mprotect: number;
  /** rt_sigprocmask(2): the calling thread's signal mask. */
  readonly rt_sigprocmask: number;
  /** kill(2). */
  readonly kill: number;
  /** statfs(2). */
  readonly statfs: number;
  /** lseek(2). */
  readonly lseek: number;
  /** getdents64(2). */
  readonly getdents64: number;
  /** eventfd2(2). */
  readonly eventfd2: number;
  /** setns(2): move the calling thread into a namespace (tests use it; the library never does). */
  readonly setns: number;
}

const x86_64: SyscallNumbers = {
  bpf: 321, close: 3, getpid: 39, prlimit64: 302, mount: 165, umount2: 166, perf_event_open: 298,
  ioctl: 16, mmap: 9, munmap: 11, openat: 257, read: 0, write: 1, epoll_create1: 291, epoll_ctl: 233,
  epoll_pwait: 281, socket: 41, setsockopt: 54, sendto: 44, bind: 49, getsockname: 51, recvfrom: 45,
  fcntl: 72, dup3: 292, readlinkat: 267, mprotect: 10, rt_sigprocmask: 14, kill: 62, statfs: 137,
  lseek: 8, getdents64: 217, eventfd2: 290, setns: 308,
};

const aarch64: SyscallNumbers = {
  bpf: 280, close: 57, getpid: 172, prlimit64: 261, mount: 40, umount2: 39, perf_event_open: 241,
  ioctl: 29, mmap: 222, munmap: 215, openat: 56, read: 63, write: 64, epoll_create1: 20, epoll_ctl: 21,
  epoll_pwait: 22, socket: 198, setsockopt: 208, sendto: 206, bind: 200, getsockname: 204, recvfrom: 207,
  fcntl: 25, dup3: 24, readlinkat: 78, mprotect: 226, rt_sigprocmask: 135, kill: 129, statfs: 43,
  lseek: 62, getdents64: 61, eventfd2: 19, setns: 268,
};

/** The syscall table for `arch` (`"x86_64"` or `"aarch64"`); throws for others. */
export function syscallNumbers(arch: string): SyscallNumbers {
  if (arch === "x86_64") return x86_64;
  if (arch === "aarch64") return aarch64;
  throw new Error(`tsbpf: unsupported architecture ${arch}; x86_64 and aarch64 are supported`);
}

/** The kernel's name for a Node-style `process.arch` ("x64" -> "x86_64", "arm64" -> "aarch64"). */
export function linuxArch(processArch: string): string {
  return processArch === "x64" ? "x86_64" : processArch === "arm64" ? "aarch64" : processArch;
}
