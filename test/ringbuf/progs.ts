/**
 * Producers and consumers for the ring buffer tests, hand-assembled: socket_filter programs run
 * with BPF_PROG_TEST_RUN (5.10 has no syscall program type and no bpf_loop, so these use neither).
 * Every record carries a sequence number (a counter in an array map, bumped by each run) in its
 * first bytes, then a pattern the test can recompute: pattern(seq, len).
 */
import {
  BpfMap, BpfProgram, btfLoad, close, MapType, ProgramBuilder, ProgType, RingBufReader, UserRingBufWriter,
} from "../../mod.ts";
// @ts-ignore: a plain-JS helper of the benchmark, without declarations
import { funcBtf, funcInfo } from "../../bench/ringbuf-progs.mjs";
import * as lib from "../../mod.ts";
// @ts-ignore: a plain-JS helper of the benchmark, without declarations
import { loadProducer } from "../../bench/ringbuf-progs.mjs";

/** BPF_RB_NO_WAKEUP and BPF_RB_FORCE_WAKEUP (the wake-up flags of output/submit/discard). */
export const RB = { noWakeup: 1, forceWakeup: 2 } as const;

/** The bytes a record of `len` with sequence number `seq` holds: seq (u32, little-endian, cut to len) then i * 7 + 1. */
export function pattern(seq: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = i < 4 ? (seq >>> (8 * i)) & 0xff : (i * 7 + 1) & 0xff;
  return out;
}

/** How a program emits its record. */
export type Mode = "output" | "submit" | "discard";

/** A producer program and the maps it needs; close() closes them all. */
export interface Producer {
  /** The program. */
  prog: BpfProgram;
  /** Runs it `times` times (one record each); returns the retval of the last run (0: emitted). */
  run(times?: number): number;
  /** The sequence number the next record gets. */
  next(): number;
  /** Closes the program and its maps (not the ring). */
  close(): void;
}

/** A ring buffer map of `size` data bytes (a power of two, at least a page). */
export function ringMap(size: number, type: number = MapType.ringbuf): BpfMap {
  return BpfMap.create({ type, keySize: 0, valueSize: 0, maxEntries: size });
}

const MAX = 512;

/**
 * A program that, per run, bumps the sequence counter and emits one `len`-byte record into `rb`:
 * with bpf_ringbuf_output (copied from a map value holding the pattern), or reserved, written and
 * then submitted or discarded. Returns r0: 0 when a record was reserved/emitted, else 1.
 */
export function producer(rb: BpfMap, mode: Mode, len: number, flags = 0): Producer {
  if (len < 1 || len > MAX) throw new RangeError(`len ${len}`);
  const seq = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: 4, maxEntries: 1 });
  const src = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: MAX, maxEntries: 1 });
  const zero = new Uint8Array(4);
  const body = new Uint8Array(MAX);
  body.set(pattern(0, Math.min(len, MAX)));
  src.set(zero, body);
  const b = new ProgramBuilder().ldMapValue("r6", "seq").asm(`
    r7 = *(u32 *)(r6 + 0)
    r8 = r7
    r8 += 1
    *(u32 *)(r6 + 0) = r8`);
  if (mode === "output") {
    b.ldMapValue("r2", "src").asm(`
      *(u32 *)(r2 + 0) = r7
      r1 = rb ll
      r3 = ${len}
      r4 = ${flags}
      call 130
      if r0 == 0 goto ok
      r0 = 1
    ok:
      exit`);
  } else {
    const stores: string[] = [];
    for (let i = 4; i < len; i++) stores.push(`*(u8 *)(r9 + ${i}) = ${(i * 7 + 1) & 0xff}`);
    const seqStores = len >= 4 ? ["*(u32 *)(r9 + 0) = r7"] : Array.from({ length: len }, (_, i) => `r1 = r7\nr1 >>= ${8 * i}\n*(u8 *)(r9 + ${i}) = r1`);
    b.asm(`
      r1 = rb ll
      r2 = ${len}
      r3 = 0
      call 131
      if r0 != 0 goto got
      r0 = 1
      exit
    got:
      r9 = r0
      ${[...seqStores, ...stores].join("\n")}
      r1 = r9
      r2 = ${flags}
      call ${mode === "submit" ? 132 : 133}
      r0 = 0
      exit`);
  }
  const prog = BpfProgram.load({ type: ProgType.socket_filter, insns: b.finish(), maps: { rb, seq, src }, name: `rb_${mode}` });
  const pkt = new Uint8Array(64);
  let n = 0;
  return {
    prog,
    run(times = 1) {
      const r = prog.testRun({ data: pkt, repeat: times }).retval;
      n += times;
      return r;
    },
    next: () => n,
    close() {
      prog.close();
      seq.close();
      src.close();
    },
  };
}

