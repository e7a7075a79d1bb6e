// CO-RE relocation against clang-19's fixtures (test/fixtures/core/*.bpf.c, both byte orders):
// against the program's own BTF nothing changes; against the -DTARGET build every offset, size,
// shift, id and value is the number the C layout gives (worked out in the .bpf.c comments);
// candidates that disagree are an error naming the relocation; relocations with no target are
// poisoned as libbpf poisons them; the host's vmlinux agrees with Btf.offsetOf/sizeof; module
// BTFs are searched only when vmlinux has no candidate; the type rules one by one on built BTF;
// and fuzzing: random access strings and mutated records give only CoreErrors.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  applyCoreRelos, Btf, BtfBuilder, CORE_POISON_IMM, coreEssentialName, CoreError, type CoreReloInput, coreRelosFromExt, type CoreResult,
  coreTypesAreCompat, coreTypesMatch, ElfFile, MapType, parseBtfExt,
} from "../../mod.ts";
import { itIf } from "../helpers/tools.ts";
import { xorshift } from "../helpers/random.ts";

const dir = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "fixtures", "core");
type Order = "el" | "eb";
const ORDERS: Order[] = ["el", "eb"];

interface Obj {
  elf: ElfFile;
  btf: Btf;
  relos: Map<string, CoreReloInput[]>;
}
const objs = new Map<string, Obj>();
function obj(file: string): Obj {
  let o = objs.get(file);
  if (!o) {
    const elf = ElfFile.parse(new Uint8Array(readFileSync(join(dir, file))));
    const btf = Btf.parse(elf.data(elf.section(".BTF")!));
    const extSec = elf.section(".BTF.ext");
    const ext = extSec ? parseBtfExt(elf.data(extSec), btf) : undefined;
    const relos = new Map([...(ext?.coreRelos ?? [])].map(([s, r]) => [s, coreRelosFromExt(r)]));
    objs.set(file, (o = { elf, btf, relos }));
  }
  return o;
}
const program = (name: string, order: Order) => obj(`${name}.${order}.o`);
const target = (name: string, order: Order) => obj(`${name}.target.${order}.o`).btf;
const code = (o: Obj, sec: string) => o.elf.data(o.elf.section(sec)!).slice();

function relocate(name: string, order: Order, sec: string, targets?: Btf[]): { before: Uint8Array; after: Uint8Array; res: CoreResult[] } {
  const o = program(name, order);
  const before = code(o, sec), after = before.slice();
  const res = applyCoreRelos(after, o.relos.get(sec)!, o.btf, targets ?? [target(name, order)], { section: sec });
  return { before, after, res };
}

// [kind, access, local, target], target "poison" for a poisoned instruction.
type Row = [string, string, bigint | number, bigint | number | "poison"];
const rows = (res: CoreResult[]): Row[] => res.map((r) => [r.kindName, r.access, r.localValue, r.poisoned ? "poison" : r.targetValue!]);
const big = (r: Row[]): Row[] => r.map(([k, a, l, t]) => [k, a, BigInt.asUintN(64, BigInt(l)), t === "poison" ? t : BigInt.asUintN(64, BigInt(t))]);

function slot(insns: Uint8Array, i: number, little: boolean): { code: number; off: number; imm: number } {
  const dv = new DataView(insns.buffer, insns.byteOffset + i * 8, 8);
  return { code: dv.getUint8(0), off: dv.getInt16(2, little), imm: dv.getInt32(4, little) };
}

const FIXTURES = ["fields", "types", "flavours", "enums", "ambiguous", "kernel"];

