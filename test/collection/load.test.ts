// Collection.load of a clang-built object (test/fixtures/collection/counter.bpf.c) on the real
// kernel: test_run drives its socket filter, and everything it touches is read back through the
// collection: BTF-typed maps, .bss/.data variables through their mmap'd view, a .rodata constant
// set before load, a tail call through a prog array filled from `values`, a map-in-map slot, two
// .kconfig externs, and a map pinned by name (reused by a second load).
import { existsSync, mkdirSync, rmdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Collection, CollectionSpec, linuxVersionCode, MapCreateFlags, MapType, ProgType } from "../../mod.ts";
import { describePriv, isRoot, itPriv } from "../helpers/env.ts";
import { tempMount } from "../helpers/fs.ts";

const OBJ = new URL("../fixtures/collection/counter.o", import.meta.url).pathname;
// test_run hands a socket filter the packet without its 14-byte Ethernet header: skb->len 50.
const packet = new Uint8Array(64);
const LEN = 50;

describe("CollectionSpec of counter.o", () => {
  const spec = CollectionSpec.fromFile(OBJ);

  it("names maps as libbpf does, global data and .kconfig included", () => {
    expect(Object.keys(spec.maps)).toEqual([
      "inner_a", "outer", "jumps", "pinned_total", "per_len", "counter.rodata", "counter.bss", "counter.data", "counter.kconfig",
    ]);
    expect(spec.maps["counter.rodata"]).toMatchObject({ type: MapType.array, keySize: 4, valueSize: 12, maxEntries: 1, flags: MapCreateFlags.rdonly_prog | MapCreateFlags.mmapable });
    expect(spec.maps["counter.kconfig"]).toMatchObject({ valueSize: 5, flags: MapCreateFlags.rdonly_prog | MapCreateFlags.mmapable });
    expect(spec.maps.pinned_total.pinning).toBe(1);
  });

  it("lists the entry programs with their types from SEC(), subprograms appended", () => {
    expect(Object.keys(spec.programs)).toEqual(["tail", "count"]);
    expect(spec.programs.count).toMatchObject({ type: ProgType.socket_filter, section: "socket", autoload: true, subprograms: ["account"] });
  });

  it("gives typed variables with their initial values, settable before load", () => {
    expect(spec.variables.verdict.get()).toBe(1);
    expect(spec.variables.bytes_seen.get()).toBe(100n);
    expect(spec.variables.tag.get()).toBe("tsbpf");
    expect(spec.variables.verdict.constant).toBe(true);
    expect(spec.variables.packets.constant).toBe(false);
    expect(spec.variables.LINUX_KERNEL_VERSION.map).toBe("counter.kconfig");
  });
});

