/**
 * Bun adapter: `bun:ffi` over libc, loaded synchronously through `process.getBuiltinModule` so
 * this file can be imported (and ignored) by the other runtimes.
 * @module
 */
import type { Backend } from "../src/sys/backend.ts";
import { linuxArch, syscallNumbers } from "../src/sys/nr.ts";
import { pollBackend, pollThread, pollWorkerSource } from "./poll-thread.ts";

interface BunFfi {
  dlopen(path: string, symbols: Record<string, { args: string[]; returns: string }>): {
    symbols: Record<string, (...args: unknown[]) => unknown>;
  };
  ptr(buf: Uint8Array): number;
  toArrayBuffer(ptr: number, offset: number, len: number): ArrayBuffer;
  CFunction(def: { ptr: number; args: string[]; returns: string }): (...args: number[]) => number | bigint;
}

/** True when running under Bun. */
export function isBun(): boolean {
  return typeof (globalThis as { Bun?: unknown }).Bun === "object";
}

/** Builds the Bun backend over libc.so.6. */
export function bunBackend(libc = "libc.so.6"): Backend {
  const proc = (globalThis as unknown as { process: { arch: string; env: Record<string, string | undefined>; getBuiltinModule(id: string): unknown } }).process;
  const ffi = proc.getBuiltinModule("bun:ffi") as BunFfi;
  const arch = linuxArch(proc.arch);
  const nr = syscallNumbers(arch);
  const lib = ffi.dlopen(libc, {
    // The syscall number goes in as "ptr": the same 64-bit register as a long, and bun:ffi takes a
    // number there without the BigInt check "i64" makes (measured ~4 ns a call).
    syscall: { args: ["ptr", "i32", "ptr", "u32"], returns: "i32" },
    __errno_location: { args: [], returns: "ptr" },
  });
  // A second handle: bun:ffi binds one signature per symbol name.
  const lib6 = ffi.dlopen(libc, {
    syscall: { args: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], returns: "i64_fast" },
  });
  const sys = lib.symbols.syscall as (nr: number, cmd: number, attr: number, size: number) => number;
  const sys6 = lib6.symbols.syscall as (...args: number[]) => number | bigint;
  const errno = new Int32Array(ffi.toArrayBuffer((lib.symbols.__errno_location as () => number)(), 0, 4));
  const SYS_BPF = nr.bpf;
  // bun:ffi has no asynchronous call: poll(2) blocks in a Worker of its own.
  const prelude = `const { dlopen } = require("bun:ffi");
const c = dlopen(${JSON.stringify(libc)}, { poll: { args: ["ptr", "u64", "i32"], returns: "i32" }, eventfd: { args: ["u32", "i32"], returns: "i32" } });
const poll = c.symbols.poll, eventfd = c.symbols.eventfd;
const onStart = (f) => { self.onmessage = (e) => f(e.data); };`;
  type BunWorker = { addEventListener(ev: string, f: (e: unknown) => void): void; postMessage(m: unknown): void; ref(): void; unref(): void };
  const g = globalThis as unknown as { Worker: new (url: string) => BunWorker; Blob: new (parts: string[]) => unknown; URL: { createObjectURL(b: unknown): string } };
  return {
    name: "bun",
    arch,
    bpf(cmd: number, _attr: Uint8Array, addr: number, size: number): number {
      const rc = sys(SYS_BPF, cmd, addr, size);
      return rc < 0 ? -errno[0] : rc;
    },
    syscall(n: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
      const rc = Number(sys6(n, a0, a1, a2, a3, a4, a5));
      return rc === -1 ? -errno[0] : rc;
    },
    bind(attr: Uint8Array, size: number): (cmd: number) => number {
      void attr.buffer;
      const addr = ffi.ptr(attr);
      return (cmd) => {
        const rc = sys(SYS_BPF, cmd, addr, size);
        return rc < 0 ? -errno[0] : rc;
      };
    },
    address(buf: Uint8Array): number {
      void buf.buffer;
      return ffi.ptr(buf);
    },
    read(addr: number, len: number): Uint8Array {
      return new Uint8Array(ffi.toArrayBuffer(addr, 0, len)).slice();
    },
    view(addr: number, len: number): ArrayBuffer {
      return ffi.toArrayBuffer(addr, 0, len);
    },
    nativeFn4(addr: number): (a0: number, a1: number, a2: number, a3: number) => number {
      const f = ffi.CFunction({ ptr: addr, args: ["i64", "i64", "i64", "i64"], returns: "i64_fast" });
      return (a0, a1, a2, a3) => Number(f(a0, a1, a2, a3));
    },
    env(name: string): string | undefined {
      return proc.env[name];
    },
    ...pollBackend(pollThread((sab, onError) => {
      const w = new g.Worker(g.URL.createObjectURL(new g.Blob([pollWorkerSource(prelude)])));
      w.addEventListener("error", onError);
      w.postMessage(sab);
      return w;
    }, (fd, buf) => void sys6(nr.write, fd, ffi.ptr(buf), buf.length, 0, 0, 0))),
  };
}
