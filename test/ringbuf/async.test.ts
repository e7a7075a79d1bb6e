// Waiting for records without blocking the event loop: `for await` over a RingBufReader, wait()
// with and without a timeout, close() ending a pending wait, records produced at every moment
// around the arming of the wait (no lost wake-ups), several readers at once, and fd hygiene.
import { readdirSync } from "node:fs";
import { expect } from "vitest";
import { RingBufReader } from "../../mod.ts";
import { waiterFds } from "../../src/sys/wait.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { ARMING_MOMENTS, interleavedReads, later, SLOW, ticksWhile, WAKE_ROUNDS } from "../helpers/waiting.ts";
import { producer, RB, ringMap } from "./progs.ts";

const RING = { feature: { mapType: "ringbuf" } } as const;

describePriv("RingBufReader, waiting", RING, () => {
  itPriv("for await yields records produced after it started waiting, and ends when the reader is closed", RING, async () => {
    using rb = ringMap(1 << 12);
    const r = new RingBufReader(rb);
    const p = producer(rb, "output", 8);
    try {
      const t0 = Date.now();
      later(50, () => p.run());
      later(120, () => p.run(2));
      later(200, () => p.run());
      const seqs: number[] = [];
      for await (const rec of r) {
        seqs.push(rec[0]);
        if (seqs.length === 4) later(30, () => r.close());
      }
      expect(seqs).toEqual([0, 1, 2, 3]);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
      expect(r.closed).toBe(true);
    } finally {
      p.close();
      r.close();
    }
  });

  itPriv("close() ends a pending wait at once: wait() resolves false, the iterator finishes", RING, async () => {
    using rb = ringMap(1 << 12);
    const r = new RingBufReader(rb);
    const w = r.wait();
    const it = r[Symbol.asyncIterator]().next();
    later(100, () => r.close());
    const t0 = Date.now();
    expect(await w).toBe(false);
    expect(await it).toEqual({ done: true, value: undefined });
    expect(Date.now() - t0).toBeLessThan(5000 * SLOW);
  });

  itPriv("wait(timeout) resolves false after the timeout, true as soon as a record is there", RING, async () => {
    using rb = ringMap(1 << 12);
    using r = new RingBufReader(rb);
    const p = producer(rb, "output", 8);
    try {
      let t0 = Date.now();
      expect(await r.wait(150)).toBe(false);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
      later(50, () => p.run());
      t0 = Date.now();
      expect(await r.wait(20_000 * SLOW)).toBe(true);
      expect(Date.now() - t0).toBeLessThan(10_000 * SLOW);
      expect(r.read()![0]).toBe(0);
      p.run(); // already there: no wait at all
      expect(await r.wait(0)).toBe(true);
    } finally {
      p.close();
    }
  });

  itPriv("the event loop keeps running while a reader waits", RING, async () => {
    using rb = ringMap(1 << 12);
    using r = new RingBufReader(rb);
    const { woke, ticks } = await ticksWhile(() => r.wait(500));
    expect(woke).toBe(false);
    // A thread blocked in epoll_wait would let none through; a loaded machine lets through fewer than 100.
    expect(ticks).toBeGreaterThanOrEqual(5);
  });

  itPriv("no lost wake-ups: records produced just before, just after and long after the wait is armed all wake it", RING, async () => {
    using rb = ringMap(1 << 14);
    using r = new RingBufReader(rb);
    const p = producer(rb, "output", 8);
    const quiet = producer(rb, "output", 8, RB.noWakeup);
    try {
      const moments = ARMING_MOMENTS, rounds = WAKE_ROUNDS;
      let got = 0;
      for (let i = 0; i < rounds; i++) {
        // A record that asks for no wake-up is seen too when it is there before the wait is armed
        // (i % 5 === 0 is the "before" moment): arming polls the ring.
        const who = i % 5 === 0 ? quiet : p;
        moments[i % moments.length](() => who.run());
        expect(await r.wait(20_000 * SLOW)).toBe(true);
        got += r.drain(() => {});
        expect(got).toBe(i + 1);
      }
    } finally {
      p.close();
      quiet.close();
    }
  }, 120_000 * SLOW);

  itPriv("a record read but not yet committed does not stop the next one from waking the iterator", RING, async () => {
    using rb = ringMap(1 << 12);
    const r = new RingBufReader(rb);
    const p = producer(rb, "submit", 8);
    try {
      p.run();
      const seqs: number[] = [];
      for await (const rec of r) {
        seqs.push(rec[0]);
        // While record n is held (consumer_pos behind it), the kernel wakes no one for record
        // n + 1; the iterator commits n before it waits, and finds n + 1 or is woken for it.
        if (seqs.length === 1) p.run();
        if (seqs.length === 2) later(40, () => p.run());
        if (seqs.length === 3) break;
      }
      expect(seqs).toEqual([0, 1, 2]);
      expect(r.consumerPosition).toBe(3 * 16); // break committed the last one
    } finally {
      p.close();
      r.close();
    }
  });

  itPriv("several readers wait at once, each woken for its own ring", RING, async () => {
    const rings = [ringMap(1 << 12), ringMap(1 << 12), ringMap(1 << 12)];
    const readers = rings.map((m) => new RingBufReader(m));
    const prods = rings.map((m) => producer(m, "output", 8));
    try {
      expect(await interleavedReads(readers, prods, (rec) => rec[0])).toEqual([[0, 1, 2], [0, 1, 2], [0, 1, 2]]);
    } finally {
      for (const x of [...prods, ...readers, ...rings]) x.close();
    }
  });

  itPriv("readers leave no fd behind: their duplicate closes, the process's fd waiter keeps its two", RING, async () => {
    const fds = () => readdirSync("/proc/self/fd").length;
    {
      using rb = ringMap(1 << 12);
      using r = new RingBufReader(rb);
      await r.wait(10); // the waiter exists from here on
    }
    expect(waiterFds().length).toBe(2);
    const before = fds();
    for (let i = 0; i < 5; i++) {
      using rb = ringMap(1 << 12);
      using r = new RingBufReader(rb);
      const p = producer(rb, "output", 8);
      later(10, () => p.run());
      expect(await r.wait(20_000 * SLOW)).toBe(true);
      p.close();
    }
    expect(fds()).toBe(before);
  });
});
