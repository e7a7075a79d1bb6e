// .BTF.ext against clang-19's objects in both byte orders: func_info must name each function
// symbol at its offset, line_info must carry the very source line at its line number, CO-RE
// records the access strings the C implies; hand-built blocks for each header and record-size
// rule; and fuzzing: every malformed input is a BtfError naming its offset.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Btf, BtfError, type BtfExt, ElfFile, parseBtfExt, SymbolType } from "../../mod.ts";
import { itIf, toolMissing } from "../helpers/tools.ts";
import { assemble, swapOrder, Writer } from "./blob.ts";
import { xorshift } from "../helpers/random.ts";

const fixtures = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "fixtures");
const read = (p: string) => new Uint8Array(readFileSync(join(fixtures, p)));

function load(path: string): { elf: ElfFile; btf: Btf; ext: BtfExt; extBytes: Uint8Array } {
  const elf = ElfFile.parse(read(path));
  const btf = Btf.parse(elf.data(elf.section(".BTF")!));
  const extBytes = elf.data(elf.section(".BTF.ext")!);
  return { elf, btf, ext: parseBtfExt(extBytes, btf), extBytes };
}

describe(".BTF.ext of clang's objects", () => {
  for (const name of ["elf/reader", "elf/maps", "core/fields"]) {
    for (const order of ["el", "eb"]) {
      it(`${name}.${order}.o: func_info names the function symbols, line_info the source lines`, () => {
        const { elf, btf, ext } = load(`${name}.${order}.o`);
        const source = readFileSync(join(fixtures, `${name}.bpf.c`), "utf8").split("\n");
        expect(ext.funcInfoRecSize).toBe(8);
        expect(ext.lineInfoRecSize).toBe(16);
        const funcs = elf.symbols().filter((s) => s.type === SymbolType.func);
        expect(funcs.length).toBeGreaterThan(0);
        const seen = new Set<string>();
        for (const [sec, infos] of ext.funcInfo) {
          const shndx = elf.section(sec)!.index;
          for (const fi of infos) {
            const fn = btf.typeById(fi.typeId);
            expect(fn.kind).toBe("func");
            const sym = funcs.find((s) => s.name === fn.name)!;
            expect(sym, fn.name).toBeDefined();
            expect([sym.shndx, sym.value]).toEqual([shndx, fi.insnOff]);
            seen.add(fn.name);
          }
        }
        expect([...seen].sort()).toEqual(funcs.map((s) => s.name).sort());
        let lines = 0;
        for (const [sec, infos] of ext.lineInfo) {
          const size = elf.section(sec)!.size;
          let last = -1;
          for (const li of infos) {
            expect(li.insnOff).toBeLessThan(size);
            expect(li.insnOff).toBeGreaterThanOrEqual(last);
            last = li.insnOff;
            expect(li.fileName.endsWith(`${name.split("/")[1]}.bpf.c`)).toBe(true);
            expect(li.line).toBe(source[li.lineNumber - 1]);
            expect(li.lineCol).toBe(li.lineNumber * 1024 + li.column);
            expect(li.column).toBeLessThanOrEqual(li.line.length + 1);
            lines++;
          }
        }
        expect(lines).toBeGreaterThan(3);
      });
    }
    it(`${name}: both byte orders give the same records`, () => {
      const el = load(`${name}.el.o`), eb = load(`${name}.eb.o`);
      expect(eb.ext).toEqual(el.ext);
    });
  }

  // llvm-objdump -dr prints each CO-RE record under its instruction:
  //   "0000000000000008:  CO-RE <byte_off> [5] struct fld::b (0:1)" (type-based ones have no access).
  const KINDS = ["byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64", "local_type_id", "target_type_id", "type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches"];
  function objdumpRelos(path: string): Map<string, [number, number, number, string | undefined][]> {
    const out = new Map<string, [number, number, number, string | undefined][]>();
    let sec = "";
    for (const line of execFileSync("llvm-objdump-19", ["-dr", path], { encoding: "utf8" }).split("\n")) {
      const s = /^Disassembly of section (.*):$/.exec(line);
      if (s) sec = s[1];
      const m = /^\s+([0-9a-f]+):\s+CO-RE <(\w+)> \[(\d+)\] (.*)$/.exec(line);
      if (!m) continue;
      const access = /\(([\d:]+)\)$/.exec(m[4])?.[1];
      if (!out.has(sec)) out.set(sec, []);
      out.get(sec)!.push([parseInt(m[1], 16), KINDS.indexOf(m[2]), Number(m[3]), access]);
    }
    return out;
  }
  const noObjdump = toolMissing("llvm-objdump-19", ["--version"], "llvm-19");
  for (const name of ["fields", "types", "flavours", "enums", "ambiguous", "kernel"]) {
    for (const order of ["el", "eb"]) {
      itIf(noObjdump, `core/${name}.${order}.o: CO-RE records as llvm-objdump-19 prints them`, () => {
        const path = join(fixtures, `core/${name}.${order}.o`);
        const { btf, ext } = load(`core/${name}.${order}.o`);
        expect(ext.coreReloRecSize).toBe(16);
        const want = objdumpRelos(path);
        expect([...ext.coreRelos.keys()].sort()).toEqual([...want.keys()].sort());
        for (const [sec, relos] of ext.coreRelos) {
          // Enum kinds print the enumerator, type kinds nothing: their access is the index / "0".
          expect(relos.map((r) => [r.insnOff, r.kind, r.typeId, r.kind >= 6 ? undefined : r.access])).toEqual(want.get(sec)!.map(([o, k, t, a]) => [o, k, t, k >= 6 ? undefined : a]));
          for (const r of relos) {
            expect(btf.strings.get(r.accessStrOff)).toBe(r.access);
            if (r.kind >= 6 && r.kind <= 9 || r.kind === 12) expect(r.access).toBe("0");
          }
        }
      });
    }
  }
});

