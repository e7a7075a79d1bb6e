// The element hot path (src/cmd/elem.ts): keys and values are copied through guarded scratch
// regions, never handed to the kernel. Random operation sequences
// over a small pool of arrays, whose contents change between calls, must give what a plain model
// gives: first through a fake kernel that follows the attr's pointers, then through the real one.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type Backend, Cmd, close, Errno, getBackend, mapCreate, mapDeleteElem, mapGetNextKey, mapLookupElem, MapType,
  mapUpdateElem, setBackend,
} from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { own } from "../helpers/fds.ts";

/** A backend whose "kernel" is a JS hash map reached through the attr's pointers, as bpf() does. */
function fakeKernel(keySize: number, valueSize: number) {
  const bases = new WeakMap<ArrayBufferLike, number>();
  const regions: { at: number; buf: ArrayBufferLike }[] = [];
  let next = 0x10000000;
  const address = (a: Uint8Array) => {
    let base = bases.get(a.buffer);
    if (base === undefined) {
      base = next;
      next += 0x10000000;
      bases.set(a.buffer, base);
      regions.push({ at: base, buf: a.buffer });
    }
    return base + a.byteOffset;
  };
  const bytesAt = (p: number, n: number) => {
    const r = regions.find((x) => p >= x.at && p + n <= x.at + x.buf.byteLength);
    if (!r) throw new Error(`fake kernel: bad pointer 0x${p.toString(16)}`);
    return new Uint8Array(r.buf, p - r.at, n);
  };
  const store = new Map<string, Uint8Array>();
  const pointers = { key: 0, value: 0 };
  const backend: Backend = {
    name: "fake-kernel",
    arch: "x86_64",
    bpf(cmd, attr, _addr, _size) {
      const dv = new DataView(attr.buffer, attr.byteOffset);
      const kp = dv.getUint32(8, true) + dv.getUint32(12, true) * 2 ** 32;
      const vp = dv.getUint32(16, true) + dv.getUint32(20, true) * 2 ** 32;
      pointers.key = kp;
      pointers.value = vp;
      if (cmd === Cmd.map_create) return 7;
      const k = kp === 0 ? null : bytesAt(kp, keySize).join(",");
      switch (cmd) {
        case Cmd.map_lookup_elem: {
          const v = store.get(k!);
          if (!v) return -Errno.ENOENT;
          bytesAt(vp, valueSize).set(v);
          return 0;
        }
        case Cmd.map_update_elem:
          store.set(k!, bytesAt(vp, valueSize).slice());
          return 0;
        case Cmd.map_delete_elem:
          return store.delete(k!) ? 0 : -Errno.ENOENT;
        default:
          return -Errno.EINVAL;
      }
    },
    syscall: () => 0,
    address,
  };
  return { backend, pointers, address };
}

/** A pool of key and value arrays, reused so that the same array often comes twice in a row. */
function pool(keySize: number, valueSize: number, seed: number) {
  let s = seed;
  const rand = (n: number) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
  // Two views into one buffer, at odd offsets.
  const backing = new Uint8Array(keySize + valueSize + 16);
  const keys = [new Uint8Array(keySize), new Uint8Array(keySize), backing.subarray(3, 3 + keySize)];
  const values = [new Uint8Array(valueSize), new Uint8Array(valueSize), backing.subarray(keySize + 5, keySize + 5 + valueSize)];
  return { rand, keys, values };
}

/** Runs `steps` random element calls on map `fd` and checks each against a model. */
function randomOps(fd: number, keySize: number, valueSize: number, steps: number, seed: number): number {
  const { rand, keys, values } = pool(keySize, valueSize, seed);
  const model = new Map<string, number[]>();
  let checked = 0;
  for (let i = 0; i < steps; i++) {
    const key = keys[rand(keys.length)];
    const value = values[rand(values.length)];
    // Change contents in place, often, so an adopted array must be read afresh by every call.
    if (rand(2)) key[0] = rand(6);
    if (rand(2)) value.fill(rand(256));
    const id = [...key].join(",");
    const op = rand(3);
    if (op === 0) {
      mapUpdateElem(fd, key, value, 0);
      model.set(id, [...value]);
    } else if (op === 1) {
      const want = model.get(id);
      value.fill(0xee);
      if (want === undefined) {
        expect(() => mapLookupElem(fd, key, value)).toThrow(expect.objectContaining({ kind: "NotFound" }));
        expect(value.every((b) => b === 0xee)).toBe(true);
      } else {
        mapLookupElem(fd, key, value);
        expect([...value]).toEqual(want);
      }
      checked++;
    } else if (model.delete(id)) mapDeleteElem(fd, key);
    else expect(() => mapDeleteElem(fd, key)).toThrow(expect.objectContaining({ kind: "NotFound" }));
  }
  return checked;
}

