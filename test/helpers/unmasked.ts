/**
 * The real backend without `view`/`nativeFn4`: bpfNoSignals() cannot build its trampoline on it
 * and makes plain, unmasked calls - what every load was before signals were blocked.
 */
import { type Backend, getBackend, setBackend } from "../../mod.ts";

/** A backend forwarding to `real`, minus what the signal-blocking trampoline needs. */
export function unmaskedBackend(real: Backend): Backend {
  return {
    name: `unmasked(${real.name})`,
    arch: real.arch,
    bpf: (cmd, attr, addr, size) => real.bpf(cmd, attr, addr, size),
    syscall: (...args) => real.syscall(...args),
    address: (buf) => real.address(buf),
    ...(real.read ? { read: (addr: number, len: number) => real.read!(addr, len) } : {}),
  };
}

/** Runs `fn` with bpf() calls unmasked; the real backend is back afterwards. */
export function withoutMask<T>(fn: () => T): T {
  const real = getBackend();
  setBackend(unmaskedBackend(real));
  try {
    return fn();
  } finally {
    setBackend(real);
  }
}
