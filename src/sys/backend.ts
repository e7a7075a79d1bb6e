/**
 * The one seam between the pure core and a runtime's FFI. Each runtime adapter in `runtimes/`
 * implements it over libc's `syscall()`; tests and users may install their own with `setBackend()`.
 * @module
 */

/** What the core needs from a runtime: libc's `syscall()` and the address of a buffer. */
export interface Backend {
  /** Runtime name, for messages: `"deno"`, `"bun"`, `"node"` or a custom name. */
  readonly name: string;
  /** CPU architecture as the kernel names it: `"x86_64"` or `"aarch64"`. */
  readonly arch: string;
  /**
   * `syscall(SYS_bpf, cmd, attr, size)`: the result, or `-errno` on failure. `addr` is
   * `address(attr)`, computed once by the caller, for backends that pass a number faster than a buffer.
   */
  bpf(cmd: number, attr: Uint8Array, addr: number, size: number): number;
  /** Any syscall with up to six integer arguments (pointers as addresses): the result, or `-errno`. */
  syscall(nr: number, a0?: number, a1?: number, a2?: number, a3?: number, a4?: number, a5?: number): number;
  /**
   * Address of `buf[0]`. The buffer's memory must stay put afterwards (adapters force V8's small
   * on-heap arrays out of the moving heap first); the caller keeps `buf` alive while the kernel uses it.
   */
  address(buf: Uint8Array): number;
  /** A copy of `len` bytes at a native address (memory the kernel mapped for us, e.g. mmap). */
  read?(addr: number, len: number): Uint8Array;
  /**
   * A live view of `len` bytes of native memory at `addr` (memory the library mmap'd): reads and
   * writes go straight to it, no copy. The caller never touches it after unmapping the memory.
   */
  view?(addr: number, len: number): ArrayBuffer;
  /**
   * The native function at `addr`, called with four integer arguments and returning a C `long`
   * (the library's own machine code in memory it mapped executable; see `sys/nosig.ts`).
   */
  nativeFn4?(addr: number): (a0: number, a1: number, a2: number, a3: number) => number;
  /**
   * Optional: `bpf(cmd, attr, size)` as a one-argument function for an attr buffer that never
   * moves, so the element hot path passes only `cmd` (adapters precompute the pointer they pass).
   * As with `address()`, the caller keeps `attr` alive while it uses the function.
   */
  bind?(attr: Uint8Array, size: number): (cmd: number) => number;
  /** Optional: environment variable `name` as the runtime sees it now (`process.env`, `Deno.env`); may throw when not permitted. */
  env?(name: string): string | undefined;
  /**
   * Optional: poll(2) of `fd` for POLLIN, blocking on another thread (a Worker, or the runtime's
   * pool for blocking calls), so the event loop runs meanwhile. Resolves with the revents, or 0
   * when the wait ended without them (EINTR). Keeps the runtime alive while pending; one call at
   * a time (sys/wait.ts, its one caller, polls a single epoll fd for every waiter).
   */
  pollAsync?(fd: number): Promise<number>;
  /** Optional: readies what pollAsync needs (starts its Worker) ahead of the first wait, which would pay for it otherwise. */
  pollWarm?(): void;
}

/** `bpf(cmd, attr, size)` for a fixed `attr` through `b`: its own `bind`, or a wrapper over `bpf`. */
export function bindBpf(b: Backend, attr: Uint8Array, size: number): (cmd: number) => number {
  if (b.bind !== undefined) return b.bind(attr, size);
  const addr = b.address(attr);
  return (cmd) => b.bpf(cmd, attr, addr, size);
}

let current: Backend | undefined;
let factory: (() => Backend) | undefined;
const listeners: (() => void)[] = [];

/** Installs `b` as the backend every call goes through from now on (a fake for tests, or another FFI). */
export function setBackend(b: Backend): void {
  current = b;
  for (const f of listeners) f();
}

/** Calls `f` whenever setBackend() installs a backend: for callers that cache what they bound. */
export function onBackendChange(f: () => void): void {
  listeners.push(f);
}

/** Registers how to build the default backend on first use; `runtimes/auto.ts` calls this. */
export function setBackendFactory(f: () => Backend): void {
  factory = f;
}

/** The backend in use, built by the registered factory on first call. */
export function getBackend(): Backend {
  if (current !== undefined) return current;
  if (factory === undefined) {
    throw new Error(
      "tsbpf: no FFI backend. Import the package entry (mod.ts), which picks Deno, Bun or Node, or call setBackend().",
    );
  }
  current = factory();
  return current;
}

/** The backend if one is in use already, without building one. */
export function peekBackend(): Backend | undefined {
  return current;
}

const kept: unknown[] = [undefined, undefined, undefined];

/**
 * Call after a syscall that was given the addresses of `a`, `b`, `c`: the stores make them live
 * until then, so the GC cannot free memory the kernel was reading or writing during the call.
 * They stay referenced until the next keepAlive().
 */
export function keepAlive(a: unknown, b?: unknown, c?: unknown): void {
  kept[0] = a;
  kept[1] = b;
  kept[2] = c;
}

