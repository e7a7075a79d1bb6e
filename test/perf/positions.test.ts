// PerfReader over a long run: more than 2^32 bytes through one CPU's ring, past the point where
// the low halves of data_head and data_tail the reader works with wrap around (it then stores all
// 64 bits of data_tail; the kernel itself masks both by the ring's size).
import { expect } from "vitest";
import * as lib from "../../mod.ts";
import { BpfMap, MapType, PerfReader } from "../../mod.ts";
// @ts-ignore: a plain-JS helper of the benchmark, without declarations
import { loadPerfProducer, perfRecordBytes } from "../../bench/perf-progs.mjs";
import { describePriv, inVm, itPriv } from "../helpers/env.ts";
import { onCpu, perfMap } from "./progs.ts";

const PERF = { feature: { mapType: "perf_event_array" } } as const;

describePriv("PerfReader over a long run", PERF, () => {
  itPriv("more than 2^32 bytes through one CPU's ring: data_tail wraps its low half and every sample still arrives", PERF, () => {
    const SIZE = 16 << 20;
    const REC = 32768;
    const LEN = 32756; // a 32 KiB record with its header and size word
    expect(perfRecordBytes(LEN)).toBe(REC);
    using events = perfMap();
    using src = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: REC, maxEntries: 1 });
    const v = new Uint8Array(REC);
    v[0] = 0x5a;
    v[LEN - 1] = 0xa5;
    src.set(new Uint8Array(4), v);
    const p = loadPerfProducer(lib, { events, src, size: LEN }) as { fill(n: number): number; close(): void };
    using r = new PerfReader(events, { perCpuBytes: SIZE });
    const cpu = r.cpus[0];
    const perFill = Math.floor((SIZE - 1) / REC);
    try {
      let total = 0, bad = 0;
      const target = 2 ** 32 + 3 * SIZE;
      while (total * REC < target) {
        expect(onCpu(cpu, () => p.fill(perFill))).toBe(0); // -ENOSPC: the kernel saw no room
        const n = r.drain((d: Uint8Array, o: number, len: number, c: number) => {
          if (c !== cpu || len < LEN || d[o] !== 0x5a || d[o + LEN - 1] !== 0xa5) bad++;
        });
        expect(n).toBe(perFill);
        total += n;
      }
      expect(bad).toBe(0);
      expect(r.lost).toBe(0);
      expect(r.availableBytes).toBe(0);
      expect(total * REC).toBeGreaterThan(2 ** 32);
    } finally {
      p.close();
    }
  }, inVm ? 1_200_000 : 120_000);
});
