// The ELF reader against llvm-readelf-19's JSON output (sections, symbols, relocations) for the
// clang fixtures in both byte orders and for the system's libc; function offsets for uprobes
// against the section table; and fuzzing: random mutations give an ElfError or a parse, never
// another exception or a hang.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ElfError, ElfFile, functionOffset, isHiddenVisibility, SectionType, SymbolType, SymbolVisibility } from "../../src/elf/mod.ts";
import { itIf, toolMissing } from "../helpers/tools.ts";

const dir = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "fixtures", "elf");
const fixture = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";

const noReadelf = toolMissing("llvm-readelf-19", ["--version"], "llvm-19");

// deno-lint-ignore no-explicit-any
type Json = any;
const readelf = (file: string, ...args: string[]): Json =>
  JSON.parse(execFileSync("llvm-readelf-19", ["--elf-output-style=JSON", ...args, file], { encoding: "utf8", maxBuffer: 1 << 28 }))[0];

function sameAsReadelf(path: string): void {
  const elf = ElfFile.parse(new Uint8Array(readFileSync(path)));
  const j = readelf(path, "-S", "-s", "-r");
  expect(elf.sections.map((s) => [s.index, s.name, s.type, s.flags, Number(s.addr), s.offset, s.size, s.link, s.info, s.addralign, s.entsize])).toEqual(
    j.Sections.map(({ Section: s }: Json) => [s.Index, s.Name.Name, s.Type.Value, s.Flags.Value, s.Address, s.Offset, s.Size, s.Link, s.Info, s.AddressAlignment, s.EntrySize]),
  );
  const syms = elf.symbols();
  expect(syms.map((s) => [s.name, s.value, s.size, s.bind, s.type, s.shndx])).toEqual(
    j.Symbols.map(({ Symbol: s }: Json) => [s.Type.Value === SymbolType.section ? "" : s.Name.Name, s.Value, s.Size, s.Binding.Value, s.Type.Value, s.Section.Value]),
  );
  for (const r of j.Relocations ?? []) {
    const got = elf.relocations(elf.sectionAt(r.SectionIndex));
    expect(got.map((x) => [x.offset, x.type, x.symbol])).toEqual(r.Relocs.map(({ Relocation: x }: Json) => [x.Offset, x.Type.Value, x.Symbol.Value]));
  }
}

