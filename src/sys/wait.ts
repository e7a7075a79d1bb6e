/**
 * Waiting for an fd without blocking the event loop: `waitFd(fd)` resolves once the fd is ready
 * (readable by default). One epoll fd serves every waiter of the process: each waited fd is in
 * it EPOLLONESHOT (so a ready fd nobody has re-armed wakes no one), and the backend's pollAsync
 * waits for the epoll fd on another thread; the event loop thread then takes the events with a
 * non-blocking epoll_wait. An eventfd in the set ends that wait when the last waiter leaves, so a
 * process with nothing left to wait for can exit. Arming an fd (epoll_ctl) polls it then and
 * there: an fd that became ready just before still wakes the waiter. The ring buffer reader, the
 * user ring buffer writer and the perf buffer reader share it.
 *
 * A perf event fd's poll reports a wake-up once and clears it (perf_poll's atomic_xchg of
 * rb->poll), and every look at a ready fd polls it again: the poll thread's poll(2) of the epoll fd
 * takes the wake-up, and the epoll_wait after it finds the fd not ready (seen: no perf wake-up
 * ever arrived). A waiter with `anyWake` is therefore resolved whenever the poll thread returns,
 * and looks for itself.
 * @module
 */
import { checkFd } from "../util/args.ts";
import { type Backend, getBackend } from "./backend.ts";
import { Epoll, epollCreate, EpollCtl, epollCtl, EpollEvents, eventFd, eventFdClear, eventFdSignal } from "./epoll.ts";

/** A pending waitFd(): its promise, and a way to end it early. */
export interface FdWait {
  /** Resolves with the ready EPOLL* bits, or 0 when cancelled or timed out. Never rejects but for a backend failure. */
  readonly promise: Promise<number>;
  /** Ends the wait now; the promise resolves with 0. Idempotent; a no-op once resolved. */
  cancel(): void;
}

/** Options of waitFd(). */
export interface WaitFdOptions {
  /** EPOLL* bits to wait for (default Epoll.in); EPOLLERR and EPOLLHUP always count. */
  events?: number;
  /** Give up after this many milliseconds, resolving with 0 (default: wait as long as it takes). */
  timeoutMs?: number;
  /**
   * Also resolve (with Epoll.in) whenever the poll thread wakes, whichever fd woke it: for fds
   * whose poll consumes their readiness (perf events), which epoll_wait may no longer report.
   * The caller then checks for itself whether there is anything; it may be woken for nothing.
   */
  anyWake?: boolean;
}

interface Timers {
  setTimeout(f: () => void, ms: number): unknown;
  clearTimeout(t: unknown): void;
}
const timers = globalThis as unknown as Timers;

interface Waiter {
  fd: number;
  events: number;
  resolve: (ev: number) => void;
  reject: (e: unknown) => void;
  timer: unknown;
  any: boolean;
}

// Without Backend.pollAsync (a custom backend), the epoll fd is looked at on a timer instead.
const FALLBACK_POLL_MS = 10;

class Poller {
  readonly #b: Backend;
  readonly #epfd: number;
  readonly #wake: number;
  readonly #events = new EpollEvents(64);
  readonly #waiters = new Map<number, Set<Waiter>>();
  readonly #added = new Set<number>();
  readonly #any = new Set<Waiter>();
  #inFlight = false;
  #woken = false;
  #timer: unknown = undefined;

