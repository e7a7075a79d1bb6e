/**
 * Deno adapter: `Deno.dlopen` of libc. Needs `--allow-ffi`. Calls are synchronous on the calling
 * thread, so errno is read right after a failing call, before anything else can touch it.
 * @module
 */
import type { Backend } from "../src/sys/backend.ts";
import { syscallNumbers } from "../src/sys/nr.ts";

// The few Deno FFI shapes we use, declared here so the file type-checks outside Deno too.
interface DenoPointerView { getArrayBuffer(len: number, offset?: number): ArrayBuffer }
interface DenoFfi {
  build: { arch: string };
  env: { get(name: string): string | undefined };
  dlopen(path: string, symbols: Record<string, { name?: string; parameters: string[]; result: string; nonblocking?: boolean }>): {
    symbols: Record<string, (...args: unknown[]) => unknown>;
  };
  UnsafePointer: { of(buf: Uint8Array): unknown; value(p: unknown): bigint | number; create(v: bigint): unknown };
  UnsafePointerView: new (p: unknown) => DenoPointerView;
  UnsafeFnPointer: new (p: unknown, def: { parameters: string[]; result: string }) => { call(...a: unknown[]): unknown };
}

/** True when running under Deno. */
export function isDeno(): boolean {
  return typeof (globalThis as { Deno?: { dlopen?: unknown } }).Deno?.dlopen === "function";
}

/** Builds the Deno backend over libc.so.6. */
export function denoBackend(libc = "libc.so.6"): Backend {
  const D = (globalThis as unknown as { Deno: DenoFfi }).Deno;
  const arch = D.build.arch;
  const nr = syscallNumbers(arch);
  const lib = D.dlopen(libc, {
    // Fixed arguments: Deno has no variadic calls, and fixed ones are ABI-safe for syscall() here.
    // The attr goes in as a pointer object: measured ~25 ns a call cheaper than a "buffer".
    syscall: { parameters: ["i64", "i32", "pointer", "u32"], result: "i32" },
    syscall6: { name: "syscall", parameters: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], result: "i64" },
    __errno_location: { parameters: [], result: "pointer" },
    // On Deno's pool for blocking calls, a promise: woke as fast as a Worker did (measured), no Worker.
    poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  });
  const pollNb = lib.symbols.poll as (fds: Uint8Array, n: number, timeout: number) => Promise<number>;
  const sys = lib.symbols.syscall as (nr: bigint, cmd: number, attr: unknown, size: number) => number;
  const sys6 = lib.symbols.syscall6 as (...args: (number | bigint)[]) => bigint | number;
  const errnoPtr = (lib.symbols.__errno_location as () => unknown)();
  const errno = new Int32Array(new D.UnsafePointerView(errnoPtr).getArrayBuffer(4));
  // A bigint constant: a number passed to an i64 parameter costs a conversion on every call.
  const SYS_BPF = BigInt(nr.bpf);
  let lastAttr: Uint8Array | undefined;
  let lastPtr: unknown = null;
  return {
    name: "deno",
    arch,
    bpf(cmd: number, attr: Uint8Array, _addr: number, size: number): number {
      // One cached pointer object: the hot path passes the same attr buffer every time.
      if (attr !== lastAttr) {
        void attr.buffer;
        lastPtr = D.UnsafePointer.of(attr);
        lastAttr = attr;
      }
      const rc = sys(SYS_BPF, cmd, lastPtr, size);
      return rc < 0 ? -errno[0] : rc;
    },
    syscall(n: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
      const rc = Number(sys6(n, a0, a1, a2, a3, a4, a5));
      return rc === -1 ? -errno[0] : rc;
    },
    bind(attr: Uint8Array, size: number): (cmd: number) => number {
      void attr.buffer;
      const p = D.UnsafePointer.of(attr);
      return (cmd) => {
        const rc = sys(SYS_BPF, cmd, p, size);
        return rc < 0 ? -errno[0] : rc;
      };
    },
    address(buf: Uint8Array): number {
      void buf.buffer; // moves a small on-heap array out of V8's moving heap, once
      return Number(D.UnsafePointer.value(D.UnsafePointer.of(buf)));
    },
    read(addr: number, len: number): Uint8Array {
      const p = D.UnsafePointer.create(BigInt(addr));
      return new Uint8Array(new D.UnsafePointerView(p).getArrayBuffer(len)).slice();
    },
    view(addr: number, len: number): ArrayBuffer {
      return new D.UnsafePointerView(D.UnsafePointer.create(BigInt(addr))).getArrayBuffer(len);
    },
    nativeFn4(addr: number): (a0: number, a1: number, a2: number, a3: number) => number {
      const f = new D.UnsafeFnPointer(D.UnsafePointer.create(BigInt(addr)), {
        parameters: ["i64", "i64", "i64", "i64"],
        result: "i64",
      });
      return (a0, a1, a2, a3) => Number(f.call(a0, a1, a2, a3));
    },
    env(name: string): string | undefined {
      return D.env.get(name);
    },
    pollAsync(fd: number): Promise<number> {
      const fds = new Uint8Array(new Int32Array([fd, 1]).buffer); // struct pollfd {fd, POLLIN}, kept by the closure
      return pollNb(fds, 1, -1).then((r) => (r > 0 ? fds[6] | (fds[7] << 8) : 0));
    },
  };
}
