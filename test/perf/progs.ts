/**
 * Producers for the perf buffer tests, hand-assembled: socket_filter programs run with
 * BPF_PROG_TEST_RUN call bpf_perf_event_output(ctx, events, BPF_F_CURRENT_CPU, data, len) (the
 * skb flavour, which socket filters have since 4.8), and a raw tracepoint program on sys_enter that
 * reports this process's getpid() calls. Each sample carries a sequence number (bumped by every
 * run, emitted or not) in its first bytes, then the pattern of test/ringbuf/progs.ts. A CPU can be
 * chosen for a run by pinning the calling thread (sched_setaffinity), so that samples land in a
 * known ring.
 */
import {
  BpfMap, BpfProgram, currentPid, getBackend, keepAlive, MapType, possibleCpus, ProgramBuilder, ProgType,
} from "../../mod.ts";
import { GETPID } from "../link/counter.ts";
import { pattern } from "../ringbuf/progs.ts";

export { pattern };

/** The raw bytes a sample of a `len`-byte output carries: the kernel pads u32 size + data to 8 bytes. */
export const padded = (len: number): number => ((len + 4 + 7) & ~7) - 4;

/** The bytes a sample record of a `len`-byte output takes in the ring: header, u32 size, padded data. */
export const recordBytes = (len: number): number => 8 + 4 + padded(len);

/** A perf event array with a slot per possible CPU (what libbpf makes of max_entries 0). */
export function perfMap(entries: number = possibleCpus()): BpfMap {
  return BpfMap.create({ type: MapType.perf_event_array, keySize: 4, valueSize: 4, maxEntries: entries });
}

/** A producer program and the maps it needs; close() closes them (not the perf event array). */
export interface PerfProducer {
  /** The program. */
  prog: BpfProgram;
  /** Runs it once: bpf_perf_event_output's return (0, or -errno such as -ENOSPC for a full ring, -ENOENT for no ring). */
  run(): number;
  /** Runs it `n` times; returns how many of them emitted their sample. */
  runs(n: number): number;
  /** The sequence number the next run's sample gets. */
  next(): number;
  /** Closes the program and its maps. */
  close(): void;
}

const MAX = 512;

/** A program that, per run, bumps the sequence counter and outputs `len` bytes (the pattern) on the current CPU's ring. */
export function producer(events: BpfMap, len: number): PerfProducer {
  if (len < 1 || len > MAX) throw new RangeError(`len ${len}`);
  const seq = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: 4, maxEntries: 1 });
  const src = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: MAX, maxEntries: 1 });
  const body = new Uint8Array(MAX);
  body.set(pattern(0, len));
  src.set(new Uint8Array(4), body);
  const insns = new ProgramBuilder().asm("r6 = r1").ldMapValue("r7", "seq").asm(`
      r8 = *(u32 *)(r7 + 0)
      r9 = r8
      r9 += 1
      *(u32 *)(r7 + 0) = r9`)
    .ldMapValue("r4", "src").asm(`
      *(u32 *)(r4 + 0) = r8
      r1 = r6
      r2 = events ll
      r3 = 0xffffffff ll
      r5 = ${len}
      call 25
      exit`)
    .finish();
  let prog: BpfProgram;
  try {
    prog = BpfProgram.load({ type: ProgType.socket_filter, insns, maps: { events, seq, src }, name: "perf_out" });
  } catch (e) {
    seq.close();
    src.close();
    throw e;
  }
  const pkt = new Uint8Array(64);
  let n = 0;
  const run = (): number => {
    n++;
    return prog.testRun({ data: pkt }).retval | 0;
  };
  return {
    prog,
    run,
    runs(k: number) {
      let ok = 0;
      for (let i = 0; i < k; i++) if (run() === 0) ok++;
      return ok;
    },
    next: () => n,
    close() {
      prog.close();
      seq.close();
      src.close();
    },
  };
}

/**
 * A raw tracepoint program for sys_enter that outputs {u64 pid, u64 syscall id} on the current
 * CPU's ring for each getpid() this process makes.
 */
export function getpidReporter(events: BpfMap): BpfProgram {
  const insns = new ProgramBuilder().asm(`
      r6 = r1
      call 14
      r0 >>= 32
      if r0 != ${currentPid()} goto out
      r7 = *(u64 *)(r6 + 8)
      if r7 != ${GETPID} goto out
      *(u64 *)(r10 - 16) = r0
      *(u64 *)(r10 - 8) = r7
      r1 = r6
      r2 = events ll
      r3 = 0xffffffff ll
      r4 = r10
      r4 += -16
      r5 = 16
      call 25
    out:
      r0 = 0
      exit`).finish();
  return BpfProgram.load({ type: ProgType.raw_tracepoint, insns, maps: { events }, name: "perf_getpid" });
}

const AFFINITY = { x86_64: { set: 203, get: 204 }, aarch64: { set: 122, get: 123 } } as const;

/**
 * Runs `fn` with the calling thread pinned to `cpu` (sched_setaffinity), then puts the thread's
 * CPU mask back: what a BPF_PROG_TEST_RUN makes in that time lands in `cpu`'s ring.
 */
export function onCpu<T>(cpu: number, fn: () => T): T {
  const b = getBackend();
  const nr = AFFINITY[b.arch as keyof typeof AFFINITY];
  if (nr === undefined) throw new Error(`no sched_setaffinity number for ${b.arch}`);
  const saved = new Uint8Array(128);
  const got = b.syscall(nr.get, 0, saved.length, b.address(saved));
  keepAlive(saved);
  if (got < 0) throw new Error(`sched_getaffinity: errno ${-got}`);
  const mask = new Uint8Array(128);
  mask[cpu >> 3] = 1 << (cpu & 7);
  const set = (m: Uint8Array) => {
    const rc = b.syscall(nr.set, 0, m.length, b.address(m));
    keepAlive(m);
    if (rc < 0) throw new Error(`sched_setaffinity(CPU ${cpu}): errno ${-rc}`);
  };
  set(mask);
  try {
    return fn();
  } finally {
    set(saved);
  }
}

/** The sequence number of a sample of `len` output bytes (at most its first 4 bytes hold it). */
export function seqOf(s: Uint8Array, len: number): number {
  let v = 0;
  for (let i = 0; i < Math.min(4, len); i++) v |= s[i] << (8 * i);
  return v >>> 0;
}
