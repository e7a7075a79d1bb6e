/**
 * perf_event_open(2) and the perf event ioctls a BPF attachment needs: struct perf_event_attr
 * laid out by hand from include/uapi/linux/perf_event.h (PERF_ATTR_SIZE_VER5, 112 bytes, which
 * every kernel since 4.1 takes), PERF_EVENT_IOC_SET_BPF, ENABLE, DISABLE.
 * @module
 */
import { SyscallError } from "../errors.ts";
import { checkFd, u32Arg } from "../util/args.ts";
import { getBackend, keepAlive } from "./backend.ts";
import { syscallNumbers } from "./nr.ts";

/** perf_event_attr.type (enum perf_type_id); a dynamic PMU's type is read from sysfs. */
export const PerfType = {
  hardware: 0, // PERF_TYPE_HARDWARE
  software: 1, // PERF_TYPE_SOFTWARE
  tracepoint: 2, // PERF_TYPE_TRACEPOINT
  hw_cache: 3, // PERF_TYPE_HW_CACHE
  raw: 4, // PERF_TYPE_RAW
  breakpoint: 5, // PERF_TYPE_BREAKPOINT
} as const;

/** perf_event_attr.config of PerfType.hardware (enum perf_hw_id). */
export const PerfCountHw = {
  cpu_cycles: 0, // PERF_COUNT_HW_CPU_CYCLES
  instructions: 1, // PERF_COUNT_HW_INSTRUCTIONS
  cache_references: 2, // PERF_COUNT_HW_CACHE_REFERENCES
  cache_misses: 3, // PERF_COUNT_HW_CACHE_MISSES
  branch_instructions: 4, // PERF_COUNT_HW_BRANCH_INSTRUCTIONS
  branch_misses: 5, // PERF_COUNT_HW_BRANCH_MISSES
  bus_cycles: 6, // PERF_COUNT_HW_BUS_CYCLES
  stalled_cycles_frontend: 7, // PERF_COUNT_HW_STALLED_CYCLES_FRONTEND
  stalled_cycles_backend: 8, // PERF_COUNT_HW_STALLED_CYCLES_BACKEND
  ref_cpu_cycles: 9, // PERF_COUNT_HW_REF_CPU_CYCLES
} as const;

/** perf_event_attr.config of PerfType.software (enum perf_sw_ids). */
export const PerfCountSw = {
  cpu_clock: 0, // PERF_COUNT_SW_CPU_CLOCK
  task_clock: 1, // PERF_COUNT_SW_TASK_CLOCK
  page_faults: 2, // PERF_COUNT_SW_PAGE_FAULTS
  context_switches: 3, // PERF_COUNT_SW_CONTEXT_SWITCHES
  cpu_migrations: 4, // PERF_COUNT_SW_CPU_MIGRATIONS
  page_faults_min: 5, // PERF_COUNT_SW_PAGE_FAULTS_MIN
  page_faults_maj: 6, // PERF_COUNT_SW_PAGE_FAULTS_MAJ
  alignment_faults: 7, // PERF_COUNT_SW_ALIGNMENT_FAULTS
  emulation_faults: 8, // PERF_COUNT_SW_EMULATION_FAULTS
  dummy: 9, // PERF_COUNT_SW_DUMMY
  bpf_output: 10, // PERF_COUNT_SW_BPF_OUTPUT
  cgroup_switches: 11, // PERF_COUNT_SW_CGROUP_SWITCHES
} as const;

/** Bits of perf_event_attr's flag word (offset 40), as bigints: some lie above bit 31. */
export const PerfAttrFlag = {
  disabled: 0x1n, // bit 0
  inherit: 0x2n, // bit 1
  pinned: 0x4n, // bit 2
  exclusive: 0x8n, // bit 3
  exclude_user: 0x10n, // bit 4
  exclude_kernel: 0x20n, // bit 5
  exclude_hv: 0x40n, // bit 6
  exclude_idle: 0x80n, // bit 7
  mmap: 0x100n, // bit 8
  comm: 0x200n, // bit 9
  freq: 0x400n, // bit 10
  inherit_stat: 0x800n, // bit 11
  enable_on_exec: 0x1000n, // bit 12
  task: 0x2000n, // bit 13
  watermark: 0x4000n, // bit 14
  sample_id_all: 0x40000n, // bit 18
  exclude_host: 0x80000n, // bit 19
  exclude_guest: 0x100000n, // bit 20
  mmap2: 0x800000n, // bit 23
  comm_exec: 0x1000000n, // bit 24
  use_clockid: 0x2000000n, // bit 25
  context_switch: 0x4000000n, // bit 26
  write_backward: 0x8000000n, // bit 27
  remove_on_exec: 0x1000000000n, // bit 36
  sigtrap: 0x2000000000n, // bit 37
} as const;

