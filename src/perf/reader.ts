/**
 * PerfReader: the reading side of a BPF_MAP_TYPE_PERF_EVENT_ARRAY, the per-CPU rings that
 * bpf_perf_event_output() writes (the perf buffer of libbpf, cilium/ebpf's perf.Reader).
 *
 * Setting up. Per CPU: a BPF output event (perf/ring.ts), its ring mapped, its fd added to the
 * reader's own epoll set, the event enabled, then its fd stored in the map at key cpu, so that a
 * program only ever finds a ready ring there. close() deletes those keys again (a map entry keeps
 * its event alive) and closes everything.
 *
 * Memory ordering. data_head is read with `Atomics.load` (the first page is writable, see
 * ring.ts), a barrier after which the plain loads of the records are done afresh and in order on
 * x86_64; where the CPU may reorder loads (aarch64) a full fence (a seq-cst `Atomics.add` on memory
 * of our own) follows, once per batch. Every record up to data_head is complete (the kernel
 * publishes data_head after the bytes), so there is no per-record commit bit to look at, unlike a
 * BPF ring buffer. data_tail is stored with `Atomics.store` (a release) after the records were
 * read; as in ringbuf/reader.ts only the low halves of the 64-bit positions are used, and all 64
 * bits are written when the low half wraps.
 *
 * Records. Each is a struct perf_event_header {u32 type; u16 misc; u16 size}, 8-byte aligned and
 * sized, so a header never wraps the ring's end but a body may: such a sample is copied into the
 * reader's scratch buffer (a record is under 64 KiB: header.size is a u16). PERF_RECORD_SAMPLE is
 * a u32 size and the raw bytes; the kernel pads the raw part so that it ends 8-byte aligned, and
 * the padding (left as the ring held it) is part of what the reader hands out, as libbpf does.
 * PERF_RECORD_LOST (u64 id, u64 lost) is counted and reported to `onLost`; other types are skipped.
 *
 * Waiting. The reader waits for its epoll fd in the process's fd waiter (sys/wait.ts) with
 * `anyWake`: a perf event's poll consumes the wake-up it reports (see sys/wait.ts), so the
 * waiter's word is taken as a hint and the rings are looked at. Arming polls the set, so a wake-up
 * that came between the last look and the arming is consumed by the arming; the kernel stores
 * data_head before it flags the wake-up, so the look after arming, which is always made, sees
 * that record. The kernel wakes a ring's waiters after `wakeupEvents` samples (default 1) or
 * `watermark` bytes, not for every byte: below those, a waiting reader is not woken.
 * @module
 */
import { MapType } from "../uapi/enums.gen.ts";
import { closeAll, FdObject } from "../fd-object.ts";
import { deleteRaw } from "../cmd/elem.ts";
import { mapUpdateElem } from "../cmd/map.ts";
import { getBackend } from "../sys/backend.ts";
import { onlineCpus } from "../sys/cpus.ts";
import { Epoll, epollCreate, EpollCtl, epollCtl } from "../sys/epoll.ts";
import { pageSize } from "../sys/page-size.ts";
import { perfEventEnable } from "../sys/perf-event.ts";
import { forgetFd, prepareWait, waitFd } from "../sys/wait.ts";
import { checkBytes } from "../util/args.ts";
import { mapInfo } from "../map/info.ts";
import { dropFd, MAX_RING_BYTES, ownMapFd, type RingMapLike } from "../ringbuf/mapping.ts";
import { META, openPerfRing, type PerfRing, type Wakeup } from "./ring.ts";
import { drainBudget, iterateRecords } from "../util/records.ts";

/** A perf event array map: a BpfMap (or anything with its fd), or the fd itself. */
export type PerfMapLike = RingMapLike;

/**
 * drain()'s callback: one sample, the bytes `data[offset, offset + length)` (`view` is a DataView
 * of the same `data`), written on CPU `cpu`. `data` is that CPU's ring, or for a sample that wraps
 * the ring's end the reader's scratch buffer: nothing is made per record. Valid during the call
 * only. Return `false` to stop after this record.
 */
export type PerfRecordFn = (data: Uint8Array, offset: number, length: number, cpu: number, view: DataView) => unknown;

