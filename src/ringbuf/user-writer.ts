/**
 * UserRingBufWriter: the producer side of a BPF_MAP_TYPE_USER_RINGBUF (Linux 6.1+), which BPF
 * programs drain with bpf_user_ringbuf_drain(). Here the consumer page is the read-only one and
 * the producer page and data area are writable: a sample is reserved by writing its header (the
 * length with the BUSY bit) and then advancing producer_pos, both with `Atomics.store` (writable
 * memory: safe on every engine); submit() clears BUSY, discard() sets DISCARD, again with a
 * store that orders the sample's bytes before it. consumer_pos is read plainly after a barrier,
 * never with Atomics (read-only memory; see reader.ts for why).
 * @module
 */
import { MapType } from "../uapi/enums.gen.ts";
import { FdObject } from "../fd-object.ts";
import { Epoll } from "../sys/epoll.ts";
import { prepareWait, waitFd } from "../sys/wait.ts";
import { checkBytes } from "../util/args.ts";
import { mapInfo } from "../map/info.ts";
import { closeRing, dropFd, loadPosition, loadPositionFenced, mapRing, ownRingFd, type RingMapLike, type RingMemory } from "./mapping.ts";

const BUSY = 0x80000000 | 0;
const DISCARD = 0x40000000;
const LEN = 0x3fffffff;

interface Timers {
  setTimeout(f: () => void, ms: number): unknown;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => (globalThis as unknown as Timers).setTimeout(r, ms));

/**
 * Writes samples into a user ring buffer for BPF programs to drain, as libbpf's
 * `user_ring_buffer`: reserve() a sample in place, fill it, submit() or discard() it (in any
 * order; the kernel drains up to the first one still reserved); write() does all three for a
 * copy; reserveBlocking() waits, without blocking the event loop, for the kernel to make room.
 * One writer per ring. Owns a duplicate of the map's fd.
 *
 * @example
 * ```ts
 * import { BpfMap, MapType, UserRingBufWriter } from "tsbpf";
 * using urb = BpfMap.create({ type: MapType.user_ringbuf, keySize: 0, valueSize: 0, maxEntries: 1 << 16 });
 * using w = new UserRingBufWriter(urb);
 * const s = w.reserve(16);
 * if (s) { s.fill(1); w.submit(s); }
 * w.write(new Uint8Array([1, 2, 3]));
 * ```
 */
export class UserRingBufWriter extends FdObject {
  /** The data area's size in bytes (the map's max_entries). */
  readonly size: number;
  readonly #m: RingMemory;
  readonly #c32: Int32Array;
  readonly #p32: Int32Array;
  readonly #p64: BigInt64Array;
  readonly #w32: Int32Array;
  readonly #u8: Uint8Array;
  readonly #mask: number;
  #id = 0;

  /** A writer of user ring buffer `map` (a BpfMap or a map fd; the writer keeps a duplicate of the fd). */
  constructor(map: RingMapLike) {
    const own = ownRingFd(map, MapType.user_ringbuf, "UserRingBufWriter");
    let m: RingMemory;
    try {
      m = mapRing(own.fd, own.size, MapType.user_ringbuf);
    } catch (e) {
      dropFd(own.fd);
      throw e;
    }
    super(own.fd, `user ring buffer writer (${own.name ? `map "${own.name}"` : "unnamed map"})`);
    this.size = own.size;
    this.#m = m;
    this.#c32 = m.consumer;
    this.#p32 = m.producer;
    this.#p64 = new BigInt64Array(m.producer.buffer, m.producer.byteOffset, 1);
    this.#w32 = m.words;
    this.#u8 = m.bytes;
    this.#mask = own.size - 1;
    prepareWait();
  }

