/**
 * What every live kernel object (map, program, link, BTF) shares: one owned fd, closed exactly
 * once by `close()`, `[Symbol.dispose]` (so `using` works) or - with a warning - by the garbage
 * collector when nobody closed it; pinning to a bpffs path; its kernel id.
 * @module
 */
import { Errno } from "./constants/errno.gen.ts";
import { BpfError } from "./errors.ts";
import { close as closeFd } from "./cmd/fd.ts";
import { objPin } from "./cmd/obj.ts";
import { warn } from "./util/warn.ts";

interface Held {
  fd: number;
  what: string;
}

// Closes fds of objects that were dropped without close(), and says so: a leak in the caller.
const registry = new FinalizationRegistry<Held>((h) => {
  try {
    closeFd(h.fd);
  } catch {
    // already closed behind our back; nothing left to do
  }
  warn(`${h.what} (fd ${h.fd}) was garbage-collected without close(); closed it now`);
});

/** Closes every fd in `fds`, ignoring errors: cleanup on a failure path. */
export function closeAll(fds: readonly number[]): void {
  for (const fd of fds) {
    try {
      closeFd(fd);
    } catch {
      // best effort
    }
  }
}

/** A kernel object owned through one fd. Subclasses: BpfMap, Program, Link, Btf. */
export abstract class BpfObject {
  #fd: number;
  #held: Held;

  /** Takes ownership of `fd`: it is closed by close(), or by the GC (with a warning) if forgotten. */
  protected constructor(fd: number, what: string) {
    this.#fd = fd;
    this.#held = { fd, what };
    registry.register(this, this.#held, this);
  }

  /** The fd; throws a TypeError once the object is closed. */
  get fd(): number {
    if (this.#fd < 0) throw new TypeError(`${this.#held.what} is closed`);
    return this.#fd;
  }

  /** True once close() ran. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Closes the fd (the kernel object lives on while pinned or referenced elsewhere). Idempotent. */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    registry.unregister(this);
    closeFd(fd);
  }

  /** Same as close(), for `using obj = ...`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Pins the object at `path` on a bpffs so it outlives this process. Mounting the bpffs
   * (`mount -t bpf bpf /sys/fs/bpf`) is the caller's job; the error says so when it is missing.
   */
  pin(path: string): void {
    try {
      objPin(this.fd, path);
    } catch (e) {
      throw pinHint(e, path);
    }
  }

  /** The object's kernel id (stable while it exists, unlike the fd). */
  abstract get id(): number;
}

/** Adds the "is a bpffs mounted there?" hint to pin and open errors where it is the likely cause. */
export function pinHint(e: unknown, path: string): unknown {
  if (e instanceof BpfError && (e.errno === Errno.ENOENT || e.errno === Errno.EPERM || e.errno === Errno.EINVAL)) {
    const dir = path.slice(0, Math.max(path.lastIndexOf("/"), 1));
    e.message += `; is a bpffs mounted at ${dir} (mount -t bpf bpf ${dir}), and does the directory exist?`;
  }
  return e;
}