/** Options of a PerfReader. */
export interface PerfReaderOptions {
  /** Data bytes of each CPU's ring, rounded up to a power-of-two number of pages (default 64 KiB). */
  perCpuBytes?: number;
  /** Wake a waiting reader every this many samples on a CPU (wakeup_events; default 1). Not with `watermark`. */
  wakeupEvents?: number;
  /** Wake a waiting reader once this many bytes are in a CPU's ring (wakeup_watermark), at most its size. */
  watermark?: number;
  /** The CPUs to read, each also its key in the map (default: the online ones, /sys/devices/system/cpu/online). */
  cpus?: readonly number[];
  /** Called with the CPU and the count whenever the kernel reports samples it had no room for (PERF_RECORD_LOST). */
  onLost?: (cpu: number, count: number) => void;
}

const RECORD_LOST = 2; // PERF_RECORD_LOST
const RECORD_SAMPLE = 9; // PERF_RECORD_SAMPLE
const DEFAULT_BYTES = 64 << 10;
const SCRATCH = 1 << 16; // perf_event_header.size is a u16

// The event fds and the epoll fd of a reader dropped without close(): FdObject's registry closes
// only the map fd it was given.
const leaked = new FinalizationRegistry<number[]>((fds) => closeAll(fds));

/** The checked options: data pages per ring, wake-up, CPUs, lost callback. Throws before any syscall. */
function checkOptions(opts: PerfReaderOptions): { pages: number; wakeup: Wakeup; cpus: number[]; onLost?: (cpu: number, count: number) => void } {
  if (typeof opts !== "object" || opts === null) throw new TypeError(`PerfReader: options must be an object, got ${String(opts)}`);
  const bytes = opts.perCpuBytes ?? DEFAULT_BYTES;
  if (!Number.isSafeInteger(bytes) || bytes < 1 || bytes > MAX_RING_BYTES) {
    throw new RangeError(`PerfReader: perCpuBytes must be an integer in [1, ${MAX_RING_BYTES}], got ${bytes}`);
  }
  const pg = pageSize();
  let pages = 1;
  while (pages * pg < bytes) pages *= 2;
  const { wakeupEvents, watermark } = opts;
  let wakeup: Wakeup;
  if (watermark !== undefined) {
    if (wakeupEvents !== undefined) throw new TypeError("PerfReader: give watermark or wakeupEvents, not both");
    if (!Number.isSafeInteger(watermark) || watermark < 1 || watermark > pages * pg) {
      throw new RangeError(`PerfReader: watermark must be an integer in [1, ${pages * pg}] (the ring's size), got ${watermark}`);
    }
    wakeup = { watermark };
  } else {
    const events = wakeupEvents ?? 1;
    if (!Number.isInteger(events) || events < 1 || events > 0xffffffff) {
      throw new RangeError(`PerfReader: wakeupEvents must be an integer in [1, 2^32), got ${events}`);
    }
    wakeup = { events };
  }
  let cpus: number[];
  if (opts.cpus === undefined) {
    cpus = onlineCpus();
  } else {
    if (!Array.isArray(opts.cpus)) throw new TypeError(`PerfReader: cpus must be an array of CPU numbers, got ${String(opts.cpus)}`);
    cpus = [...opts.cpus];
    if (cpus.length === 0) throw new RangeError("PerfReader: cpus is empty: give at least one CPU");
    for (const c of cpus) {
      if (!Number.isInteger(c) || c < 0 || c > 0x7fffffff) throw new RangeError(`PerfReader: a CPU must be a non-negative integer, got ${c}`);
    }
    if (new Set(cpus).size !== cpus.length) throw new RangeError(`PerfReader: cpus names a CPU twice: ${cpus.join(", ")}`);
  }
  if (opts.onLost !== undefined && typeof opts.onLost !== "function") {
    throw new TypeError(`PerfReader: onLost must be a function, got ${typeof opts.onLost}`);
  }
  return { pages, wakeup, cpus, onLost: opts.onLost };
}

/** Sets up each CPU's ring on map `mapFd` and the epoll set over them (see the module's text); undoes it all on failure. */
function setUp(mapFd: number, cpus: readonly number[], pages: number, wakeup: Wakeup): { rings: PerfRing[]; epfd: number } {
  const rings: PerfRing[] = [];
  const epfd = epollCreate();
  try {
    for (let i = 0; i < cpus.length; i++) {
      const ring = openPerfRing(cpus[i], pages, wakeup);
      rings.push(ring);
      epollCtl(epfd, EpollCtl.add, ring.fd, Epoll.in, i);
      perfEventEnable(ring.fd);
    }
    store(mapFd, rings);
    return { rings, epfd };
  } catch (e) {
    for (const r of rings) r.close();
    closeAll([epfd]);
    throw e;
  }
}

