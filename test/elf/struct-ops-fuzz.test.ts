// Fuzzing the struct_ops part of parseObject with a seeded PRNG, so every run sees the same
// inputs: mutations of test/fixtures/collection/struct-ops.o aimed at what it reads - the
// .struct_ops sections, their relocation tables, the symbol table, .BTF - plus relocations
// rewritten to random offsets and symbols. The only failures allowed are an ElfError or a
// BtfError, and what parses must be self-consistent.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BtfError } from "../../src/btf/mod.ts";
import { ElfError, ElfFile, type ElfObject, isStructOpsSection, parseObject } from "../../src/elf/mod.ts";
import { xorshift } from "../helpers/random.ts";

const seed = new Uint8Array(readFileSync(new URL("../fixtures/collection/struct-ops.o", import.meta.url)));

// What any struct_ops spec must satisfy, however odd its input.
function consistent(obj: ElfObject): number {
  const programs = new Set(obj.programs.map((p) => p.name));
  let n = 0;
  for (const m of obj.maps) {
    if (m.structOps === undefined) continue;
    n++;
    const t = obj.loadBtf!.typeById(m.structOps.typeId);
    expect(t.kind, m.name).toBe("struct");
    expect(m.structOps.data.length, m.name).toBe((t as { size: number }).size);
    expect([m.keySize, m.maxEntries, m.valueTypeId], m.name).toEqual([4, 1, m.structOps.typeId]);
    const members = new Set((t as { members: { name: string }[] }).members.map((x) => x.name));
    for (const [member, prog] of Object.entries(m.structOps.programs)) {
      expect(members.has(member), `${m.name}.${member}`).toBe(true);
      expect(programs.has(prog), `${m.name}.${member} = ${prog}`).toBe(true);
    }
  }
  return n;
}

function check(b: Uint8Array, what: string): "ok" | "error" {
  let obj: ElfObject;
  try {
    obj = parseObject(b, { objectName: "struct-ops" });
  } catch (e) {
    if (e instanceof ElfError || e instanceof BtfError) return "error";
    throw new Error(`${what}: ${(e as Error).stack}`);
  }
  consistent(obj);
  return "ok";
}

const elf = ElfFile.parse(seed);
const ops = elf.sections.filter((s) => isStructOpsSection(s.name));
const rels = elf.sections.filter((s) => s.type === 9 && ops.some((o) => o.index === s.info));
const targets = [...ops, ...rels, ...elf.sections.filter((s) => s.type === 2 || s.name === ".BTF")];

describe("struct_ops specs fuzz", () => {
  it("the seed parses into three struct_ops maps", () => {
    expect(ops.map((s) => s.name)).toEqual([".struct_ops.link", ".struct_ops", "?.struct_ops.link"]);
    expect(consistent(parseObject(seed))).toBe(3);
  });

  it("bytes flipped in struct_ops sections, their relocations, symbols and .BTF give specs or ElfError/BtfError", () => {
    const rnd = xorshift(0x5a5a17);
    const seen = { ok: 0, error: 0 };
    for (let i = 0; i < 1500; i++) {
      const b = seed.slice();
      const n = 1 + (rnd() % 4);
      for (let j = 0; j < n; j++) {
        const s = targets[rnd() % targets.length];
        if (s.size === 0) continue;
        const at = s.offset + (rnd() % s.size);
        b[at] = rnd() % 3 === 0 ? b[at] ^ (1 << (rnd() % 8)) : rnd() & 0xff;
      }
      seen[check(b, `mutant ${i}`)]++;
    }
    console.log(`struct_ops fuzz: ${seen.ok} mutants parsed, ${seen.error} rejected`);
    expect(seen.ok + seen.error).toBe(1500);
  });

  it("relocations pointed at random offsets and symbols give specs or ElfError", () => {
    const rnd = xorshift(0x13579b);
    const nsyms = elf.symbols().length;
    const seen = { ok: 0, error: 0 };
    for (let i = 0; i < 1500; i++) {
      const b = seed.slice(), dv = new DataView(b.buffer);
      const r = rels[rnd() % rels.length];
      const at = r.offset + 16 * (rnd() % (r.size / 16));
      if (rnd() & 1) dv.setBigUint64(at, BigInt(rnd() % 80), true);
      if (rnd() & 1) dv.setUint32(at + 12, rnd() % (nsyms + 2), true);
      seen[check(b, `relocation mutant ${i}`)]++;
    }
    // Most rewrites are refused, but some land on another member or program and must parse.
    expect(seen.ok).toBeGreaterThan(0);
    expect(seen.error).toBeGreaterThan(0);
  });
});
