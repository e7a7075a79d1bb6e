// Walking maps: batch lookups where the kernel has them, get_next_key where it does not, the
// fallback learnt once per map type, deletes during a walk, bulk writes and deletes.
import { afterEach, expect } from "vitest";
import { BpfMap, Cmd, Insn, MapType, perCpu, possibleCpus, progInfoByFd, progLoad, ProgType, u32, u64, u8, UpdateFlags } from "../../mod.ts";
import { batchSupport, resetBatchSupport, setBatchSupport } from "../../src/map/iter.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { own } from "../helpers/fds.ts";
import { spy } from "./spy.ts";

const sorted = <T>(xs: T[], key: (x: T) => number): T[] => [...xs].sort((a, b) => key(a) - key(b));
const range = <T = number>(n: number, f: (i: number) => T = (i) => i as T): T[] => Array.from({ length: n }, (_, i) => f(i));
const cmds = (s: { bpf: [number, number][] }, cmd: number): number => s.bpf.filter(([c]) => c === cmd).length;

function filled(n: number, max = n) {
  const m = BpfMap.create({ type: MapType.hash, key: u32, value: u64, maxEntries: max, name: "walked" });
  expect(m.setMany(range(n).map((i) => [i * 7, BigInt(i) * 3n] as const))).toBe(n);
  return m;
}

afterEach(() => resetBatchSupport());