describe("CO-RE against the program's own BTF", () => {
  for (const name of FIXTURES) {
    for (const order of ORDERS) {
      it(`${name}.${order}.o: every relocation resolves to the value it was compiled with`, () => {
        const o = program(name, order);
        expect(o.relos.size).toBeGreaterThan(0);
        for (const sec of o.relos.keys()) {
          const { before, after, res } = relocate(name, order, sec, [o.btf]);
          const changed: number[] = [];
          for (const r of res) {
            expect(r.poisoned, `${sec} ${r.spec}`).toBe(false);
            expect(r.targetValue, `${sec} ${r.spec}`).toBe(r.localValue);
            if (r.kindName !== "local_type_id") expect(r.matched, r.spec).toBe(1);
          }
          for (let i = 0; i < before.length; i += 8) if (before.subarray(i, i + 8).some((b, k) => b !== after[i + k])) changed.push(i / 8);
          // clang sizes a bitfield's load at 8 bytes where libbpf picks the smallest that holds
          // it (4 here), and libbpf does not check bitfield offsets or sizes: those move.
          if (name === "fields" && sec === "raw_tp/bitfields") {
            expect(changed).toEqual(order === "el" ? [3, 26] : [3, 18, 26, 41]);
            expect(res.filter((r) => r.kindName === "byte_sz").map((r) => r.localValue)).toEqual([4n, 4n]);
            expect(slot(after, 3, order === "el").imm).toBe(4);
          } else expect(changed, sec).toEqual([]);
        }
      });
    }
  }
});

