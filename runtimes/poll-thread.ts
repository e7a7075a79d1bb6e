/**
 * Backend.pollAsync for runtimes without a usable asynchronous FFI call (Bun has none; koffi's
 * `.async` runs on libuv's thread pool: with UV_THREADPOOL_SIZE=1 a pending wait held up an
 * fs.readFile for its whole 2 s): a Worker that sleeps in Atomics.wait until asked, then blocks
 * in poll(2) on the fd, and the asker's Atomics.waitAsync resolves. No message is cloned per wait
 * (measured against postMessage on a 2-vCPU VM, submit to wake-up: Node 223-301 vs 254-291 µs,
 * Bun 168-222 vs 162-223, Deno 308-367 vs 431-531; a C thread in epoll_wait got 102-104).
 * The Worker is unref'd while idle, ref'd while a poll is pending, and woken through an eventfd
 * of its own at process exit (Node joins Workers at exit: one blocked in a native call held an
 * exiting process for as long as the call lasted).
 * @module
 */

/** What the adapters' Worker objects offer (Node's worker_threads and Bun's Web Worker alike). */
export interface PollWorker {
  /** Lets the Worker keep the process alive. */
  ref(): void;
  /** Stops the Worker from keeping the process alive. */
  unref(): void;
}

// ctl slots: the request number, the fd, the number answered, its revents, the wake eventfd, stop.
const REQ = 0, FD = 1, DONE = 2, REVENTS = 3, WAKE = 4, STOP = 5;

/**
 * The Worker's source: `prelude` defines `poll(u8, nfds, timeout)` and `eventfd(init, flags)`
 * over the runtime's FFI, and `onStart(fn)` that hands `fn` the SharedArrayBuffer sent by postMessage.
 */
export function pollWorkerSource(prelude: string): string {
  return `${prelude}
onStart((sab) => {
  const ctl = new Int32Array(sab);
  const fds = new Uint8Array(16), dv = new DataView(fds.buffer);
  const wake = eventfd(0, 0o2000000);
  Atomics.store(ctl, ${WAKE}, wake);
  let seen = 0;
  for (;;) {
    Atomics.wait(ctl, ${REQ}, seen);
    if (Atomics.load(ctl, ${STOP})) return;
    seen = Atomics.load(ctl, ${REQ});
    dv.setInt32(0, Atomics.load(ctl, ${FD}), true); dv.setInt32(4, 1, true);
    dv.setInt32(8, wake, true); dv.setInt32(12, 1, true);
    const r = poll(fds, 2, -1);
    if (Atomics.load(ctl, ${STOP})) return;
    Atomics.store(ctl, ${REVENTS}, r > 0 ? dv.getUint16(6, true) : 0);
    Atomics.store(ctl, ${DONE}, seen);
    Atomics.notify(ctl, ${DONE});
  }
});`;
}

interface WaitAsync {
  waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string };
}

/** Backend.pollAsync and Backend.pollWarm over one Worker. */
export interface PollThread {
  /** Backend.pollAsync. */
  poll(fd: number): Promise<number>;
  /** Backend.pollWarm: starts the Worker. */
  warm(): void;
}

/**
 * pollAsync over a Worker that `start(sab)` creates (on the first call, or warm()) and sends `sab`
 * to; `write(fd, u8)` is the main thread's write(2), used once, at exit.
 */
export function pollThread(
  start: (sab: SharedArrayBuffer, onError: (e: unknown) => void) => PollWorker,
  write: (fd: number, buf: Uint8Array) => void,
): PollThread {
  let worker: PollWorker | undefined;
  let ctl: Int32Array;
  let seq = 0;
  let fail: ((e: unknown) => void) | undefined;
  let broken: unknown;
  const A = Atomics as unknown as WaitAsync;
  const warm = (): PollWorker => {
    if (worker === undefined) {
      const sab = new SharedArrayBuffer(6 * 4);
      ctl = new Int32Array(sab);
      worker = start(sab, (e) => {
        broken = e instanceof Error ? e : new Error(`tsbpf: the poll Worker failed: ${String((e as { message?: unknown })?.message ?? e)}`);
        fail?.(broken);
      });
      worker.unref();
      const proc = (globalThis as { process?: { on?(ev: string, f: () => void): void } }).process;
      proc?.on?.("exit", () => {
        Atomics.store(ctl, STOP, 1);
        Atomics.notify(ctl, REQ);
        const w = Atomics.load(ctl, WAKE);
        if (w > 0) write(w, new Uint8Array(new BigUint64Array([1n]).buffer));
      });
    }
    return worker;
  };
  const poll = (fd: number): Promise<number> => {
    if (broken !== undefined) return Promise.reject(broken);
    const w = warm();
    if (Atomics.load(ctl, DONE) !== seq) throw new Error("tsbpf: pollAsync: one call at a time");
    ctl[FD] = fd;
    Atomics.store(ctl, REQ, ++seq);
    Atomics.notify(ctl, REQ);
    w.ref();
    return new Promise<number>((resolve, reject) => {
      fail = reject;
      const r = A.waitAsync(ctl, DONE, seq - 1);
      const done = (): void => {
        fail = undefined;
        w.unref();
        resolve(Atomics.load(ctl, REVENTS));
      };
      if (typeof r.value === "string") done();
      else r.value.then(done, reject);
    });
  };
  return { poll, warm: () => void warm() };
}

/** The Backend members a PollThread fills. */
export function pollBackend(t: PollThread): { pollAsync(fd: number): Promise<number>; pollWarm(): void } {
  return { pollAsync: t.poll, pollWarm: t.warm };
}