describePriv("Collection.load of counter.o", {}, () => {
  let bpffs: { dir: string; unmount: () => void } | undefined;
  beforeAll(() => {
    if (isRoot) bpffs = tempMount("bpf");
  });
  afterAll(() => bpffs?.unmount());

  itPriv("runs: maps, variables through mmap, constants, tail call, map-in-map, kconfig", {}, () => {
    using obj = Collection.load(OBJ, { constants: { verdict: 3 }, pinPath: bpffs!.dir });
    const { count } = obj.programs;
    expect(count.type).toBe(ProgType.socket_filter);
    // verdict + tag[1] ('s')
    expect(count.testRun({ data: packet }).retval).toBe(3 + 0x73);
    expect(count.testRun({ data: packet }).retval).toBe(3 + 0x73);
    const v = obj.variables;
    expect(v.packets.mapped).toBe(true);
    expect(v.packets.get()).toBe(2n);
    expect(v.bytes_seen.get()).toBe(100n + 2n * BigInt(LEN));
    expect(v.verdict.get()).toBe(3);
    expect(v.seen_version.get()).toBe(linuxVersionCode());
    expect(v.seen_bpf_syscall.get()).toBe(1);
    // BTF-typed map values decode as objects.
    expect(obj.maps.per_len.get(LEN)).toEqual({ packets: 2n, bytes: 2n * BigInt(LEN) });
    expect(obj.maps.inner_a.get(1)).toBe(2);
    expect(obj.maps.pinned_total.get(0)).toBe(2n);
    // A write through the mapped view is seen by the program at once: knob 7 tail-calls.
    v.knob.set(7);
    expect(count.testRun({ data: packet }).retval).toBe(1003);
    expect(v.tail_runs.get()).toBe(1);
    // The live view: the same memory the program writes.
    const live = v.packets.bytes();
    count.testRun({ data: packet });
    expect(new DataView(live.buffer, live.byteOffset, 8).getBigUint64(0, true)).toBe(4n);
    expect(() => v.verdict.set(9)).toThrow(/read-only/);
  });

  itPriv("reuses a map pinned by name on the second load", {}, () => {
    {
      using a = Collection.load(OBJ, { pinPath: bpffs!.dir });
      a.programs.count.testRun({ data: packet });
      using b = Collection.load(OBJ, { pinPath: bpffs!.dir });
      b.programs.count.testRun({ data: packet });
      expect(b.maps.pinned_total.id).toBe(a.maps.pinned_total.id);
      expect(a.maps.pinned_total.get(0)).toBeGreaterThanOrEqual(2n);
    }
    // The pin outlives both collections.
    expect(existsSync(`${bpffs!.dir}/pinned_total`)).toBe(true);
  });

  itPriv("says what is wrong with constants, and closes what it made", {}, () => {
    expect(() => Collection.load(OBJ, { constants: { nope: 1 }, pinPath: bpffs!.dir })).toThrow(/no variable "nope"/);
    expect(() => Collection.load(OBJ, { constants: { packets: 1 }, pinPath: bpffs!.dir })).toThrow(/packets is in \.bss, not \.rodata/);
    expect(() => Collection.load(OBJ, { programs: ["absent"] })).toThrow(/no program "absent"/);
  });

  itPriv("legacy `maps` definitions (aya, iproute2) load as libbpf 0.x loaded them", {}, () => {
    using obj = Collection.load(new URL("../fixtures/elf/legacy.el.o", import.meta.url).pathname);
    expect(Object.keys(obj.maps)).toEqual(["counters", "events"]);
    expect(obj.maps.counters.type).toBe(MapType.hash);
    expect(obj.programs.legacy_prog.testRun({ data: packet }).retval).toBe(0);
    obj.maps.counters.set(new Uint8Array(4), new Uint8Array(8));
    expect(obj.programs.legacy_prog.testRun({ data: packet }).retval).toBe(1);
  });

  itPriv("a map the kernel refuses is an error naming it and what was asked", { skipIf: existsSync("/sys/devices/system/node/node1") ? "this machine has a NUMA node 1: maps.el.o's lru loads" : null }, () => {
    expect(() => Collection.load(new URL("../fixtures/elf/maps.el.o", import.meta.url).pathname, { pinPath: bpffs!.dir }))
      .toThrow(/map_create.*\[map "lru": lru_hash, key 8, value 4, max_entries 64, flags 0x4, numa_node 1\]/);
  });

  itPriv("a load that fails takes back the pins it made", {}, () => {
    const dir = `${bpffs!.dir}/failing`;
    mkdirSync(dir);
    // A verifier log buffer too small to be valid: refused when the first program loads, after
    // the maps (and the pinned one) were made.
    expect(() => Collection.load(OBJ, { pinPath: dir, logLevel: 1, logSize: 1 })).toThrow(/logSize/);
    expect(existsSync(`${dir}/pinned_total`)).toBe(false);
    rmdirSync(dir);
  });

  itPriv("close() releases the views: a kept view reads zeros, get() throws", {}, () => {
    const obj = Collection.load(OBJ, { pinPath: bpffs!.dir });
    obj.programs.count.testRun({ data: packet });
    const view = obj.variables.packets.bytes();
    expect(view[0]).toBe(1);
    obj.close();
    expect(view[0]).toBe(0);
    expect(() => obj.variables.packets.get()).toThrow(/closed/);
    obj.close();
  });
});
