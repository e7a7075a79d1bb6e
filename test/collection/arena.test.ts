// Global __arena variables (test/fixtures/elf/arena.bpf.c): clang puts them in .addr_space.1,
// they live in the object's BPF_MAP_TYPE_ARENA map, and Collection.load maps the arena before
// the programs load and copies them in - at the arena's end where the kernel lets an ld_imm64
// reach that far (haveLdimm64FullRange), at its start before, as libbpf places them. Programs and
// the process then share them through memory. The refusals come before any syscall.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Collection, CollectionSpec, ElfError, haveLdimm64FullRange, MapCreateFlags, MapType } from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { thrown } from "../helpers/expect.ts";

const path = (e: "el" | "eb", name = "arena") => new URL(`../fixtures/elf/${name}.${e}.o`, import.meta.url).pathname;
const OBJ = path("el");
// grow allocates a page per run for a node { value, next } and pushes it on the list at `head`.
const ALLOC = path("el", "arena-alloc");
const packet = new Uint8Array(64);
const PAGE = 4096;

describe("CollectionSpec of an object with __arena globals", () => {
  for (const e of ["el", "eb"] as const) {
    it(`gives the arena map the section's bytes and variables (${e})`, () => {
      const spec = CollectionSpec.fromFile(path(e));
      expect(Object.keys(spec.maps)).toEqual(["arena"]);
      const arena = spec.maps.arena;
      expect(arena).toMatchObject({ type: MapType.arena, flags: MapCreateFlags.mmapable, maxEntries: 4, source: "btf" });
      expect(arena.contents?.length).toBe(32);
      expect(arena.variables?.map((v) => [v.name, v.offset, v.size])).toEqual([["hits", 0, 4], ["note", 4, 16], ["total", 24, 8]]);
      const v = spec.variables;
      expect([...v.hits.bytes()]).toEqual(e === "el" ? [7, 0, 0, 0] : [0, 0, 0, 7]);
      // A big-endian object's variables decode in its own order.
      expect([v.hits.get(), v.note.get(), v.total.get()]).toEqual([7, "arena", 0n]);
      expect([v.hits.map, v.hits.constant]).toEqual(["arena", false]);
      // Each access is an ld_imm64 of the arena's value at the variable's offset.
      expect(spec.programs.bump.references).toEqual([
        { kind: "mapValue", insn: 0, map: "arena", offset: 0 },
        { kind: "mapValue", insn: 9, map: "arena", offset: 24 },
        { kind: "mapValue", insn: 15, map: "arena", offset: 4 },
      ]);
    });
  }

  it("__arena globals without an ARENA map are an ElfError, as libbpf refuses them", () => {
    // Renaming .maps (the section and its DATASEC) takes the arena map away and leaves the globals.
    const bytes = new Uint8Array(readFileSync(OBJ));
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let at = buf.indexOf("\0.maps\0"); at >= 0; at = buf.indexOf("\0.maps\0", at + 1)) buf.write(".mapz", at + 1);
    const e = thrown(() => CollectionSpec.parse(bytes), ElfError);
    expect(e.message).toMatch(/global __arena variables need an ARENA map declared in SEC\("\.maps"\)/);
    expect(e.message).toMatch(/\.addr_space\.1/);
  });

  it("refuses, before any syscall, an arena too small or one that faults user space", () => {
    const small = CollectionSpec.fromFile(OBJ);
    small.maps.arena.contents = new Uint8Array(2 * PAGE + 1);
    small.maps.arena.maxEntries = 2;
    expect(() => Collection.load(small)).toThrow(RangeError);
    expect(() => Collection.load(small)).toThrow(/arena's 2 pages are too few for its 8193 bytes of __arena globals \(3 pages\)/);
    const segv = CollectionSpec.fromFile(OBJ);
    segv.maps.arena.flags |= MapCreateFlags.segv_on_fault;
    expect(() => Collection.load(segv)).toThrow(TypeError);
    expect(() => Collection.load(segv)).toThrow(/BPF_F_SEGV_ON_FAULT cannot hold __arena globals/);
  });

  it("an arena pointer read from a variable is a bigint; a program allocating pages calls a weak kfunc", () => {
    const spec = CollectionSpec.fromFile(ALLOC);
    expect(spec.maps.arena.variables?.map((v) => [v.name, v.offset, v.size])).toEqual([["nodes", 0, 8], ["head", 8, 8]]);
    expect(spec.variables.head.get()).toBe(0n);
    expect(spec.programs.grow.references.filter((r) => r.kind === "kfunc")).toEqual([{ kind: "kfunc", insn: 8, name: "bpf_arena_alloc_pages", weak: true, typeId: expect.any(Number) }]);
  });
});