/** Stores each ring's event fd at its CPU's key of perf event array `mapFd`; on a failure, takes out those stored and throws. */
function store(mapFd: number, rings: readonly PerfRing[]): void {
  const key = new Uint8Array(4), value = new Uint8Array(4);
  const kv = new DataView(key.buffer), vv = new DataView(value.buffer);
  const stored: number[] = [];
  try {
    for (const ring of rings) {
      kv.setUint32(0, ring.cpu, true);
      vv.setUint32(0, ring.fd, true);
      mapUpdateElem(mapFd, key, value);
      stored.push(ring.cpu);
    }
  } catch (e) {
    unstore(mapFd, stored);
    throw e;
  }
}

/** Deletes keys `cpus` of perf event array `mapFd`, quietly: the rings stop being written and are freed with their fds. */
function unstore(mapFd: number, cpus: readonly number[]): void {
  const key = new Uint8Array(4);
  const kv = new DataView(key.buffer);
  for (const c of cpus) {
    kv.setUint32(0, c, true);
    deleteRaw(mapFd, key);
  }
}

/**
 * Reads the samples BPF programs write with bpf_perf_event_output() into a perf event array
 * (BPF_MAP_TYPE_PERF_EVENT_ARRAY): one ring per CPU, made and stored into the map by the reader.
 * The same shape as RingBufReader: `read()` one sample at a time (a view, valid until the next
 * read or commit; `cpu` says whose), `readInto()` a copy, `drain()` batches with one data_tail
 * store per ring per batch and nothing allocated per record, and `for await (const s of reader)`,
 * waiting without blocking the event loop. Samples of one CPU come in the order written; there is
 * no order across CPUs. Samples dropped for want of room are counted (`lost`, `lostOn(cpu)`,
 * `onLost`). One reader per map. Owns a duplicate of the map's fd, the event fds and an epoll fd.
 *
 * @example
 * ```ts
 * import { BpfMap, MapType, PerfReader, possibleCpus } from "tsbpf";
 * using events = BpfMap.create({ type: MapType.perf_event_array, keySize: 4, valueSize: 4, maxEntries: possibleCpus() });
 * using reader = new PerfReader(events, { perCpuBytes: 1 << 16, onLost: (cpu, n) => console.warn(`${n} lost on CPU ${cpu}`) });
 * reader.drain((data, offset, length, cpu) => console.log(cpu, length, data[offset]));
 * for await (const sample of reader) console.log(reader.cpu, sample.length); // until reader.close()
 * ```
 */
export class PerfReader extends FdObject implements AsyncIterable<Uint8Array> {
  /** Data bytes of each CPU's ring. */
  readonly size: number;
  /** The CPUs read, in the order the reader visits them. */
  readonly cpus: readonly number[];
  readonly #rings: PerfRing[];
  readonly #epfd: number;
  readonly #onLost: ((cpu: number, count: number) => void) | undefined;
  readonly #twoPass: boolean;
  readonly #fence = new Int32Array(1);
  readonly #scratch = new Uint8Array(SCRATCH);
  readonly #scratchView = new DataView(this.#scratch.buffer);
  #cur = 0; // the ring read() reads from until it is empty
  #last = -1; // the CPU of the sample handed out last
  #pend = 0; // bytes of ring #cur handed out by read(), released by commit()
  #lost = 0;
  #id = 0;
  #paused = false;
  // Where #peek() found the next sample: in which array, at which offset, how long; its record's bytes.
  #src: Uint8Array = this.#scratch;
  #at = 0;
  #len = 0;
  #rec = 0;

