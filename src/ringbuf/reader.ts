/**
 * RingBufReader: the consumer side of a BPF_MAP_TYPE_RINGBUF, reading records in place.
 *
 * Memory ordering. The producer page and the data area are mapped read-only, and JavaScriptCore
 * (Bun) compiles `Atomics.load` to a locked read-modify-write once its JIT warms up, which faults
 * on a read-only page (seen: SIGSEGV after a few million loads). So no Atomics operation ever
 * touches the read-only mapping: producer_pos and record headers are read with plain loads, and
 * each batch starts with `Atomics.load` of the (writable) consumer page, a barrier every engine
 * honours (V8 calls out to it, JSC emits a locked instruction), so the plain loads after it are
 * done afresh and in order. x86_64 keeps loads in order by itself. Where the CPU may reorder
 * loads (aarch64) a batch is read in two passes: the headers first, up to the first one still
 * BUSY, then a full fence (a seq-cst `Atomics.add` on memory of our own), then the records: no
 * record byte is read before the header that says it is committed. consumer_pos is written with
 * `Atomics.store` (a release) after the records were read. The positions are 64-bit; the reader
 * uses their low halves (a ring holds less than 2^32 bytes) and writes all 64 bits when the low
 * half wraps.
 *
 * Waiting. A reader that has read everything commits its position and then arms its fd in the
 * process's fd waiter (sys/wait.ts). The kernel wakes a ring's waiters only when the consumer has
 * caught up with the record just committed, which is exactly the state the reader waits in; and
 * arming polls the ring, so a record committed between the last look and the arming is seen.
 * The ring is looked at once more after arming all the same.
 * @module
 */
import { MapType } from "../uapi/enums.gen.ts";
import { FdObject } from "../fd-object.ts";
import { getBackend } from "../sys/backend.ts";
import { prepareWait, waitFd } from "../sys/wait.ts";
import { checkBytes } from "../util/args.ts";
import { mapInfo } from "../map/info.ts";
import { closeRing, dropFd, loadPosition, loadPositionFenced, mapRing, ownRingFd, type RingMapLike, type RingMemory } from "./mapping.ts";
import { drainBudget, iterateRecords } from "../util/records.ts";

/**
 * drain()'s callback: one record, the bytes `data[offset, offset + length)` of the ring's data
 * area (the same array for every record, so nothing is made per record). Valid during the call
 * only. Return `false` to stop after this record.
 */
export type RingBufRecordFn = (data: Uint8Array, offset: number, length: number) => unknown;

// BPF_RINGBUF_BUSY_BIT is bit 31: the sign of the header read as an int32.
const DISCARD = 0x40000000; // BPF_RINGBUF_DISCARD_BIT
const LEN = 0x3fffffff;

/** Bytes a record of header `len` takes: header and data, rounded up to 8. */
const footprint = (len: number): number => ((len & LEN) + 15) & ~7;

interface Timers {
  setTimeout(f: () => void, ms: number): unknown;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => (globalThis as unknown as Timers).setTimeout(r, ms));

/**
 * Reads a BPF ring buffer (BPF_MAP_TYPE_RINGBUF, Linux 5.8+) in place, as libbpf's
 * `ring_buffer` and cilium/ebpf's `ringbuf.Reader` do: `read()` one record at a time (a view
 * into the ring, valid until the next read or commit), `readInto()` a copy, `drain()` a batch
 * with one consumer-position store per batch and nothing allocated per record, and
 * `for await (const record of reader)`, waiting without blocking the event loop. One reader per
 * ring: two consumers would skip each other's records. Owns a duplicate of the map's fd.
 *
 * @example
 * ```ts
 * import { BpfMap, MapType, RingBufReader } from "tsbpf";
 * using events = BpfMap.create({ type: MapType.ringbuf, keySize: 0, valueSize: 0, maxEntries: 1 << 16 });
 * using reader = new RingBufReader(events);
 * reader.drain((data, offset, length) => console.log(length, data[offset]));
 * for await (const record of reader) console.log(record.length); // until reader.close()
 * ```
 */
export class RingBufReader extends FdObject implements AsyncIterable<Uint8Array> {
  /** The data area's size in bytes (the map's max_entries). */
  readonly size: number;
  readonly #m: RingMemory;
  readonly #c32: Int32Array;
  readonly #p32: Int32Array;
  readonly #w32: Int32Array;
  readonly #u8: Uint8Array;
  readonly #c64: BigInt64Array;
  readonly #mask: number;
  readonly #twoPass: boolean;
  readonly #fence = new Int32Array(1);
  #pend = 0; // bytes past consumer_pos handed out by read(), released by commit()
  #id = 0;

