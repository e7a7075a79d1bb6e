/**
 * What every live kernel object (map, program, link, BTF) shares: one owned fd, closed exactly
 * once by `close()`, `[Symbol.dispose]` (so `using` works) or - with a warning - by the garbage
 * collector when nobody closed it; pinning to a bpffs path; its kernel id. The fds held are
 * counted (fd-census.ts) so that running out of them can say whose they are.
 * @module
 */
import { close as closeFd } from "./cmd/fd.ts";
import { objPin } from "./cmd/obj.ts";
import { censusClosed, censusOpened, type FdCensus, fdCensus } from "./fd-census.ts";
import { warn } from "./util/warn.ts";

// Where the object classes found the pin-error explanation before cmd/pin-error.ts had it.
export { pinHint } from "./cmd/pin-error.ts";

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
  censusClosed(true);
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

/**
 * A kernel object owned through one fd: BpfMap, BpfProgram, and the links and BTF handles to
 * come. Not "BpfObject": libbpf's bpf_object is an ELF file of programs and maps.
 */
export abstract class FdObject {
  #fd: number;
  #held: Held;

  /** Takes ownership of `fd`: it is closed by close(), or by the GC (with a warning) if forgotten. */
  protected constructor(fd: number, what: string) {
    this.#fd = fd;
    this.#held = { fd, what };
    registry.register(this, this.#held, this);
    censusOpened();
  }

  /**
   * How many fds BpfObjects hold open now, and how many the GC has closed for objects dropped
   * without close(): what an EMFILE message reports.
   */
  static fdCensus(): FdCensus {
    return fdCensus();
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
    censusClosed(false);
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
    objPin(this.fd, path);
  }

  /** The object's kernel id (stable while it exists, unlike the fd). */
  abstract get id(): number;
}