// A small program BTF: [1] int, [2] func_proto, [3] func "f"; strings the blocks below use.
const w = new Writer();
const S = { sec: w.str("prog"), file: w.str("f.c"), line: w.str("int x;"), acc: w.str("0:1"), text: w.str(".text") };
w.type(w.str("int"), 1, 0, false, 4, 32).type(0, 13, 0, false, 1).type(w.str("f"), 12, 1, false, 2);
const btfLE = Btf.parse(assemble(w.sections()));

interface Block { rec: number; secs: [nameOff: number, records: number[][]][] }

// A .BTF.ext: header of hdrLen bytes, then the func, line and core blocks back to back.
function extBlob(hdrLen: number, blocks: { func?: Block; line?: Block; core?: Block }, little = true): Uint8Array {
  const words: number[] = [];
  const at: [number, number][] = [];
  for (const b of [blocks.func, blocks.line, blocks.core]) {
    const start = words.length * 4;
    if (b) {
      words.push(b.rec);
      for (const [name, recs] of b.secs) {
        words.push(name, recs.length);
        for (const r of recs) words.push(...r, ...new Array(b.rec / 4 - r.length).fill(0));
      }
    }
    at.push([start, words.length * 4 - start]);
  }
  const out = new Uint8Array(hdrLen + words.length * 4);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, little);
  out[2] = 1;
  dv.setUint32(4, hdrLen, little);
  const fields = [at[0][0], at[0][1], at[1][0], at[1][1], at[2][0], at[2][1]];
  for (let i = 0; i < fields.length && 8 + 4 * i + 4 <= hdrLen; i++) dv.setUint32(8 + 4 * i, fields[i], little);
  words.forEach((v, i) => dv.setUint32(hdrLen + 4 * i, v >>> 0, little));
  return out;
}

const FUNC: Block = { rec: 8, secs: [[S.sec, [[0, 3], [16, 3]]], [S.text, [[0, 3]]]] };
const LINE: Block = { rec: 16, secs: [[S.sec, [[0, S.file, S.line, 7 << 10 | 5]]]] };
const CORE: Block = { rec: 16, secs: [[S.sec, [[8, 1, S.acc, 0], [24, 3, S.acc, 12]]]] };

