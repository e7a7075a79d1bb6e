// Maps typed by BTF: the `btf` option of BpfMap.create (sizes and codecs from the types, the BTF
// loaded for btf_fd and closed once the map holds it), the checks made before any syscall, and
// opening a map with the codecs of its own BTF. bpftool, where present, must print the same
// values under "formatted" as the codecs read.
import { execFileSync } from "node:child_process";
import { openFds } from "../helpers/fds.ts";
import { describe, expect, expectTypeOf, it } from "vitest";
import { BpfMap, Btf, BtfHandle, bytes, codecFromBtf, MapType, type MapSpec, possibleCpus, u32 } from "../../mod.ts";
import { assemble, Writer } from "../btf/blob.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { bpfError } from "../helpers/expect.ts";
import { spy } from "./spy.ts";
import { bpftoolMissing } from "../helpers/tools.ts";

// struct key { u32 pid; char comm[16]; } and a value with kind_flag bitfields, an enum, a bool,
// an anonymous union, an array: kinds every kernel of the matrix (5.10+) takes and bpftool 7.1 prints.
const w = new Writer();
const INT = 1, ARRAY = 3, STRUCT = 4, UNION = 5, ENUM = 6, TYPEDEF = 8, FUNC_PROTO = 13;
const bf = (bits: number, off: number) => (bits << 24) | off;
w.type(w.str("unsigned int"), INT, 0, false, 4, 32); // 1
w.type(w.str("char"), INT, 0, false, 1, (1 << 24) | 8); // 2
w.type(0, ARRAY, 0, false, 0, 2, 1, 16); // 3 char[16]
w.type(w.str("u32"), TYPEDEF, 0, false, 1); // 4
w.type(w.str("key"), STRUCT, 2, false, 20, w.str("pid"), 4, 0, w.str("comm"), 3, 32); // 5
w.type(w.str("unsigned long long"), INT, 0, false, 8, 64); // 6
w.type(w.str("state"), ENUM, 2, false, 4, w.str("IDLE"), 0, w.str("BUSY"), 7); // 7
w.type(w.str("int"), INT, 0, false, 4, (1 << 24) | 32); // 8
w.type(w.str("_Bool"), INT, 0, false, 1, (4 << 24) | 8); // 9
w.type(0, UNION, 2, false, 4, w.str("i"), 1, 0, w.str("n"), 8, 0); // 10
w.type(0, ARRAY, 0, false, 0, 8, 1, 3); // 11 int[3]
w.type(w.str("short"), INT, 0, false, 2, (1 << 24) | 16); // 12
w.type(w.str("value"), STRUCT, 9, true, 48,
  w.str("calls"), 6, 0, w.str("a"), 1, bf(3, 64), w.str("b"), 8, bf(5, 67), w.str("c"), 6, bf(40, 72),
  w.str("st"), 7, 128, w.str("flag"), 9, 160, 0, 10, 192, w.str("grid"), 11, 224, w.str("s"), 12, 352); // 13
w.type(0, FUNC_PROTO, 0, false, 8); // 14
const btf = Btf.parse(assemble(w.sections()));
const KEY = 5, VALUE = 13;
const key = btf.typeById(KEY), value = btf.typeById(VALUE);

const k1 = { pid: 42, comm: "hello" }, k2 = { pid: 7, comm: "x" };
const v1 = { calls: 5n, a: 5, b: -3, c: 123456789012n, st: "BUSY", flag: true, i: 0xfffffffe, n: -2, grid: [1, -2, 3], s: -7 };
const v2 = { calls: 1n, a: 0, b: 15, c: 0n, st: 3, flag: false, i: 100, n: 100, grid: [0, 0, 0], s: 0 };
// How bpftool 7.1 prints them: bitfields as hex of their bits, an anonymous member under "".
const f1 = { calls: 5, a: "0x5", b: "0x1d", c: "0x1cbe991a14", st: "BUSY", flag: true, "": { i: 4294967294, n: -2 }, grid: [1, -2, 3], s: -7 };
const f2 = { calls: 1, a: "0x0", b: "0xf", c: "0x0", st: 3, flag: false, "": { i: 100, n: 100 }, grid: [0, 0, 0], s: 0 };


/** This process's open BTF object fds. */
function btfFds(): string[] {
  return openFds().filter(([, target]) => target === "anon_inode:btf").map(([fd]) => fd);
}