/** perf_event_open's flags argument: PERF_FLAG_FD_CLOEXEC. */
export const PERF_FLAG_FD_CLOEXEC = 8;

/** The attr size passed: PERF_ATTR_SIZE_VER5 (Linux 4.1), which covers every field written here. */
export const PERF_ATTR_SIZE = 112;

/** The perf_event_attr fields a BPF attachment or a perf ring sets; the rest stay zero. */
export interface PerfEventAttr {
  /** type: a PerfType, or a dynamic PMU's type (kprobe, uprobe) from /sys/bus/event_source/devices/<pmu>/type. */
  type: number;
  /** config: the event within the type (a tracepoint's id, PerfCountSw value, kprobe's retprobe bit...). */
  config?: number | bigint;
  /** sample_period, or sample_freq in Hz when `freq` is set. */
  samplePeriod?: number | bigint;
  /** Read sample_period as sample_freq (PerfAttrFlag.freq). */
  freq?: boolean;
  /** sample_type: PERF_SAMPLE_* bits of what each sample record carries. */
  sampleType?: number | bigint;
  /** read_format. */
  readFormat?: number | bigint;
  /** The flag word: PerfAttrFlag bits or'ed (freq is added when `freq` is set). */
  flags?: bigint;
  /** wakeup_events, or wakeup_watermark in bytes with PerfAttrFlag.watermark. */
  wakeup?: number;
  /** bp_type of a breakpoint. */
  bpType?: number;
  /**
   * config1: a number, or a buffer whose address the kernel reads during the call (the kprobe
   * PMU's function name, the uprobe PMU's path).
   */
  config1?: number | bigint | Uint8Array;
  /** config2: the kprobe's offset or address, the uprobe's file offset. */
  config2?: number | bigint;
}

function u64(dv: DataView, off: number, v: number | bigint, what: string): void {
  if (typeof v === "number" && (!Number.isSafeInteger(v) || v < 0)) throw new RangeError(`${what} must be a non-negative integer, got ${v}`);
  if (typeof v === "bigint" && (v < 0n || v >= 1n << 64n)) throw new RangeError(`${what} must be in [0, 2^64), got ${v}`);
  dv.setBigUint64(off, BigInt(v), true);
}

/**
 * struct perf_event_attr as bytes (PERF_ATTR_SIZE long), and the buffers its pointers name, which
 * the caller keeps alive through the perf_event_open call.
 */
export function encodePerfEventAttr(a: PerfEventAttr): { bytes: Uint8Array; held: Uint8Array[] } {
  if (typeof a !== "object" || a === null) throw new TypeError("perf_event_attr must be an object with at least a type");
  const bytes = new Uint8Array(new ArrayBuffer(PERF_ATTR_SIZE));
  const dv = new DataView(bytes.buffer);
  const held: Uint8Array[] = [];
  dv.setUint32(0, u32Arg(a.type, "perf_event_attr.type"), true);
  dv.setUint32(4, PERF_ATTR_SIZE, true);
  u64(dv, 8, a.config ?? 0, "perf_event_attr.config");
  u64(dv, 16, a.samplePeriod ?? 0, a.freq ? "perf_event_attr.sample_freq" : "perf_event_attr.sample_period");
  u64(dv, 24, a.sampleType ?? 0, "perf_event_attr.sample_type");
  u64(dv, 32, a.readFormat ?? 0, "perf_event_attr.read_format");
  if (a.flags !== undefined && typeof a.flags !== "bigint") throw new TypeError("perf_event_attr flags must be a bigint of PerfAttrFlag bits");
  u64(dv, 40, (a.flags ?? 0n) | (a.freq ? PerfAttrFlag.freq : 0n), "perf_event_attr flags");
  dv.setUint32(48, u32Arg(a.wakeup ?? 0, "perf_event_attr.wakeup_events"), true);
  dv.setUint32(52, u32Arg(a.bpType ?? 0, "perf_event_attr.bp_type"), true);
  if (a.config1 instanceof Uint8Array) {
    held.push(a.config1);
    dv.setBigUint64(56, BigInt(getBackend().address(a.config1)), true);
  } else {
    u64(dv, 56, a.config1 ?? 0, "perf_event_attr.config1");
  }
  u64(dv, 64, a.config2 ?? 0, "perf_event_attr.config2");
  return { bytes, held };
}

