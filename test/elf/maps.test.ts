// Map specs of the clang fixtures maps.bpf.c and legacy.bpf.c in both byte orders: hard facts
// from the C sources, the .maps DATASEC's order against `bpftool btf dump file`, variable
// offsets against llvm-readelf-19's symbols, libbpf's internal map names, and fuzzing: mutated
// objects give an ElfError or BtfError, never another exception.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Btf, BtfBuilder, BtfError } from "../../src/btf/mod.ts";
import { ElfError, ElfFile, type ElfMapSpec, internalMapName, mapSpecs, objectNameFromPath } from "../../src/elf/mod.ts";
import { MapType } from "../../src/uapi/enums.gen.ts";
import { itIf, toolMissing } from "../helpers/tools.ts";

const dir = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "fixtures", "elf");
const path = (name: string) => join(dir, name);
const fixture = (name: string) => new Uint8Array(readFileSync(path(name)));
const noBpftool = toolMissing("bpftool", ["version"], "bpftool");
const noReadelf = toolMissing("llvm-readelf-19", ["--version"], "llvm-19");

function specs(bytes: Uint8Array, objectName = "maps"): ElfMapSpec[] {
  const elf = ElfFile.parse(bytes);
  const b = elf.section(".BTF");
  return mapSpecs(elf, b ? Btf.parse(elf.data(b)) : undefined, { objectName });
}
const byName = (all: ElfMapSpec[], name: string): ElfMapSpec => {
  const m = all.find((s) => s.name === name);
  if (!m) throw new Error(`no map ${name}`);
  return m;
};