describe("CO-RE against the -DTARGET BTF", () => {
  for (const order of ORDERS) {
    const little = order === "el";
    it(`fields.${order}: loads move, grow (LDX W -> DW for an unsigned int), through anonymous members and arrays`, () => {
      const { after, res } = relocate("fields", order, "raw_tp/reads");
      expect(rows(res)).toEqual(big([
        ["byte_off", "0:0", 0, 0], ["byte_off", "0:1", 4, 16], ["byte_off", "0:2", 8, 24], ["byte_off", "0:3:2", 20, 36],
        ["byte_off", "0:4:1:1", 30, 60], ["byte_off", "0:5:1", 36, 80], ["byte_off", "0:6:1:1", 52, 120], ["byte_off", "0:12", 72, 144],
      ]));
      expect(res[1].sizes).toEqual({ local: 4, target: 8 });
      expect(res.filter((r) => r.sizes).length).toBe(1);
      // insn 1: r0 = *(u32 *)(r1 + 4) becomes r0 = *(u64 *)(r1 + 16).
      expect(slot(after, 1, little)).toMatchObject({ code: 0x79, off: 16 });
      expect(slot(after, 17, little)).toMatchObject({ code: 0x79, off: 144 });
      expect(res[4].spec).toBe("<byte_off> [5] struct fld.hi (0:4:1:1 @ offset 30)");
      expect(res[4].target!.spec).toMatch(/^<byte_off> \[\d+\] struct fld\.hi \(0:\d+:1:0 @ offset 60\)$/);
    });

    it(`fields.${order}: offsets, sizes, existence and signedness as values`, () => {
      const { after, res } = relocate("fields", order, "raw_tp/info");
      expect(rows(res)).toEqual(big([
        ["byte_off", "0:1", 4, 16], ["byte_sz", "0:1", 4, 8], ["byte_off", "0:3:2", 20, 36], ["byte_sz", "0:3", 16, 32],
        ["byte_off", "0:4:1:1", 30, 60], ["byte_off", "1:0", 80, 152], ["field_exists", "0:11", 1, 0], ["field_exists", "0:9", 1, 1],
        ["byte_sz", "0:10", 4, 8], ["signed", "0:9", 1, 0], ["byte_sz", "0:5", 8, 20],
      ]));
      expect(res.every((r) => r.sizes === undefined)).toBe(true);
      expect(slot(after, 13, little)).toMatchObject({ code: 0xb7, imm: 152 });
    });

    it(`fields.${order}: bitfields that move and widen`, () => {
      const { res } = relocate("fields", order, "raw_tp/bitfields");
      // bf_u: bits 448+3 -> 996+6; bf_s: 451+5 -> 1002+5; each in the u32 at 56 -> 124. Left
      // shifts: little-endian 64 - (end bit - load start); big-endian (8 - 4) * 8 + (bit - load start).
      const lsh = little ? [61, 54, 56, 49] : [32, 36, 35, 42];
      expect(rows(res)).toEqual(big([
        ["byte_off", "0:7", 56, 124], ["byte_sz", "0:7", 4, 4], ["lshift_u64", "0:7", lsh[0], lsh[1]], ["signed", "0:7", 0, 0],
        ["rshift_u64", "0:7", 61, 58], ["rshift_u64", "0:7", 61, 58],
        ["byte_off", "0:8", 56, 124], ["byte_sz", "0:8", 4, 4], ["lshift_u64", "0:8", lsh[2], lsh[3]], ["signed", "0:8", 1, 1],
        ["rshift_u64", "0:8", 59, 59], ["rshift_u64", "0:8", 59, 59],
      ]));
    });

    it(`fields.${order}: a read of a vanished field behind bpf_core_field_exists is poisoned, the guard becomes 0`, () => {
      const { after, res } = relocate("fields", order, "raw_tp/guarded");
      expect(rows(res)).toEqual(big([["field_exists", "0:11", 1, 0], ["byte_off", "0:11", 68, "poison"]]));
      expect(res[1].reason).toMatch(/in no candidate/);
      expect(res[1].matched).toBe(0);
      expect(slot(after, 2, little)).toMatchObject({ code: 0xb7, imm: 0 });
      expect(slot(after, 4, little)).toEqual({ code: 0x85, off: 0, imm: CORE_POISON_IMM });
      expect(after[4 * 8 + 1]).toBe(0);
    });

    it(`fields.${order}: a signed int that grows under a load is poisoned (libbpf: "accesses field incorrectly")`, () => {
      const { after, res } = relocate("fields", order, "raw_tp/bad_size");
      expect(rows(res)).toEqual(big([["byte_off", "0:10", 64, "poison"]]));
      expect(res[0].reason).toMatch(/4-byte field is 8 bytes .* only pointers and unsigned integers/);
      expect(res[0].matched).toBe(1);
      expect(slot(after, 0, little)).toEqual({ code: 0x85, off: 0, imm: CORE_POISON_IMM });
    });

    it(`types.${order}: type ids, existence, sizes and matches`, () => {
      const t = target("types", order), local = program("types", order).btf;
      const tid = (n: string, k: "struct" | "typedef") => t.find(n, k)!.id;
      const lid = (n: string, k: "struct" | "union") => local.find(n, k)!.id;
      const ids = relocate("types", order, "raw_tp/ids").res;
      expect(rows(ids)).toEqual(big([
        ["local_type_id", "0", lid("tp", "struct"), lid("tp", "struct")], ["target_type_id", "0", lid("tp", "struct"), tid("tp", "struct")],
        ["target_type_id", "0", local.find("tp_t", "typedef")!.id, tid("tp_t", "typedef")], ["local_type_id", "0", lid("un", "union"), lid("un", "union")],
      ]));
      expect(ids[1].target!.btf).toBe(t);
      expect(rows(relocate("types", order, "raw_tp/exists").res)).toEqual(big([
        ["type_exists", "0", 1, 1], ["type_exists", "0", 1, 0], ["type_exists", "0", 1, 1], ["type_exists", "0", 1, 1], ["type_exists", "0", 1, 1],
      ]));
      expect(rows(relocate("types", order, "raw_tp/sizes").res)).toEqual(big([
        ["type_size", "0", 16, 24], ["type_size", "0", 8, 12], ["type_size", "0", 16, 24], ["type_size", "0", 4, 4],
      ]));
      // tpm: reordered plus a member: matches; tpx: a's signedness differs; missing: absent.
      expect(rows(relocate("types", order, "raw_tp/matches").res)).toEqual(big([
        ["type_matches", "0", 1, 1], ["type_matches", "0", 1, 0], ["type_matches", "0", 1, 1], ["type_matches", "0", 1, 0], ["type_matches", "0", 1, 1],
      ]));
      // Type relocations of a type the target lacks give 0, never poison.
      expect(rows(relocate("types", order, "raw_tp/missing_size").res)).toEqual(big([["type_exists", "0", 1, 0], ["type_size", "0", 4, 0]]));
    });

    it(`flavours.${order}: X___Y relocates against X`, () => {
      const t = target("flavours", order);
      const a = relocate("flavours", order, "raw_tp/flavoured_type").res;
      expect(rows(a)).toEqual(big([["type_exists", "0", 1, 1], ["type_size", "0", 16, 32], ["byte_off", "0:1", 8, 16]]));
      expect(a[2].target!.id).toBe(t.find("tp", "struct")!.id);
      const b = relocate("flavours", order, "raw_tp/renamed");
      expect(rows(b.res)).toEqual(big([["field_exists", "0:0", 1, 0], ["byte_off", "0:0", 0, "poison"], ["byte_off", "0:0", 0, 8]]));
      expect(b.res[2].target!.spec).toMatch(/struct flav\.old/);
      expect(slot(b.after, 2, little).imm).toBe(CORE_POISON_IMM);
      expect(slot(b.after, 4, little)).toMatchObject({ code: 0xb7, imm: 8 });
    });

    it(`enums.${order}: 32- and 64-bit values through ld_imm64, signed, moved, vanished, flavoured`, () => {
      const v = relocate("enums", order, "raw_tp/values");
      expect(rows(v.res)).toEqual(big([
        ["enumval_value", "0", 1, 10], ["enumval_value", "1", 2, 20], ["enumval_exists", "2", 1, 0], ["enumval_exists", "1", 1, 1],
        ["enumval_value", "0", 4, -7],
      ]));
      const w = relocate("enums", order, "raw_tp/values64");
      expect(rows(w.res)).toEqual(big([
        ["enumval_value", "1", 0x1ffffffffn, 0xccccccccddddddddn], ["enumval_value", "0", 1, 7],
        ["enumval_value", "0", -0x7bbbbbbbbn, -0x7bbbbbbbn - 0x100000000n], ["enumval_value", "0", 0x80000000, 0x90000000],
      ]));
      // ld_imm64's halves: low 32 bits in the first, high in the second.
      expect([slot(w.after, 0, little).imm >>> 0, slot(w.after, 1, little).imm >>> 0]).toEqual([0xdddddddd, 0xcccccccc]);
      const g = relocate("enums", order, "raw_tp/guarded");
      expect(rows(g.res)).toEqual(big([["enumval_exists", "2", 1, 0], ["enumval_value", "2", -3, "poison"]]));
      // Both halves of the ld_imm64 at 4 become the poison call.
      expect([slot(g.after, 4, little), slot(g.after, 5, little)]).toEqual([{ code: 0x85, off: 0, imm: CORE_POISON_IMM }, { code: 0x85, off: 0, imm: CORE_POISON_IMM }]);
    });

    it(`ambiguous.${order}: candidates that disagree are a CoreError naming the relocation, and nothing is patched`, () => {
      expect(rows(relocate("ambiguous", order, "raw_tp/amb_a").res)).toEqual(big([["byte_off", "0:0", 0, 0]]));
      expect(rows(relocate("ambiguous", order, "raw_tp/dup_x").res)).toEqual(big([["byte_off", "0:0", 0, 0]]));
      for (const [sec, bits] of [["raw_tp/amb_b", /bit 64.* at bit 32/], ["raw_tp/dup_y", /bit (32|256).* at bit (256|32)/]] as const) {
        const o = program("ambiguous", order);
        const insns = code(o, sec), copy = insns.slice();
        let err: unknown;
        try {
          applyCoreRelos(insns, o.relos.get(sec)!, o.btf, [target("ambiguous", order)], { section: sec });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(CoreError);
        const ce = err as CoreError;
        const type = sec === "raw_tp/amb_b" ? "struct amb" : "struct dup";
        expect(ce.message).toMatch(new RegExp(`^CO-RE relocation #0 \\(section "${sec}", insn #0\\) <byte_off> \\[\\d+\\] ${type} access "0:1": field offset ambiguity`));
        expect(ce.message).toMatch(bits);
        expect(ce.relocation).toMatchObject({ section: sec, insn: 0, kind: 0, kindName: "byte_off", access: "0:1", localType: type });
        expect(insns).toEqual(copy);
      }
    });

    it(`ambiguous.${order}: as in libbpf, a relocation that matched narrows the candidates later ones see`, () => {
      // dup_x matches only the file-scope dup, so dup_y, after it and sharing the cache, is not ambiguous.
      const o = program("ambiguous", order), t = target("ambiguous", order);
      const cache = new Map();
      const x = applyCoreRelos(code(o, "raw_tp/dup_x"), o.relos.get("raw_tp/dup_x")!, o.btf, [t], { cache });
      const y = applyCoreRelos(code(o, "raw_tp/dup_y"), o.relos.get("raw_tp/dup_y")!, o.btf, [t], { cache });
      expect([x[0].targetValue, y[0].targetValue]).toEqual([0n, 4n]);
      expect(y[0].matched).toBe(1);
    });
  }
});

const vmlinux = "/sys/kernel/btf/vmlinux";
describe("CO-RE against the running kernel", () => {
  itIf(existsSync(vmlinux) ? undefined : `needs ${vmlinux} (CONFIG_DEBUG_INFO_BTF)`, "kernel.el.o: task_struct accesses agree with Btf.kernel().offsetOf and sizeof", () => {
    const k = Btf.kernel();
    const t0 = performance.now();
    const task = relocate("kernel", "el", "raw_tp/task", [k]);
    const ms = performance.now() - t0;
    const task_struct = k.find("task_struct", "struct")!;
    const off = (p: string) => BigInt(k.offsetOf(task_struct, p).bitOffset / 8);
    expect(rows(task.res)).toEqual([
      ["byte_off", "0:3", 24n, off("real_parent")], ["byte_off", "0:0", 0n, off("pid")], ["byte_off", "0:0", 0n, off("pid")],
      ["byte_off", "0:1", 4n, off("tgid")], ["byte_off", "0:2:1", 9n, off("comm") + 1n], ["type_size", "0", 40n, BigInt(k.sizeof(task_struct))],
      ["byte_sz", "0:2", 16n, BigInt(k.sizeof(k.offsetOf(task_struct, "comm").type))],
    ]);
    // Identity, not toEqual: a deep compare would walk all of vmlinux.
    expect(task.res[0].target!.btf === k).toBe(true);
    expect(task.res[0].target!.id).toBe(task_struct.id);
    expect(slot(task.after, 16, true).off).toBe(Number(off("pid")));
    const missing = relocate("kernel", "el", "raw_tp/missing", [k]);
    expect(rows(missing.res)).toEqual([
      ["field_exists", "0:4", 1n, 0n], ["byte_off", "0:4", 32n, "poison"], ["enumval_value", "0", 1n, BigInt(MapType.ringbuf)], ["enumval_exists", "1", 1n, 0n],
    ]);
    console.log(`CO-RE: first relocation against vmlinux (${k.count} types, candidate index built) took ${ms.toFixed(1)} ms`);
  });
});

describe("CO-RE candidates: vmlinux first, modules only for what it lacks", () => {
  // A "module": split BTF over the fields target, with its own struct inner (y at 8) and a
  // struct only it has.
  function moduleOver(base: Btf): Btf {
    const b = new BtfBuilder({ base });
    const int = base.find("int", "int")!.id;
    b.addStruct("inner", 12, [{ name: "x", type: int, bitOffset: 0 }, { name: "pad", type: int, bitOffset: 32 }, { name: "y", type: int, bitOffset: 64 }]);
    b.addStruct("fld", 8, [{ name: "a", type: int, bitOffset: 32 }, { name: "b", type: int, bitOffset: 0 }]);
    return Btf.parse(b.marshal(), { base });
  }
  const o = program("fields", "el");
  const innerY: CoreReloInput = { insn: 0, typeId: o.btf.find("inner", "struct")!.id, access: "0:1", kind: 0 };
  const fldA: CoreReloInput = { insn: 1, typeId: o.btf.find("fld", "struct")!.id, access: "0:0", kind: 0 };
  const innerExists: CoreReloInput = { insn: 2, typeId: innerY.typeId, access: "0", kind: 8 };
  const innerYExists: CoreReloInput = { insn: 2, typeId: innerY.typeId, access: "0:1", kind: 2 };
  // r0 = 4 (inner.y's local offset); r0 = 0 (fld.a's); r0 = 1 (existence)
  const insns = () => new Uint8Array([0xb7, 0, 0, 0, 4, 0, 0, 0, 0xb7, 0, 0, 0, 0, 0, 0, 0, 0xb7, 0, 0, 0, 1, 0, 0, 0]);
  const where = (res: CoreResult[], ...btfs: Btf[]) => res.map((r) => [r.targetValue, r.matched, r.target ? btfs.indexOf(r.target.btf) : undefined]);

  it("a type vmlinux has resolves there, whatever the modules hold", () => {
    const vm = target("fields", "el"), mod = moduleOver(vm);
    const res = applyCoreRelos(insns(), [innerY, fldA], o.btf, [vm, mod]);
    expect(where(res, vm, mod)).toEqual([[16n, 1, 0], [0n, 1, 0]]);
  });

  it("a type vmlinux lacks resolves in a module, with the module's split type id", () => {
    const vm = target("types", "el"), mod = moduleOver(vm);
    const i = insns();
    const res = applyCoreRelos(i, [innerY, fldA, innerExists], o.btf, [vm, mod]);
    expect(where(res, vm, mod)).toEqual([[8n, 1, 1], [4n, 1, 1], [1n, 1, 1]]);
    expect(res[0].target!.id).toBeGreaterThanOrEqual(vm.count);
    expect(res[0].target!.id).toBe(mod.find("inner", "struct")!.id);
    expect(slot(i, 0, true).imm).toBe(8);
    // Without the module nothing matches: the field is poisoned, existence is 0.
    const none = applyCoreRelos(insns(), [innerY, innerYExists], o.btf, [vm]);
    expect(none.map((r) => [r.poisoned, r.targetValue])).toEqual([[true, undefined], [false, 0n]]);
  });

  it("no targets at all: everything poisons or reports absence", () => {
    const res = applyCoreRelos(insns(), [innerY, innerExists], o.btf, []);
    expect(res.map((r) => [r.poisoned, r.targetValue])).toEqual([[true, undefined], [false, 0n]]);
  });
});

describe("CO-RE rules on built BTF", () => {
  it("essential names cut at the last X___Y", () => {
    expect(["foo___v2", "a___b___c", "foo___", "foo____x", "___x", "_", "x___y_", "task_struct___2", "foo_____bar", ""].map(coreEssentialName))
      .toEqual(["foo", "a___b", "foo___", "foo____x", "___x", "_", "x", "task_struct", "foo_____bar", ""]);
  });

  function two(): [BtfBuilder, BtfBuilder] {
    return [new BtfBuilder(), new BtfBuilder()];
  }

  it("types_match: ints by size and sign, enums by names and size (ENUM ~ ENUM64), fwds behind pointers, arrays by length", () => {
    const [l, t] = two();
    const li = l.addInt("int", 4, { signed: true }), lu = l.addInt("unsigned int", 4);
    const ti = t.addInt("int", 4, { signed: true }), tu = t.addInt("unsigned int", 4), tl = t.addInt("long", 8, { signed: true });
    const le = l.addEnum("e", [{ name: "A", value: 1 }, { name: "B___old", value: 2 }]);
    const te = t.addEnum("e", [{ name: "B", value: 7 }, { name: "C", value: 8 }, { name: "A", value: 9 }]);
    const te64 = t.addEnum64("e", [{ name: "A", value: 1n }, { name: "B", value: 2n }], { size: 4 });
    const lsp = l.addPtr(l.addStruct("s", 4, [{ name: "i", type: li, bitOffset: 0 }]));
    const tfp = t.addPtr(t.addFwd("s"));
    const tup = t.addPtr(t.addFwd("s", "union"));
    const la = l.addArray(li, li, 4), ta4 = t.addArray(ti, ti, 4), ta5 = t.addArray(ti, ti, 5);
    const L = l.build(), T = t.build();
    expect(coreTypesMatch(L, li, T, ti)).toBe(true);
    expect(coreTypesMatch(L, li, T, tu)).toBe(false);
    expect(coreTypesMatch(L, lu, T, tu)).toBe(true);
    expect(coreTypesMatch(L, li, T, tl)).toBe(false);
    expect(coreTypesMatch(L, le, T, te)).toBe(true);
    expect(coreTypesMatch(L, le, T, te64)).toBe(true);
    expect(coreTypesMatch(L, lsp, T, tfp)).toBe(true);
    expect(coreTypesMatch(L, lsp, T, tup)).toBe(false);
    expect(coreTypesMatch(L, la, T, ta4)).toBe(true);
    expect(coreTypesMatch(L, la, T, ta5)).toBe(false);
    // Compatibility is looser: ints of any size, arrays of any length.
    expect(coreTypesAreCompat(L, li, T, tl)).toBe(true);
    expect(coreTypesAreCompat(L, la, T, ta5)).toBe(true);
    expect(coreTypesAreCompat(L, lsp, T, tfp)).toBe(false);
  });

  it("types_match and compatibility of function prototypes: arity and each parameter", () => {
    const [l, t] = two();
    const li = l.addInt("int", 4, { signed: true }), ti = t.addInt("int", 4, { signed: true }), tc = t.addInt("char", 1, { signed: true });
    const lp = l.addFuncProto(li, [{ name: "a", type: li }]);
    const tp1 = t.addFuncProto(ti, [{ name: "x", type: ti }]), tp2 = t.addFuncProto(ti, [{ name: "x", type: ti }, { name: "y", type: ti }]);
    const tpc = t.addFuncProto(ti, [{ name: "x", type: tc }]);
    const L = l.build(), T = t.build();
    expect([coreTypesMatch(L, lp, T, tp1), coreTypesMatch(L, lp, T, tp2), coreTypesMatch(L, lp, T, tpc)]).toEqual([true, false, false]);
    expect([coreTypesAreCompat(L, lp, T, tp1), coreTypesAreCompat(L, lp, T, tp2), coreTypesAreCompat(L, lp, T, tpc)]).toEqual([true, false, true]);
  });

  it("a field of an incompatible kind is not a match, and anonymous local types are refused", () => {
    const [l, t] = two();
    const li = l.addInt("int", 4, { signed: true }), ti = t.addInt("int", 4, { signed: true });
    const ls = l.addStruct("s", 8, [{ name: "a", type: li, bitOffset: 0 }, { name: "p", type: l.addPtr(li), bitOffset: 32 }]);
    const anon = l.addStruct("", 4, [{ name: "a", type: li, bitOffset: 0 }]);
    t.addStruct("s", 8, [{ name: "a", type: t.addPtr(ti), bitOffset: 0 }, { name: "p", type: t.addPtr(ti), bitOffset: 64 }]);
    const L = l.build(), T = t.build();
    const i = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0xb7, 0, 0, 0, 4, 0, 0, 0]);
    const res = applyCoreRelos(i, [{ insn: 0, typeId: ls, access: "0:0", kind: 0 }, { insn: 1, typeId: ls, access: "0:1", kind: 0 }], L, [T]);
    expect(res.map((r) => [r.poisoned, r.targetValue])).toEqual([[true, undefined], [false, 8n]]);
    expect(() => applyCoreRelos(i, [{ insn: 0, typeId: anon, access: "0:0", kind: 0 }], L, [T])).toThrow(/anonymous types/);
  });
});