  /** A reader of perf event array `map` (a BpfMap or a map fd; the reader keeps a duplicate of the fd). */
  constructor(map: PerfMapLike, opts: PerfReaderOptions = {}) {
    const o = checkOptions(opts);
    const own = ownMapFd(map, MapType.perf_event_array, "PerfReader", (info) => {
      const over = o.cpus.filter((c) => c >= info.maxEntries);
      if (over.length) {
        throw new RangeError(`PerfReader: map ${info.name ? `"${info.name}" ` : ""}has max_entries ${info.maxEntries}: no key for CPU ${over.join(", ")}`);
      }
    });
    let set: { rings: PerfRing[]; epfd: number };
    try {
      set = setUp(own.fd, o.cpus, o.pages, o.wakeup);
    } catch (e) {
      dropFd(own.fd);
      throw e;
    }
    super(own.fd, `perf buffer reader (${own.info.name ? `map "${own.info.name}"` : "unnamed map"})`);
    this.#id = own.info.id;
    this.#rings = set.rings;
    this.#epfd = set.epfd;
    this.#onLost = o.onLost;
    this.size = set.rings[0].size;
    this.cpus = Object.freeze(set.rings.map((r) => r.cpu));
    this.#twoPass = getBackend().arch !== "x86_64";
    leaked.register(this, [set.epfd, ...set.rings.map((r) => r.fd)], this);
    prepareWait();
  }