describePriv("Collection.load of __arena globals", { feature: { mapType: "arena" } }, () => {
  itPriv("programs and the process share them through the mapped arena", {}, () => {
    const spec = CollectionSpec.fromFile(OBJ);
    spec.variables.hits.set(40); // an initial value changed before load is what the program sees
    using obj = Collection.load(spec);
    const { bump } = obj.programs;
    const v = obj.variables;
    expect(v.hits.mapped).toBe(true);
    expect(v.hits.get()).toBe(40);
    expect(bump.testRun({ data: packet }).retval).toBe(41);
    expect([v.hits.get(), v.total.get(), v.note.get()]).toEqual([41, 41n, "Arena"]);
    v.hits.set(100);
    expect(bump.testRun({ data: packet }).retval).toBe(101);
    expect(v.total.get()).toBe(142n);
    // The live view is the memory the program writes.
    const live = v.total.bytes();
    bump.testRun({ data: packet });
    expect(new DataView(live.buffer, live.byteOffset, 8).getBigInt64(0, true)).toBe(142n + 102n);
  });

  itPriv("close() unmaps the arena: a kept view reads zeros, get() throws", {}, () => {
    const obj = Collection.load(OBJ);
    const view = obj.variables.hits.bytes();
    expect(view[0]).toBe(7);
    obj.close();
    expect(view[0]).toBe(0);
    expect(() => obj.variables.hits.get()).toThrow(/closed/);
  });

  itPriv("an arena at a map_extra address is mapped there, or refused where something is mapped", {}, () => {
    const spec = CollectionSpec.fromFile(OBJ);
    // A 4 GiB-aligned address far from anything the runtimes map.
    spec.maps.arena.mapExtra = 0x7e0000000000n;
    {
      using obj = Collection.load(spec);
      // Where the program finds hits: the low half of its address, so its offset in an arena on
      // a 4 GiB boundary - at the end where the kernel allows it, as libbpf places the globals.
      expect(obj.programs.where.testRun({ data: packet }).retval).toBe(haveLdimm64FullRange() ? 3 * PAGE : 0);
      expect(obj.maps.arena.info().mapExtra).toBe(0x7e0000000000n);
      // A second arena at the same address cannot replace the first one's mapping.
      expect(() => Collection.load(spec)).toThrow(/mmap.*EEXIST.*at 0x7e0000000000/);
    }
  });
});