describe("ElfFile", () => {
  for (const order of ["el", "eb"]) {
    itIf(noReadelf, `reader.${order}.o: sections, symbols and relocations as llvm-readelf prints them`, () => sameAsReadelf(join(dir, `reader.${order}.o`)));
  }

  itIf(toolMissing("readelf", ["--version"], "binutils"), "symbol visibility as readelf's Vis column; STV_HIDDEN and STV_INTERNAL are the hidden ones (usdt.o's weak hidden subprograms)", () => {
    const path = join(dir, "../usdt/usdt.o");
    const elf = ElfFile.parse(new Uint8Array(readFileSync(path)));
    const vis = execFileSync("readelf", ["-sW", path], { encoding: "utf8" }).split("\n").filter((l) => /^\s+\d+:/.test(l)).map((l) => l.trim().split(/\s+/)[5]);
    const names = ["DEFAULT", "INTERNAL", "HIDDEN", "PROTECTED"];
    expect(elf.symbols().map((s) => names[s.visibility])).toEqual(vis);
    const hidden = elf.symbols().filter((s) => isHiddenVisibility(s.visibility)).map((s) => s.name);
    expect(hidden).toContain("bpf_usdt_arg");
    expect(hidden).toEqual(elf.symbols().filter((_, i) => vis[i] === "HIDDEN" || vis[i] === "INTERNAL").map((s) => s.name));
    expect([0, 1, 2, 3].map(isHiddenVisibility)).toEqual([false, true, true, false]);
    expect(SymbolVisibility.hidden).toBe(2);
  });

  it("reads both byte orders the same", () => {
    const el = ElfFile.parse(fixture("reader.el.o")), eb = ElfFile.parse(fixture("reader.eb.o"));
    expect([el.little, eb.little]).toEqual([true, false]);
    expect(eb.machine).toBe(247);
    const shape = (f: ElfFile) => ({
      sections: f.sections.map((s) => [s.name, s.type, s.size]),
      symbols: f.symbols().map((s) => [s.name, s.value, s.bind, s.type, s.shndx]),
      relocs: f.sections.filter((s) => s.type === SectionType.rel).map((s) => f.relocations(s).map((r) => [r.offset, r.symbol, r.type])),
    });
    expect(shape(eb)).toEqual(shape(el));
    expect(el.section("license") && new TextDecoder().decode(el.data(el.section("license")!))).toBe("GPL\0");
    expect(el.data(el.section(".bss")!).length).toBe(0);
    expect(el.section(".bss")!.size).toBe(4);
  });

  itIf(noReadelf, "libc: sections and symbols as llvm-readelf prints them", () => {
    const elf = ElfFile.parse(new Uint8Array(readFileSync(LIBC)));
    const j = readelf(LIBC, "-S", "--dyn-syms");
    expect(elf.sections.length).toBe(j.Sections.length);
    const dynsym = elf.sections.find((s) => s.type === SectionType.dynsym)!;
    const syms = elf.symbols(dynsym);
    // llvm-readelf appends @VERSION to dynamic names; the table's own names have none.
    expect(syms.map((s) => [s.name, s.value, s.size])).toEqual(j.DynamicSymbols.map(({ Symbol: s }: Json) => [s.Name.Name.replace(/@.*$/, ""), s.Value, s.Size]));
    expect(elf.segments.some((s) => s.type === 1)).toBe(true);
  });

  it("finds a function's file offset in libc (what a uprobe needs)", () => {
    const elf = ElfFile.parse(new Uint8Array(readFileSync(LIBC)));
    const { symbol, offset } = functionOffset(elf, "malloc");
    expect(symbol.type === SymbolType.func || symbol.type === SymbolType.gnu_ifunc).toBe(true);
    // The offset lies in an executable PT_LOAD segment, at the same distance from its start as the
    // symbol's address from the segment's virtual address.
    const seg = elf.segments.find((s) => s.type === 1 && (s.flags & 1) && BigInt(symbol.value) >= s.vaddr && BigInt(symbol.value) < s.vaddr + BigInt(s.memsz))!;
    expect(seg).toBeDefined();
    expect(BigInt(offset - seg.offset)).toBe(BigInt(symbol.value) - seg.vaddr);
    expect(() => functionOffset(elf, "no_such_function_here")).toThrow(/no function symbol named "no_such_function_here"/);
  });

  it("names the offset of each flaw", () => {
    const good = fixture("reader.el.o");
    const bad = (edit: (b: Uint8Array, dv: DataView) => void) => {
      const b = good.slice();
      edit(b, new DataView(b.buffer));
      return () => {
        const f = ElfFile.parse(b);
        for (const s of f.sections) if (s.type === SectionType.rel) f.relocations(s);
        f.symbols();
      };
    };
    expect(() => ElfFile.parse(new Uint8Array(10))).toThrow(/shorter than the 64-byte ELF64 header \(at offset 0\)/);
    expect(bad((b) => (b[0] = 0))).toThrow(/no \\x7fELF magic/);
    expect(bad((b) => (b[4] = 1))).toThrow(/EI_CLASS 1 is not ELFCLASS64 \(at offset 4\)/);
    expect(bad((b) => (b[5] = 3))).toThrow(/EI_DATA 3/);
    expect(bad((_b, dv) => dv.setBigUint64(40, 1n << 40n, true))).toThrow(/section headers at .* past the end .*\(at offset 40\)/);
    const shoff = Number(new DataView(good.buffer, good.byteOffset).getBigUint64(40, true));
    // Section 2's size, then section 31's (.symtab) entry size, then a relocation's symbol.
    expect(bad((_b, dv) => dv.setBigUint64(shoff + 2 * 64 + 32, 1n << 30n, true))).toThrow(/1073741824 bytes at 64 run past the end of the file .*\(at section 2, offset/);
    expect(bad((_b, dv) => dv.setBigUint64(shoff + 31 * 64 + 56, 20n, true))).toThrow(/sh_entsize 20 is not 24 .*section 31 \(\.symtab\)/);
    const relText = ElfFile.parse(good).section(".rel.text")!;
    expect(bad((_b, dv) => dv.setUint32(relText.offset + 12, 9999, true))).toThrow(/relocation 0 names symbol 9999, past the table's 21 .*section 3 \(\.rel\.text\), offset/);
    expect(() => ElfFile.parse("x" as unknown as Uint8Array)).toThrow(TypeError);
  });

  it("fuzz: mutations parse or throw an ElfError, nothing else", () => {
    let s = 0x2545f491;
    const rnd = () => {
      s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; return (s >>>= 0);
    };
    const seeds = [fixture("reader.el.o"), fixture("reader.eb.o")];
    let errors = 0, parsed = 0;
    for (let i = 0; i < 3000; i++) {
      const b = seeds[i & 1].slice();
      const n = 1 + (rnd() % 8);
      for (let k = 0; k < n; k++) {
        // Aim half the mutations at the headers, where a flaw matters most.
        const at = rnd() % 2 ? rnd() % 64 : rnd() % b.length;
        b[at] = rnd() & 0xff;
      }
      if (i % 7 === 0) b.copyWithin(rnd() % b.length, rnd() % b.length);
      const cut = i % 11 === 0 ? b.subarray(0, rnd() % b.length) : b;
      try {
        const f = ElfFile.parse(cut);
        for (const sec of f.sections) {
          f.data(sec);
          if (sec.type === SectionType.symtab || sec.type === SectionType.dynsym) f.symbols(sec);
          if (sec.type === SectionType.rel || sec.type === SectionType.rela) f.relocations(sec);
        }
        parsed++;
      } catch (e) {
        if (!(e instanceof ElfError)) throw new Error(`mutant ${i}: ${e}`);
        expect(e.message).toMatch(/\(at (section|offset)/);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(100);
    expect(parsed).toBeGreaterThan(100);
  });
});
