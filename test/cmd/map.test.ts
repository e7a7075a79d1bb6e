// Map commands against the real kernel: element calls on every common shape, batch commands,
// per-CPU values, queues and stacks, freeze.
import { expect } from "vitest";
import {
  Errno, mapCreate, MapCreateFlags, mapDeleteBatch, mapFreeze, mapGetNextKey, mapLookupAndDeleteBatch,
  mapLookupAndDeleteElem, mapLookupBatch, mapLookupElem, mapMeta, MapType, mapUpdateBatch, mapUpdateElem, possibleCpus,
  UpdateFlags,
} from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { bpfError } from "../helpers/expect.ts";
import { own } from "../helpers/fds.ts";

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: number) => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);
const readU32 = (b: Uint8Array, i = 0) => new DataView(b.buffer, b.byteOffset).getUint32(i * 4, true);

describePriv("maps", () => {
  itPriv("array: every index exists, values round-trip, names are kept", () => {
    const m = own(mapCreate(MapType.array, 4, 8, 16, { name: "arr_test" }));
    const v = new Uint8Array(8);
    mapLookupElem(m, u32(15), v);
    expect([...v]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    for (let i = 0; i < 16; i++) mapUpdateElem(m, u32(i), u64(i * 1000 + 7), UpdateFlags.any);
    for (let i = 0; i < 16; i++) {
      mapLookupElem(m, u32(i), v);
      expect(new DataView(v.buffer).getBigUint64(0, true)).toBe(BigInt(i * 1000 + 7));
    }
    expect(bpfError(() => mapLookupElem(m, u32(16), v)).kind).toBe("NotFound");
    expect(mapMeta(m)).toMatchObject({ type: MapType.array, keySize: 4, valueSize: 8, maxEntries: 16 });
  });

  itPriv("hash: get_next_key walks every key once", () => {
    const m = own(mapCreate(MapType.hash, 4, 4, 64));
    for (let i = 0; i < 50; i++) mapUpdateElem(m, u32(i * 3), u32(i), 0);
    const seen: number[] = [];
    const k = new Uint8Array(4);
    let prev: Uint8Array | null = null;
    while (mapGetNextKey(m, prev, k)) {
      seen.push(readU32(k));
      prev = k.slice();
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i * 3));
  });

  itPriv("large keys and values go through the same path", () => {
    const m = own(mapCreate(MapType.hash, 200, 3000, 4));
    const key = new Uint8Array(200).map((_, i) => i);
    const val = new Uint8Array(3000).map((_, i) => (i * 7) & 0xff);
    mapUpdateElem(m, key, val, 0);
    const out = new Uint8Array(3000);
    mapLookupElem(m, key, out);
    expect(out).toEqual(val);
  });

  itPriv("per-CPU values have one 8-byte-aligned slot per possible CPU", () => {
    const ncpu = possibleCpus();
    expect(ncpu).toBeGreaterThan(0);
    const m = own(mapCreate(MapType.percpu_array, 4, 4, 2));
    expect(() => mapLookupElem(m, u32(0), new Uint8Array(4))).toThrow(new RegExp(`needs ${8 * ncpu}`));
    const v = new Uint8Array(8 * ncpu);
    for (let c = 0; c < ncpu; c++) v[c * 8] = c + 1;
    mapUpdateElem(m, u32(1), v, 0);
    const out = new Uint8Array(8 * ncpu);
    mapLookupElem(m, u32(1), out);
    for (let c = 0; c < ncpu; c++) expect(readU32(out, c * 2)).toBe(c + 1);
  });

  itPriv("queue and stack: push with a null key, peek, pop", { feature: [{ mapType: "queue" }, { mapType: "stack" }] }, () => {
    const q = own(mapCreate(MapType.queue, 0, 4, 8));
    const s = own(mapCreate(MapType.stack, 0, 4, 8));
    for (const n of [1, 2, 3]) {
      mapUpdateElem(q, null, u32(n), 0);
      mapUpdateElem(s, null, u32(n), 0);
    }
    const v = new Uint8Array(4);
    mapLookupElem(q, null, v);
    expect(readU32(v)).toBe(1); // peek
    const popped = (fd: number) => {
      const out: number[] = [];
      for (;;) {
        try {
          mapLookupAndDeleteElem(fd, null, v);
        } catch (e) {
          expect(bpfError(() => { throw e; }).errno).toBe(Errno.ENOENT);
          return out;
        }
        out.push(readU32(v));
      }
    };
    expect(popped(q)).toEqual([1, 2, 3]);
    expect(popped(s)).toEqual([3, 2, 1]);
    expect(() => mapUpdateElem(q, u32(1), u32(1), 0)).toThrow(/key is 4 bytes; map fd \d+ \(queue\) needs 0/);
  });

  itPriv("lookup_and_delete on a hash", { feature: "hash_lookup_and_delete" }, () => {
    const m = own(mapCreate(MapType.hash, 4, 4, 4));
    mapUpdateElem(m, u32(1), u32(11), 0);
    const v = new Uint8Array(4);
    mapLookupAndDeleteElem(m, u32(1), v);
    expect(readU32(v)).toBe(11);
    expect(bpfError(() => mapLookupElem(m, u32(1), v)).kind).toBe("NotFound");
  });

  itPriv("freeze makes a map read-only from user space", { feature: "map_freeze" }, () => {
    const m = own(mapCreate(MapType.array, 4, 4, 1));
    mapUpdateElem(m, u32(0), u32(5), 0);
    mapFreeze(m);
    const v = new Uint8Array(4);
    mapLookupElem(m, u32(0), v);
    expect(readU32(v)).toBe(5);
    expect(bpfError(() => mapUpdateElem(m, u32(0), u32(6), 0)).kind).toBe("AccessDenied");
  });

  itPriv("no_prealloc hash and lru hash", () => {
    const h = own(mapCreate(MapType.hash, 4, 4, 4, { flags: MapCreateFlags.no_prealloc }));
    mapUpdateElem(h, u32(1), u32(2), 0);
    const lru = own(mapCreate(MapType.lru_hash, 4, 4, 16));
    for (let i = 0; i < 100; i++) mapUpdateElem(lru, u32(i), u32(i), 0); // evicts instead of failing
    const v = new Uint8Array(4);
    mapLookupElem(lru, u32(99), v);
    expect(readU32(v)).toBe(99);
  });
});