describe("the btf option, before any syscall", () => {
  it("types: keys and values are any, unless a codec of the spec says otherwise", () => {
    const make = () => BpfMap.create({ type: MapType.hash, maxEntries: 1, btf: { types: btf, key, value } });
    expectTypeOf<ReturnType<typeof make>>().toEqualTypeOf<BpfMap<any, any, any, any>>();
    const withKey = () => BpfMap.create({ type: MapType.hash, key: u32, maxEntries: 1, btf: { types: btf, key: 1, value } });
    expectTypeOf<ReturnType<typeof withKey>>().toEqualTypeOf<BpfMap<number, any, number, any>>();
    const open = () => BpfMap.fromId(1, { btf: true });
    expectTypeOf<ReturnType<typeof open>>().toEqualTypeOf<BpfMap<any, any, any, any>>();
    const plain = () => BpfMap.fromId(1);
    expectTypeOf<ReturnType<typeof plain>>().toEqualTypeOf<BpfMap<Uint8Array, Uint8Array, Uint8Array, Uint8Array>>();
    expect(codecFromBtf(btf, value).size).toBe(48);
  });

  it("refuses sizes, codecs and types that do not fit", () => {
    const base = { type: MapType.hash, maxEntries: 4, btf: { types: btf, key, value } };
    for (const [spec, err, msg] of [
      [{ ...base, keySize: 8 }, RangeError, "keySize is 8 bytes; the BTF key type struct key { u32 pid; char comm[16]; } is 20"],
      [{ ...base, value: u32 }, RangeError, "the value codec u32 is 4 bytes; the BTF value type struct value {"],
      [{ ...base, btfFd: 3 }, TypeError, "give btf or btfFd, not both"],
      [{ ...base, btf: { types: new Uint8Array(8), key, value } }, TypeError, "btf.types must be a Btf or a loaded BTF object"],
      [{ ...base, btf: { types: btf, key } }, TypeError, "btf.value is missing"],
      [{ ...base, btf: { types: btf, key, value: 14 } }, TypeError, "BTF type id 14 (func_proto) has no codec"],
      [{ ...base, btf: { types: btf, key, value: 99 } }, RangeError, "BTF type id 99 is not in this BTF (ids 0..14)"],
      [{ ...base, type: MapType.queue, btf: { types: btf, key, value } }, TypeError, "queue maps have no keys; leave btf.key out"],
      [{ ...base, btf: { types: btf, key: { ...key, name: "other" }, value } }, TypeError, 'struct "other" (id 5) is not a type of this BTF'],
    ] as const) {
      const r = spy(() => BpfMap.create(spec as unknown as MapSpec & { btf: never }));
      expect(r.error, msg).toBeInstanceOf(err);
      expect(String(r.error)).toContain(msg);
      expect(r.bpf).toEqual([]);
    }
  });
});

