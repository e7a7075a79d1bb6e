// Fuzzing programSpecs with a seeded PRNG, so every run sees the same inputs: mutations of the
// progs fixtures (and the arena ones) aimed at what it reads - code, relocation tables, the symbol table, .BTF.ext -
// plus relocations rewritten to random offsets and symbols and call immediates set at random.
// Each mutant is parsed as a loader would (ELF, BTF, .BTF.ext, maps, programs); the only
// failures allowed are an ElfError or a BtfError, and what parses must be self-consistent.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Btf, BtfError, parseBtfExt } from "../../src/btf/mod.ts";
import { ElfError, ElfFile, type ElfProgramSpec, mapSpecs, programSpecs } from "../../src/elf/mod.ts";
import { xorshift } from "../helpers/random.ts";

const dir = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "fixtures", "elf");
const seeds = ["progs.el.o", "progs.eb.o", "progs-opt.el.o", "progs-opt.eb.o", "arena.el.o", "arena.eb.o", "arena-alloc.el.o"].map((n) => new Uint8Array(readFileSync(join(dir, n))));


function specs(bytes: Uint8Array): ElfProgramSpec[] {
  const elf = ElfFile.parse(bytes);
  const b = elf.section(".BTF"), x = elf.section(".BTF.ext");
  const btf = b ? Btf.parse(elf.data(b)) : undefined;
  const ext = x && btf ? parseBtfExt(elf.data(x), btf) : undefined;
  return programSpecs(elf, { btf, ext, maps: mapSpecs(elf, btf, { objectName: "progs" }) });
}

// What any spec must satisfy, however odd its input.
function consistent(all: ElfProgramSpec[]): void {
  for (const s of all) {
    const n = s.insns.length / 8;
    expect(Number.isInteger(n) && n > 0, s.name).toBe(true);
    expect(new Set(s.subprograms).size, s.name).toBe(s.subprograms.length);
    let last = -1;
    for (const r of s.references) {
      expect(r.insn > last && r.insn + (r.kind === "kfunc" ? 0 : 1) < n, `${s.name} ${r.kind} at ${r.insn} of ${n}`).toBe(true);
      last = r.insn;
    }
    for (const f of [...s.funcInfo, ...s.lineInfo, ...s.coreRelos]) expect(f.insn >= 0 && f.insn < n, `${s.name} ext record at ${f.insn} of ${n}`).toBe(true);
  }
}

/** Parses a mutant; returns "ok" or "error", and fails the test on any other outcome. */
function check(b: Uint8Array, what: string): "ok" | "error" {
  let all: ElfProgramSpec[];
  try {
    all = specs(b);
  } catch (e) {
    if (e instanceof ElfError || e instanceof BtfError) return "error";
    throw new Error(`${what}: ${(e as Error).stack}`);
  }
  consistent(all);
  return "ok";
}

interface Spot {
  offset: number;
  size: number;
  little: boolean;
  rels: { offset: number; count: number }[];
  code: { offset: number; size: number }[];
}

// Where the interesting bytes of a seed are.
function spots(seed: Uint8Array): Spot {
  const elf = ElfFile.parse(seed);
  const pick = (f: (s: (typeof elf.sections)[number]) => boolean) => elf.sections.filter(f);
  const rels = pick((s) => s.type === 9 && (elf.sections[s.info]?.flags & 4) !== 0).map((s) => ({ offset: s.offset, count: s.size / 16 }));
  const code = pick((s) => (s.flags & 4) !== 0 && s.size > 0).map((s) => ({ offset: s.offset, size: s.size }));
  const targets = pick((s) => s.type === 9 || s.type === 2 || (s.flags & 4) !== 0 || s.name === ".BTF.ext");
  const lo = Math.min(...targets.map((s) => s.offset)), hi = Math.max(...targets.map((s) => s.offset + s.size));
  return { offset: lo, size: hi - lo, little: elf.little, rels, code };
}

describe("programSpecs fuzz", () => {
  const where = seeds.map(spots);

  it("bytes flipped in code, relocations, symbols and .BTF.ext give specs or ElfError/BtfError", () => {
    const rnd = xorshift(0x2468ace);
    const seen = { ok: 0, error: 0 };
    for (let i = 0; i < 800; i++) {
      const k = i % seeds.length, b = seeds[k].slice(), w = where[k];
      const n = 1 + (rnd() % 4);
      for (let j = 0; j < n; j++) {
        const at = w.offset + (rnd() % w.size);
        b[at] = rnd() % 3 === 0 ? b[at] ^ (1 << (rnd() % 8)) : rnd() & 0xff;
      }
      seen[check(i % 11 === 0 ? b.subarray(0, rnd() % b.length) : b, `flip mutant ${i}`)]++;
    }
    expect(seen.ok).toBeGreaterThan(50);
    expect(seen.error).toBeGreaterThan(50);
  });

  it("relocations moved and re-aimed, call immediates scrambled, give specs or ElfErrors", () => {
    const rnd = xorshift(0x1357);
    const seen = { ok: 0, error: 0 };
    for (let i = 0; i < 1500; i++) {
      const k = i % seeds.length, b = seeds[k].slice(), w = where[k];
      const dv = new DataView(b.buffer), le = w.little;
      const rel = w.rels[rnd() % w.rels.length];
      const at = rel.offset + 16 * (rnd() % rel.count);
      switch (rnd() % 4) {
        case 0: // another instruction, sometimes unaligned or past the end
          dv.setBigUint64(at, BigInt(rnd() % 2 ? (rnd() % 64) * 8 : rnd() % 1024), le);
          break;
        case 1: // another symbol (the high half of r_info), sometimes past the table
          dv.setUint32(le ? at + 12 : at + 8, rnd() % (rnd() % 8 ? 40 : 4000), le);
          break;
        case 2: { // a call's or ld_imm64's immediate anywhere
          const c = w.code[rnd() % w.code.length];
          const p = c.offset + 8 * (rnd() % (c.size / 8));
          dv.setInt32(p + 4, (rnd() % 200) - 100, le);
          if (rnd() % 2) b[p] = [0x85, 0x18, 0x95, 0xb7][rnd() % 4];
          if (rnd() % 3 === 0) b[p + 1] = rnd() & 0xff;
          break;
        }
        default: // the relocation's symbol value or section (st_value, st_shndx)
          dv.setUint32(le ? at + 12 : at + 8, rnd() % 40, le);
          dv.setBigUint64(at, BigInt((rnd() % 40) * 8), le);
      }
      seen[check(b, `relocation mutant ${i}`)]++;
    }
    expect(seen.ok).toBeGreaterThan(100);
    expect(seen.error).toBeGreaterThan(100);
  });
});