describePriv("batch commands", { feature: "batch_ops" }, () => {
  itPriv("update, lookup in chunks, lookup-and-delete, delete", () => {
    const n = 1000;
    const m = own(mapCreate(MapType.hash, 4, 8, n));
    const keys = new Uint8Array(n * 4);
    const vals = new Uint8Array(n * 8);
    const kd = new DataView(keys.buffer);
    const vd = new DataView(vals.buffer);
    for (let i = 0; i < n; i++) {
      kd.setUint32(i * 4, i, true);
      vd.setBigUint64(i * 8, BigInt(i) * 3n, true);
    }
    expect(mapUpdateBatch(m, keys, vals, n)).toBe(n);

    // Walk in chunks of 128 with the resume token.
    const chunk = 128;
    const ok = new Uint8Array(chunk * 4);
    const ov = new Uint8Array(chunk * 8);
    const okd = new DataView(ok.buffer);
    const ovd = new DataView(ov.buffer);
    let inB: Uint8Array | null = null;
    const outB = new Uint8Array(4);
    const got = new Map<number, bigint>();
    let calls = 0;
    for (;;) {
      const r = mapLookupBatch(m, inB, outB, ok, ov, chunk);
      calls++;
      for (let i = 0; i < r.count; i++) got.set(okd.getUint32(i * 4, true), ovd.getBigUint64(i * 8, true));
      if (r.done) break;
      inB = outB.slice();
    }
    expect(calls).toBeGreaterThanOrEqual(Math.ceil(n / chunk));
    expect(got.size).toBe(n);
    for (const [k, v] of got) expect(v).toBe(BigInt(k) * 3n);

    // Delete the first half by key, then drain the rest with lookup-and-delete.
    expect(mapDeleteBatch(m, keys.subarray(0, 500 * 4), 500)).toBe(500);
    let left = 0;
    inB = null;
    for (;;) {
      const r = mapLookupAndDeleteBatch(m, inB, outB, ok, ov, chunk);
      for (let i = 0; i < r.count; i++) expect(okd.getUint32(i * 4, true)).toBeGreaterThanOrEqual(500);
      left += r.count;
      if (r.done) break;
      inB = outB.slice();
    }
    expect(left).toBe(500);
    const k = new Uint8Array(4);
    expect(mapGetNextKey(m, null, k)).toBe(false);
  });

  itPriv("an empty map is done at once", () => {
    const m = own(mapCreate(MapType.hash, 4, 4, 8));
    const r = mapLookupBatch(m, null, new Uint8Array(4), new Uint8Array(32), new Uint8Array(32), 8);
    expect(r).toEqual({ count: 0, done: true });
  });

  itPriv("arrays batch too, with a key-sized token", () => {
    const m = own(mapCreate(MapType.array, 4, 4, 10));
    const keys = new Uint8Array(40);
    const vals = new Uint8Array(40);
    for (let i = 0; i < 10; i++) {
      keys[i * 4] = i;
      vals[i * 4] = 100 + i;
    }
    expect(mapUpdateBatch(m, keys, vals, 10)).toBe(10);
    const ok = new Uint8Array(40);
    const ov = new Uint8Array(40);
    const r = mapLookupBatch(m, null, new Uint8Array(4), ok, ov, 10);
    expect(r.count).toBe(10);
    expect([...ov].filter((_, i) => i % 4 === 0)).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
  });
});