describePriv("maps typed by BTF", () => {
  itPriv("a hash map takes its sizes and codecs from the types; the BTF fd is closed after create", () => {
    const before = btfFds();
    using m = BpfMap.create({ type: MapType.hash, maxEntries: 8, name: "btf_hash", btf: { types: btf, key, value: VALUE } });
    expect(btfFds()).toEqual(before);
    expect([m.keySize, m.valueSize]).toEqual([20, 48]);
    expect(m.keyCodec).toBe(codecFromBtf(btf, KEY));
    expect(m.valueCodec.name).toMatch(/^struct value \{ unsigned long long calls; unsigned int a:3; int b:5; /);
    m.set(k1, v1).set(k2, v2);
    expect(m.get(k1)).toEqual(v1);
    expect(m.get(k2)).toEqual(v2);
    expect(m.get({ pid: 42, comm: "hell" })).toBeUndefined();
    const all = m.getAll().sort((x, y) => x[0].pid - y[0].pid);
    expect(all).toEqual([[k2, v2], [k1, v1]]);
    m.set(k2, m.get(k2)); // a decoded value, its union's members agreeing, goes back as it came
    expect(m.get(k2)).toEqual(v2);
    const info = m.info();
    expect(info.btfId).toBeGreaterThan(0);
    expect([info.btfKeyTypeId, info.btfValueTypeId]).toEqual([KEY, VALUE]);
    expect(() => m.set(k1, { ...v1, a: 8 })).toThrow(/map "btf_hash" \(hash\) value: struct value: \.a: unsigned int:3: expects an integer in \[0, 7\], got 8/);
  });

  const noBpftool = bpftoolMissing();
  if (noBpftool) console.warn(`skip: bpftool prints the same values: ${noBpftool}`);
  (noBpftool ? it.skip : itPriv)(`bpftool prints the same values under "formatted"${noBpftool ? ` [skipped: ${noBpftool}]` : ""}`, () => {
    using m = BpfMap.create({ type: MapType.hash, maxEntries: 8, btf: { types: btf, key, value } });
    m.set(k1, v1).set(k2, v2);
    const dump = JSON.parse(execFileSync("bpftool", ["map", "dump", "id", String(m.id), "-j"], { encoding: "utf8" })) as { formatted: { key: { pid: number }; value: unknown } }[];
    const formatted = dump.map((e) => e.formatted).sort((x, y) => x.key.pid - y.key.pid);
    expect(formatted).toEqual([{ key: k2, value: f2 }, { key: k1, value: f1 }]);
  });

  itPriv("explicit codecs and sizes that match the types are kept", () => {
    using m = BpfMap.create({ type: MapType.hash, keySize: 20, valueSize: 48, value: bytes(48), maxEntries: 4, btf: { types: btf, key, value } });
    expect(m.keyCodec).toBe(codecFromBtf(btf, key));
    expect(m.valueCodec.name).toBe("bytes(48)");
    m.set(k1, new Uint8Array(48).fill(1));
    expect(m.get(k1)).toEqual(new Uint8Array(48).fill(1));
    expect(m.info().btfValueTypeId).toBe(VALUE);
  });

  itPriv("array and per-CPU maps: an int key type, and one value per CPU", () => {
    using a = BpfMap.create({ type: MapType.array, maxEntries: 2, btf: { types: btf, key: 1, value } });
    a.set(1, v1);
    expect(a.get(1)).toEqual(v1);
    expect(a.get(0)).toEqual({ calls: 0n, a: 0, b: 0, c: 0n, st: "IDLE", flag: false, i: 0, n: 0, grid: [0, 0, 0], s: 0 });
    using p = BpfMap.create({ type: MapType.percpu_hash, maxEntries: 2, btf: { types: btf, key, value: 6 } });
    const per = Array.from({ length: possibleCpus() }, (_, i) => BigInt(i));
    p.set(k1, per);
    expect(p.get(k1)).toEqual(per);
    using again = BpfMap.fromId(p.id, { btf: true });
    expect(again.get(k1)).toEqual(per);
  });

  itPriv("a BTF object already loaded serves several maps and stays open", () => {
    using h = BtfHandle.load(btf);
    using m1 = BpfMap.create({ type: MapType.hash, maxEntries: 2, btf: { types: h, key: KEY, value: VALUE } });
    using m2 = BpfMap.create({ type: MapType.hash, maxEntries: 2, btf: { types: h, key: KEY, value: VALUE } });
    expect(m1.info().btfId).toBe(h.id);
    expect(m2.info().btfId).toBe(h.id);
    m1.set(k1, v1);
    expect(m1.get(k1)).toEqual(v1);
    expect(h.info().id).toBe(h.id); // still open
  });

  itPriv("a kernel refusal is a BpfError, and leaves no BTF fd open", () => {
    const before = btfFds();
    // An array's key must be a 4-byte int in its BTF: enum state is not.
    const e = bpfError(() => BpfMap.create({ type: MapType.array, maxEntries: 2, btf: { types: btf, key: 7, value } }));
    expect(e.errno).toBeGreaterThan(0);
    expect(btfFds()).toEqual(before);
  });

  itPriv("an existing map opens with the codecs of its own BTF (btf: true)", () => {
    using m = BpfMap.create({ type: MapType.hash, maxEntries: 4, btf: { types: btf, key, value } });
    m.set(k1, v1);
    const before = btfFds();
    using o = BpfMap.fromId(m.id, { btf: true });
    expect(btfFds()).toEqual(before);
    expect(o.keyCodec.name).toBe("struct key { u32 pid; char comm[16]; }");
    expect(o.get(k1)).toEqual(v1);
    expect(o.getAll()).toEqual([[k1, v1]]);
    using raw = BpfMap.fromId(m.id, { btf: true, value: bytes(48) });
    expect(raw.get(k1)).toBeInstanceOf(Uint8Array);
    using plain = BpfMap.create({ type: MapType.hash, key: u32, value: u32, maxEntries: 2 });
    expect(() => BpfMap.fromId(plain.id, { btf: true })).toThrow(/map \(hash, unnamed\) has no BTF \(it was created without btf_fd\)/);
  });
});