describe("CO-RE instruction checks", () => {
  const o = program("fields", "el");
  const fld = o.btf.find("fld", "struct")!.id;
  const b = (id: number, access: string, kind = 0): CoreReloInput => ({ insn: 0, typeId: id, access, kind });
  const t = target("fields", "el");
  const run = (bytes: number[], relo: CoreReloInput) => applyCoreRelos(new Uint8Array(bytes), [relo], o.btf, [t], { section: "s" });
  it.each([
    ["an ALU with a register source", [0xbf, 0x10, 0, 0, 4, 0, 0, 0], b(fld, "0:1"), /takes a register/],
    ["an immediate that is not the local value", [0xb7, 0, 0, 0, 5, 0, 0, 0], b(fld, "0:1"), /holds 5, expected 4 \(-> 16\)/],
    ["a load offset that is not the local value", [0x61, 0x10, 3, 0, 0, 0, 0, 0], b(fld, "0:1"), /has offset 3, expected 4/],
    ["a load of the wrong size for a resized field", [0x69, 0x10, 4, 0, 0, 0, 0, 0], b(fld, "0:1"), /accesses 2 bytes, expected 4/],
    ["a jump", [0x05, 0, 4, 0, 0, 0, 0, 0], b(fld, "0:1"), /no class CO-RE patches/],
    ["an ld_imm64 with a pseudo source", [0x18, 0x10, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], b(fld, "0:1"), /not a plain ld_imm64/],
    ["an ld_imm64 cut in half", [0x18, 0, 0, 0, 4, 0, 0, 0], b(fld, "0:1"), /has no second half/],
    ["an instruction past the end", [0xb7, 0, 0, 0, 4, 0, 0, 0], { ...b(fld, "0:1"), insn: 1 }, /outside the program's 1 instructions/],
  ] as const)("refuses %s", (_, bytes, relo, message) => {
    expect(() => run([...bytes], relo)).toThrow(CoreError);
    expect(() => run([...bytes], relo)).toThrow(message);
  });

  it("an offset past SHRT_MAX is ERANGE", () => {
    const bb = new BtfBuilder(), lb = new BtfBuilder();
    const ti = bb.addInt("int", 4, { signed: true }), li = lb.addInt("int", 4, { signed: true });
    bb.addStruct("big", 40004, [{ name: "a", type: ti, bitOffset: 40000 * 8 }]);
    const ls = lb.addStruct("big", 4, [{ name: "a", type: li, bitOffset: 0 }]);
    expect(() => applyCoreRelos(new Uint8Array([0x61, 0x10, 0, 0, 0, 0, 0, 0]), [b(ls, "0:0")], lb.build(), [bb.build()])).toThrow(/offset 40000 is past SHRT_MAX/);
    // The same value as an ALU immediate is fine.
    const r = applyCoreRelos(new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0]), [b(ls, "0:0")], lb.build(), [bb.build()]);
    expect(r[0].targetValue).toBe(40000n);
  });

  it("bad arguments are TypeErrors and RangeErrors", () => {
    expect(() => applyCoreRelos([] as unknown as Uint8Array, [], o.btf, [t])).toThrow(TypeError);
    expect(() => applyCoreRelos(new Uint8Array(7), [], o.btf, [t])).toThrow(RangeError);
    expect(() => applyCoreRelos(new Uint8Array(8), [], o.btf, [{} as Btf])).toThrow(TypeError);
    expect(() => applyCoreRelos(new Uint8Array(8), [], o.btf, [target("fields", "eb")])).toThrow(/byte order differs/);
  });
});


