/**
 * A kprobe as a perf event (perf_event_open on the "kprobe" PMU), with the two ioctls that attach
 * a program and enable it: the attach path every kernel since 4.17 has. Test-only for now.
 */
import { readFileSync } from "node:fs";
import { cString, getBackend, linuxArch, syscallNumbers } from "../../mod.ts";

const nr = syscallNumbers(linuxArch(process.arch));
const PERF_FLAG_FD_CLOEXEC = 8;
const PERF_EVENT_IOC_ENABLE = 0x2400;
const PERF_EVENT_IOC_SET_BPF = 0x40042408;

function check(rc: number, what: string): number {
  if (rc < 0) throw new Error(`${what} failed: errno ${-rc}`);
  return rc;
}

/** perf_event_open of a kprobe on `symbol` for every task on CPU 0; the perf event fd. */
export function kprobeEvent(symbol: string): number {
  const type = Number(readFileSync("/sys/bus/event_source/devices/kprobe/type", "utf8"));
  const b = getBackend();
  const name = cString(symbol);
  // struct perf_event_attr up to config2 (PERF_ATTR_SIZE_VER1 = 72 bytes).
  const attr = new Uint8Array(72);
  const dv = new DataView(attr.buffer);
  dv.setUint32(0, type, true); //             type
  dv.setUint32(4, attr.length, true); //      size
  dv.setBigUint64(16, 1n, true); //           sample_period
  dv.setBigUint64(56, BigInt(b.address(name)), true); // config1 = kprobe_func
  const fd = b.syscall(nr.perf_event_open, b.address(attr), -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
  void name; // kept alive until here: the kernel reads it during the call
  return check(fd, `perf_event_open(kprobe ${symbol})`);
}

/** PERF_EVENT_IOC_SET_BPF then PERF_EVENT_IOC_ENABLE: runs `progFd` on every hit of the event. */
export function attachPerfEvent(perfFd: number, progFd: number): void {
  const b = getBackend();
  check(b.syscall(nr.ioctl, perfFd, PERF_EVENT_IOC_SET_BPF, progFd), "PERF_EVENT_IOC_SET_BPF");
  check(b.syscall(nr.ioctl, perfFd, PERF_EVENT_IOC_ENABLE, 0), "PERF_EVENT_IOC_ENABLE");
}

/** getpid(2) straight through the backend: libc and runtimes may cache the pid. */
export function getpid(): number {
  return getBackend().syscall(nr.getpid);
}