/** Where and how perf_event_open opens an event. */
export interface PerfOpenOptions {
  /** The task to count or sample: -1 (default) for every task on `cpu`, 0 for the caller, a pid or tid. */
  pid?: number;
  /** The CPU: -1 (every CPU, allowed only with a pid), or a CPU number (default 0 when pid is -1, else -1). */
  cpu?: number;
  /** The group leader's fd, -1 (default) for none. */
  groupFd?: number;
  /** flags; PERF_FLAG_FD_CLOEXEC by default. */
  flags?: number;
  /** What the event is, for error messages ("tracepoint syscalls/sys_enter_openat"). */
  what?: string;
}

/** An int argument of a syscall as the backend passes it (two's complement for -1). */
function int(v: number, what: string, min: number): number {
  if (!Number.isInteger(v) || v < min || v > 0x7fffffff) throw new RangeError(`${what} must be an integer in [${min}, 2^31), got ${v}`);
  return v;
}

/**
 * perf_event_open(2): a new perf event fd for `attr` (the caller owns it; close it with
 * sysClose). A failure is a SyscallError naming the event, the pid and the cpu.
 */
export function perfEventOpen(attr: PerfEventAttr, opts: PerfOpenOptions = {}): number {
  const pid = int(opts.pid ?? -1, "perf_event_open pid", -1);
  const cpu = int(opts.cpu ?? (pid === -1 ? 0 : -1), "perf_event_open cpu", -1);
  if (pid === -1 && cpu === -1) throw new RangeError("perf_event_open: pid -1 (every task) needs a cpu; give a cpu, a pid, or both");
  const group = int(opts.groupFd ?? -1, "perf_event_open group fd", -1);
  const flags = u32Arg(opts.flags ?? PERF_FLAG_FD_CLOEXEC, "perf_event_open flags");
  const { bytes, held } = encodePerfEventAttr(attr);
  const b = getBackend();
  const fd = b.syscall(syscallNumbers(b.arch).perf_event_open, b.address(bytes), pid, cpu, group, flags);
  keepAlive(bytes, held);
  if (fd < 0) throw new SyscallError("perf_event_open", -fd, `${opts.what ?? `perf event type ${attr.type} config ${attr.config ?? 0}`}, pid ${pid}, cpu ${cpu}`);
  return fd;
}

/** PERF_EVENT_IOC_ENABLE: _IO('$', 0). */
export const PERF_EVENT_IOC_ENABLE = 0x2400;
/** PERF_EVENT_IOC_DISABLE: _IO('$', 1). */
export const PERF_EVENT_IOC_DISABLE = 0x2401;
/** PERF_EVENT_IOC_RESET: _IO('$', 3). */
export const PERF_EVENT_IOC_RESET = 0x2403;
/** PERF_EVENT_IOC_SET_BPF: _IOW('$', 8, __u32), Linux 4.1. */
export const PERF_EVENT_IOC_SET_BPF = 0x40042408;

/** ioctl(2) on a perf event fd with an integer argument; a SyscallError naming the request on failure. */
export function perfEventIoctl(fd: number, request: number, arg = 0, what = `ioctl 0x${request.toString(16)}`): void {
  checkFd(fd, "perf event fd");
  const b = getBackend();
  const rc = b.syscall(syscallNumbers(b.arch).ioctl, fd, request, arg);
  if (rc < 0) throw new SyscallError("ioctl", -rc, `${what} on perf event fd ${fd}`);
}

/** PERF_EVENT_IOC_SET_BPF: runs program `progFd` on each of the event's hits (kprobe, uprobe, tracepoint, sampling). */
export function perfEventSetBpf(fd: number, progFd: number): void {
  perfEventIoctl(fd, PERF_EVENT_IOC_SET_BPF, checkFd(progFd, "program fd"), `PERF_EVENT_IOC_SET_BPF (program fd ${progFd})`);
}

/** PERF_EVENT_IOC_ENABLE: starts the event counting (and its program running). */
export function perfEventEnable(fd: number): void {
  perfEventIoctl(fd, PERF_EVENT_IOC_ENABLE, 0, "PERF_EVENT_IOC_ENABLE");
}

/** PERF_EVENT_IOC_DISABLE: stops the event (its program no longer runs) until enabled again. */
export function perfEventDisable(fd: number): void {
  perfEventIoctl(fd, PERF_EVENT_IOC_DISABLE, 0, "PERF_EVENT_IOC_DISABLE");
}

/** getpid(2) through the backend (libc and runtimes may cache the pid; a forked child must not see its parent's). */
export function currentPid(): number {
  const b = getBackend();
  return b.syscall(syscallNumbers(b.arch).getpid);
}
