// RingBufReader against records real BPF programs emit: bpf_ringbuf_output, reserve+submit and
// reserve+discard, odd lengths, records that wrap the end of the ring, a full ring; read(),
// readInto(), drain() and their positions; argument and state errors.
import { expect } from "vitest";
import { BpfMap, MapType, RingBufReader } from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { pattern, producer, RB, readAll, ringMap } from "./progs.ts";

const RING = { feature: { mapType: "ringbuf" } } as const;
const foot = (len: number) => (len + 15) & ~7;
const seqOf = (r: Uint8Array) => (r.length >= 4 ? new DataView(r.buffer, r.byteOffset).getUint32(0, true) : r.reduce((a, b, i) => a | (b << (8 * i)), 0));

describePriv("RingBufReader", RING, () => {
  itPriv("reads bpf_ringbuf_output records of odd lengths in order, byte for byte, and advances consumer_pos", RING, () => {
    using rb = ringMap(1 << 14);
    using r = new RingBufReader(rb);
    expect(r.size).toBe(1 << 14);
    const lens = [1, 2, 3, 5, 7, 8, 9, 13, 63, 100, 255, 511];
    const sent: Uint8Array[] = [];
    let bytes = 0;
    for (const len of lens) {
      const p = producer(rb, "output", len);
      try {
        for (let i = 0; i < 3; i++) {
          expect(p.run()).toBe(0);
          sent.push(pattern(i, len));
          bytes += foot(len);
        }
      } finally {
        p.close();
      }
    }
    expect(r.availableBytes).toBe(bytes);
    expect(r.producerPosition).toBe(bytes);
    expect(readAll(r)).toEqual(sent);
    expect(r.consumerPosition).toBe(bytes);
    expect(r.availableBytes).toBe(0);
    expect(r.read()).toBeNull();
  });

  itPriv("reserve+submit records arrive, reserve+discard ones are skipped (their bytes consumed all the same)", RING, () => {
    using rb = ringMap(1 << 14);
    using r = new RingBufReader(rb);
    const keep = producer(rb, "submit", 21);
    const drop = producer(rb, "discard", 21);
    try {
      const want: Uint8Array[] = [];
      for (let i = 0; i < 10; i++) {
        const p = i % 3 === 1 ? drop : keep;
        const seq = p.next();
        expect(p.run()).toBe(0);
        if (p === keep) want.push(pattern(seq, 21));
      }
      let seen = 0;
      const n = r.drain((data, offset, length) => {
        expect(data.slice(offset, offset + length)).toEqual(want[seen++]);
      });
      expect(n).toBe(want.length);
      expect(r.consumerPosition).toBe(10 * foot(21));
      // A ring holding only discarded records reads as empty, and read() consumes them.
      drop.run(3);
      expect(r.availableBytes).toBe(3 * foot(21));
      expect(r.read()).toBeNull();
      expect(r.availableBytes).toBe(0);
    } finally {
      keep.close();
      drop.close();
    }
  });

  itPriv("records that wrap the end of the ring read whole, through the kernel's second mapping", RING, () => {
    const size = 4096;
    using rb = ringMap(size);
    using r = new RingBufReader(rb);
    const p = producer(rb, "output", 333); // 344 bytes a record: starts drift across the end
    const q = producer(rb, "submit", 97);
    try {
      let wrapped = 0;
      let pos = 0;
      for (let round = 0; round < 40; round++) {
        const a = p.next(), b = q.next();
        p.run();
        q.run();
        for (const [len, seq] of [[333, a], [97, b]]) {
          const start = pos % size;
          if (start + foot(len) > size) wrapped++;
          const rec = r.read();
          expect(rec).not.toBeNull();
          expect(rec!.slice()).toEqual(pattern(seq, len));
          // The view is the ring itself: it starts right after the record's header.
          expect(rec!.byteOffset - r.data.byteOffset).toBe(start + 8);
          pos += foot(len);
        }
        r.commit();
      }
      expect(wrapped).toBeGreaterThan(3);
      expect(r.consumerPosition).toBe(pos);
      expect(pos).toBeGreaterThan(3 * size);
    } finally {
      p.close();
      q.close();
    }
  });

  itPriv("a full ring refuses records (the producer sees -ENOSPC) until the reader makes room", RING, () => {
    const size = 4096;
    using rb = ringMap(size);
    using r = new RingBufReader(rb);
    const p = producer(rb, "output", 100); // 112 bytes each: 36 fit in 4096 - 1
    try {
      let ok = 0;
      for (let i = 0; i < 50; i++) if (p.run() === 0) ok++;
      expect(ok).toBe(Math.floor((size - 1) / foot(100)));
      const got = readAll(r);
      expect(got.map(seqOf)).toEqual(Array.from({ length: ok }, (_, i) => i));
      expect(p.run()).toBe(0); // room again
      expect(seqOf(r.read()!)).toBe(50);
    } finally {
      p.close();
    }
  });

  itPriv("read() hands out a view into the ring that holds until commit(); consumer_pos moves at commit", RING, () => {
    using rb = ringMap(1 << 12);
    using r = new RingBufReader(rb);
    const p = producer(rb, "output", 16);
    try {
      p.run(2);
      const a = r.read()!;
      expect(r.consumerPosition).toBe(0); // not yet released
      expect(a.slice()).toEqual(pattern(0, 16));
      expect(a.buffer).toBe(r.data.buffer);
      r.commit();
      expect(r.consumerPosition).toBe(foot(16));
      const b = r.read()!;
      expect(b.slice()).toEqual(pattern(1, 16));
      expect(r.read()).toBeNull(); // releases b on the way
      expect(r.consumerPosition).toBe(2 * foot(16));
    } finally {
      p.close();
    }
  });

  itPriv("readInto() copies and consumes; a buffer too small throws a RangeError and leaves the record", RING, () => {
    using rb = ringMap(1 << 12);
    using r = new RingBufReader(rb);
    const p = producer(rb, "output", 40);
    try {
      p.run(2);
      const small = new Uint8Array(39);
      expect(() => r.readInto(small)).toThrow(RangeError);
      expect(r.consumerPosition).toBe(0);
      const buf = new Uint8Array(64);
      expect(r.readInto(buf)).toBe(40);
      expect(buf.subarray(0, 40)).toEqual(pattern(0, 40));
      expect(r.consumerPosition).toBe(foot(40));
      expect(r.readInto(buf)).toBe(40);
      expect(buf.subarray(0, 40)).toEqual(pattern(1, 40));
      expect(r.readInto(buf)).toBe(-1);
    } finally {
      p.close();
    }
  });

  itPriv("drain(fn, max) stops at max or when fn returns false, committing what it delivered; a throwing fn consumes its record", RING, () => {
    using rb = ringMap(1 << 12);
    using r = new RingBufReader(rb);
    const p = producer(rb, "output", 8);
    try {
      p.run(10);
      const seqs: number[] = [];
      const fn = (d: Uint8Array, o: number) => {
        seqs.push(d[o]);
      };
      expect(r.drain(fn, 3)).toBe(3);
      expect(r.consumerPosition).toBe(3 * foot(8));
      expect(r.drain((d, o) => (fn(d, o), d[o] !== 5))).toBe(3); // 3, 4, 5: stops after 5
      expect(r.consumerPosition).toBe(6 * foot(8));
      expect(() => r.drain(() => {
        throw new Error("boom");
      })).toThrow("boom");
      expect(r.consumerPosition).toBe(7 * foot(8));
      expect(r.drain(fn)).toBe(3);
      expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 7, 8, 9]);
      expect(r.drain(fn)).toBe(0);
      expect(r.drain(fn, 0)).toBe(0);
    } finally {
      p.close();
    }
  });

  itPriv("drain()'s data and dataView index the same bytes, so a record's fields decode without an object per record", RING, () => {
    using rb = ringMap(1 << 12);
    using r = new RingBufReader(rb);
    const p = producer(rb, "submit", 12);
    try {
      p.run(5);
      const dv = r.dataView;
      const seqs: number[] = [];
      r.drain((data, offset, length) => {
        expect(data).toBe(r.data);
        expect(length).toBe(12);
        seqs.push(dv.getUint32(offset, true));
      });
      expect(seqs).toEqual([0, 1, 2, 3, 4]);
    } finally {
      p.close();
    }
  });

  itPriv("producer flags (no wake-up, forced wake-up) change nothing for the reader", RING, () => {
    using rb = ringMap(1 << 12);
    using r = new RingBufReader(rb);
    const a = producer(rb, "output", 8, RB.noWakeup);
    const b = producer(rb, "submit", 8, RB.forceWakeup);
    try {
      a.run(2);
      b.run(2);
      expect(readAll(r).map(seqOf)).toEqual([0, 1, 0, 1]);
    } finally {
      a.close();
      b.close();
    }
  });

  itPriv("takes a BpfMap or an fd, keeps its own duplicate, and refuses what is not a ring buffer", RING, () => {
    using rb = ringMap(1 << 12);
    const r = new RingBufReader(rb.fd);
    expect(r.fd).not.toBe(rb.fd);
    expect(r.id).toBe(rb.id);
    rb.close(); // the reader's fd keeps the ring alive
    expect(r.availableBytes).toBe(0);
    r.close();
    expect(r.closed).toBe(true);
    r.close(); // idempotent
    using arr = BpfMap.create({ type: MapType.array, keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(() => new RingBufReader(arr)).toThrow(/is a array map, not ringbuf/);
    expect(() => new RingBufReader(-1)).toThrow(RangeError);
    expect(() => new RingBufReader("3" as unknown as number)).toThrow(TypeError);
  });

  itPriv("a closed reader throws a TypeError; views it handed out read zeros instead of faulting", RING, () => {
    using rb = ringMap(1 << 12);
    const r = new RingBufReader(rb);
    const p = producer(rb, "output", 16);
    try {
      p.run();
      const rec = r.read()!;
      const data = r.data;
      r.close();
      expect(() => r.read()).toThrow(TypeError);
      expect(() => r.drain(() => {})).toThrow(TypeError);
      expect(() => r.availableBytes).toThrow(TypeError);
      expect([...rec]).toEqual(new Array(16).fill(0));
      expect(data[0]).toBe(0);
    } finally {
      p.close();
    }
  });

  itPriv("bad arguments throw before any syscall", RING, async () => {
    using rb = ringMap(1 << 12);
    using r = new RingBufReader(rb);
    expect(() => r.drain(undefined as unknown as () => void)).toThrow(TypeError);
    expect(() => r.drain(() => {}, -1)).toThrow(RangeError);
    expect(() => r.drain(() => {}, 1.5)).toThrow(RangeError);
    expect(() => r.readInto(new ArrayBuffer(8) as unknown as Uint8Array)).toThrow(TypeError);
    await expect(r.wait(-1)).rejects.toThrow(RangeError);
  });
});
