// Maps without keys: queue and stack (push, pop, peek), bloom filter (push, mayContain).
import { expect } from "vitest";
import { BpfMap, MapType, struct, u32, u64, u8, UpdateFlags } from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { bpfError } from "../helpers/expect.ts";
import { spy } from "./spy.ts";

describePriv("queue and stack", { feature: [{ mapType: "queue" }, { mapType: "stack" }] }, () => {
  itPriv("a queue is FIFO, a stack LIFO; empty reads are undefined", () => {
    using q = BpfMap.create({ type: MapType.queue, value: u32, maxEntries: 8, name: "fifo" });
    using s = BpfMap.create({ type: MapType.stack, value: u32, maxEntries: 8, name: "lifo" });
    expect(q.peek()).toBeUndefined();
    expect(q.pop()).toBeUndefined();
    for (const n of [1, 2, 3]) {
      q.push(n);
      s.push(n);
    }
    expect(q.peek()).toBe(1);
    expect(s.peek()).toBe(3);
    expect([q.pop(), q.pop(), q.pop(), q.pop()]).toEqual([1, 2, 3, undefined]);
    expect([s.pop(), s.pop(), s.pop(), s.pop()]).toEqual([3, 2, 1, undefined]);
    expect(q.keySize).toBe(0);
  });

  itPriv("a full queue refuses a push unless told to overwrite the oldest", () => {
    using q = BpfMap.create({ type: MapType.queue, value: u64, maxEntries: 2 });
    q.push(1n);
    q.push(2n);
    expect(bpfError(() => q.push(3n)).code).toBe("E2BIG");
    q.push(3n, UpdateFlags.exist);
    expect([q.pop(), q.pop()]).toEqual([2n, 3n]);
  });

  itPriv("struct values, and wrong values named before the syscall", () => {
    const Ev = struct({ pid: u32, cpu: u8 });
    using q = BpfMap.create({ type: MapType.queue, value: Ev, maxEntries: 4, name: "events" });
    q.push({ pid: 42, cpu: 1 });
    expect(q.pop()).toEqual({ pid: 42, cpu: 1 });
    const r = spy(() => q.push({ pid: -1, cpu: 0 }));
    expect(String(r.error)).toContain('map "events" (queue) value: struct { pid: u32, cpu: u8 }: .pid: u32');
    expect(r.bpf).toEqual([]);
  });

  itPriv("key operations on a queue, and queue operations elsewhere, are TypeErrors", () => {
    using q = BpfMap.create({ type: MapType.queue, value: u32, maxEntries: 4 });
    expect(() => (q as unknown as BpfMap<number, number>).get(0)).toThrow("get() needs a map with keys; a queue map has none (use push(), pop() and peek())");
    expect(() => (q as unknown as BpfMap<number, number>).set(0, 1)).toThrow(TypeError);
    using h = BpfMap.create({ type: MapType.hash, key: u32, value: u32, maxEntries: 4 });
    expect(() => h.pop()).toThrow("pop() needs a queue or stack map, not hash (use set/get/delete)");
    expect(() => h.peek()).toThrow(TypeError);
    expect(() => h.mayContain(1)).toThrow(TypeError);
    q.close();
    expect(() => q.pop()).toThrow("map (queue, unnamed) is closed");
  });
});

describePriv("bloom filter", { feature: { mapType: "bloom_filter" } }, () => {
  itPriv("push adds, mayContain never misses what was added", () => {
    using b = BpfMap.create({ type: MapType.bloom_filter, value: u32, maxEntries: 1000, mapExtra: 3 });
    for (let i = 0; i < 100; i++) b.push(i * 13);
    for (let i = 0; i < 100; i++) expect(b.mayContain(i * 13)).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 1000; i++) if (b.mayContain(1_000_000 + i)) falsePositives++;
    expect(falsePositives).toBeLessThan(100);
    expect(() => b.pop()).toThrow(TypeError);
  });
});
