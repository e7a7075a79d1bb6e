// The perf buffer benchmark's baseline does real work on the same samples: libbpf's
// perf_buffer__consume (bench/c/perf.c, in this process through its FFI) sums what the
// PerfReader.drain callback sums, on samples of the bench's own producer.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import * as lib from "../../mod.ts";
import { BpfMap, MapType, PerfReader } from "../../mod.ts";
// @ts-ignore: a plain-JS helper of the benchmark, without declarations
import { loadPerfC, loadPerfProducer, perfRecordBytes } from "../../bench/perf-progs.mjs";
import { root } from "../helpers/child.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { padded, perfMap } from "./progs.ts";

type C = Record<"c_pb_bytes" | "c_pb_open" | "c_pb_consume" | "c_pb_close", (x: number) => number> & Record<"c_pb_sum" | "c_pb_lost", (x: number) => number>;
type Producer = { fill(count: number): number; close(): void };

const libbpf = existsSync("/usr/include/bpf/libbpf.h") ? null : "needs libbpf-dev (/usr/include/bpf/libbpf.h)";
const PERF = { feature: { mapType: "perf_event_array" } } as const;

describePriv("bench: libbpf's perf_buffer__consume in this process", PERF, () => {
  let dir = "";
  let c: C;
  beforeAll(async () => {
    if (libbpf) return;
    dir = mkdtempSync(join(tmpdir(), "tsbpf-perf-bench-"));
    const so = join(dir, "libperf.so");
    execFileSync("gcc", ["-O2", "-shared", "-fPIC", "-o", so, join(root, "bench", "c", "perf.c"), "-lbpf"]);
    c = (await loadPerfC(so)) as C;
  }, 240_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A 512-byte source value whose first byte is 7, and a producer of `size`-byte samples into `events`. */
  function setUp(events: BpfMap, size: number): { src: BpfMap; p: Producer } {
    const src = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: 512, maxEntries: 1 });
    const v = new Uint8Array(512);
    v[0] = 7;
    src.set(new Uint8Array(4), v);
    return { src, p: loadPerfProducer(lib, { events, src, size }) as Producer };
  }

  itPriv("libbpf and drain() sum the same samples alike", { ...PERF, skipIf: libbpf }, () => {
    using ours = perfMap();
    using theirs = perfMap();
    const a = setUp(ours, 13), b = setUp(theirs, 13);
    using r = new PerfReader(ours);
    try {
      expect(c.c_pb_bytes(1 << 16)).toBe(0);
      expect(c.c_pb_open(theirs.fd)).toBe(0);
      const before = c.c_pb_sum(0);
      expect(b.p.fill(300)).toBe(0);
      expect(c.c_pb_consume(0)).toBe(300);
      // Each sample: its size as the kernel pads it, plus its first byte (7).
      expect(c.c_pb_sum(0) - before).toBe(300 * (padded(13) + 7));
      expect(a.p.fill(300)).toBe(0);
      let sum = 0;
      expect(r.drain((d: Uint8Array, o: number, len: number) => void (sum += len + d[o]))).toBe(300);
      expect(sum).toBe(300 * (padded(13) + 7));
      expect(c.c_pb_consume(0)).toBe(0);
      expect(r.lost).toBe(0);
      expect(c.c_pb_lost(0)).toBe(0);
    } finally {
      c.c_pb_close(0);
      for (const x of [a, b]) {
        x.p.close();
        x.src.close();
      }
    }
  });

  itPriv("the bench's producer writes `count` samples of perfRecordBytes(size) bytes in one test run", PERF, () => {
    using events = perfMap();
    const { src, p } = setUp(events, 512);
    using r = new PerfReader(events, { perCpuBytes: 1 << 17 });
    try {
      expect(p.fill(100)).toBe(0);
      expect(r.availableBytes).toBe(100 * perfRecordBytes(512));
      let n = 0;
      r.drain((d: Uint8Array, o: number, len: number) => {
        if (len === padded(512) && d[o] === 7) n++;
      });
      expect(n).toBe(100);
    } finally {
      p.close();
      src.close();
    }
  });
});