describePriv("Collection.arena: the whole arena as live memory", { feature: { mapType: "arena" } }, () => {
  // The nodes on the list at `head`, followed through their pointers: [offset, value] each.
  const walk = (obj: Collection): [number, bigint][] => {
    const arena = obj.arena!;
    const view = new DataView(arena.bytes.buffer, arena.bytes.byteOffset, arena.size);
    const out: [number, bigint][] = [];
    for (let p = obj.variables.head.get() as bigint; p !== 0n && out.length < 64; p = view.getBigUint64(out[out.length - 1][0] + 8, true)) {
      const at = arena.offsetOf(p);
      out.push([at, view.getBigInt64(at, true)]);
    }
    return out;
  };

  itPriv("pages a program allocates are read through the pointers it stores", {}, () => {
    using obj = Collection.load(ALLOC);
    const arena = obj.arena!;
    expect(arena.map).toBe(obj.maps.arena);
    expect(arena.size).toBe(16 * PAGE);
    expect(arena.bytes.length).toBe(16 * PAGE);
    expect(arena.dataSize).toBe(16);
    expect(arena.dataOffset).toBe(haveLdimm64FullRange() ? 15 * PAGE : 0);
    // The globals are the arena's own bytes at dataOffset: one memory, two views.
    obj.variables.nodes.set(5n);
    expect(new DataView(arena.bytes.buffer, arena.bytes.byteOffset + arena.dataOffset, 8).getBigInt64(0, true)).toBe(5n);
    obj.variables.nodes.set(0n);
    for (let i = 0; i < 3; i++) expect(obj.programs.grow.testRun().retval).toBe(0);
    const nodes = walk(obj);
    expect(nodes.map(([, v]) => v)).toEqual([300n, 200n, 100n]);
    const offsets = nodes.map(([o]) => o);
    for (const o of offsets) {
      expect(o % PAGE).toBe(0);
      expect(Math.floor(o / PAGE)).not.toBe(Math.floor(arena.dataOffset / PAGE));
    }
    expect(new Set(offsets).size).toBe(3);
    // The pointer is the node's address in this process.
    expect(BigInt(offsets[0]) + arena.address).toBe(obj.variables.head.get());
    // What the process writes there, the program's next node points to.
    new DataView(arena.bytes.buffer).setBigInt64(arena.bytes.byteOffset + offsets[0], 42n, true);
    obj.programs.grow.testRun();
    expect(walk(obj).map(([, v]) => v)).toEqual([400n, 42n, 200n, 100n]);
  });

  itPriv("pointers outside the arena are refused; close() leaves a kept view reading zeros", {}, () => {
    const obj = Collection.load(ALLOC);
    const arena = obj.arena!;
    obj.programs.grow.testRun();
    const bytes = arena.bytes;
    const node = arena.offsetOf(obj.variables.head.get() as bigint);
    expect(bytes[node]).toBe(100);
    expect(thrown(() => arena.offsetOf(0n), RangeError).message).toMatch(/pointer 0x0 is outside the arena \[0x[0-9a-f]+, \+65536\)/);
    expect(() => arena.offsetOf(arena.address + BigInt(arena.size))).toThrow(RangeError);
    expect(arena.offsetOf(Number(arena.address))).toBe(0);
    expect(() => arena.offsetOf("0x10" as unknown as bigint)).toThrow(TypeError);
    obj.close();
    expect(bytes[node]).toBe(0);
    expect(bytes[arena.dataOffset + 8]).toBe(0);
  });

  itPriv("an object without an arena has none; one with BPF_F_SEGV_ON_FAULT has no view", {}, () => {
    using plain = Collection.load(new URL("../fixtures/elf/progs.el.o", import.meta.url).pathname);
    expect(plain.arena).toBeUndefined();
    const spec = CollectionSpec.fromFile(ALLOC);
    spec.maps.arena.flags |= MapCreateFlags.segv_on_fault;
    spec.maps.arena.contents = undefined;
    spec.maps.arena.variables = [];
    for (const name of Object.keys(spec.variables)) delete spec.variables[name];
    using obj = Collection.load(spec, { programs: [] });
    expect(obj.arena!.size).toBe(16 * PAGE);
    expect(thrown(() => obj.arena!.bytes, TypeError).message).toMatch(/BPF_F_SEGV_ON_FAULT: a page no program has allocated would kill the process/);
  });

  itPriv("a 4 GiB arena is viewed whole, its globals at its last page where the kernel allows it", {}, () => {
    const spec = CollectionSpec.fromFile(ALLOC);
    spec.maps.arena.maxEntries = 1 << 20;
    using obj = Collection.load(spec);
    const arena = obj.arena!;
    expect(arena.bytes.length).toBe(2 ** 32);
    expect(arena.dataOffset).toBe(haveLdimm64FullRange() ? 2 ** 32 - PAGE : 0);
    expect(obj.programs.grow.testRun().retval).toBe(0);
    expect(obj.variables.nodes.get()).toBe(1n);
    expect(walk(obj).map(([, v]) => v)).toEqual([100n]);
  });
});