describe("CO-RE fuzz", () => {
  it("random access strings and mutated records give a CoreError or a result, never another exception", () => {
    const rnd = xorshift(2024);
    let ok = 0, bad = 0;
    const t0 = Date.now();
    for (const name of ["fields", "types", "enums", "flavours"]) {
      const o = program(name, "el"), t = target(name, "el");
      const all = [...o.relos.entries()];
      for (let i = 0; i < 1500; i++) {
        const [sec, relos] = all[rnd() % all.length];
        const base = relos[rnd() % relos.length];
        const relo = { ...base };
        switch (rnd() % 6) {
          case 0: relo.access = Array.from({ length: 1 + (rnd() % 6) }, () => String(rnd() % (rnd() % 2 ? 4 : 70))).join(":"); break;
          case 1: relo.access = ["", ":", "0:", "a", "-1", "0::1", " 1", "99999999999", "0".repeat(rnd() % 5), Array(70).fill("0").join(":")][rnd() % 10]; break;
          case 2: relo.typeId = rnd() % (o.btf.count + 3) - 1; break;
          case 3: relo.kind = rnd() % 15; break;
          case 4: relo.insn = rnd() % 60 - 2; break;
          default: relo.kind = rnd() % 13; relo.typeId = 1 + (rnd() % (o.btf.count - 1)); relo.access = `${rnd() % 2}:${rnd() % 9}`;
        }
        const insns = code(o, sec);
        try {
          const res = applyCoreRelos(insns, [relo], o.btf, rnd() % 3 ? [t] : [o.btf, t], { section: sec });
          expect(res).toHaveLength(1);
          ok++;
        } catch (e) {
          if (!(e instanceof CoreError)) throw new Error(`${JSON.stringify(relo)} in ${name} ${sec}: ${(e as Error).stack}`);
          expect(e.message).toMatch(/^CO-RE relocation #0 \(section ".*", insn #-?\d+\) <\w+> \[-?\d+\] .* access ".*": /);
          bad++;
        }
      }
    }
    console.log(`CO-RE fuzz: ${ok} applied, ${bad} CoreErrors`);
    expect(ok).toBeGreaterThan(200);
    expect(bad).toBeGreaterThan(200);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it("random instructions under valid relocations give a CoreError or a result", () => {
    const rnd = xorshift(77);
    const o = program("fields", "el"), t = target("fields", "el");
    const relos = [...o.relos.values()].flat().map((r) => ({ ...r, insn: 0 }));
    for (let i = 0; i < 3000; i++) {
      const insns = new Uint8Array(16);
      for (let j = 0; j < 16; j++) insns[j] = rnd() & 0xff;
      if (rnd() % 2) insns[0] = [0x61, 0x79, 0xb7, 0x07, 0x18, 0x63, 0x62, 0x0f][rnd() % 8];
      try {
        applyCoreRelos(insns, [relos[rnd() % relos.length]], o.btf, [t]);
      } catch (e) {
        if (!(e instanceof CoreError)) throw e;
      }
    }
  });
});