  /** The map's kernel id. */
  get id(): number {
    if (this.#id === 0) this.#id = mapInfo(this.fd).id;
    return this.#id;
  }

  /** consumer_pos: bytes the kernel has drained since the ring was made. */
  get consumerPosition(): number {
    this.#live();
    return loadPositionFenced(this.#c32, this.#p32);
  }

  /** producer_pos: bytes reserved since the ring was made. */
  get producerPosition(): number {
    this.#live();
    return loadPosition(this.#p32);
  }

  /** Bytes free for new samples (each takes its length plus an 8-byte header, rounded up to 8). */
  get freeBytes(): number {
    this.#live();
    return this.size - this.#used(Atomics.load(this.#p32, 0) >>> 0);
  }

  /**
   * Reserves a sample of `size` bytes in place: a view to fill, then pass to submit() or
   * discard(); null when the ring has no room for it now. A RangeError for a size the ring can
   * never hold (E2BIG in libbpf).
   */
  reserve(size: number): Uint8Array | null {
    if (!Number.isSafeInteger(size) || size < 0 || size > LEN) throw new RangeError(`reserve: size must be an integer in [0, 2^30), got ${size}`);
    this.#live();
    const total = (size + 15) & ~7;
    if (total > this.size) throw new RangeError(`reserve: a ${size}-byte sample takes ${total} bytes, more than the ${this.size}-byte ring`);
    const plo = Atomics.load(this.#p32, 0) >>> 0;
    if (this.#used(plo) + total > this.size) return null;
    const off = plo & this.#mask;
    Atomics.store(this.#w32, (off >> 2) + 1, 0); // pg_off, unused for user rings
    Atomics.store(this.#w32, off >> 2, size | BUSY);
    const lo = (plo + total) >>> 0;
    if (lo >= plo) Atomics.store(this.#p32, 0, lo | 0);
    else Atomics.store(this.#p64, 0, BigInt.asIntN(64, (BigInt((Atomics.load(this.#p32, 1) + 1) >>> 0) << 32n) | BigInt(lo)));
    return this.#u8.subarray(off + 8, off + 8 + size);
  }

  /** Hands a reserved sample to the kernel (clears BPF_RINGBUF_BUSY_BIT). */
  submit(sample: Uint8Array): void {
    const at = this.#header(sample, "submit");
    Atomics.store(this.#w32, at, sample.length);
  }

  /** Gives back a reserved sample: the kernel skips it (BPF_RINGBUF_DISCARD_BIT). */
  discard(sample: Uint8Array): void {
    const at = this.#header(sample, "discard");
    Atomics.store(this.#w32, at, sample.length | DISCARD);
  }

  /** Reserves, copies `bytes` in and submits: false, writing nothing, when there is no room now. */
  write(bytes: Uint8Array): boolean {
    checkBytes(bytes, "bytes");
    const s = this.reserve(bytes.length);
    if (s === null) return false;
    s.set(bytes);
    this.submit(s);
    return true;
  }

  /**
   * reserve(), waiting (off the event loop thread, for EPOLLOUT) while the ring has no room:
   * the sample, or null after `timeoutMs` or on close(). The kernel signals room whenever any is
   * free, so a sample larger than what is free is retried every millisecond.
   */
  async reserveBlocking(size: number, timeoutMs?: number): Promise<Uint8Array | null> {
    if (timeoutMs !== undefined && !(timeoutMs >= 0 && timeoutMs <= 0x7fffffff)) {
      throw new RangeError(`reserveBlocking: timeoutMs must be a number of milliseconds in [0, 2^31), got ${timeoutMs}`);
    }
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    let retry = false;
    for (;;) {
      if (this.closed) return null;
      const s = this.reserve(size);
      if (s !== null) return s;
      let left = deadline - Date.now();
      if (left <= 0) return null;
      if (retry) {
        await sleep(Math.min(1, left));
        left = deadline - Date.now();
        continue;
      }
      const w = waitFd(this.fd, left === Infinity ? { events: Epoll.out } : { events: Epoll.out, timeoutMs: Math.max(0, left) });
      const again = this.reserve(size);
      if (again !== null) {
        w.cancel();
        return again;
      }
      retry = (await w.promise) !== 0;
    }
  }

  /** Ends pending waits, lets go of the ring's memory and closes the fd; samples still held read zeros. Idempotent. */
  override close(): void {
    if (!this.closed) closeRing(this.fd, this.#m, () => super.close());
  }

  #live(): void {
    if (this.closed) throw new TypeError("UserRingBufWriter is closed");
  }

  // Bytes between consumer_pos and producer low half `plo`.
  #used(plo: number): number {
    Atomics.load(this.#p32, 0); // the barrier before the plain load of the read-only page
    return (plo - this.#c32[0]) >>> 0;
  }

  // The int32 index of `sample`'s header, checked to be a sample of this ring still reserved.
  #header(sample: Uint8Array, what: string): number {
    this.#live();
    const rel = sample instanceof Uint8Array && sample.buffer === this.#u8.buffer ? sample.byteOffset - this.#u8.byteOffset - 8 : -1;
    const at = rel >> 2;
    if (rel < 0 || (rel & 7) !== 0 || rel >= this.size || Atomics.load(this.#w32, at) !== (sample.length | BUSY)) {
      throw new TypeError(`${what}: not a sample reserve() returned on this ring and not yet submitted or discarded`);
    }
    return at;
  }
}