describe(".BTF.ext header and record rules", () => {
  it("reads every field of each record kind", () => {
    const ext = parseBtfExt(extBlob(32, { func: FUNC, line: LINE, core: CORE }), btfLE);
    expect(ext.funcInfo).toEqual(new Map([["prog", [{ insnOff: 0, typeId: 3 }, { insnOff: 16, typeId: 3 }]], [".text", [{ insnOff: 0, typeId: 3 }]]]));
    expect(ext.lineInfo.get("prog")).toEqual([{ insnOff: 0, fileNameOff: S.file, lineOff: S.line, lineCol: 7 << 10 | 5, fileName: "f.c", line: "int x;", lineNumber: 7, column: 5 }]);
    expect(ext.coreRelos.get("prog")).toEqual([{ insnOff: 8, typeId: 1, accessStrOff: S.acc, access: "0:1", kind: 0 }, { insnOff: 24, typeId: 3, accessStrOff: S.acc, access: "0:1", kind: 12 }]);
    expect([ext.funcInfoRecSize, ext.lineInfoRecSize, ext.coreReloRecSize]).toEqual([8, 16, 16]);
  });

  it("hdr_len 24 has no CO-RE block; a longer header from a newer compiler is skipped", () => {
    const short = parseBtfExt(extBlob(24, { func: FUNC, line: LINE }), btfLE);
    expect(short.coreRelos.size).toBe(0);
    expect(short.coreReloRecSize).toBe(0);
    expect(short.funcInfo.get("prog")).toHaveLength(2);
    const long = parseBtfExt(extBlob(40, { func: FUNC, core: CORE }), btfLE);
    expect(long.coreRelos.get("prog")).toHaveLength(2);
    expect(long.lineInfo.size).toBe(0);
  });

  it("records longer than known are read in the host's order and refused in the other", () => {
    const wide: Block = { rec: 24, secs: [[S.sec, [[0, S.file, S.line, 1 << 10], [8, S.file, S.line, 2 << 10]]]] };
    const ext = parseBtfExt(extBlob(32, { line: wide }), btfLE);
    expect(ext.lineInfo.get("prog")!.map((l) => [l.insnOff, l.lineNumber])).toEqual([[0, 1], [8, 2]]);
    expect(ext.lineInfoRecSize).toBe(24);
    // The same in big-endian, against a big-endian BTF (the host is little-endian).
    const be = Btf.parse(swapOrder(assemble(w.sections())));
    expect(be.little).toBe(false);
    expect(parseBtfExt(extBlob(32, { func: FUNC, line: LINE, core: CORE }, false), be)).toEqual(parseBtfExt(extBlob(32, { func: FUNC, line: LINE, core: CORE }), btfLE));
    expect(() => parseBtfExt(extBlob(32, { line: wide }, false), be)).toThrow(/line_info record_size 24, want 16 \(records of the other byte order\) \(at offset 32\)/);
  });

  const bad: [string, () => Uint8Array, RegExp][] = [
    ["short", () => new Uint8Array([0x9f, 0xeb, 1]), /shorter than the 8-byte header prefix \(at offset 0\)/],
    ["magic", () => set(extBlob(32, { func: FUNC }), 0, 0x1234, 2), /bad magic 0x1234.*\(at offset 0\)/],
    ["byte order", () => extBlob(32, { func: FUNC }, false), /byte order differs from the \.BTF's \(at offset 0\)/],
    ["version", () => bytes(extBlob(32, { func: FUNC }), 2, 2), /unsupported version 2, want 1 \(at offset 2\)/],
    ["flags", () => bytes(extBlob(32, { func: FUNC }), 3, 1), /unsupported flags 0x1 \(at offset 3\)/],
    ["hdr_len small", () => set(extBlob(32, { func: FUNC }), 4, 20), /hdr_len 20 is below the 24 bytes .*\(at offset 4\)/],
    ["hdr_len past end", () => set(extBlob(32, { func: FUNC }), 4, 1000), /hdr_len 1000 runs past the end .*\(at offset 4\)/],
    ["no data", () => extBlob(32, {}), /no data after the header \(at offset 4\)/],
    ["unaligned", () => set(extBlob(32, { func: FUNC }), 8, 2), /func_info offset 2 is not 4-byte aligned \(at offset 8\)/],
    ["block past end", () => set(extBlob(32, { func: FUNC }), 12, 400), /func_info \[32, 432\) runs past the end of the 76-byte section \(at offset 12\)/],
    ["no record_size", () => set(extBlob(32, { func: FUNC }), 12, 2), /func_info of 2 bytes has no record_size \(at offset 32\)/],
    ["record_size small", () => set(extBlob(32, { func: FUNC }), 32, 4), /func_info record_size 4, want a multiple of 4 in \[8, 256\] \(at offset 32\)/],
    ["record_size odd", () => set(extBlob(32, { core: CORE }), 32, 18), /core_relo record_size 18.*\(at offset 32\)/],
    ["record_size huge", () => set(extBlob(32, { core: CORE }), 32, 260), /core_relo record_size 260.*\(at offset 32\)/],
    ["only record_size", () => set(extBlob(32, { func: FUNC }), 12, 4), /func_info has no btf_ext_info_sec \(at offset 36\)/],
    ["short sec header", () => set(extBlob(32, { func: FUNC }), 12, 8), /func_info: 4 bytes left, short of a btf_ext_info_sec header \(at offset 36\)/],
    ["num_info 0", () => set(extBlob(32, { func: FUNC }), 40, 0), /func_info for section "prog" has num_info 0 \(at offset 40\)/],
    ["num_info big", () => set(extBlob(32, { func: FUNC }), 40, 9), /9 records of 8 bytes run past the block's end 76 \(at offset 40\)/],
    ["empty name", () => set(extBlob(32, { func: FUNC }), 36, 0), /func_info section name is empty \(at offset 36\)/],
    ["name past strings", () => set(extBlob(32, { func: FUNC }), 36, 999), /func_info sec_name_off offset 999 is past .*\(at offset 36\)/],
    ["insn_off unaligned", () => set(extBlob(32, { func: FUNC }), 52, 12), /insn_off 12 is not a multiple of the 8-byte instruction size \(at offset 52\)/],
    ["type_id range", () => set(extBlob(32, { func: FUNC }), 48, 4), /func_info type_id 4 is not in the BTF's 4 types|type_id 4 is not in the BTF's 4 types \(at offset 48\)/],
    ["not a func", () => set(extBlob(32, { func: FUNC }), 48, 1), /func_info type_id 1 is a int, not a func \(at offset 48\)/],
    ["line string", () => set(extBlob(32, { line: LINE }), 52, 999), /line_info line_off offset 999 .*\(at offset 52\)/],
    ["access string", () => set(extBlob(32, { core: CORE }), 52, 999), /core_relo access_str_off offset 999 .*\(at offset 52\)/],
  ];
  for (const [what, make, message] of bad) {
    it(`malformed: ${what}`, () => {
      const err = catchErr(() => parseBtfExt(make(), btfLE));
      expect(err).toBeInstanceOf(BtfError);
      expect((err as BtfError).offset).toBeTypeOf("number");
      expect((err as Error).message).toMatch(message);
    });
  }
  it("bad arguments are TypeErrors", () => {
    expect(() => parseBtfExt([1, 2] as unknown as Uint8Array, btfLE)).toThrow(TypeError);
  });
});


function check(b: Uint8Array, btf: Btf): boolean {
  try {
    const ext = parseBtfExt(b, btf);
    for (const infos of ext.funcInfo.values()) for (const fi of infos) expect(btf.typeById(fi.typeId).kind).toBe("func");
    return true;
  } catch (e) {
    if (!(e instanceof BtfError)) throw new Error(`non-BtfError on ${Array.from(b.subarray(0, 48)).join(",")}: ${e}`);
    expect(e.message).toMatch(/\(at offset \d+\)$/);
    return false;
  }
}

describe(".BTF.ext fuzz", () => {
  it("mutations of clang's .BTF.ext give a BtfError naming the offset, or records", () => {
    const rnd = xorshift(91);
    let ok = 0, bad = 0;
    for (const name of ["elf/reader.el.o", "elf/maps.eb.o", "core/fields.el.o"]) {
      const { btf, extBytes } = load(name);
      for (let i = 0; i < 1500; i++) {
        const b = extBytes.slice();
        const n = 1 + (rnd() % 3);
        let cut = b.length;
        for (let k = 0; k < n; k++) {
          const at = rnd() % b.length;
          switch (rnd() % 4) {
            case 0: b[at] ^= 1 << (rnd() % 8); break;
            case 1: b[at] = rnd() & 0xff; break;
            case 2: b[at] = [0, 0xff, 0x7f, 0x80][rnd() % 4]; break;
            default: cut = Math.min(cut, at);
          }
        }
        (check(b.subarray(0, cut), btf) ? ok++ : bad++);
      }
    }
    console.log(`ext fuzz: ${ok} mutants parsed, ${bad} rejected with a BtfError`);
    expect(ok).toBeGreaterThan(100);
    expect(bad).toBeGreaterThan(100);
  });

  it("random bytes behind a valid header prefix give only BtfErrors or records", () => {
    const rnd = xorshift(7);
    for (let i = 0; i < 3000; i++) {
      const b = new Uint8Array(rnd() % 160);
      for (let j = 0; j < b.length; j++) b[j] = rnd() % 3 ? rnd() % 40 : rnd() & 0xff;
      if (b.length >= 8 && rnd() % 4) b.set([0x9f, 0xeb, 1, 0, rnd() % 2 ? 24 : 32, 0, 0, 0]);
      check(b, btfLE);
    }
  });
});

function set(b: Uint8Array, at: number, v: number, size = 4): Uint8Array {
  const dv = new DataView(b.buffer, b.byteOffset);
  if (size === 2) dv.setUint16(at, v, true);
  else dv.setUint32(at, v, true);
  return b;
}
function bytes(b: Uint8Array, at: number, v: number): Uint8Array {
  b[at] = v;
  return b;
}
function catchErr(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}
