// Maps of maps: create with an inner map or a spec for one, store maps by fd, read ids back,
// open stored maps.
import { expect } from "vitest";
import { BpfMap, fdTarget, MapType, u32, u64 } from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { bpfError } from "../helpers/expect.ts";
import { spy } from "./spy.ts";

describePriv("maps of maps", () => {
  itPriv("array_of_maps from an inner map: set stores the fd, get returns the id, getMap opens it", () => {
    using inner = BpfMap.create({ type: MapType.hash, key: u32, value: u64, maxEntries: 4, name: "inner" });
    inner.set(1, 100n);
    using outer = BpfMap.create({ type: MapType.array_of_maps, key: u32, maxEntries: 2, inner, name: "outer" });
    expect(outer.valueSize).toBe(4);
    outer.set(0, inner);
    expect(outer.get(0)).toBe(inner.id);
    expect(outer.get(1)).toBeUndefined(); // an empty slot
    expect(outer.getMap(1)).toBeUndefined();
    using got = outer.getMap(0, { key: u32, value: u64 })!;
    expect(got.id).toBe(inner.id);
    expect(got.get(1)).toBe(100n);
    expect(outer.delete(0)).toBe(true);
    expect(outer.get(0)).toBeUndefined();
    expect([...outer]).toEqual([]);
  });

  itPriv("hash_of_maps from an inner spec: the template is closed after creation", () => {
    using outer = BpfMap.create({
      type: MapType.hash_of_maps, key: u32, maxEntries: 8, name: "by_tenant",
      inner: { type: MapType.array, key: u32, value: u32, maxEntries: 4 },
    });
    // A map of the same shape goes in; the fd-leak check of this file proves the template was closed.
    using a = BpfMap.create({ type: MapType.array, key: u32, value: u32, maxEntries: 4 });
    a.set(3, 33);
    outer.set(7, a);
    outer.set(8, a.fd); // an fd number works as well
    expect(outer.get(7)).toBe(a.id);
    expect(new Set([...outer.values()])).toEqual(new Set([a.id]));
    using b = outer.getMap(8, { key: u32, value: u32 })!;
    expect(b.get(3)).toBe(33);
    // A map of another shape is refused by the kernel.
    using wrong = BpfMap.create({ type: MapType.array, key: u32, value: u64, maxEntries: 4 });
    expect(bpfError(() => outer.set(9, wrong)).code).toBe("EINVAL");
  });

  itPriv("bad values and wrong calls are refused before the syscall", () => {
    using inner = BpfMap.create({ type: MapType.array, key: u32, value: u32, maxEntries: 1 });
    using outer = BpfMap.create({ type: MapType.array_of_maps, key: u32, maxEntries: 1, inner, name: "mm" });
    for (const v of ["x", -1, 1.5, {}] as unknown[]) {
      const s = spy(() => outer.set(0, v as number));
      expect(String(s.error)).toContain('map "mm" (array_of_maps) value: fd -> id: expects a BpfMap');
      expect(s.bpf).toEqual([]);
    }
    const closed = BpfMap.create({ type: MapType.array, key: u32, value: u32, maxEntries: 1 });
    closed.close();
    expect(() => outer.set(0, closed)).toThrow("is closed");
    expect(() => inner.getMap(0)).toThrow("getMap() needs an array_of_maps or hash_of_maps map");
    const fd = inner.fd;
    expect(fdTarget(fd)).toBe("anon_inode:bpf-map");
  });
});
