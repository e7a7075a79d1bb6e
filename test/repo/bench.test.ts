// The benchmark's in-process C baseline (bench/c/loops.c, loaded by bench/ffi.mjs with this
// runtime's FFI) does real work on the map it is given: each loop's answer is checked against
// what the library sees, so a ratio against it compares like with like.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { mapCreate, mapLookupElem, MapType, mapUpdateElem } from "../../mod.ts";
// @ts-ignore: a plain-JS helper of the benchmark, without declarations
import { loadLoops } from "../../bench/ffi.mjs";
import { describePriv, itPriv } from "../helpers/env.ts";
import { own } from "../helpers/fds.ts";

type Loops = Record<"c_lookup" | "c_update" | "c_batch", (fd: number, a: Uint8Array, b: Uint8Array, n: number) => number> & {
  c_single1024(fd: number, value: Uint8Array, n: number): number;
};

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");
const u32 = (k: number) => new Uint8Array(new Uint32Array([k]).buffer);
const u64 = (v: number) => new Uint8Array(new BigUint64Array([BigInt(v)]).buffer);
const num = (b: Uint8Array) => Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));

describePriv("bench: the C loops run in this process", () => {
  let dir = "";
  let C: Loops;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tsbpf-bench-"));
    const so = join(dir, "libloops.so");
    execFileSync("gcc", ["-O2", "-shared", "-fPIC", "-o", so, join(root, "bench", "c", "loops.c")]);
    C = (await loadLoops(so)) as Loops;
    // gcc in an emulated VM on a loaded machine takes far more than vitest's 10 s hook default.
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  itPriv("lookup reads the map's value, and fails on a missing key", () => {
    const fd = own(mapCreate(MapType.hash, 4, 8, 16));
    mapUpdateElem(fd, u32(7), u64(14));
    const v = new Uint8Array(8);
    expect(C.c_lookup(fd, u32(7), v, 100)).toBe(0);
    expect(num(v)).toBe(14);
    expect(C.c_lookup(fd, u32(8), v, 1)).toBe(-1);
  });

  itPriv("update writes what the library then reads", () => {
    const fd = own(mapCreate(MapType.hash, 4, 8, 16));
    expect(C.c_update(fd, u32(9), u64(99), 10)).toBe(0);
    const v = new Uint8Array(8);
    mapLookupElem(fd, u32(9), v);
    expect(num(v)).toBe(99);
  });

  itPriv("batch and 1024 single lookups walk a full 1024-entry map, and fail when it is not full", () => {
    const fd = own(mapCreate(MapType.hash, 4, 8, 1024));
    for (let k = 0; k < 1023; k++) mapUpdateElem(fd, u32(k), u64(k * 2));
    const keys = new Uint8Array(1024 * 4);
    const vals = new Uint8Array(1024 * 8);
    const v = new Uint8Array(8);
    expect(C.c_batch(fd, keys, vals, 1)).toBe(-1);
    expect(C.c_single1024(fd, v, 1)).toBe(-1);
    mapUpdateElem(fd, u32(1023), u64(2046));
    expect(C.c_batch(fd, keys, vals, 2)).toBe(0);
    const got = new Uint32Array(keys.buffer);
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 1024 }, (_, i) => i));
    const dv = new DataView(vals.buffer);
    for (let i = 0; i < 1024; i++) expect(Number(dv.getBigUint64(i * 8, true))).toBe(got[i] * 2);
    expect(C.c_single1024(fd, v, 2)).toBe(0);
  });
});