describe("element calls through a fake kernel", () => {
  let real: Backend;
  beforeEach(() => {
    real = getBackend();
  });
  afterEach(() => setBackend(real));

  it("the kernel never gets the caller's arrays: key and value are staged in scratch, flush against its end", () => {
    const f = fakeKernel(4, 8);
    setBackend(f.backend);
    const fd = mapCreate(MapType.hash, 4, 8, 16);
    const key = new Uint8Array([1, 0, 0, 0]);
    const value = new Uint8Array(8).fill(5);
    for (let i = 0; i < 3; i++) {
      mapUpdateElem(fd, key, value);
      expect(f.pointers.key).not.toBe(f.address(key));
      expect(f.pointers.value).not.toBe(f.address(value));
    }
    const scratch = { key: f.pointers.key, value: f.pointers.value };
    const out = new Uint8Array(8);
    mapLookupElem(fd, new Uint8Array([1, 0, 0, 0]), out);
    expect([...out]).toEqual([5, 5, 5, 5, 5, 5, 5, 5]);
    expect(f.pointers).toEqual(scratch);
    close(fd);
  });

  it("random calls over reused, mutated arrays match a model", () => {
    setBackend(fakeKernel(4, 8).backend);
    const fd = mapCreate(MapType.hash, 4, 8, 64);
    expect(randomOps(fd, 4, 8, 3000, 1)).toBeGreaterThan(500);
    close(fd);
  });

  it("a key or value larger than the scratch regions grows them", () => {
    setBackend(fakeKernel(100, 300).backend);
    const fd = mapCreate(MapType.hash, 100, 300, 64);
    expect(randomOps(fd, 100, 300, 500, 2)).toBeGreaterThan(100);
    close(fd);
  });

  it("a new backend gets scratch of its own, with its own addresses", () => {
    const a = fakeKernel(4, 4);
    setBackend(a.backend);
    const fd = mapCreate(MapType.hash, 4, 4, 4);
    const key = new Uint8Array(4);
    const value = new Uint8Array(4);
    mapUpdateElem(fd, key, value);
    const first = a.pointers.key;
    const b = fakeKernel(4, 4);
    setBackend(b.backend);
    mapUpdateElem(fd, key, value);
    expect(b.pointers.key).not.toBe(first);
    expect(b.pointers.key).not.toBe(b.address(key));
    close(fd);
  });
});

describePriv("element calls through the kernel", () => {
  itPriv("random calls over reused, mutated arrays match a model (hash, 4-byte keys, 8-byte values)", () => {
    const fd = own(mapCreate(MapType.hash, 4, 8, 64));
    expect(randomOps(fd, 4, 8, 3000, 3)).toBeGreaterThan(500);
  });

  itPriv("the same, with keys and values larger than the scratch slots", () => {
    const fd = own(mapCreate(MapType.hash, 72, 520, 64));
    expect(randomOps(fd, 72, 520, 600, 4)).toBeGreaterThan(100);
  });

  itPriv("get_next_key with the same array as key and next key walks every key", () => {
    const fd = own(mapCreate(MapType.hash, 4, 4, 16));
    for (let i = 0; i < 10; i++) mapUpdateElem(fd, new Uint8Array([i, 0, 0, 0]), new Uint8Array(4));
    const k = new Uint8Array(4);
    const seen: number[] = [];
    let more = mapGetNextKey(fd, null, k);
    while (more) {
      seen.push(k[0]);
      more = mapGetNextKey(fd, k, k);
    }
    expect(seen.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
