/**
 * RLIMIT_MEMLOCK: kernels before 5.11 charge the memory of every map and program to the locked-
 * memory rlimit of the creating user, and fail with EPERM when it is exceeded; 5.11 and later
 * charge the memory cgroup instead. This module reads and raises the limit through prlimit64 (the
 * same FFI as bpf()), finds out which kind of kernel it runs on, and explains EPERM when the limit
 * is the likely cause. It also reads RLIMIT_NOFILE, for the fd headroom of fd-reserve.ts.
 * @module
 */
import { Cmd, MapType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { BpfError, SyscallError } from "../errors.ts";
import { Attr } from "./attr.ts";
import { getBackend, keepAlive } from "./backend.ts";
import { bpfRaw } from "./bpf.ts";
import { MapCreateAttr } from "../uapi/layout.gen.ts";
import { syscallNumbers } from "./nr.ts";
import { readTextFile, sysClose } from "./syscalls.ts";

/** RLIM_INFINITY: no limit. */
export const RLIM_INFINITY: bigint = 0xffff_ffff_ffff_ffffn;

const RLIMIT_NOFILE = 7;
const RLIMIT_MEMLOCK = 8;

/** The soft (enforced) and hard (ceiling) value of one rlimit of this process (getrlimit(2)). */
export interface ResourceLimit {
  /** Current limit; RLIM_INFINITY for none. */
  soft: bigint;
  /** The most an unprivileged process may raise `soft` to. */
  hard: bigint;
}

/** RLIMIT_MEMLOCK of this process, in bytes. */
export type MemlockLimit = ResourceLimit;

// prlimit64(0, resource, next, old): pid 0 is this process.
function prlimit(resource: number, next: ResourceLimit | null): ResourceLimit {
  const b = getBackend();
  const nr = syscallNumbers(b.arch).prlimit64;
  const oldBuf = new Uint8Array(new ArrayBuffer(16));
  const newBuf = new Uint8Array(new ArrayBuffer(16));
  if (next !== null) {
    const dv = new DataView(newBuf.buffer);
    dv.setBigUint64(0, next.soft, true);
    dv.setBigUint64(8, next.hard, true);
  }
  const rc = b.syscall(nr, 0, resource, next === null ? 0 : b.address(newBuf), b.address(oldBuf));
  keepAlive(oldBuf, newBuf);
  if (rc < 0) throw new SyscallError("prlimit64", -rc, resource === RLIMIT_MEMLOCK ? "RLIMIT_MEMLOCK" : "RLIMIT_NOFILE");
  const dv = new DataView(oldBuf.buffer);
  return { soft: dv.getBigUint64(0, true), hard: dv.getBigUint64(8, true) };
}

/** getrlimit(RLIMIT_MEMLOCK) through prlimit64. */
export function getMemlock(): MemlockLimit {
  return prlimit(RLIMIT_MEMLOCK, null);
}

/** getrlimit(RLIMIT_NOFILE) through prlimit64: how many fds this process may have open. */
export function getNofile(): ResourceLimit {
  return prlimit(RLIMIT_NOFILE, null);
}

/** setrlimit(RLIMIT_MEMLOCK); returns the previous limit. Raising `hard` needs CAP_SYS_RESOURCE. */
export function setMemlock(limit: MemlockLimit): MemlockLimit {
  if (typeof limit?.soft !== "bigint" || typeof limit.hard !== "bigint") throw new TypeError("soft and hard must be bigints (RLIM_INFINITY for none)");
  if (limit.soft > limit.hard) throw new RangeError(`soft limit ${limit.soft} exceeds hard limit ${limit.hard}`);
  return prlimit(RLIMIT_MEMLOCK, limit);
}

/**
 * Removes the RLIMIT_MEMLOCK limit (soft and hard to RLIM_INFINITY). Needs CAP_SYS_RESOURCE
 * unless the hard limit is infinite already; throws a SyscallError (EPERM) otherwise.
 */
export function raiseMemlock(): void {
  const cur = getMemlock();
  if (cur.soft === RLIM_INFINITY && cur.hard === RLIM_INFINITY) return;
  try {
    setMemlock({ soft: RLIM_INFINITY, hard: RLIM_INFINITY });
  } catch (e) {
    // Without CAP_SYS_RESOURCE the soft limit may still go up to the hard one.
    if (cur.hard !== RLIM_INFINITY && cur.soft < cur.hard) setMemlock({ soft: cur.hard, hard: cur.hard });
    throw e;
  }
}

const attr = new Attr(MapCreateAttr.size);

// A one-element array map, created and closed at once: the smallest allocation that is charged.
function tinyMapErrno(): number {
  const F = MapCreateAttr.fields;
  attr.zero(MapCreateAttr.size).u32(F.map_type.off, MapType.array).u32(F.key_size.off, 4).u32(F.value_size.off, 4).u32(F.max_entries.off, 1);
  const rc = bpfRaw(Cmd.map_create, attr, MapCreateAttr.size);
  if (rc < 0) return -rc;
  sysClose(rc);
  return 0;
}

function kernelBefore511(): boolean {
  const m = /^(\d+)\.(\d+)/.exec(readTextFile("/proc/sys/kernel/osrelease"));
  return m !== null && (+m[1] < 5 || (+m[1] === 5 && +m[2] < 11));
}

let charged: boolean | undefined;

/**
 * True when this kernel charges BPF memory to RLIMIT_MEMLOCK (before 5.11), false when it uses
 * memory-cgroup accounting. Found out once per process: a tiny map is created with the soft
 * limit set to 0 for the duration of the call, which only a memlock-charging kernel refuses.
 * Falls back to the kernel version when the experiment cannot tell (bpf() not permitted at all).
 */
export function memlockCharged(): boolean {
  if (charged !== undefined) return charged;
  const old = getMemlock();
  let atZero: number;
  setMemlock({ soft: 0n, hard: old.hard });
  try {
    atZero = tinyMapErrno();
  } finally {
    setMemlock(old);
  }
  if (atZero === 0) charged = false;
  else if (atZero === Errno.EPERM && tinyMapErrno() === 0) charged = true; // EPERM only while the limit was 0
  else charged = kernelBefore511();
  return charged;
}

let ensured = false;

/**
 * Raises RLIMIT_MEMLOCK to infinity once, where the kernel charges BPF memory to it (before 5.11)
 * and the limit is finite; a no-op elsewhere and after the first call. Never throws: if the limit
 * cannot be raised, the EPERM of the failing bpf() call says why (see memlockHint()).
 */
export function ensureMemlock(): void {
  if (ensured) return;
  ensured = true;
  try {
    if (memlockCharged() && getMemlock().soft !== RLIM_INFINITY) raiseMemlock();
  } catch {
    // Left as it is; memlockHint() explains a resulting EPERM.
  }
}

/**
 * Adds to an EPERM BpfError from map or program creation that RLIMIT_MEMLOCK is the likely cause,
 * when the kernel charges it (before 5.11) and the limit is finite. Returns `e` for rethrowing.
 */
export function memlockHint(e: unknown): unknown {
  if (!(e instanceof BpfError) || e.errno !== Errno.EPERM) return e;
  try {
    const lim = getMemlock();
    if (lim.soft !== RLIM_INFINITY && memlockCharged()) {
      e.message += `; likely cause: this kernel (before 5.11) charges BPF memory to RLIMIT_MEMLOCK, which is ${lim.soft} bytes` +
        ` - call raiseMemlock() first, or run under \`ulimit -l unlimited\``;
    }
  } catch {
    // the hint is best effort
  }
  return e;
}