describePriv("iteration", () => {
  itPriv("entries(), keys(), values() and for-of see every entry once, whatever the kernel", () => {
    using m = filled(3000, 4096);
    const want = range(3000, (i) => i * 7);
    const entries = sorted([...m], ([k]) => k);
    expect(entries.map(([k]) => k)).toEqual(want);
    for (const [k, v] of entries) expect(v).toBe(BigInt(k / 7) * 3n);
    expect(sorted([...m.keys()], (k) => k)).toEqual(want);
    expect([...m.values()].reduce((a, b) => a + b, 0n)).toBe(3n * BigInt((2999 * 3000) / 2));
    expect(sorted(m.getAll(), ([k]) => k)).toEqual(entries);
  });

  itPriv("the get_next_key walk gives the same entries", () => {
    using m = filled(500);
    const batch = sorted([...m.entries()], ([k]) => k);
    const walk = sorted([...m.entries({ batch: false })], ([k]) => k);
    expect(walk).toEqual(batch);
    expect(sorted([...m.keys({ batch: false })], (k) => k)).toEqual(batch.map(([k]) => k));
    const s = spy(() => [...m.entries({ batch: false })]);
    expect(cmds(s, Cmd.map_lookup_batch)).toBe(0);
    expect(cmds(s, Cmd.map_get_next_key)).toBe(501);
  });

  itPriv("bulk reads use BPF_MAP_LOOKUP_BATCH, a few calls for many entries", { feature: "batch_ops" }, () => {
    using m = filled(10000, 20000);
    const s = spy(() => [...m]);
    expect((s.result as unknown[]).length).toBe(10000);
    expect(cmds(s, Cmd.map_get_next_key)).toBe(0);
    expect(cmds(s, Cmd.map_lookup_elem)).toBe(0);
    expect(cmds(s, Cmd.map_lookup_batch)).toBeGreaterThanOrEqual(2);
    expect(cmds(s, Cmd.map_lookup_batch)).toBeLessThanOrEqual(4);
    expect(batchSupport("map_lookup_batch", MapType.hash)).toBe(true);
    // A chosen batch size.
    const small = spy(() => [...m.entries({ batch: 1000 })]);
    expect((small.result as unknown[]).length).toBe(10000);
    expect(cmds(small, Cmd.map_lookup_batch)).toBeGreaterThanOrEqual(10);
    expect(() => [...m.entries({ batch: 0 })]).toThrow(RangeError);
  });

  itPriv("a hash bucket larger than the batch grows the batch (ENOSPC) instead of failing", { feature: "batch_ops" }, () => {
    let grew = 0;
    for (let t = 0; t < 24; t++) {
      using m = BpfMap.create({ type: MapType.hash, key: u32, value: u8, maxEntries: 4 });
      for (let i = 0; i < 4; i++) m.set(t * 4 + i, i);
      const s = spy(() => [...m.keys({ batch: 1 })]);
      expect(sorted(s.result as number[], (k) => k)).toEqual(range(4, (i) => t * 4 + i));
      grew += s.bpf.filter(([c, rc]) => c === Cmd.map_lookup_batch && rc === -28).length;
    }
    expect(grew).toBeGreaterThan(0); // 4 keys in 4 buckets collide 9 times in 10
  });

  itPriv("a map type without batch lookups falls back, and the answer is remembered", () => {
    // prog_array has no batch lookup on any kernel yet; its values read back as program ids.
    const p = own(progLoad(ProgType.socket_filter, [Insn.mov("r0", 0), Insn.exit()]));
    const id = progInfoByFd(p).id;
    using m = BpfMap.create({ type: MapType.prog_array, key: u32, maxEntries: 3 });
    m.set(1, p);
    expect(batchSupport("map_lookup_batch", MapType.prog_array)).toBeUndefined();
    const first = spy(() => [...m]);
    expect(first.result).toEqual([[0, undefined], [1, id], [2, undefined]].filter(([, v]) => v !== undefined));
    expect(batchSupport("map_lookup_batch", MapType.prog_array)).toBe(false);
    const second = spy(() => [...m]);
    expect(second.result).toEqual(first.result);
    expect(cmds(first, Cmd.map_lookup_batch)).toBe(1);
    expect(cmds(second, Cmd.map_lookup_batch)).toBe(0);
    expect(m.get(1)).toBe(id);
  });

  itPriv("arrays and per-CPU maps walk in both modes", () => {
    const n = possibleCpus();
    using a = BpfMap.create({ type: MapType.array, key: u32, value: u32, maxEntries: 5 });
    a.set(2, 22);
    for (const batch of [true, false]) expect([...a.entries({ batch })]).toEqual([[0, 0], [1, 0], [2, 22], [3, 0], [4, 0]]);
    using h = BpfMap.create({ type: MapType.percpu_hash, key: u32, value: perCpu(u64), maxEntries: 8 });
    h.set(5, range(n, (c) => BigInt(c)));
    h.set(6, range(n, () => 9n));
    for (const batch of [true, false]) {
      expect(sorted([...h.entries({ batch })], ([k]) => k)).toEqual([[5, range(n, (c) => BigInt(c))], [6, range(n, () => 9n)]]);
    }
  });

  itPriv("deleting the entry just yielded is safe in both modes (drain loop)", () => {
    for (const batch of [true, false]) {
      using m = filled(200);
      const seen: number[] = [];
      for (const [k] of m.entries({ batch })) {
        seen.push(k);
        expect(m.delete(k)).toBe(true);
      }
      expect(sorted(seen, (k) => k)).toEqual(range(200, (i) => i * 7));
      expect([...m]).toEqual([]);
    }
  });

  itPriv("get_next_key walk: an entry deleted before it is read is skipped, and the walk restarts", () => {
    using m = filled(50);
    const seen: number[] = [];
    for (const [k] of m.entries({ batch: false })) {
      seen.push(k);
      // Delete every other key, including the one the walk fetched next.
      if (seen.length === 1) for (const other of range(50, (i) => i * 7)) if (other !== k) m.delete(other);
    }
    // The key fetched next was deleted: it is skipped, and get_next_key on a missing key starts
    // over from the first key - the one already seen, the only one left (see src/map/iter.ts).
    expect(seen).toEqual([seen[0], seen[0]]);
  });

  itPriv("breaking out of a walk early is fine, and the map stays usable", () => {
    using m = filled(100);
    for (const batch of [true, false]) {
      let n = 0;
      for (const _ of m.entries({ batch })) if (++n === 3) break;
      expect(n).toBe(3);
    }
    expect(m.get(7)).toBe(3n);
  });

  itPriv("an empty map walks to nothing", () => {
    using m = BpfMap.create({ type: MapType.hash, key: u32, value: u32, maxEntries: 4 });
    expect([...m]).toEqual([]);
    expect([...m.keys({ batch: false })]).toEqual([]);
  });

  itPriv("walking a queue or a closed map is a TypeError", { feature: { mapType: "queue" } }, () => {
    using q = BpfMap.create({ type: MapType.queue, value: u32, maxEntries: 4 });
    expect(() => [...q]).toThrow("map (queue, unnamed): entries() needs a map with keys; a queue map has none (use push(), pop() and peek())");
    const m = filled(3);
    const it = m.entries();
    m.close();
    expect(() => it.next()).toThrow('map "walked" (hash) is closed');
  });
});