  constructor(b: Backend) {
    this.#b = b;
    this.#epfd = epollCreate();
    this.#wake = eventFd();
    epollCtl(this.#epfd, EpollCtl.add, this.#wake, Epoll.in, this.#wake);
  }

  get backend(): Backend {
    return this.#b;
  }

  get fds(): readonly number[] {
    return [this.#epfd, this.#wake];
  }

  add(w: Waiter): void {
    let set = this.#waiters.get(w.fd);
    if (set === undefined) this.#waiters.set(w.fd, (set = new Set()));
    set.add(w);
    if (w.any) this.#any.add(w);
    try {
      this.#arm(w.fd);
    } catch (e) {
      this.#remove(w);
      throw e;
    }
    this.#kick();
  }

  cancel(w: Waiter): void {
    if (!this.#remove(w)) return;
    w.resolve(0);
    this.#rearm(w.fd);
    if (this.#waiters.size === 0) this.#idle();
  }

  forget(fd: number): void {
    for (const w of this.#waiters.get(fd) ?? []) this.cancel(w);
    if (this.#added.delete(fd)) epollCtl(this.#epfd, EpollCtl.del, fd, 0, fd);
  }

  #remove(w: Waiter): boolean {
    const set = this.#waiters.get(w.fd);
    if (set === undefined || !set.delete(w)) return false;
    if (set.size === 0) this.#waiters.delete(w.fd);
    this.#any.delete(w);
    if (w.timer !== undefined) timers.clearTimeout(w.timer);
    return true;
  }

  // ONESHOT with the union of what the fd's waiters want. A stale "added" (the fd was closed and
  // its number reused) shows as ENOENT, a missed one as EEXIST: each falls through to the other op.
  #arm(fd: number): void {
    let events = 0;
    for (const w of this.#waiters.get(fd) ?? []) events |= w.events;
    events = (events | Epoll.oneshot) >>> 0;
    const first = this.#added.has(fd) ? EpollCtl.mod : EpollCtl.add;
    if (epollCtl(this.#epfd, first, fd, events, fd) !== 0) {
      epollCtl(this.#epfd, first === EpollCtl.mod ? EpollCtl.add : EpollCtl.mod, fd, events, fd);
    }
    this.#added.add(fd);
  }

  #rearm(fd: number): void {
    if (!this.#waiters.has(fd)) return;
    try {
      this.#arm(fd);
    } catch (e) {
      this.#fail(fd, e);
    }
  }

  // Once every waiter has gone, wake the pending wait so it ends (and stops holding the process).
  #idle(): void {
    if (this.#timer !== undefined) {
      timers.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#inFlight = false;
    } else if (this.#inFlight && !this.#woken) {
      this.#woken = true;
      eventFdSignal(this.#wake);
    }
  }

  #kick(): void {
    if (this.#inFlight || this.#waiters.size === 0) return;
    this.#inFlight = true;
    const poll = this.#b.pollAsync;
    if (poll === undefined) {
      this.#timer = timers.setTimeout(() => {
        this.#timer = undefined;
        this.#harvest(false);
      }, FALLBACK_POLL_MS);
      return;
    }
    poll.call(this.#b, this.#epfd).then(() => this.#harvest(true), (e) => {
      this.#inFlight = false;
      for (const fd of [...this.#waiters.keys()]) this.#fail(fd, e);
    });
  }

  // `polled`: the poll thread's poll(2) returned (it may have taken a perf fd's wake-up itself).
  #harvest(polled: boolean): void {
    this.#inFlight = false;
    const n = this.#events.wait(this.#epfd, 0);
    for (let i = 0; i < n; i++) {
      const fd = this.#events.data(i);
      const ev = this.#events.events(i);
      if (fd === this.#wake) {
        eventFdClear(this.#wake);
        this.#woken = false;
        continue;
      }
      const set = this.#waiters.get(fd);
      if (set === undefined) continue;
      for (const w of [...set]) {
        if ((ev & (w.events | Epoll.err | Epoll.hup)) === 0) continue;
        this.#remove(w);
        w.resolve(ev);
      }
      this.#rearm(fd);
    }
    if (polled) {
      for (const w of [...this.#any]) {
        this.#remove(w);
        w.resolve(Epoll.in);
      }
    }
    this.#kick();
  }

  #fail(fd: number, e: unknown): void {
    for (const w of [...(this.#waiters.get(fd) ?? [])]) {
      this.#remove(w);
      w.reject(e);
    }
  }
}

let poller: Poller | undefined;

function thePoller(): Poller {
  const b = getBackend();
  if (poller === undefined || poller.backend !== b) poller = new Poller(b);
  return poller;
}

/**
 * Waits, without blocking the event loop, until `fd` has one of `events` ready (EPOLLIN unless
 * given): the fd need not be a BPF one. The wait is level-triggered at arming: an fd ready now
 * resolves at once. Close an fd you waited on only after forgetFd(fd).
 */
export function waitFd(fd: number, opts: WaitFdOptions = {}): FdWait {
  checkFd(fd);
  const events = opts.events ?? Epoll.in;
  if (!Number.isInteger(events) || events <= 0 || events > 0xffffffff) throw new RangeError(`events must be EPOLL* bits, got ${events}`);
  const t = opts.timeoutMs;
  if (t !== undefined && !(t >= 0 && t <= 0x7fffffff)) throw new RangeError(`timeoutMs must be a number of milliseconds in [0, 2^31), got ${t}`);
  const p = thePoller();
  let resolve!: (ev: number) => void, reject!: (e: unknown) => void;
  const promise = new Promise<number>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const w: Waiter = { fd, events: (events & ~(Epoll.oneshot | Epoll.et)) >>> 0, resolve, reject, timer: undefined, any: opts.anyWake === true };
  p.add(w);
  if (t !== undefined) w.timer = timers.setTimeout(() => p.cancel(w), t);
  return { promise, cancel: () => p.cancel(w) };
}

/**
 * Takes `fd` out of the waiter's epoll set, resolving its pending waits with 0: call before
 * closing an fd that was waited on (epoll keeps an fd whose file is still open elsewhere).
 */
export function forgetFd(fd: number): void {
  checkFd(fd);
  poller?.forget(fd);
}

/**
 * Readies the waiter ahead of the first waitFd() (its epoll fd, and the backend's poll Worker,
 * which takes a while to start): for objects that will wait, at their creation.
 */
export function prepareWait(): void {
  const p = thePoller();
  p.backend.pollWarm?.();
}

/** The waiter's own fds (its epoll fd and eventfd), once it exists: process-lived, for fd accounting in tests. */
export function waiterFds(): readonly number[] {
  return poller?.fds ?? [];
}
