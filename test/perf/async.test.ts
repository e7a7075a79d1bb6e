// Waiting for samples without blocking the event loop: `for await` over a PerfReader, wait() with
// and without a timeout, close() ending a pending wait and a running loop, samples written at
// every moment around the arming of the wait and on every CPU (no lost wake-ups: a perf event's
// poll consumes its wake-up, see src/sys/wait.ts), several readers at once, and the kernel's wake-up
// rules (wakeupEvents, watermark).
import { expect } from "vitest";
import { PerfReader } from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { ARMING_MOMENTS, interleavedReads, later, SLOW, ticksWhile, timed, WAKE_ROUNDS } from "../helpers/waiting.ts";
import { onCpu, perfMap, producer, recordBytes, seqOf } from "./progs.ts";

const PERF = { feature: { mapType: "perf_event_array" } } as const;

describePriv("PerfReader, waiting", PERF, () => {
  itPriv("for await yields samples written after it started waiting, and ends when the reader is closed", PERF, async () => {
    using events = perfMap();
    const r = new PerfReader(events);
    const p = producer(events, 8);
    try {
      const t0 = Date.now();
      later(50, () => p.run());
      later(120, () => p.runs(2));
      later(200, () => p.run());
      const seqs: number[] = [];
      for await (const s of r) {
        seqs.push(seqOf(s, 8));
        expect(r.cpus).toContain(r.cpu);
        if (seqs.length === 4) later(30, () => r.close());
      }
      expect(seqs.sort()).toEqual([0, 1, 2, 3]);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
      expect(r.closed).toBe(true);
    } finally {
      p.close();
      r.close();
    }
  });

  itPriv("close() ends a pending wait at once, and a loop that closes its reader ends cleanly", PERF, async () => {
    using events = perfMap();
    const r = new PerfReader(events);
    const w = r.wait();
    const it = r[Symbol.asyncIterator]().next();
    later(100, () => r.close());
    const [v, ms] = await timed(w);
    expect(v).toBe(false);
    expect(ms).toBeLessThan(5000 * SLOW);
    expect(await it).toEqual({ done: true, value: undefined });
    const r2 = new PerfReader(events, { cpus: [0] });
    const p = producer(events, 8);
    try {
      onCpu(0, () => p.runs(5));
      let n = 0;
      for await (const s of r2) {
        expect(s.length).toBe(12);
        if (++n === 2) r2.close();
      }
      expect(n).toBe(2);
    } finally {
      p.close();
      r2.close();
    }
  });

  itPriv("wait(timeout) resolves false after the timeout, true as soon as a sample is there", PERF, async () => {
    using events = perfMap();
    using r = new PerfReader(events);
    const p = producer(events, 8);
    try {
      let [v, ms] = await timed(r.wait(150));
      expect(v).toBe(false);
      expect(ms).toBeGreaterThanOrEqual(140);
      later(50, () => p.run());
      [v, ms] = await timed(r.wait(20_000 * SLOW));
      expect(v).toBe(true);
      expect(ms).toBeLessThan(5_000 * SLOW);
      expect(seqOf(r.read()!, 8)).toBe(0);
      p.run(); // already there: no wait at all
      expect(await r.wait(0)).toBe(true);
    } finally {
      p.close();
    }
  });

  itPriv("the event loop keeps running while a reader waits", PERF, async () => {
    using events = perfMap();
    using r = new PerfReader(events);
    const { woke, ticks } = await ticksWhile(() => r.wait(500));
    expect(woke).toBe(false);
    expect(ticks).toBeGreaterThanOrEqual(5);
  });

  itPriv("no lost wake-ups: samples written just before, during and after the arming, on every CPU, each wake the reader at once", PERF, async () => {
    using events = perfMap();
    using r = new PerfReader(events);
    const p = producer(events, 8);
    try {
      const moments = ARMING_MOMENTS, rounds = WAKE_ROUNDS;
      let got = 0, slowest = 0;
      for (let i = 0; i < rounds; i++) {
        const cpu = r.cpus[Math.floor(i / moments.length) % r.cpus.length];
        moments[i % moments.length](() => onCpu(cpu, () => p.run()));
        // A lost wake-up shows as a wait that runs to its timeout (it finds the sample only then).
        const [v, ms] = await timed(r.wait(4_000 * SLOW));
        expect(v).toBe(true);
        slowest = Math.max(slowest, ms);
        got += r.drain((_d, _o, _l, c) => expect(c).toBe(cpu));
        expect(got).toBe(i + 1);
      }
      expect(slowest).toBeLessThan(2_000 * SLOW);
    } finally {
      p.close();
    }
  }, 120_000 * SLOW);

  itPriv("a sample read but not yet committed does not stop the next one from waking the iterator", PERF, async () => {
    using events = perfMap();
    const r = new PerfReader(events, { cpus: [0] });
    const p = producer(events, 8);
    try {
      onCpu(0, () => p.run());
      const seqs: number[] = [];
      for await (const s of r) {
        seqs.push(seqOf(s, 8));
        if (seqs.length === 1) onCpu(0, () => p.run());
        if (seqs.length === 2) later(40, () => onCpu(0, () => p.run()));
        if (seqs.length === 3) break;
      }
      expect(seqs).toEqual([0, 1, 2]);
      expect(r.availableBytes).toBe(0); // break committed the last one
    } finally {
      p.close();
      r.close();
    }
  });

  itPriv("several readers wait at once, each woken for its own map", PERF, async () => {
    const maps = [perfMap(), perfMap(), perfMap()];
    const readers = maps.map((m) => new PerfReader(m));
    const prods = maps.map((m) => producer(m, 8));
    try {
      expect(await interleavedReads(readers, prods, (s) => seqOf(s, 8))).toEqual([[0, 1, 2], [0, 1, 2], [0, 1, 2]]);
    } finally {
      for (const x of [...prods, ...readers, ...maps]) x.close();
    }
  });

  itPriv("wakeupEvents: the kernel wakes the reader on every n-th sample of a CPU, not before", PERF, async () => {
    using events = perfMap();
    using r = new PerfReader(events, { cpus: [0], wakeupEvents: 3 });
    const p = producer(events, 8);
    try {
      later(20, () => onCpu(0, () => p.runs(2)));
      let [v, ms] = await timed(r.wait(400));
      expect(v).toBe(true); // found when the timeout looked again, not woken
      expect(ms).toBeGreaterThanOrEqual(390);
      expect(r.drain(() => {})).toBe(2);
      later(20, () => onCpu(0, () => p.run())); // the third
      [v, ms] = await timed(r.wait(10_000 * SLOW));
      expect(v).toBe(true);
      expect(ms).toBeLessThan(5_000 * SLOW);
    } finally {
      p.close();
    }
  });

  itPriv("watermark: the kernel wakes the reader once more than that many bytes are in, not before", PERF, async () => {
    using events = perfMap();
    const watermark = 100;
    using r = new PerfReader(events, { cpus: [0], perCpuBytes: 4096, watermark });
    const p = producer(events, 8);
    try {
      later(20, () => onCpu(0, () => p.run()));
      let [v, ms] = await timed(r.wait(400));
      expect(v).toBe(true);
      expect(ms).toBeGreaterThanOrEqual(390);
      expect(r.drain(() => {})).toBe(1);
      const n = Math.ceil(watermark / recordBytes(8)); // with the first: past the watermark
      later(20, () => onCpu(0, () => p.runs(n)));
      [v, ms] = await timed(r.wait(10_000 * SLOW));
      expect(v).toBe(true);
      expect(ms).toBeLessThan(5_000 * SLOW);
    } finally {
      p.close();
    }
  });
});
