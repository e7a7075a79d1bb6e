/**
 * One CPU's ring of a perf buffer: a PERF_COUNT_SW_BPF_OUTPUT software event opened on that CPU
 * for every task (pid -1), sampling PERF_SAMPLE_RAW, and its mapping of 1 + 2^n pages. The first
 * page is struct perf_event_mmap_page (data_head at byte 1024, data_tail at 1032, data_offset at
 * 1040, data_size at 1048); the data area follows, mapped once (unlike a BPF ring buffer's, it is
 * not mapped twice in a row, so a record that runs past the end is copied out by the reader).
 * The whole mapping is read-write: a writable mapping is what tells the kernel that the reader
 * moves data_tail (a read-only one is overwrite mode), and Atomics then only ever touch writable
 * memory (on Bun, Atomics.load of a read-only page faults once the JIT warms up; see
 * ringbuf/reader.ts).
 * @module
 */
import { closeAll } from "../fd-object.ts";
import { admitFd } from "../sys/fd-reserve.ts";
import { Prot } from "../sys/mmap.ts";
import { PerfAttrFlag, PerfCountSw, perfEventOpen, PerfType } from "../sys/perf-event.ts";
import { pageSize } from "../sys/page-size.ts";
import { type MappedRegion, mapRegion } from "../ringbuf/mapping.ts";

/** PERF_SAMPLE_RAW: each sample carries the bytes bpf_perf_event_output() gave (a u32 size, then them). */
export const PERF_SAMPLE_RAW = 0x400;

/** Int32 indexes into the first page: data_head's and data_tail's low and high halves, data_offset, data_size. */
export const META = { headLo: 256, headHi: 257, tailLo: 258, tailHi: 259, offset: 260, size: 262 } as const;

/** When the kernel wakes a waiting reader: after `events` samples, or once `watermark` bytes are in the ring. */
export type Wakeup = { readonly events: number } | { readonly watermark: number };

/** One CPU's event fd and mapped ring; the reader keeps its own position in `tail`. */
export class PerfRing {
  /** The CPU, which is also the ring's key in the perf event array. */
  readonly cpu: number;
  /** The perf event's fd (owned by the reader). */
  readonly fd: number;
  /** The data area's size in bytes: a power of two. */
  readonly size: number;
  /** size - 1. */
  readonly mask: number;
  /** The first page, as int32s (see META). */
  readonly meta: Int32Array;
  /** data_tail as one 64-bit word, for the store that carries into its high half. */
  readonly tail64: BigInt64Array;
  /** The data area. */
  readonly bytes: Uint8Array;
  /** The same, as int32s (records are 8-byte aligned). */
  readonly words: Int32Array;
  /** The same, as a DataView. */
  readonly view: DataView;
  /** data_tail's low half as the reader last stored it (the reader is its only writer). */
  tail: number;
  /** Samples the kernel reported lost on this CPU (PERF_RECORD_LOST), summed. */
  lost = 0;
  readonly #region: MappedRegion;

  /** Takes ownership of event `fd` and its mapping `region` of `pages` data pages. */
  constructor(cpu: number, fd: number, region: MappedRegion, pages: number) {
    const pg = pageSize();
    const meta = new Int32Array(region.buffer, 0, pg >> 2);
    // Kernels before 4.1 leave data_offset and data_size 0: the data then starts at the second page.
    const offset = meta[META.offset] || pg;
    const size = meta[META.size] || pages * pg;
    this.cpu = cpu;
    this.fd = fd;
    this.size = size;
    this.mask = size - 1;
    this.meta = meta;
    this.tail64 = new BigInt64Array(region.buffer, META.tailLo * 4, 1);
    this.bytes = new Uint8Array(region.buffer, offset, size);
    this.words = new Int32Array(region.buffer, offset, size >> 2);
    this.view = new DataView(region.buffer, offset, size);
    this.tail = Atomics.load(meta, META.tailLo) >>> 0;
    this.#region = region;
  }

  /** Lets go of the pages (views still held read zeros) and closes the event fd. Idempotent for the pages. */
  close(): void {
    try {
      this.#region.release();
    } finally {
      closeAll([this.fd]);
    }
  }
}

/**
 * Opens CPU `cpu`'s BPF output event, disabled (the reader enables it once the ring is in place),
 * and maps it with `pages` data pages. Closes what it made when a step fails.
 */
export function openPerfRing(cpu: number, pages: number, wakeup: Wakeup): PerfRing {
  const watermark = "watermark" in wakeup;
  const fd = admitFd("perf_event_open", perfEventOpen({
    type: PerfType.software,
    config: PerfCountSw.bpf_output,
    sampleType: PERF_SAMPLE_RAW,
    samplePeriod: 1,
    wakeup: watermark ? wakeup.watermark : wakeup.events,
    flags: PerfAttrFlag.disabled | (watermark ? PerfAttrFlag.watermark : 0n),
  }, { pid: -1, cpu, what: `BPF output event (PERF_COUNT_SW_BPF_OUTPUT) on CPU ${cpu}` }));
  try {
    const region = mapRegion(fd, (1 + pages) * pageSize(), Prot.read | Prot.write, 0, `the perf ring of CPU ${cpu}`);
    return new PerfRing(cpu, fd, region, pages);
  } catch (e) {
    closeAll([fd]);
    throw e;
  }
}