  /** The map's kernel id. */
  get id(): number {
    if (this.#id === 0) this.#id = mapInfo(this.fd).id;
    return this.#id;
  }

  /** The CPU that wrote the sample read(), readInto() or the iterator handed out last (-1 before any). */
  get cpu(): number {
    return this.#last;
  }

  /** Samples the kernel reported lost, on every CPU, so far (counted as the reports are read). */
  get lost(): number {
    return this.#lost;
  }

  /** Samples the kernel reported lost on CPU `cpu` so far; a RangeError for a CPU the reader does not read. */
  lostOn(cpu: number): number {
    const r = this.#rings.find((x) => x.cpu === cpu);
    if (r === undefined) throw new RangeError(`lostOn: the reader reads CPUs ${this.cpus.join(", ")}, not ${cpu}`);
    return r.lost;
  }

  /** True between pause() and resume(). */
  get paused(): boolean {
    return this.#paused;
  }

  /**
   * Takes the rings out of the map, so that bpf_perf_event_output() returns -ENOENT and writes
   * nothing until resume() (cilium/ebpf's Reader.Pause); samples already written stay readable.
   * A second call does nothing.
   */
  pause(): void {
    this.#live();
    if (this.#paused) return;
    unstore(this.fd, this.cpus);
    this.#paused = true;
  }

  /** Puts the rings back in the map after pause(): programs write to them again. A second call does nothing. */
  resume(): void {
    this.#live();
    if (!this.#paused) return;
    store(this.fd, this.#rings);
    this.#paused = false;
  }

  /** Bytes written and not consumed yet, summed over the rings (samples and lost reports alike). */
  get availableBytes(): number {
    this.#live();
    let n = 0;
    for (const r of this.#rings) n += (Atomics.load(r.meta, META.headLo) - r.tail) >>> 0;
    return n;
  }

  /**
   * The next sample, in place: a view valid until the next read(), commit(), drain() or close()
   * (the kernel may reuse the bytes after; a sample that wraps the ring's end is a view of the
   * scratch buffer). Lost reports on the way are counted; null when no sample is waiting. Reads one
   * CPU's ring until it is empty, then the next CPU's.
   */
  read(): Uint8Array | null {
    this.#live();
    this.commit();
    if (!this.#peek()) return null;
    this.#pend = this.#rec;
    this.#last = this.#rings[this.#cur].cpu;
    return this.#src.subarray(this.#at, this.#at + this.#len);
  }

  /**
   * Copies the next sample into `buf` and consumes it: its length, or -1 when no sample is
   * waiting. A RangeError, leaving the sample unread, when it does not fit.
   */
  readInto(buf: Uint8Array): number {
    checkBytes(buf, "buf");
    this.#live();
    this.commit();
    if (!this.#peek()) return -1;
    const len = this.#len;
    if (len > buf.length) throw new RangeError(`readInto: the next sample has ${len} bytes, more than buf's ${buf.length}`);
    buf.set(this.#src.subarray(this.#at, this.#at + len));
    const r = this.#rings[this.#cur];
    this.#advance(r, (r.tail + this.#rec) >>> 0);
    this.#last = r.cpu;
    return len;
  }

  /** Releases the sample read() returned last, so the kernel can reuse its bytes. */
  commit(): void {
    if (this.#pend === 0) return;
    const r = this.#rings[this.#cur];
    const n = this.#pend;
    this.#pend = 0;
    this.#advance(r, (r.tail + n) >>> 0);
  }

  /**
   * Calls `fn(data, offset, length, cpu, view)` for each sample, CPU by CPU, each CPU's in order,
   * up to `max` samples, until every ring is empty. A batch is a ring up to the data_head seen when
   * it started, and data_tail is stored once per batch. Lost reports are counted on the way.
   * Returns the number of samples delivered. A callback that throws ends the drain; its sample
   * counts as consumed.
   */
  drain(fn: PerfRecordFn, max: number = Number.MAX_SAFE_INTEGER): number {
    if (typeof fn !== "function") throw new TypeError(`drain: fn must be a function, got ${typeof fn}`);
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`drain: max must be a non-negative integer, got ${max}`);
    this.#live();
    this.commit();
    const rings = this.#rings, scratch = this.#scratch, sv = this.#scratchView;
    let n = 0;
    let stop = n >= max;
    while (!stop) {
      let any = false;
      for (let i = 0; i < rings.length && !stop; i++) {
        const r = rings[i];
        const head = Atomics.load(r.meta, META.headLo) >>> 0; // also the barrier before the plain loads below
        const tail = r.tail;
        if (head === tail) continue;
        any = true;
        const avail = (head - tail) >>> 0;
        if (avail > r.size) throw this.#ahead(r, avail);
        if (this.#twoPass) Atomics.add(this.#fence, 0, 0);
        const w = r.words, u8 = r.bytes, dv = r.view, mask = r.mask, size = r.size, cpu = r.cpu;
        // Offsets from the batch's start stay small integers: the 32-bit positions, once past
        // 2^31, would make every step a double.
        const base = tail & mask;
        const last = this.#last;
        this.#last = cpu; // set back below if the batch delivers no sample
        // The record types below are literals, not module constants an engine reloads per record.
        const budget = drainBudget(max, n);
        let got = 0;
        let done = 0;
        try {
          while (done < avail) {
            const off = (base + done) & mask;
            const type = w[off >> 2];
            const rec = w[(off + 4) >> 2] >>> 16;
            if (rec < 8 || (rec & 7) !== 0 || rec > avail - done) throw this.#corrupt(r, off, rec);
            done += rec;
            if (type === 9) { // PERF_RECORD_SAMPLE
              const len = w[((off + 8) & mask) >> 2];
              if (len < 0 || len + 12 > rec) throw this.#corrupt(r, off, rec);
              let at = off + 12;
              if (at >= size) at -= size;
              got++;
              let stopHere: unknown;
              if (at + len <= size) {
                stopHere = fn(u8, at, len, cpu, dv);
              } else {
                this.#unwrap(r, at, len);
                stopHere = fn(scratch, 0, len, cpu, sv);
              }
              if (stopHere === false || got === budget) {
                stop = true;
                break;
              }
            } else if (type === 2) { // PERF_RECORD_LOST
              this.#report(r, this.#lostAt(r, off));
            }
          }
        } finally {
          n += got;
          if (got === 0) this.#last = last;
          if (done !== 0) this.#advance(r, (tail + done) >>> 0);
        }
      }
      if (!any) break;
    }
    return n;
  }

  /**
   * Resolves true once a sample is waiting, false on close() or after `timeoutMs`. The wait runs
   * off the event loop thread (Backend.pollAsync); a sample read() handed out is committed first.
   * The kernel wakes the reader as `wakeupEvents` or `watermark` say.
   */
  async wait(timeoutMs?: number): Promise<boolean> {
    if (timeoutMs !== undefined && !(timeoutMs >= 0 && timeoutMs <= 0x7fffffff)) {
      throw new RangeError(`wait: timeoutMs must be a number of milliseconds in [0, 2^31), got ${timeoutMs}`);
    }
    const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
    while (!this.closed) {
      this.commit();
      if (this.#peek()) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      const w = waitFd(this.#epfd, left === Infinity ? { anyWake: true } : { anyWake: true, timeoutMs: Math.max(0, left) });
      if (this.#peek()) {
        w.cancel();
        return true;
      }
      await w.promise;
    }
    return false;
  }

  /**
   * `for await (const sample of reader)`: each sample in place (valid until the next step; `cpu`
   * says whose), waiting for more without blocking the event loop; ends when the reader is
   * closed. Leaving the loop commits the last sample.
   */
  [Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    return iterateRecords(this);
  }

  /**
   * Ends pending waits, takes the rings out of the map, lets go of their memory (views still held
   * read zeros from then on) and closes every fd. Idempotent.
   */
  override close(): void {
    if (this.closed) return;
    const fd = this.fd;
    leaked.unregister(this);
    try {
      forgetFd(this.#epfd);
    } finally {
      try {
        unstore(fd, this.cpus);
        for (const r of this.#rings) r.close();
      } finally {
        closeAll([this.#epfd]);
        super.close();
      }
    }
  }

  #live(): void {
    if (this.closed) throw new TypeError("PerfReader is closed");
  }

  // Finds the next sample, from ring #cur on (staying on a ring until it is empty), consuming lost
  // reports and other records on the way; sets #cur, #src, #at, #len, #rec. Called with
  // nothing pending (after commit()).
  #peek(): boolean {
    const rings = this.#rings, count = rings.length;
    for (let k = 0; k < count; k++) {
      const i = (this.#cur + k) % count;
      const r = rings[i];
      for (;;) {
        const head = Atomics.load(r.meta, META.headLo) >>> 0;
        const tail = r.tail;
        if (head === tail) break;
        const avail = (head - tail) >>> 0;
        if (avail > r.size) throw this.#ahead(r, avail);
        if (this.#twoPass) Atomics.add(this.#fence, 0, 0);
        const off = tail & r.mask;
        const type = r.words[off >> 2];
        const rec = r.words[(off + 4) >> 2] >>> 16;
        if (rec < 8 || (rec & 7) !== 0 || rec > avail) throw this.#corrupt(r, off, rec);
        if (type === RECORD_SAMPLE) {
          const len = r.words[((off + 8) & r.mask) >> 2] >>> 0;
          if (len + 12 > rec) throw this.#corrupt(r, off, rec);
          let at = off + 12;
          if (at >= r.size) at -= r.size;
          this.#cur = i;
          this.#len = len;
          this.#rec = rec;
          if (at + len <= r.size) {
            this.#src = r.bytes;
            this.#at = at;
          } else {
            this.#unwrap(r, at, len);
            this.#src = this.#scratch;
            this.#at = 0;
          }
          return true;
        }
        // Read before the tail moves (the kernel may write over it then); reported after, so that a
        // throwing onLost leaves the report consumed.
        const lost = type === RECORD_LOST ? this.#lostAt(r, off) : 0;
        this.#advance(r, (tail + rec) >>> 0);
        if (type === RECORD_LOST) this.#report(r, lost);
      }
    }
    return false;
  }

  // Copies the `len` sample bytes at `at`, which run past the ring's end, into the scratch buffer.
  #unwrap(r: PerfRing, at: number, len: number): void {
    const first = r.size - at;
    this.#scratch.set(r.bytes.subarray(at, r.size), 0);
    this.#scratch.set(r.bytes.subarray(0, len - first), first);
  }

  // The count of a PERF_RECORD_LOST at `off`: {header, u64 id, u64 lost}, 8-byte aligned, so never split.
  #lostAt(r: PerfRing, off: number): number {
    const at = (off + 16) & r.mask;
    return (r.words[(at >> 2) + 1] >>> 0) * 2 ** 32 + (r.words[at >> 2] >>> 0);
  }

  #report(r: PerfRing, count: number): void {
    r.lost += count;
    this.#lost += count;
    this.#onLost?.(r.cpu, count);
  }

  // data_tail = pos (its low half), as a release; all 64 bits when the low half wraps.
  #advance(r: PerfRing, pos: number): void {
    if (pos >= r.tail) {
      Atomics.store(r.meta, META.tailLo, pos | 0);
    } else {
      const hi = (Atomics.load(r.meta, META.tailHi) + 1) >>> 0;
      Atomics.store(r.tail64, 0, BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(pos)));
    }
    r.tail = pos;
  }

  #ahead(r: PerfRing, avail: number): Error {
    return new Error(`PerfReader: data_head is ${avail} bytes ahead of data_tail in CPU ${r.cpu}'s ${r.size}-byte ring: is another reader using it?`);
  }

  #corrupt(r: PerfRing, off: number, size: number): Error {
    return new Error(`PerfReader: a record of ${size} bytes at offset ${off} of CPU ${r.cpu}'s ring does not fit what was written: is another reader using it?`);
  }
}
