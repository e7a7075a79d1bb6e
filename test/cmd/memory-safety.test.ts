// Memory safety of the map commands (issue 10): whatever the caller passes, the kernel never
// reads or writes outside the caller's buffers. Every view sits between canary bytes that are
// checked after each call. The stale-shape cases reproduce what another thread does when it
// closes a map's fd number and creates a bigger map under it: here the number is closed and the
// map created behind the library's back (raw syscalls), so its size cache is stale exactly so.
import { describe, expect, it } from "vitest";
import {
  Cmd, close, getBackend, mapCreate, mapDeleteBatch, mapDeleteElem, mapFreeze, mapGetNextKey, mapLookupAndDeleteBatch,
  mapLookupAndDeleteElem, mapLookupBatch, mapLookupElem, MapType, mapUpdateBatch, mapUpdateElem,
} from "../../mod.ts";
import { syscallNumbers } from "../../src/sys/nr.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { own } from "../helpers/fds.ts";

const CANARY = 0xa5;

/** A `len`-byte view in the middle of a canary-filled buffer, and a check that the rest is intact. */
function guarded(len: number, fill = 0) {
  const backing = new Uint8Array(len + 8192).fill(CANARY);
  const view = backing.subarray(4096, 4096 + len);
  view.fill(fill);
  return {
    view,
    intact(): boolean {
      for (let i = 0; i < 4096; i++) if (backing[i] !== CANARY || backing[4096 + len + i] !== CANARY) return false;
      return true;
    },
  };
}

/** A map made with a raw bpf(BPF_MAP_CREATE): the library does not learn its shape. */
function rawMapCreate(type: number, keySize: number, valueSize: number, maxEntries: number): number {
  const b = getBackend();
  const attr = new Uint8Array(new ArrayBuffer(96));
  const dv = new DataView(attr.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, keySize, true);
  dv.setUint32(8, valueSize, true);
  dv.setUint32(12, maxEntries, true);
  const fd = b.bpf(Cmd.map_create, attr, b.address(attr), attr.length);
  if (fd < 0) throw new Error(`raw map_create: errno ${-fd}`);
  return fd;
}

function rawClose(fd: number): void {
  getBackend().syscall(syscallNumbers(getBackend().arch).close, fd);
}

/**
 * Map fd N with small keys and values, known to the library; then N closed and reused, behind its
 * back, for a map with 64-byte keys and 1024-byte values whose every byte is 0x77.
 */
function staleShape(type: number = MapType.hash): number {
  const fd = mapCreate(type, 4, 8, 8);
  mapUpdateElem(fd, new Uint8Array(4), new Uint8Array(8)); // the library now knows fd's shape
  rawClose(fd);
  const big = rawMapCreate(type, type === MapType.array ? 4 : 64, 1024, 8);
  expect(big).toBe(fd);
  own(big);
  return fd;
}

const fds: [string, (fd: number) => unknown][] = [
  ["mapLookupElem", (fd) => mapLookupElem(fd, new Uint8Array(4), new Uint8Array(8))],
  ["mapUpdateElem", (fd) => mapUpdateElem(fd, new Uint8Array(4), new Uint8Array(8))],
  ["mapDeleteElem", (fd) => mapDeleteElem(fd, new Uint8Array(4))],
  ["mapGetNextKey", (fd) => mapGetNextKey(fd, new Uint8Array(4), new Uint8Array(4))],
  ["mapLookupAndDeleteElem", (fd) => mapLookupAndDeleteElem(fd, new Uint8Array(4), new Uint8Array(8))],
  ["mapFreeze", (fd) => mapFreeze(fd)],
  ["mapLookupBatch", (fd) => mapLookupBatch(fd, null, new Uint8Array(4), new Uint8Array(16), new Uint8Array(32), 4)],
  ["mapLookupAndDeleteBatch", (fd) => mapLookupAndDeleteBatch(fd, null, new Uint8Array(4), new Uint8Array(16), new Uint8Array(32), 4)],
  ["mapUpdateBatch", (fd) => mapUpdateBatch(fd, new Uint8Array(16), new Uint8Array(32), 4)],
  ["mapDeleteBatch", (fd) => mapDeleteBatch(fd, new Uint8Array(16), 4)],
  ["close", (fd) => close(fd)],
];

describe("fd arguments", () => {
  for (const [name, call] of fds) {
    // Checked before any syscall, so no kernel is needed.
    it(`${name} refuses fds that are not a non-negative int32 with a RangeError`, () => {
      for (const bad of [2 ** 32 + 3, 2 ** 31, -1, 1.5, NaN, Infinity]) expect(() => call(bad), String(bad)).toThrow(RangeError);
    });
  }
});