/** What a drained user ring buffer left in the drainer's result map. */
export interface Drained {
  /** bpf_user_ringbuf_drain's return: samples drained (or -errno). */
  ret: number;
  /** Sum of each sample's first 8 bytes (u64 little-endian); samples shorter than 8 count in `short`. */
  sum: bigint;
  /** Samples seen by the callback. */
  count: number;
  /** Samples the callback could not read 8 bytes of. */
  short: number;
}

/**
 * A program that drains user ring buffer `urb` with bpf_user_ringbuf_drain (6.1+), its callback
 * reading each sample's first 8 bytes with bpf_dynptr_read into a sum. drain() runs it once.
 */
export function drainer(urb: BpfMap, flags = 0): { drain(): Drained; close(): void } {
  const out = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: 32, maxEntries: 1 });
  const built = new ProgramBuilder()
    .asm(`r1 = urb ll`).ldFunc("r2", "cb").asm(`
      r3 = 0
      r4 = ${flags}
      call 209`)
    .ldMapValue("r1", "out").asm(`
      *(u64 *)(r1 + 24) = r0
      r0 = 0
      exit`)
    .label("cb").asm(`
      r3 = r1
      r1 = r10
      r1 += -8
      r2 = 8
      r4 = 0
      r5 = 0
      call 201`)
    .ldMapValue("r6", "out").asm(`
      if r0 == 0 goto full
      r7 = *(u64 *)(r6 + 16)
      r7 += 1
      *(u64 *)(r6 + 16) = r7
      goto count
    full:
      r7 = *(u64 *)(r10 - 8)
      r8 = *(u64 *)(r6 + 0)
      r8 += r7
      *(u64 *)(r6 + 0) = r8
    count:
      r7 = *(u64 *)(r6 + 8)
      r7 += 1
      *(u64 *)(r6 + 8) = r7
      r0 = 0
      exit`)
    .finish();
  const btf = btfLoad(funcBtf(["main", "cb"]));
  let prog: BpfProgram;
  try {
    prog = BpfProgram.load({
      type: ProgType.socket_filter, insns: built, maps: { urb, out }, name: "urb_drain",
      progBtfFd: btf, funcInfo: funcInfo([0, built.labels.get("cb")]),
    });
  } catch (e) {
    out.close();
    throw e;
  } finally {
    close(btf);
  }
  const zero = new Uint8Array(4);
  return {
    drain() {
      out.set(zero, new Uint8Array(32));
      prog.testRun({ data: new Uint8Array(64) });
      const v = out.get(zero) as Uint8Array;
      const dv = new DataView(v.buffer, v.byteOffset);
      return { sum: dv.getBigUint64(0, true), count: Number(dv.getBigUint64(8, true)), short: Number(dv.getBigUint64(16, true)), ret: Number(dv.getBigInt64(24, true)) };
    },
    close() {
      prog.close();
      out.close();
    },
  };
}

/** The bench's producer (bpf_ringbuf_output in a bpf_loop, 5.17+): `count` records of `size` bytes per run. */
export function loopProducer(rb: BpfMap, src: BpfMap, size: number, count: number, flags = 0): { prog: BpfProgram; close(): void } {
  return loadProducer(lib, { rb, src, size, count, flags });
}

/** Every record the reader has now, copied, via read(). */
export function readAll(r: RingBufReader): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let x = r.read(); x !== null; x = r.read()) out.push(x.slice());
  return out;
}

export { UserRingBufWriter };