describePriv("bulk writes", () => {
  for (const mode of ["batch", "one by one"] as const) {
    itPriv(`setMany, deleteMany and clear (${mode})`, mode === "batch" ? { feature: "batch_ops" } : {}, () => {
      if (mode === "one by one") for (const c of ["map_update_batch", "map_delete_batch", "map_lookup_batch"]) setBatchSupport(c, MapType.hash, false);
      using m = BpfMap.create({ type: MapType.hash, key: u32, value: u32, maxEntries: 20000 });
      const s = spy(() => m.setMany(range(10000).map((i) => [i, i + 1] as [number, number])));
      expect(s.result).toBe(10000);
      expect(cmds(s, Cmd.map_update_batch)).toBe(mode === "batch" ? 2 : 0);
      expect(m.get(9999)).toBe(10000);
      // Missing keys (10000.., and 5 twice) are skipped, not errors.
      const d = spy(() => m.deleteMany([1, 2, 10000, 3, 10001, 5, 5, 6]));
      expect(d.error).toBeUndefined();
      expect(d.result).toBe(5);
      expect(cmds(d, Cmd.map_delete_batch)).toBe(mode === "batch" ? 4 : 0);
      expect(m.has(1) || m.has(2) || m.has(3) || m.has(5) || m.has(6)).toBe(false);
      expect(m.has(4)).toBe(true);
      expect(m.clear()).toBe(9995);
      expect([...m]).toEqual([]);
    });
  }

  itPriv("setMany with flags, and bad entries named before anything is written", { feature: "batch_ops" }, () => {
    using m = BpfMap.create({ type: MapType.hash, key: u32, value: u32, maxEntries: 8, name: "bulk" });
    m.set(1, 1);
    // noexist/exist go one by one (the batch command refuses them): stops at the first clash.
    const ne = spy(() => m.setMany([[2, 2], [1, 9]], UpdateFlags.noexist));
    expect((ne.error as Error).message).toMatch(/^bpf\(map_update_elem\): EEXIST/);
    expect(cmds(ne, Cmd.map_update_batch)).toBe(0);
    expect(m.get(1)).toBe(1);
    expect(m.get(2)).toBe(2);
    expect(m.setMany([[1, 10], [2, 20]], UpdateFlags.exist)).toBe(2);
    expect(batchSupport("map_update_batch", MapType.hash)).not.toBe(false);
    const s = spy(() => m.setMany([[3, 3], [4, -4]]));
    expect(String(s.error)).toContain('map "bulk" (hash) value: u32: expects an integer in [0, 4294967295], got -4');
    expect(s.bpf).toEqual([]);
    expect(() => m.setMany([5 as unknown as [number, number]])).toThrow(TypeError);
  });

  itPriv("arrays: setMany works, deleteMany and clear are refused", () => {
    using a = BpfMap.create({ type: MapType.array, key: u32, value: u32, maxEntries: 4 });
    expect(a.setMany([[0, 10], [3, 13]])).toBe(2);
    expect([...a.values()]).toEqual([10, 0, 0, 13]);
    expect(() => a.deleteMany([0])).toThrow(TypeError);
    expect(() => a.clear()).toThrow(TypeError);
  });
});