describe("buffer arguments", () => {
  const notBytes: [string, unknown][] = [
    ["Uint16Array", new Uint16Array(2)], ["string", "abcd"], ["array", [1, 2, 3, 4]], ["array-like", { length: 4 }],
    ["DataView", new DataView(new ArrayBuffer(4))], ["ArrayBuffer", new ArrayBuffer(4)], ["Uint8ClampedArray", new Uint8ClampedArray(4)],
  ];
  for (const [what, x] of notBytes) {
    it(`a ${what} key or value is a TypeError before any syscall`, () => {
      // fd 0 is open (stdin) but no map: the type check must come first.
      const u = x as Uint8Array;
      expect(() => mapLookupElem(0, u, new Uint8Array(8))).toThrow(TypeError);
      expect(() => mapLookupElem(0, new Uint8Array(4), u)).toThrow(TypeError);
      expect(() => mapUpdateElem(0, u, new Uint8Array(8))).toThrow(TypeError);
      expect(() => mapUpdateElem(0, new Uint8Array(4), u)).toThrow(TypeError);
      expect(() => mapDeleteElem(0, u)).toThrow(TypeError);
      expect(() => mapGetNextKey(0, u, new Uint8Array(4))).toThrow(TypeError);
      expect(() => mapGetNextKey(0, null, u)).toThrow(TypeError);
      expect(() => mapLookupBatch(0, null, new Uint8Array(4), u, new Uint8Array(32), 1)).toThrow(TypeError);
      expect(() => mapLookupBatch(0, null, new Uint8Array(4), new Uint8Array(16), u, 1)).toThrow(TypeError);
      expect(() => mapLookupBatch(0, null, u, new Uint8Array(16), new Uint8Array(32), 1)).toThrow(TypeError);
      expect(() => mapUpdateBatch(0, u, new Uint8Array(32), 1)).toThrow(TypeError);
      expect(() => mapDeleteBatch(0, u, 1)).toThrow(TypeError);
    });
  }
  it("a Node Buffer is a Uint8Array and is accepted by type", () => {
    expect(() => mapLookupElem(2 ** 31 - 1, Buffer.alloc(4), Buffer.alloc(8))).toThrow(/EBADF|not open|bad file/i);
  });
});

describePriv("detached buffers", () => {
  itPriv("a detached key, value or batch buffer is a TypeError", () => {
    const fd = own(mapCreate(MapType.hash, 4, 8, 8));
    const detached = () => {
      const b = new ArrayBuffer(8);
      structuredClone(b, { transfer: [b] });
      return new Uint8Array(b);
    };
    expect(() => mapLookupElem(fd, detached(), new Uint8Array(8))).toThrow(/detached/);
    expect(() => mapUpdateElem(fd, new Uint8Array(4), detached())).toThrow(/detached/);
    expect(() => mapLookupBatch(fd, null, new Uint8Array(4), detached(), new Uint8Array(64), 4)).toThrow(/detached/);
    expect(() => mapUpdateBatch(fd, detached(), new Uint8Array(64), 1)).toThrow(/detached/);
  });
});

describePriv("sizes the kernel goes by", () => {
  itPriv("a DataView or too-small ArrayBuffer for a batch is refused, the map untouched", () => {
    const fd = own(mapCreate(MapType.hash, 4, 8, 8));
    const dv = new DataView(new ArrayBuffer(2));
    expect(() => mapLookupBatch(fd, null, new Uint8Array(4), dv as unknown as Uint8Array, new Uint8Array(64), 8)).toThrow(TypeError);
    const keys = guarded(8);
    expect(() => mapLookupBatch(fd, null, new Uint8Array(4), keys.view, new Uint8Array(64), 8)).toThrow(RangeError);
    expect(keys.intact()).toBe(true);
  });

  itPriv("a fresh array on every call is staged, never overrun (lookup, update, next key)", () => {
    const fd = own(mapCreate(MapType.hash, 4, 1024, 8));
    for (let i = 0; i < 50; i++) {
      const v = guarded(1024, i);
      mapUpdateElem(fd, new Uint8Array([i & 7, 0, 0, 0]), v.view);
      const out = guarded(1024);
      mapLookupElem(fd, new Uint8Array([i & 7, 0, 0, 0]), out.view);
      expect(out.view.every((b) => b === i)).toBe(true);
      expect(out.intact() && v.intact()).toBe(true);
      const small = guarded(8);
      expect(() => mapLookupElem(fd, new Uint8Array([i & 7, 0, 0, 0]), small.view)).toThrow(RangeError);
      expect(small.intact()).toBe(true);
    }
  });
});