  /** A reader of ring buffer `map` (a BpfMap or a map fd; the reader keeps a duplicate of the fd). */
  constructor(map: RingMapLike) {
    const own = ownRingFd(map, MapType.ringbuf, "RingBufReader");
    let m: RingMemory;
    try {
      m = mapRing(own.fd, own.size, MapType.ringbuf);
    } catch (e) {
      dropFd(own.fd);
      throw e;
    }
    super(own.fd, `ring buffer reader (${own.name ? `map "${own.name}"` : "unnamed map"})`);
    this.size = own.size;
    this.#m = m;
    this.#c32 = m.consumer;
    this.#p32 = m.producer;
    this.#w32 = m.words;
    this.#u8 = m.bytes;
    this.#c64 = new BigInt64Array(m.consumer.buffer, m.consumer.byteOffset, 1);
    this.#mask = own.size - 1;
    this.#twoPass = getBackend().arch !== "x86_64";
    prepareWait();
  }

  /** The map's kernel id. */
  get id(): number {
    if (this.#id === 0) this.#id = mapInfo(this.fd).id;
    return this.#id;
  }

  /** The whole data area, mapped twice in a row (2 * size bytes): what drain()'s callback indexes. */
  get data(): Uint8Array {
    this.#live();
    return this.#u8;
  }

  /** A DataView over `data`, for decoding fields of a record in a drain() callback without allocating. */
  get dataView(): DataView {
    this.#live();
    return this.#m.view;
  }

  /** consumer_pos: bytes consumed since the ring was made (committed ones; read() holds back its last record). */
  get consumerPosition(): number {
    this.#live();
    return loadPosition(this.#c32);
  }

  /** producer_pos: bytes reserved by producers since the ring was made. */
  get producerPosition(): number {
    this.#live();
    return loadPositionFenced(this.#p32, this.#c32);
  }

  /** Bytes between the consumer and the producer: records (committed, BUSY or discarded) not consumed yet. */
  get availableBytes(): number {
    this.#live();
    const clo = Atomics.load(this.#c32, 0);
    return (this.#p32[0] - clo) >>> 0;
  }

  /**
   * The next record, in place: a view valid until the next read(), commit(), drain() or close()
   * (the kernel may reuse the bytes after). Discarded records are skipped; null when no
   * committed record is next (none, or the next one is still BUSY).
   */
  read(): Uint8Array | null {
    this.#live();
    this.commit();
    const off = this.#peek();
    if (off < 0) return null;
    const len = this.#w32[off >> 2];
    this.#pend = footprint(len);
    return this.#u8.subarray(off + 8, off + 8 + len);
  }

  /**
   * Copies the next record into `buf` and consumes it: its length, or -1 when no committed record
   * is next. A RangeError, leaving the record unread, when it does not fit.
   */
  readInto(buf: Uint8Array): number {
    checkBytes(buf, "buf");
    this.#live();
    this.commit();
    const off = this.#peek();
    if (off < 0) return -1;
    const len = this.#w32[off >> 2];
    if (len > buf.length) throw new RangeError(`readInto: the next record has ${len} bytes, more than buf's ${buf.length}`);
    buf.set(this.#u8.subarray(off + 8, off + 8 + len));
    this.#advance(Atomics.load(this.#c32, 0) >>> 0, footprint(len));
    return len;
  }

  /** Releases the record read() returned last, so the kernel can reuse its bytes. */
  commit(): void {
    if (this.#pend === 0) return;
    const n = this.#pend;
    this.#pend = 0;
    this.#advance(Atomics.load(this.#c32, 0) >>> 0, n);
  }

  /**
   * Calls `fn(data, offset, length)` for each committed record, in order, up to `max` records,
   * until the ring is empty or its next record is still BUSY; discarded records are skipped.
   * consumer_pos is stored once per batch (a batch is what the producer position showed when it
   * started). Returns the number of records delivered. A callback that throws ends the drain;
   * its record counts as consumed.
   */
  drain(fn: RingBufRecordFn, max: number = Number.MAX_SAFE_INTEGER): number {
    if (typeof fn !== "function") throw new TypeError(`drain: fn must be a function, got ${typeof fn}`);
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`drain: max must be a non-negative integer, got ${max}`);
    this.#live();
    this.commit();
    const c32 = this.#c32, p32 = this.#p32, w32 = this.#w32, u8 = this.#u8, mask = this.#mask;
    let n = 0;
    while (n < max) {
      const clo = Atomics.load(c32, 0) >>> 0; // also the barrier before the plain loads below
      const avail = (p32[0] - clo) >>> 0;
      if (avail === 0) break;
      if (avail > this.size) throw new Error(`RingBufReader: producer_pos is ${avail} bytes ahead of consumer_pos in a ${this.size}-byte ring: is another consumer using it?`);
      const base = clo & mask;
      const end = base + (this.#twoPass ? this.#scan(base, avail) : avail);
      // The masks below are literals, not module constants an engine reloads per record.
      const budget = drainBudget(max, n);
      let off = base;
      let got = 0;
      let stop = false;
      try {
        while (off < end) {
          const len = w32[off >> 2];
          if (len < 0) break; // BUSY: the producer has not committed it yet
          const at = off;
          off += ((len & 0x3fffffff) + 15) & ~7; // LEN
          if ((len & 0x40000000) === 0) { // DISCARD
            got++;
            if (fn(u8, at + 8, len) === false || got === budget) {
              stop = true;
              break;
            }
          }
        }
      } finally {
        n += got;
        if (off !== base) this.#advance(clo, off - base);
      }
      if (stop || off - base < avail) break;
    }
    return n;
  }

  /**
   * Resolves true once a committed record is next, false on close() or after `timeoutMs`. The
   * wait runs off the event loop thread (Backend.pollAsync); records read() handed out are
   * committed first, as the kernel only wakes a consumer that has caught up.
   */
  async wait(timeoutMs?: number): Promise<boolean> {
    if (timeoutMs !== undefined && !(timeoutMs >= 0 && timeoutMs <= 0x7fffffff)) {
      throw new RangeError(`wait: timeoutMs must be a number of milliseconds in [0, 2^31), got ${timeoutMs}`);
    }
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    let busy = false;
    while (!this.closed) {
      this.commit();
      if (this.#peek() >= 0) return true;
      let left = deadline - Date.now();
      if (left <= 0) return false;
      // Woken, yet the next record is BUSY: its producer is still running; arming now would
      // wake at once again (the ring is not empty), so give it a moment first.
      if (busy) {
        await sleep(Math.min(1, left));
        if (this.closed) return false;
        left = deadline - Date.now();
      }
      const w = waitFd(this.fd, left === Infinity ? {} : { timeoutMs: Math.max(0, left) });
      if (this.#peek() >= 0) {
        w.cancel();
        return true;
      }
      const ev = await w.promise;
      busy = ev !== 0 && !this.closed && this.availableBytes !== 0 && this.#peek() < 0;
    }
    return false;
  }

  /**
   * `for await (const record of reader)`: each record in place (valid until the next step),
   * waiting for more without blocking the event loop; ends when the reader is closed. Leaving
   * the loop commits the last record.
   */
  [Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    return iterateRecords(this);
  }

  /**
   * Ends pending waits, lets go of the ring's memory and closes the fd. Views of records still
   * held read zeros from then on (the pages are replaced, not left dangling). Idempotent.
   */
  override close(): void {
    if (!this.closed) closeRing(this.fd, this.#m, () => super.close());
  }

  #live(): void {
    if (this.closed) throw new TypeError("RingBufReader is closed");
  }

  // The offset of the next committed record, or -1; discarded ones are consumed on the way.
  // Called with nothing pending (after commit()).
  #peek(): number {
    for (;;) {
      const clo = Atomics.load(this.#c32, 0) >>> 0;
      if (this.#p32[0] >>> 0 === clo) return -1;
      const off = clo & this.#mask;
      const len = this.#w32[off >> 2];
      if (len < 0) return -1;
      if ((len & DISCARD) !== 0) {
        this.#advance(clo, footprint(len));
        continue;
      }
      if (this.#twoPass) Atomics.add(this.#fence, 0, 0);
      return off;
    }
  }

  // Bytes of committed records from `base` (BUSY ends them), then a full fence.
  #scan(base: number, avail: number): number {
    const w32 = this.#w32, end = base + avail;
    let off = base;
    while (off < end) {
      const len = w32[off >> 2];
      if (len < 0) break;
      off += ((len & LEN) + 15) & ~7;
    }
    Atomics.add(this.#fence, 0, 0);
    return off - base;
  }

  // consumer_pos = clo + n, as a release; all 64 bits when the low half wraps.
  #advance(clo: number, n: number): void {
    const lo = (clo + n) >>> 0;
    if (lo >= clo) {
      Atomics.store(this.#c32, 0, lo | 0);
      return;
    }
    const hi = (Atomics.load(this.#c32, 1) + 1) >>> 0;
    Atomics.store(this.#c64, 0, BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)));
  }
}
