// BpfMap against the real kernel: create from specs, element calls, errors before the syscall,
// info and id, per-CPU values, opening by fd, id and pin, listing, closing.
import { unlinkSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as bpf from "../../mod.ts";
import {
  BpfError, BpfMap, bytes, chars, Cmd, fdTarget, Insn, mapCreate, MapType, perCpu, possibleCpus, progLoad, ProgType,
  progTestRun, struct, u16, u32, u64, u64n, u8, UpdateFlags,
} from "../../mod.ts";
import { describePriv, isRoot, itPriv } from "../helpers/env.ts";
import { bpfError } from "../helpers/expect.ts";
import { own } from "../helpers/fds.ts";
import { tempMount } from "../helpers/fs.ts";
import { spy } from "./spy.ts";

it("is exported as bpf.Map as well as BpfMap", () => {
  expect(bpf.Map).toBe(BpfMap);
  expect(typeof BpfMap.create).toBe("function");
});

it("a spec that cannot work is refused before any syscall", () => {
  const s = spy(() => BpfMap.create({ type: MapType.hash, key: u32, value: u64, keySize: 8, maxEntries: 4 }));
  expect(s.error).toBeInstanceOf(RangeError);
  expect(String(s.error)).toContain("keySize 8 does not match the key codec u32 (4 bytes)");
  for (const [spec, msg] of [
    [{ type: MapType.hash, value: u64, maxEntries: 4 }, /give a key codec \(key: u32\) or keySize/],
    [{ type: MapType.hash, key: u32, maxEntries: 4 }, /give a value codec/],
    [{ type: MapType.queue, key: u32, value: u32, maxEntries: 4 }, /queue maps have no keys/],
    [{ type: MapType.hash, key: u32, value: perCpu(u32), maxEntries: 4 }, /perCpu\(\) value codec needs a per-CPU map type/],
    [{ type: MapType.array_of_maps, key: u32, maxEntries: 4 }, /needs inner/],
    [{ type: MapType.hash, key: u32, value: u32, maxEntries: 4, inner: { fd: 3 } }, /inner is for array_of_maps/],
    [{ type: MapType.array_of_maps, key: u32, value: u32, maxEntries: 4, inner: { fd: 3 } }, /values are fds/],
    [{ type: MapType.hash, key: u32, value: u32, maxEntries: 4, name: "this-name-is-bad" }, /object name/],
  ] as const) {
    const r = spy(() => BpfMap.create(spec as unknown as bpf.MapSpec));
    expect(String(r.error), JSON.stringify(spec)).toMatch(msg);
    expect(r.bpf.length).toBe(0);
  }
});

describePriv("BpfMap", () => {
  itPriv("hash with codecs: set, get, has, delete, flags", () => {
    using m = BpfMap.create({ type: MapType.hash, key: u32, value: u64, maxEntries: 8, name: "counts" });
    expect(m.set(1, 10n)).toBe(m);
    m.set(2, 20); // u64 takes safe-integer numbers too
    expect(m.get(1)).toBe(10n);
    expect(m.get(2)).toBe(20n);
    expect(m.get(3)).toBeUndefined();
    expect(m.has(1)).toBe(true);
    expect(m.has(3)).toBe(false);
    expect(bpfError(() => m.set(1, 11n, UpdateFlags.noexist)).kind).toBe("AlreadyExists");
    expect(bpfError(() => m.set(3, 30n, UpdateFlags.exist)).kind).toBe("NotFound");
    m.set(1, 12n, UpdateFlags.exist);
    expect(m.get(1)).toBe(12n);
    expect(m.delete(1)).toBe(true);
    expect(m.delete(1)).toBe(false);
    expect(m.get(1)).toBeUndefined();
    expect([m.type, m.typeName, m.keySize, m.valueSize, m.maxEntries, m.name]).toEqual([MapType.hash, "hash", 4, 8, 8, "counts"]);
    expect(String(m)).toBe('map "counts" (hash)');
  });

  itPriv("a full hash says ReachedMaxEntries", () => {
    using m = BpfMap.create({ type: MapType.hash, key: u8, value: u8, maxEntries: 2 });
    m.set(1, 1).set(2, 2);
    const e = bpfError(() => m.set(3, 3));
    expect(e.kind).toBe("ReachedMaxEntries");
    expect(e.message).toContain("map (hash, unnamed)");
  });

  itPriv("without codecs keys and values are raw bytes of the map's sizes", () => {
    using m = BpfMap.create({ type: MapType.hash, keySize: 2, valueSize: 3, maxEntries: 4 });
    m.set(new Uint8Array([1, 2]), new Uint8Array([7, 8, 9]));
    expect(m.get(new Uint8Array([1, 2]))).toEqual(new Uint8Array([7, 8, 9]));
    expect(() => m.get(new Uint8Array(3))).toThrow("map (hash, unnamed) key: bytes(2): expects a Uint8Array of 2 bytes, got 3 bytes");
  });

  itPriv("struct keys and values: padding is zeroed so equal keys hash equal", () => {
    const Key = struct({ proto: u8, port: u16, addr: bytes(4) }); // 1 byte of padding after proto
    const Val = struct({ packets: u64, comm: chars(8) });
    using m = BpfMap.create({ type: MapType.hash, key: Key, value: Val, maxEntries: 16, name: "flows" });
    expect(m.keySize).toBe(8);
    const k = { proto: 6, port: 443, addr: new Uint8Array([10, 0, 0, 1]) };
    m.set(k, { packets: 5n, comm: "curl" });
    expect(m.get({ ...k })).toEqual({ packets: 5n, comm: "curl" });
    // The same key typed as raw bytes, with a zero pad byte, finds the entry.
    using raw = BpfMap.fromId(m.id);
    expect(raw.has(new Uint8Array([6, 0, 443 & 0xff, 443 >> 8, 10, 0, 0, 1]))).toBe(true);
    expect(() => m.set({ ...k, port: 70000 }, { packets: 1n, comm: "x" })).toThrow(
      'map "flows" (hash) key: struct { proto: u8, port: u16, addr: bytes(4) }: .port: u16: expects an integer in [0, 65535], got 70000',
    );
  });

  itPriv("wrong key or value types are clear errors naming the map, made before any syscall", () => {
    using m = BpfMap.create({ type: MapType.hash, key: u32, value: u64n, maxEntries: 4, name: "typed" });
    for (const [fn, cls, msg] of [
      [() => m.get(-1), RangeError, 'map "typed" (hash) key: u32: expects an integer in [0, 4294967295], got -1'],
      [() => m.set(2 ** 32, 1), RangeError, "got 4294967296"],
      [() => m.set("a" as unknown as number, 1), TypeError, 'key: u32: expects a number (an integer in [0, 4294967295]), got string "a"'],
      [() => m.set(1, 2 ** 53), RangeError, 'map "typed" (hash) value: u64n: expects a safe integer in [0, 2^53)'],
      [() => m.set(1, 1n as unknown as number), TypeError, "value: u64n: expects a number"],
      [() => m.delete(1.5), RangeError, "key: u32"],
      [() => m.set(1, 1, UpdateFlags.cpu), RangeError, "BPF_F_CPU"],
      [() => m.push(1), TypeError, "push() needs a queue, stack or bloom_filter map, not hash"],
    ] as [() => unknown, ErrorConstructor, string][]) {
      const s = spy(fn);
      expect(s.error).toBeInstanceOf(cls);
      expect(String((s.error as Error).message)).toContain(msg);
      expect(s.bpf).toEqual([]);
    }
  });

  itPriv("a closed map throws a TypeError before any syscall; close is idempotent", () => {
    const m = BpfMap.create({ type: MapType.array, key: u32, value: u32, maxEntries: 2, name: "shut" });
    const fd = m.fd;
    m.close();
    m.close();
    expect(m.closed).toBe(true);
    expect(fdTarget(fd)).not.toBe("anon_inode:bpf-map");
    for (const op of [() => m.get(0), () => m.set(0, 1), () => m.has(0), () => m.delete(0), () => m.freeze(), () => m.info(), () => [...m], () => m.setMany([[0, 1]]), () => m.pin("/sys/fs/bpf/x")]) {
      const s = spy(op);
      expect(s.error).toBeInstanceOf(TypeError);
      expect((s.error as Error).message).toBe('map "shut" (array) is closed');
      expect(s.bpf).toEqual([]);
    }
  });

  itPriv("`using` closes the fd at the end of the block", () => {
    let fd = -1;
    {
      using m = BpfMap.create({ type: MapType.array, key: u32, value: u32, maxEntries: 1 });
      fd = m.fd;
      expect(fdTarget(fd)).toBe("anon_inode:bpf-map");
    }
    expect(fdTarget(fd)).not.toBe("anon_inode:bpf-map");
  });

  itPriv("arrays: every index exists, deleting is refused before the syscall", () => {
    using m = BpfMap.create({ type: MapType.array, key: u32, value: u32, maxEntries: 4 });
    expect(m.get(3)).toBe(0);
    expect(m.get(4)).toBeUndefined();
    m.set(3, 33);
    expect(m.get(3)).toBe(33);
    const s = spy(() => m.delete(3));
    expect(s.error).toBeInstanceOf(TypeError);
    expect(String(s.error)).toMatch(/cannot be deleted/);
    expect(s.bpf).toEqual([]);
    const past = spy(() => m.set(4, 1));
    expect(String(past.error)).toBe("RangeError: map (array, unnamed): index 4 is out of range: the array has 4 entries (0..3)");
    expect(past.bpf).toEqual([]);
  });

  itPriv("per-CPU maps hold one value per possible CPU", () => {
    const n = possibleCpus();
    using m = BpfMap.create({ type: MapType.percpu_hash, key: u32, value: u32, maxEntries: 4, name: "pcpu" });
    expect(m.valueSize).toBe(4);
    const vals = Array.from({ length: n }, (_, i) => i * 10 + 1);
    m.set(1, vals);
    expect(m.get(1)).toEqual(vals);
    expect(() => m.set(2, vals.slice(1))).toThrow(`expects one value per possible CPU (${n}), got ${n - 1}`);
    // An explicit perCpu() codec is the same thing.
    using a = BpfMap.create({ type: MapType.percpu_array, key: u32, value: perCpu(u64), maxEntries: 1 });
    expect(a.get(0)).toEqual(Array(n).fill(0n));
    // Without a codec: the raw slots of all CPUs.
    using raw = BpfMap.create({ type: MapType.percpu_array, keySize: 4, valueSize: 4, maxEntries: 1 });
    expect(raw.get(new Uint8Array(4))).toEqual(new Uint8Array(8 * n));
  });

  itPriv("a program's per-CPU counter reads back as one count per CPU", () => {
    using m = BpfMap.create({ type: MapType.percpu_array, key: u32, value: u64, maxEntries: 1, name: "pc_count" });
    const prog = own(progLoad(ProgType.socket_filter, [
      Insn.st("word", "r10", -4, 0), Insn.mov("r2", "r10"), Insn.add("r2", -4),
      Insn.ldMapFd1("r1", m.fd), Insn.ldMapFd2(m.fd), Insn.call("map_lookup_elem"),
      Insn.jeq("r0", 0, 2), Insn.mov("r1", 1), Insn.xadd("r0", "r1"), Insn.mov("r0", 0), Insn.exit(),
    ], { name: "pc_count" }));
    progTestRun(prog, { data: new Uint8Array(64), repeat: 100 });
    const per = m.get(0)!;
    expect(per.length).toBe(possibleCpus());
    expect(per.reduce((a, b) => a + b, 0n)).toBe(100n);
  });

  itPriv("lookupAndDelete on a hash", { feature: "hash_lookup_and_delete" }, () => {
    using m = BpfMap.create({ type: MapType.hash, key: u32, value: u32, maxEntries: 4 });
    m.set(1, 11);
    expect(m.lookupAndDelete(1)).toBe(11);
    expect(m.lookupAndDelete(1)).toBeUndefined();
    expect(m.has(1)).toBe(false);
  });

  itPriv("freeze makes the map read-only from user space", { feature: "map_freeze" }, () => {
    using m = BpfMap.create({ type: MapType.array, key: u32, value: u32, maxEntries: 1 });
    m.set(0, 5);
    m.freeze();
    expect(m.get(0)).toBe(5);
    const e = bpfError(() => m.set(0, 6));
    expect(e.kind).toBe("AccessDenied");
    expect(e.message).toMatch(/frozen or read-only/);
  });

  itPriv("info() and id say what the kernel knows", () => {
    using m = BpfMap.create({ type: MapType.lru_hash, key: u32, value: u16, maxEntries: 32, name: "info_me" });
    const info = m.info();
    expect(info).toMatchObject({ name: "info_me", type: MapType.lru_hash, typeName: "lru_hash", keySize: 4, valueSize: 2, maxEntries: 32, flags: 0 });
    expect(info.id).toBeGreaterThan(0);
    expect(m.id).toBe(info.id);
    expect(typeof info.mapExtra).toBe("bigint");
  });

  itPriv("fromFd takes ownership; fromId opens another fd to the same map", () => {
    const fd = mapCreate(MapType.hash, 4, 4, 4, { name: "adopted" });
    using m = BpfMap.fromFd(fd, { key: u32, value: u32 });
    expect(m.fd).toBe(fd);
    expect(m.name).toBe("adopted");
    m.set(1, 2);
    using again = BpfMap.fromId(m.id, { key: u32, value: u32 });
    expect(again.fd).not.toBe(fd);
    expect(again.get(1)).toBe(2);
    // Codecs that do not fit the map are refused, and the fd opened for it is closed again.
    expect(() => BpfMap.fromId(m.id, { key: u64 })).toThrow('map "adopted" (hash) has 4-byte keys; the key codec u64 is 8 bytes');
    expect(() => BpfMap.fromId(m.id, { value: u8 })).toThrow("4-byte values; the value codec u8 is 1 bytes");
    expect(bpfError(() => BpfMap.fromId(0x7ffffff0)).kind).toBe("NotFound");
  });

  itPriv("fromFd refuses an fd that is not a map", () => {
    const p = own(progLoad(ProgType.socket_filter, [Insn.mov("r0", 0), Insn.exit()]));
    expect(() => BpfMap.fromFd(p)).toThrow(`fd ${p} is not a BPF map (it is a BPF program)`);
    expect(fdTarget(p)).toBe("anon_inode:bpf-prog"); // still the caller's
  });

  itPriv("a per-CPU map opened with a plain value codec says to use perCpu()", () => {
    using m = BpfMap.create({ type: MapType.percpu_array, key: u32, value: u32, maxEntries: 1 });
    expect(() => BpfMap.fromId(m.id, { value: u32 })).toThrow("is per-CPU: pass value: perCpu(u32)");
    using ok = BpfMap.fromId(m.id, { key: u32, value: perCpu(u32) });
    expect(ok.get(0)).toHaveLength(possibleCpus());
  });

  itPriv("list() and ids() include a new map, with its info", () => {
    using m = BpfMap.create({ type: MapType.array, key: u32, value: u64, maxEntries: 3, name: "listed" });
    expect(BpfMap.ids()).toContain(m.id);
    const found = BpfMap.list().find((i) => i.id === m.id);
    expect(found).toMatchObject({ name: "listed", typeName: "array", keySize: 4, valueSize: 8, maxEntries: 3 });
  });

  itPriv("errors from the kernel name the map", () => {
    using m = BpfMap.create({ type: MapType.hash, key: u32, value: u32, maxEntries: 1, name: "tiny" });
    m.set(1, 1);
    const e = bpfError(() => m.set(2, 2));
    expect(e).toBeInstanceOf(BpfError);
    expect(e.message).toContain('map "tiny" (hash)');
    expect(e.cmd).toBe("map_update_elem");
  });

  itPriv("element calls allocate no attr: one bpf() per call", () => {
    using m = BpfMap.create({ type: MapType.hash, key: u32, value: u32, maxEntries: 4 });
    const s = spy(() => {
      m.set(1, 1);
      m.get(1);
      m.get(2);
      m.has(1);
      m.delete(1);
    });
    expect(s.error).toBeUndefined();
    expect(s.bpf.map(([c]) => c)).toEqual([Cmd.map_update_elem, Cmd.map_lookup_elem, Cmd.map_lookup_elem, Cmd.map_lookup_elem, Cmd.map_delete_elem]);
    expect(s.syscalls).toBe(0);
  });
});

describePriv("pinned maps", () => {
  let fs: { dir: string; unmount: () => void };
  beforeAll(() => {
    if (isRoot) fs = tempMount("bpf");
  });
  afterAll(() => fs?.unmount());

  itPriv("pin, then fromPin is the same map; read-only opens refuse writes", () => {
    using m = BpfMap.create({ type: MapType.hash, key: u32, value: u32, maxEntries: 4, name: "pinme" });
    m.set(1, 7);
    const path = `${fs.dir}/pinme`;
    m.pin(path);
    using again = BpfMap.fromPin(path, { key: u32, value: u32 });
    expect(again.id).toBe(m.id);
    expect(again.get(1)).toBe(7);
    using ro = BpfMap.fromPin(path, { key: u32, value: u32, readOnly: true });
    expect(ro.get(1)).toBe(7);
    expect(bpfError(() => ro.set(1, 8)).kind).toBe("AccessDenied");
    unlinkSync(path);
  });

  itPriv("an unknown pin path is NotFound with the bpffs hint", () => {
    const e = bpfError(() => BpfMap.fromPin(`${fs.dir}/nothing/here`));
    expect(e.kind).toBe("NotFound");
    expect(e.message).toContain(`is a bpffs mounted at ${fs.dir}/nothing`);
    expect(() => BpfMap.fromPin("")).toThrow(TypeError);
  });

  itPriv("a pinned program is not a map: TypeError, and no fd left behind", () => {
    const p = own(progLoad(ProgType.socket_filter, [Insn.mov("r0", 0), Insn.exit()]));
    const path = `${fs.dir}/prog`;
    bpf.objPin(p, path);
    expect(() => BpfMap.fromPin(path)).toThrow(`${path} is not a BPF map (it is a BPF program)`);
    unlinkSync(path);
  });
});
