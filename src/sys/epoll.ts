/**
 * epoll(7) and eventfd(2) through the backend: the few calls sys/wait.ts builds its fd waiter on.
 * Nothing here blocks unless asked to: the event loop thread only ever calls epoll_wait with a
 * timeout of 0 (a blocking wait there would freeze the runtime).
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { SyscallError } from "../errors.ts";
import { checkFd } from "../util/args.ts";
import { getBackend, keepAlive } from "./backend.ts";
import { admitFd } from "./fd-reserve.ts";
import { syscallNumbers } from "./nr.ts";

/** EPOLL* event bits (include/uapi/linux/eventpoll.h; the low ones are poll(2)'s POLL* values). */
export const Epoll = {
  in: 0x001, pri: 0x002, out: 0x004, err: 0x008, hup: 0x010, rdnorm: 0x040, wrnorm: 0x100, rdhup: 0x2000,
  exclusive: 0x10000000, wakeup: 0x20000000, oneshot: 0x40000000, et: 0x80000000,
} as const;

/** EPOLL_CTL_* operations of epoll_ctl(2). */
export const EpollCtl = { add: 1, del: 2, mod: 3 } as const;

const EPOLL_CLOEXEC = 0o2000000;
const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;

/**
 * struct epoll_event is packed on x86_64 (12 bytes, data at 4) and naturally aligned elsewhere
 * (16 bytes, data at 8): the kernel's EPOLL_PACKED.
 */
function eventLayout(arch: string): { size: number; data: number } {
  return arch === "x86_64" ? { size: 12, data: 4 } : { size: 16, data: 8 };
}

const ev = new Uint8Array(new ArrayBuffer(16));
const evView = new DataView(ev.buffer);

/** epoll_create1(EPOLL_CLOEXEC): a new epoll fd, owned by the caller. */
export function epollCreate(): number {
  const b = getBackend();
  const fd = b.syscall(syscallNumbers(b.arch).epoll_create1, EPOLL_CLOEXEC);
  if (fd < 0) throw new SyscallError("epoll_create1", -fd);
  return admitFd("epoll_create1", fd);
}

/**
 * epoll_ctl(epfd, op, fd, {events, data}); `data` (a u32) comes back from epollWait as the
 * event's data. Returns 0, or the errno for the two answers callers handle (EEXIST on add,
 * ENOENT on mod/del); throws a SyscallError for the others.
 */
export function epollCtl(epfd: number, op: number, fd: number, events: number, data: number): number {
  checkFd(epfd, "epoll fd");
  checkFd(fd);
  const b = getBackend();
  const L = eventLayout(b.arch);
  ev.fill(0);
  evView.setUint32(0, events >>> 0, true);
  evView.setUint32(L.data, data >>> 0, true);
  const r = b.syscall(syscallNumbers(b.arch).epoll_ctl, epfd, op, fd, b.address(ev));
  keepAlive(ev);
  if (r === -Errno.EEXIST || r === -Errno.ENOENT) return -r;
  if (r < 0) throw new SyscallError("epoll_ctl", -r, `op ${op}, fd ${fd} on epoll fd ${epfd}`);
  return 0;
}

/** A reusable buffer of struct epoll_event for epollWait, read back per event. */
export class EpollEvents {
  /** How many events one wait can return. */
  readonly max: number;
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  readonly #size: number;
  readonly #data: number;

  /** Room for `max` events, laid out for the backend's architecture. */
  constructor(max = 64) {
    if (!Number.isInteger(max) || max < 1 || max > 4096) throw new RangeError(`max must be an integer in [1, 4096], got ${max}`);
    const L = eventLayout(getBackend().arch);
    this.max = max;
    this.#size = L.size;
    this.#data = L.data;
    this.#buf = new Uint8Array(new ArrayBuffer(max * L.size));
    this.#view = new DataView(this.#buf.buffer);
  }

  /**
   * epoll_pwait(epfd, events, max, timeoutMs, NULL): the number of ready events (0 on EINTR).
   * Pass 0 on the event loop thread: any other timeout blocks the thread.
   */
  wait(epfd: number, timeoutMs = 0): number {
    checkFd(epfd, "epoll fd");
    const b = getBackend();
    const r = b.syscall(syscallNumbers(b.arch).epoll_pwait, epfd, b.address(this.#buf), this.max, timeoutMs, 0, 8);
    keepAlive(this.#buf);
    if (r === -Errno.EINTR) return 0;
    if (r < 0) throw new SyscallError("epoll_pwait", -r, `epoll fd ${epfd}`);
    return r;
  }

  /** The ready events (EPOLL* bits) of event `i` of the last wait. */
  events(i: number): number {
    return this.#view.getUint32(i * this.#size, true);
  }

  /** The data (the u32 given to epollCtl) of event `i` of the last wait. */
  data(i: number): number {
    return this.#view.getUint32(i * this.#size + this.#data, true);
  }
}

const word = new Uint8Array(new ArrayBuffer(8));

/** eventfd2(0, EFD_CLOEXEC | EFD_NONBLOCK): a counter fd that is readable once signalled. */
export function eventFd(): number {
  const b = getBackend();
  const fd = b.syscall(syscallNumbers(b.arch).eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) throw new SyscallError("eventfd2", -fd);
  return admitFd("eventfd2", fd);
}

/** Adds 1 to eventfd `fd`, making it readable (EAGAIN at the counter's maximum is as good). */
export function eventFdSignal(fd: number): void {
  checkFd(fd);
  const b = getBackend();
  new DataView(word.buffer).setUint32(0, 1, true);
  new DataView(word.buffer).setUint32(4, 0, true);
  const r = b.syscall(syscallNumbers(b.arch).write, fd, b.address(word), 8);
  keepAlive(word);
  if (r < 0 && r !== -Errno.EAGAIN) throw new SyscallError("write", -r, `eventfd ${fd}`);
}

/** Reads eventfd `fd`'s counter back to 0 (not readable until signalled again). */
export function eventFdClear(fd: number): void {
  checkFd(fd);
  const b = getBackend();
  const r = b.syscall(syscallNumbers(b.arch).read, fd, b.address(word), 8);
  keepAlive(word);
  if (r < 0 && r !== -Errno.EAGAIN) throw new SyscallError("read", -r, `eventfd ${fd}`);
}
