// UserRingBufWriter against a BPF program that drains the ring with bpf_user_ringbuf_drain (run
// by BPF_PROG_TEST_RUN): what it sees of written, reserved, submitted and discarded samples, a
// full ring, reserveBlocking() waiting for room, errors.
import { expect } from "vitest";
import { MapType, UserRingBufWriter } from "../../mod.ts";
import { describePriv, inVm, itPriv } from "../helpers/env.ts";
import { drainer, ringMap } from "./progs.ts";

// bpf_dynptr_read (5.19) comes with them.
const URB = { feature: [{ mapType: "user_ringbuf" }, { helper: "user_ringbuf_drain" }] } as const;
const SLOW = inVm ? 10 : 1;
const u64 = (v: bigint) => new Uint8Array(new BigUint64Array([v]).buffer);
const foot = (len: number) => (len + 15) & ~7;

describePriv("UserRingBufWriter", URB, () => {
  itPriv("samples written here are drained by the BPF program, in full, and consumer_pos follows", URB, () => {
    using urb = ringMap(1 << 12, MapType.user_ringbuf);
    using w = new UserRingBufWriter(urb);
    const d = drainer(urb);
    try {
      expect(w.size).toBe(4096);
      let want = 0n;
      for (let i = 1n; i <= 20n; i++) {
        expect(w.write(u64(i * 1000n + 7n))).toBe(true);
        want += i * 1000n + 7n;
      }
      expect(w.producerPosition).toBe(20 * 16);
      expect(w.freeBytes).toBe(4096 - 20 * 16);
      expect(d.drain()).toEqual({ ret: 20, count: 20, short: 0, sum: want });
      expect(w.consumerPosition).toBe(20 * 16);
      expect(w.freeBytes).toBe(4096);
      expect(d.drain()).toEqual({ ret: 0, count: 0, short: 0, sum: 0n });
    } finally {
      d.close();
    }
  });

  itPriv("reserve() fills in place; discarded samples are skipped; the kernel stops at one still reserved", URB, () => {
    using urb = ringMap(1 << 12, MapType.user_ringbuf);
    using w = new UserRingBufWriter(urb);
    const d = drainer(urb);
    try {
      const a = w.reserve(8)!;
      const b = w.reserve(24)!;
      const c = w.reserve(8)!;
      new DataView(a.buffer, a.byteOffset).setBigUint64(0, 1n, true);
      new DataView(b.buffer, b.byteOffset).setBigUint64(0, 20n, true);
      new DataView(c.buffer, c.byteOffset).setBigUint64(0, 300n, true);
      w.submit(c);
      w.discard(b);
      const none = d.drain();
      expect(none.count).toBe(0); // a, first in the ring, is still reserved
      w.submit(a);
      expect(d.drain()).toMatchObject({ ret: 2, count: 2, sum: 301n });
      expect(w.consumerPosition).toBe(foot(8) + foot(24) + foot(8));
    } finally {
      d.close();
    }
  });

  itPriv("samples of odd and small sizes, wrapping the end of the ring many times", URB, () => {
    using urb = ringMap(1 << 12, MapType.user_ringbuf);
    using w = new UserRingBufWriter(urb);
    const d = drainer(urb);
    try {
      let pos = 0;
      for (let round = 0; round < 60; round++) {
        let want = 0n, full = 0, short = 0;
        for (const len of [0, 3, 8, 13, 77, 201]) {
          const s = w.reserve(len)!;
          expect(s.length).toBe(len);
          for (let i = 0; i < len; i++) s[i] = (round + i) & 0xff;
          if (len >= 8) {
            want += new DataView(s.buffer, s.byteOffset).getBigUint64(0, true);
            full++;
          } else short++;
          w.submit(s);
          pos += foot(len);
        }
        expect(d.drain()).toEqual({ ret: full + short, count: full + short, short, sum: BigInt.asUintN(64, want) });
      }
      expect(w.consumerPosition).toBe(pos);
      expect(pos).toBeGreaterThan(5 * 4096);
    } finally {
      d.close();
    }
  });

  itPriv("a full ring: reserve() says null, write() false; a size the ring can never hold is a RangeError", URB, () => {
    using urb = ringMap(1 << 12, MapType.user_ringbuf);
    using w = new UserRingBufWriter(urb);
    const d = drainer(urb);
    try {
      let n = 0;
      while (w.reserve(100) !== null) n++; // reserved, never submitted: the ring stays full
      expect(n).toBe(Math.floor(4096 / foot(100)));
      expect(w.freeBytes).toBe(4096 - n * foot(100));
      expect(w.write(new Uint8Array(w.freeBytes - 7))).toBe(false); // one byte more than fits
      expect(w.write(new Uint8Array(w.freeBytes - 8))).toBe(true);
      expect(w.freeBytes).toBe(0);
      expect(() => w.reserve(4096)).toThrow(RangeError);
      expect(() => w.reserve(-1)).toThrow(RangeError);
      expect(() => w.reserve(1.5)).toThrow(RangeError);
      expect(d.drain().count).toBe(0);
    } finally {
      d.close();
    }
  });

  itPriv("reserveBlocking() waits for the kernel to drain, without blocking the event loop, or gives up at its timeout", URB, async () => {
    using urb = ringMap(1 << 12, MapType.user_ringbuf);
    using w = new UserRingBufWriter(urb);
    const d = drainer(urb);
    try {
      while (w.write(u64(1n)));
      let t0 = Date.now();
      expect(await w.reserveBlocking(8, 100)).toBeNull();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
      let ticks = 0;
      const iv = setInterval(() => ticks++, 5);
      setTimeout(() => d.drain(), 150);
      t0 = Date.now();
      const s = await w.reserveBlocking(8, 20_000 * SLOW);
      clearInterval(iv);
      expect(s).not.toBeNull();
      expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
      expect(ticks).toBeGreaterThanOrEqual(3); // the event loop ran while it waited
      new DataView(s!.buffer, s!.byteOffset).setBigUint64(0, 99n, true);
      w.submit(s!);
      expect(d.drain()).toMatchObject({ count: 1, sum: 99n });
    } finally {
      d.close();
    }
  });

  itPriv("close() ends a pending reserveBlocking() with null; a closed writer throws a TypeError", URB, async () => {
    using urb = ringMap(1 << 12, MapType.user_ringbuf);
    const w = new UserRingBufWriter(urb);
    while (w.write(u64(1n)));
    const p = w.reserveBlocking(8);
    setTimeout(() => w.close(), 50);
    expect(await p).toBeNull();
    expect(() => w.reserve(8)).toThrow(TypeError);
    expect(() => w.write(new Uint8Array(1))).toThrow(TypeError);
  });

  itPriv("submit() and discard() take only samples this writer reserved and has not handed over yet", URB, () => {
    using urb = ringMap(1 << 12, MapType.user_ringbuf);
    using other = ringMap(1 << 12, MapType.user_ringbuf);
    using w = new UserRingBufWriter(urb);
    using w2 = new UserRingBufWriter(other);
    const s = w.reserve(16)!;
    expect(() => w.submit(new Uint8Array(16))).toThrow(TypeError);
    expect(() => w2.submit(s)).toThrow(TypeError);
    expect(() => w.submit(s.subarray(1))).toThrow(TypeError);
    w.submit(s);
    expect(() => w.submit(s)).toThrow(TypeError);
    expect(() => w.discard(s)).toThrow(TypeError);
  });

  itPriv("refuses a kernel-produced ring, and a RingBufReader refuses a user one", URB, async () => {
    const { RingBufReader } = await import("../../mod.ts");
    using rb = ringMap(1 << 12);
    using urb = ringMap(1 << 12, MapType.user_ringbuf);
    expect(() => new UserRingBufWriter(rb)).toThrow(/is a ringbuf map, not user_ringbuf/);
    expect(() => new RingBufReader(urb)).toThrow(/is a user_ringbuf map, not ringbuf/);
  });
});
