/** Counts the syscalls a piece of code makes, by wrapping the FFI backend for its duration. */
import { type Backend, getBackend, setBackend } from "../../mod.ts";

/** What the kernel answered to each bpf() command made during `fn`: [cmd, rc] pairs. */
export interface Spied<T> {
  result?: T;
  error?: unknown;
  bpf: [number, number][];
  syscalls: number;
}

/** Runs `fn` with every bpf() and other syscall recorded; never throws (the error is returned). */
export function spy<T>(fn: () => T): Spied<T> {
  const real = getBackend();
  const out: Spied<T> = { bpf: [], syscalls: 0 };
  const wrapped: Backend = {
    name: real.name,
    arch: real.arch,
    bpf(cmd, attr, addr, size) {
      const rc = real.bpf(cmd, attr, addr, size);
      out.bpf.push([cmd, rc]);
      return rc;
    },
    syscall(...args: Parameters<Backend["syscall"]>) {
      out.syscalls++;
      return real.syscall(...args);
    },
    address: (b) => real.address(b),
  };
  setBackend(wrapped);
  try {
    out.result = fn();
  } catch (e) {
    out.error = e;
  } finally {
    setBackend(real);
  }
  return out;
}
