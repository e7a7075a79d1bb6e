/**
 * Node adapter: koffi (an optional dependency with prebuilt binaries) over libc. Node before 26
 * has no built-in FFI. koffi is required lazily so the other runtimes never load it.
 * @module
 */
import type { Backend } from "../src/sys/backend.ts";
import { linuxArch, syscallNumbers } from "../src/sys/nr.ts";
import { pollBackend, pollThread, pollWorkerSource } from "./poll-thread.ts";

interface Koffi {
  load(path: string): { func(decl: string): (...args: unknown[]) => unknown };
  address(buf: Uint8Array): bigint | number;
  errno(): number;
  view(ptr: unknown, len: number): ArrayBuffer;
  proto(decl: string): unknown;
  decode(ptr: unknown, type: string, len?: number): unknown;
}

interface NodeProcess {
  arch: string;
  env: Record<string, string | undefined>;
  getBuiltinModule(id: string): unknown;
}

type Require = ((id: string) => unknown) & { resolve(id: string): string };

/** Loads koffi from this package's dependencies (and says where: Workers load it too); a clear error if it is not installed. */
function loadKoffi(): Koffi & { path: string } {
  const proc = (globalThis as unknown as { process: NodeProcess }).process;
  const mod = proc.getBuiltinModule("module") as { createRequire(url: string): Require };
  try {
    const req = mod.createRequire((import.meta as { url: string }).url);
    return Object.assign(req("koffi") as Koffi, { path: req.resolve("koffi") });
  } catch (e) {
    throw new Error(`tsbpf: Node needs the 'koffi' package for FFI (npm install koffi): ${(e as Error).message}`);
  }
}

/** Builds the Node backend over libc.so.6 with koffi. */
export function nodeBackend(libc = "libc.so.6"): Backend {
  const koffi = loadKoffi();
  const proc = (globalThis as unknown as { process: NodeProcess }).process;
  const arch = linuxArch(proc.arch);
  const nr = syscallNumbers(arch);
  const lib = koffi.load(libc);
  // The attr goes in as an integer address: koffi converts a number faster than a typed array.
  const sys = lib.func("int syscall(long, long, intptr_t, uint32_t)") as (
    nr: number, cmd: number, attr: number, size: number,
  ) => number;
  const sys6 = lib.func("long syscall(long, long, long, long, long, long, long)") as (...a: number[]) => number;
  const SYS_BPF = nr.bpf;
  // The poll Worker binds libc's poll and eventfd through koffi of its own.
  const prelude = `const koffi = require(${JSON.stringify(koffi.path)}), c = koffi.load(${JSON.stringify(libc)});
const poll = c.func("int poll(void *, unsigned long, int)"), eventfd = c.func("int eventfd(unsigned int, int)");
const onStart = (f) => require("node:worker_threads").parentPort.once("message", f);`;
  type NodeWorker = { on(ev: string, f: (e: unknown) => void): void; postMessage(m: unknown): void; ref(): void; unref(): void };
  const WT = proc.getBuiltinModule("worker_threads") as { Worker: new (src: string, o: { eval: boolean }) => NodeWorker };
  return {
    name: "node",
    arch,
    bpf(cmd: number, _attr: Uint8Array, addr: number, size: number): number {
      const rc = sys(SYS_BPF, cmd, addr, size);
      return rc < 0 ? -koffi.errno() : rc;
    },
    syscall(n: number, a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
      const rc = Number(sys6(n, a0, a1, a2, a3, a4, a5));
      return rc === -1 ? -koffi.errno() : rc;
    },
    bind(attr: Uint8Array, size: number): (cmd: number) => number {
      void attr.buffer;
      const addr = Number(koffi.address(attr));
      return (cmd) => {
        const rc = sys(SYS_BPF, cmd, addr, size);
        return rc < 0 ? -koffi.errno() : rc;
      };
    },
    address(buf: Uint8Array): number {
      void buf.buffer;
      return Number(koffi.address(buf));
    },
    read(addr: number, len: number): Uint8Array {
      return new Uint8Array(koffi.view(addr, len)).slice();
    },
    view(addr: number, len: number): ArrayBuffer {
      return koffi.view(addr, len);
    },
    nativeFn4(addr: number): (a0: number, a1: number, a2: number, a3: number) => number {
      // An anonymous prototype: a named one may be declared only once per process.
      const f = koffi.decode(addr, koffi.proto("long (long, long, long, long)") as string) as (...a: number[]) => number | bigint;
      return (a0, a1, a2, a3) => Number(f(a0, a1, a2, a3));
    },
    env(name: string): string | undefined {
      return proc.env[name];
    },
    ...pollBackend(pollThread((sab, onError) => {
      const w = new WT.Worker(pollWorkerSource(prelude), { eval: true });
      w.on("error", onError);
      w.postMessage(sab);
      return w;
    }, (fd, buf) => void sys6(nr.write, fd, Number(koffi.address(buf)), buf.length, 0, 0, 0))),
  };
}