describe("mapSpecs", () => {
  for (const order of ["el", "eb"]) {
    const file = `maps.${order}.o`;
    const all = specs(fixture(file));

    it(`${file}: BTF maps in DATASEC order, then global data in section order`, () => {
      expect(all.map((s) => [s.name, s.source])).toEqual([
        ["in0", "btf"], ["in1", "btf"], ["outer", "btf"], ["jumps", "btf"], ["pcpu", "btf"], ["hash", "btf"], ["arr", "btf"],
        ["lru", "btf"], ["rb", "btf"], ["bloom", "btf"],
        ["maps.data", "data"], ["maps.rodata", "data"], [".data.foo", "data"], ["maps.bss", "data"],
      ]);
    });

    it(`${file}: attributes of each BTF map`, () => {
      const hash = byName(all, "hash");
      expect([hash.type, hash.keySize, hash.valueSize, hash.maxEntries, hash.flags]).toEqual([MapType.hash, 4, 16, 128, 1]);
      expect(hash.keyTypeId).toBeGreaterThan(0);
      expect(hash.valueTypeId).toBeGreaterThan(0);
      const arr = byName(all, "arr");
      expect([arr.type, arr.keySize, arr.valueSize, arr.maxEntries, arr.pinning, arr.keyTypeId, arr.valueTypeId]).toEqual([MapType.array, 4, 8, 4, 1, 0, 0]);
      const pcpu = byName(all, "pcpu");
      expect([pcpu.type, pcpu.keySize, pcpu.valueSize, pcpu.maxEntries]).toEqual([MapType.percpu_array, 4, 8, 2]);
      const lru = byName(all, "lru");
      expect([lru.type, lru.keySize, lru.valueSize, lru.maxEntries, lru.numaNode, lru.flags]).toEqual([MapType.lru_hash, 8, 4, 64, 1, 4]);
      const rb = byName(all, "rb");
      expect([rb.type, rb.keySize, rb.valueSize, rb.maxEntries]).toEqual([MapType.ringbuf, 0, 0, 4096]);
      const bloom = byName(all, "bloom");
      expect([bloom.type, bloom.valueSize, bloom.maxEntries, bloom.mapExtra]).toEqual([MapType.bloom_filter, 4, 100, 0x300000003n]);
    });

    it(`${file}: map-in-map template and slots, prog array slots`, () => {
      const outer = byName(all, "outer");
      expect([outer.type, outer.keySize, outer.valueSize, outer.maxEntries]).toEqual([MapType.array_of_maps, 4, 4, 4]);
      expect(outer.inner && [outer.inner.name, outer.inner.type, outer.inner.keySize, outer.inner.valueSize, outer.inner.maxEntries]).toEqual(["outer.inner", MapType.array, 4, 4, 1]);
      expect(outer.slots).toEqual([{ index: 0, name: "in0" }, { index: 2, name: "in1" }]);
      const jumps = byName(all, "jumps");
      expect([jumps.type, jumps.valueSize, jumps.maxEntries, jumps.inner]).toEqual([MapType.prog_array, 4, 3, undefined]);
      expect(jumps.slots).toEqual([{ index: 1, name: "tail0" }]);
      expect(byName(all, "hash").slots).toBeUndefined();
    });

    it(`${file}: global data maps, contents in the file's byte order, variables`, () => {
      const le = order === "el";
      const u32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, le); return [...b]; };
      const data = byName(all, "maps.data");
      expect([data.type, data.keySize, data.valueSize, data.maxEntries, data.flags]).toEqual([MapType.array, 4, 8, 1, 0x400]);
      expect([...data.contents!]).toEqual(le ? [5, 0, 0, 0, 0, 0, 0, 0] : [0, 0, 0, 0, 0, 0, 0, 5]);
      const ro = byName(all, "maps.rodata");
      expect(ro.flags).toBe(0x400 | 0x80);
      expect([...ro.contents!]).toEqual([...u32(7), ...new TextEncoder().encode("hello"), 0]);
      expect(ro.variables!.map((v) => [v.name, v.offset, v.size, v.linkage])).toEqual([["limit", 0, 4, 1], ["tag", 4, 6, 1]]);
      const foo = byName(all, ".data.foo");
      expect([...foo.contents!]).toEqual([...u32(0x11223344), ...u32(9)]);
      expect(foo.variables!.map((v) => [v.name, v.offset, v.linkage])).toEqual([["foo_var", 0, 1], ["hidden_var", 4, 0]]);
      const bss = byName(all, "maps.bss");
      expect([bss.valueSize, bss.flags, [...bss.contents!].every((x) => x === 0), bss.contents!.length]).toEqual([32, 0x400, true, 32]);
      expect(bss.variables!.map((v) => [v.name, v.offset, v.size])).toEqual([["seen", 0, 4], ["zeros", 8, 24]]);
      for (const m of [data, ro, foo, bss]) expect(m.valueTypeId).toBeGreaterThan(0);
    });

    itIf(noBpftool, `${file}: .maps and data DATASEC variables as bpftool btf dump lists them`, () => {
      const out = execFileSync("bpftool", ["btf", "dump", "file", path(file)], { encoding: "utf8" });
      const datasec = (name: string) => {
        const at = out.indexOf(`DATASEC '${name}'`);
        const lines = out.slice(at).split("\n").slice(1);
        return lines.slice(0, lines.findIndex((l) => !l.startsWith("\t"))).map((l) => /\(VAR '([^']+)'\)/.exec(l)![1]);
      };
      expect(all.filter((s) => s.source === "btf").map((s) => s.name)).toEqual(datasec(".maps"));
      for (const m of all.filter((s) => s.source === "data")) expect(m.variables!.map((v) => v.name)).toEqual(datasec(m.section));
    });

    itIf(noReadelf, `${file}: variable offsets are the symbols' st_value, as llvm-readelf-19 reads them`, () => {
      const j = JSON.parse(execFileSync("llvm-readelf-19", ["--elf-output-style=JSON", "-s", path(file)], { encoding: "utf8" }))[0];
      const value = new Map<string, number>(j.Symbols.map(({ Symbol: s }: { Symbol: { Name: { Name: string }; Value: number } }) => [s.Name.Name, s.Value]));
      for (const m of all.filter((s) => s.source === "data")) for (const v of m.variables!) expect([v.name, v.offset]).toEqual([v.name, value.get(v.name)]);
    });

    const legacy = `legacy.${order}.o`;
    it(`${legacy}: struct bpf_map_def and iproute2's tail, one per symbol`, () => {
      const l = specs(fixture(legacy));
      expect(l.map((s) => [s.name, s.source, s.section, s.type, s.keySize, s.valueSize, s.maxEntries, s.flags, s.pinning])).toEqual([
        ["counters", "legacy", "maps", MapType.hash, 4, 8, 16, 1, 0],
        ["events", "legacy", "maps", MapType.perf_event_array, 4, 4, 8, 0, 0],
      ]);
      expect(l[0].legacyTail).toEqual({ id: 3, pinning: 2, innerId: 0, innerIdx: 0 });
      expect(l[0].extra!.length).toBe(16);
    });
  }

  it("internal map names follow libbpf's internal_map_name", () => {
    expect(internalMapName("reader", ".rodata")).toBe("reader.rodata");
    expect(internalMapName("my_object_name", ".rodata")).toBe("my_objec.rodata");
    expect(internalMapName("my_object_name", ".bss")).toBe("my_objec.bss"); // libbpf keeps 7 for any suffix
    expect(internalMapName("my_object_name", ".kconfig")).toBe("my_obje.kconfig");
    expect(internalMapName("obj", ".data.a_very_long_name")).toBe(".data.a_very_lo");
    expect(internalMapName("a-b", ".data")).toBe("a_b.data");
    expect(objectNameFromPath("/x/maps.el.o")).toBe("maps");
  });

  it("a .maps section without BTF is an ElfError naming it", () => {
    const elf = ElfFile.parse(fixture("maps.el.o"));
    expect(() => mapSpecs(elf, undefined)).toThrow(/\.maps section needs the object.s \.BTF.*at section \d+ \(\.maps\)/);
  });

  // A .maps DATASEC with one map "bad" defined by `fields` (name -> __uint value, or "u64" for __type).
  function badMap(fields: [string, number | "u64"][]): () => unknown {
    const b = new BtfBuilder();
    const int = b.addInt("int", 4, { signed: true }), u64 = b.addInt("unsigned long long", 8), idx = b.addInt("__ARRAY_SIZE_TYPE__", 4);
    const members = fields.map(([name, v], i) => ({ name, bitOffset: 64 * i, type: v === "u64" ? b.addPtr(u64) : b.addPtr(b.addArray(int, idx, v)) }));
    const def = b.addStruct("", 8 * fields.length, members);
    b.addDatasec(".maps", 0, [{ type: b.addVar("bad", def, "global"), offset: 0, size: 8 * fields.length }]);
    const elf = ElfFile.parse(fixture("maps.el.o"));
    return () => mapSpecs(elf, b.build());
  }

  it("malformed BTF map definitions are ElfErrors naming the map", () => {
    expect(badMap([["type", 1], ["key_size", 4], ["key", "u64"]])).toThrow(/map "bad": key_size 4 disagrees with the key type's 8 bytes.*\.maps/);
    expect(badMap([["max_entries", 1]])).toThrow(/map "bad": map type isn't specified/);
    expect(badMap([["type", 1], ["pinning", 2]])).toThrow(/map "bad": pinning 2 is neither/);
    expect(badMap([["type", 1], ["values", 0]])).toThrow(ElfError);
    // An unknown field is skipped (libbpf's non-strict mode): parsing gets as far as the fixture's
    // .rel.maps, whose relocations lie past this one small map.
    expect(badMap([["type", 2], ["max_entries", 3], ["unknown_field", 1]])).toThrow(/relocation at \.maps offset \d+ lies in no map/);
  });

  it("fuzz: mutated objects give specs or an ElfError/BtfError, nothing else", () => {
    let s = 0x13579bdf;
    const rnd = () => {
      s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; return (s >>>= 0);
    };
    const seeds = ["maps.el.o", "maps.eb.o", "legacy.el.o", "legacy.eb.o"].map(fixture);
    let errors = 0, parsed = 0;
    for (let i = 0; i < 2000; i++) {
      const seed = seeds[i & 3];
      const b = seed.slice();
      // Aim the flips at the section contents (maps, data, BTF), past the ELF header.
      const n = 1 + (rnd() % 6);
      for (let k = 0; k < n; k++) b[64 + (rnd() % (b.length - 64))] = rnd() & 0xff;
      const cut = i % 9 === 0 ? b.subarray(0, rnd() % b.length) : b;
      try {
        specs(cut);
        parsed++;
      } catch (e) {
        if (!(e instanceof ElfError) && !(e instanceof BtfError)) throw new Error(`mutant ${i}: ${(e as Error).stack}`);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(50);
    expect(parsed).toBeGreaterThan(50);
  });
});
