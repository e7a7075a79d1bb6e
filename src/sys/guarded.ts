/**
 * Scratch memory the kernel copies through, each region ending at a PROT_NONE guard. A caller's
 * bytes are staged at the very end of a region, so a copy longer than the library expected (its
 * size cache fooled by another thread that closed and reused an fd number) faults inside the
 * kernel, which returns EFAULT, instead of running over the caller's or the library's memory.
 * @module
 */
import type { Backend } from "./backend.ts";
import { granules, mmapAnon, munmap, mprotect, Prot } from "./mmap.ts";

const EMPTY = new Uint8Array(0);

/** One growable region of scratch bytes followed by a guard. */
export class GuardedRegion {
  /** Usable bytes before the guard. */
  cap = 0;
  /** Address of byte 0 of the region. */
  addr = 0;
  /** Live view of the `cap` usable bytes. Replaced (and the old memory unmapped) when the region grows. */
  u8: Uint8Array = EMPTY;
  #backend: Backend | undefined;
  #mapped = 0;

  /**
   * Makes room for `n` bytes through backend `b`; true when the region moved, so whatever the
   * caller derived from `addr` or `u8` is stale. A backend without `view()` (a test fake) gets a
   * plain ArrayBuffer without a guard: no real kernel writes through it.
   */
  ensure(b: Backend, n: number): boolean {
    if (b === this.#backend && n <= this.cap) return false;
    const cap = granules(Math.max(n, b === this.#backend ? this.cap * 2 : 0));
    this.free();
    if (b.view === undefined) {
      this.u8 = new Uint8Array(new ArrayBuffer(cap));
      this.addr = b.address(this.u8);
    } else {
      const addr = mmapAnon(b, cap + granules(1), Prot.read | Prot.write);
      try {
        mprotect(b, addr + cap, granules(1), Prot.none);
      } catch (e) {
        munmap(b, addr, cap + granules(1));
        throw e;
      }
      this.u8 = new Uint8Array(b.view(addr, cap));
      this.addr = addr;
      this.#mapped = cap + granules(1);
    }
    this.cap = cap;
    this.#backend = b;
    return true;
  }

  /** Address of the last `n` usable bytes (where `n` staged bytes end at the guard). */
  tail(n: number): number {
    return this.addr + this.cap - n;
  }

  /** Unmaps the region; its views must not be touched again. */
  free(): void {
    const b = this.#backend;
    if (b !== undefined && this.#mapped !== 0) munmap(b, this.addr, this.#mapped);
    this.u8 = EMPTY;
    this.addr = this.cap = this.#mapped = 0;
    this.#backend = undefined;
  }
}
