/** A backend that wraps the real one, so a test can watch or fake single bpf() calls. */
import { type Backend, getBackend, setBackend } from "../../mod.ts";

/** Decides one bpf() call: return a result to fake it, or undefined to let the real kernel answer. */
export type Hook = (cmd: number, attr: Uint8Array, size: number, real: () => number) => number | undefined;

/** Runs `fn` with every bpf() call going through `hook` first; the real backend is back afterwards. */
export function withHook<T>(hook: Hook, fn: () => T): T {
  const real = getBackend();
  const spy: Backend = {
    name: `spy(${real.name})`,
    arch: real.arch,
    bpf: (cmd, attr, addr, size) => hook(cmd, attr, size, () => real.bpf(cmd, attr, addr, size)) ?? real.bpf(cmd, attr, addr, size),
    syscall: (...args) => real.syscall(...args),
    address: (buf) => real.address(buf),
    ...(real.read ? { read: (addr: number, len: number) => real.read!(addr, len) } : {}),
  };
  setBackend(spy);
  try {
    return fn();
  } finally {
    setBackend(real);
  }
}

/** Counts bpf() calls by command number while `fn` runs. */
export function countCalls<T>(fn: () => T): { result: T; calls: Map<number, number> } {
  const calls = new Map<number, number>();
  const result = withHook((cmd) => {
    calls.set(cmd, (calls.get(cmd) ?? 0) + 1);
    return undefined;
  }, fn);
  return { result, calls };
}