describePriv("a map fd number reused for a bigger map behind the library's back", () => {
  itPriv("lookup into an 8-byte view: refused, the view's neighbours intact, the cache corrected", () => {
    const fd = staleShape();
    const key = guarded(4);
    const v = guarded(8);
    let err: unknown;
    for (let i = 0; i < 3; i++) {
      try {
        mapLookupElem(fd, key.view, v.view);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RangeError);
      expect(v.intact() && key.intact()).toBe(true);
    }
    expect(String((err as Error).message)).toMatch(/key is 4 bytes; map fd \d+ \(hash\) needs 64/);
  });

  itPriv("lookup on an array with the same key size: the value copy hits the guard (EFAULT), then a RangeError", () => {
    const fd = staleShape(MapType.array);
    const v = guarded(8);
    expect(() => mapLookupElem(fd, new Uint8Array(4), v.view)).toThrow(/value is 8 bytes; map fd \d+ \(array\) needs 1024.*reused/);
    expect(v.intact()).toBe(true);
    // The shape is known now: the next call is refused before the syscall.
    expect(() => mapLookupElem(fd, new Uint8Array(4), v.view)).toThrow(/needs 1024$/);
    const big = new Uint8Array(1024);
    mapLookupElem(fd, new Uint8Array(4), big);
  });

  itPriv("update from an 8-byte view: the kernel's read hits the guard, the map is unchanged", () => {
    const fd = staleShape(MapType.array);
    const v = guarded(8, 0x55);
    expect(() => mapUpdateElem(fd, new Uint8Array(4), v.view)).toThrow(RangeError);
    const now = new Uint8Array(1024);
    mapLookupElem(fd, new Uint8Array(4), now);
    expect(now.every((b) => b === 0)).toBe(true);
  });

  itPriv("get_next_key into a 4-byte view (the map has 64-byte keys)", () => {
    const fd = staleShape();
    const k = new Uint8Array(64);
    const next = guarded(4);
    expect(mapGetNextKey(fd, null, next.view)).toBe(false); // empty: the kernel writes nothing
    expect(next.intact()).toBe(true);
    // The right sizes are taken although the library still believes 4-byte keys: it asks again.
    mapUpdateElem(fd, k.fill(1), new Uint8Array(1024));
    const next2 = guarded(4);
    expect(() => mapGetNextKey(fd, null, next2.view)).toThrow(RangeError);
    expect(next2.intact()).toBe(true);
  });

  itPriv("batch lookup into buffers sized for the old shape", () => {
    const fd = staleShape(MapType.array);
    const keys = guarded(4 * 8);
    const values = guarded(8 * 8);
    const tok = guarded(4);
    let threw = false;
    try {
      mapLookupBatch(fd, null, tok.view, keys.view, values.view, 8);
    } catch {
      threw = true;
    }
    expect(threw).toBe(true);
    expect(keys.intact() && values.intact() && tok.intact()).toBe(true);
  });
});

describePriv("random call sequences", () => {
  itPriv("mixed element and batch calls with right and wrong sizes, fds reused behind the library's back: no byte outside a view changes", () => {
    let s = 12345;
    const rand = (n: number) => {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      return s % n;
    };
    const shapes = [[4, 8], [4, 1024], [64, 16], [8, 300]] as const;
    const make = () => {
      const [k, v] = shapes[rand(shapes.length)];
      // Half of the maps are made behind the library's back: it learns their shape on first use.
      return { fd: rand(2) ? mapCreate(MapType.hash, k, v, 16) : rawMapCreate(MapType.hash, k, v, 16), k, v };
    };
    let map = make();
    const sizes = [0, 4, 8, 16, 64, 300, 1024];
    let calls = 0;
    for (let i = 0; i < (process.env.TSBPF_VM ? 400 : 3000); i++) {
      if (rand(40) === 0) {
        // The number is closed and reused for another shape; the library is not told.
        rawClose(map.fd);
        map = make();
      }
      const kb = guarded(rand(3) ? map.k : sizes[rand(sizes.length)], rand(4));
      const vb = guarded(rand(3) ? map.v : sizes[rand(sizes.length)], rand(4));
      const n = 1 + rand(4);
      const bk = guarded(rand(2) ? n * map.k : sizes[rand(sizes.length)]);
      const bv = guarded(rand(2) ? n * map.v : sizes[rand(sizes.length)]);
      const tok = guarded(rand(2) ? 4 : sizes[rand(3)]);
      const op = rand(7);
      try {
        calls++;
        if (op === 0) mapUpdateElem(map.fd, kb.view, vb.view);
        else if (op === 1) mapLookupElem(map.fd, kb.view, vb.view);
        else if (op === 2) mapDeleteElem(map.fd, kb.view);
        else if (op === 3) mapGetNextKey(map.fd, rand(2) ? null : kb.view, vb.view);
        else if (op === 4) mapLookupBatch(map.fd, null, tok.view, bk.view, bv.view, n);
        else if (op === 5) mapUpdateBatch(map.fd, bk.view, bv.view, n);
        else mapLookupAndDeleteElem(map.fd, kb.view, vb.view);
      } catch (e) {
        if (!(e instanceof RangeError) && (e as { errno?: number }).errno === undefined) throw e;
      }
      for (const g of [kb, vb, bk, bv, tok]) expect(g.intact(), `call ${i}, op ${op}`).toBe(true);
    }
    close(map.fd);
    expect(calls).toBeGreaterThan(300);
  });
});

describe("u64 arguments", () => {
  it("mapExtra out of [0, 2^64) or not an integer is a RangeError, not a silent 0 or truncation", () => {
    for (const bad of [2n ** 64n, -1n, 2 ** 64, NaN, 1.5, -1, Infinity, 2 ** 53]) {
      expect(() => mapCreate(MapType.bloom_filter, 0, 4, 16, { mapExtra: bad }), String(bad)).toThrow(RangeError);
    }
  });
});
