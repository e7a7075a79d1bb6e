// Both directions of text against LLVM 19 on the committed corpus: llvm-mc's bytes for every
// source, llvm-objdump's text for every instruction, in both byte orders, decimal and hex.
import { describe, expect, it } from "vitest";
import { assemble, decode, disassemble, encode } from "../../src/asm/mod.ts";
import { ALL_OPCODES, bytesOf, llvmVisible, norm, objdump, read, slots, SOURCES } from "./corpus.ts";

const ENDIANS = [["el", "little"], ["eb", "big"]] as const;

describe.each(SOURCES)("corpus %s.s", (name) => {
  const source = read(`${name}.s`);
  describe.each(ENDIANS)("%s", (e, endian) => {
    const bytes = bytesOf(`${name}.${e}.hex`);
    it("assembles to exactly llvm-mc's bytes", () => {
      expect(slots(assemble(source, { endian }))).toEqual(slots(bytes));
    });
    it("disassembles to llvm-objdump's text, decimal and hex", () => {
      const dec = objdump(`${name}.${e}.dec.txt`);
      const hex = objdump(`${name}.${e}.hex.txt`);
      expect(dec.length).toBeGreaterThan(0);
      expect(disassemble(bytes, { endian }).map(norm)).toEqual(dec.map((l) => l.text));
      expect(disassemble(bytes, { endian, hex: true }).map(norm)).toEqual(hex.map((l) => l.text));
    });
    it("reads llvm-objdump's text (decimal and hex) back into the same bytes", () => {
      const visible = slots(llvmVisible(bytes, endian));
      for (const kind of ["dec", "hex"]) {
        const text = objdump(`${name}.${e}.${kind}.txt`).map((l) => l.text).join("\n");
        expect(slots(assemble(text, { endian }))).toEqual(visible);
      }
    });
    it("decodes and encodes back to the same bytes", () => {
      expect(slots(encode(decode(bytes, { endian }), endian))).toEqual(slots(bytes));
    });
  });
});

describe("corpus random (valid encodings with random fields, text by llvm-objdump)", () => {
  describe.each(ENDIANS)("%s", (e, endian) => {
    const bytes = bytesOf(`random.${e}.hex`);
    it("disassembles to llvm-objdump's text, decimal and hex", () => {
      expect(disassemble(bytes, { endian }).map(norm)).toEqual(objdump(`random.${e}.dec.txt`).map((l) => l.text));
      expect(disassemble(bytes, { endian, hex: true }).map(norm)).toEqual(objdump(`random.${e}.hex.txt`).map((l) => l.text));
    });
    it("text round-trips to the bytes, up to what LLVM's syntax cannot show", () => {
      expect(slots(assemble(disassemble(bytes, { endian }).join("\n"), { endian }))).toEqual(slots(llvmVisible(bytes, endian)));
      expect(slots(assemble(disassemble(bytes, { endian, hex: true }).join("\n"), { endian }))).toEqual(slots(llvmVisible(bytes, endian)));
    });
    it("decodes and encodes back to the same bytes", () => {
      expect(slots(encode(decode(bytes, { endian }), endian))).toEqual(slots(bytes));
    });
  });
});

describe("corpus acqrel (load-acquire / store-release: kernel encoding, LLVM 20+ syntax)", () => {
  const text = read("acqrel.s").trim().split("\n");
  describe.each(ENDIANS)("%s", (e, endian) => {
    const bytes = bytesOf(`acqrel.${e}.hex`);
    it("disassembles to LLVM's newer syntax, decimal and hex", () => {
      expect(disassemble(bytes, { endian })).toEqual(text);
      const hex = text.map((l) => l.replace(/([+-]) (\d+)\)/, (_, sign, v) => `${sign} 0x${Number(v).toString(16)})`));
      expect(hex[1]).toBe("store_release((u8 *)(r3 + 0x0), w0)");
      expect(disassemble(bytes, { endian, hex: true })).toEqual(hex);
    });
    it("assembles that syntax to the kernel's encoding", () => {
      expect(slots(assemble(text.join("\n"), { endian }))).toEqual(slots(bytes));
    });
  });
});

describe("corpus coverage", () => {
  const fromLlvm = SOURCES.flatMap((n) => decode(bytesOf(`${n}.el.hex`)));
  const all = [...fromLlvm, ...decode(bytesOf("acqrel.el.hex"))];
  const values = (pick: (i: (typeof all)[number]) => number | undefined) => new Set(all.map(pick).filter((v) => v !== undefined));
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);

  it("has every opcode, those LLVM 19 knows from llvm-mc sources", () => {
    expect([...new Set(all.map((i) => i.code))].sort((a, b) => a - b)).toEqual(ALL_OPCODES);
    const acqRel = new Set([0xd3, 0xcb]);
    expect([...new Set(fromLlvm.map((i) => i.code))].sort((a, b) => a - b)).toEqual(ALL_OPCODES.filter((c) => !acqRel.has(c)));
  });

  it("has every register as destination and as source wherever an instruction names one", () => {
    const regs = (pick: (i: (typeof all)[number]) => boolean, field: "dst" | "src") =>
      [...new Set(all.filter(pick).map((i) => i[field]))].sort((a, b) => a - b);
    const cls = (i: (typeof all)[number]) => i.code & 7;
    const x = (i: (typeof all)[number]) => (i.code & 8) !== 0;
    const groups: [string, (i: (typeof all)[number]) => boolean, ("dst" | "src")[]][] = [
      ["ALU64 immediate", (i) => cls(i) === 7 && !x(i), ["dst"]],
      ["ALU64 register", (i) => cls(i) === 7 && x(i), ["dst", "src"]],
      ["ALU immediate", (i) => cls(i) === 4 && !x(i), ["dst"]],
      ["ALU register", (i) => cls(i) === 4 && x(i), ["dst", "src"]],
      ["JMP immediate", (i) => cls(i) === 5 && !x(i) && (i.code & 0xf0) >= 0x10 && (i.code & 0xf0) !== 0x80 && (i.code & 0xf0) < 0xe0 && i.code !== 0x95, ["dst"]],
      ["JMP register", (i) => cls(i) === 5 && x(i) && i.code !== 0x8d, ["dst", "src"]],
      ["JMP32 immediate", (i) => cls(i) === 6 && !x(i) && i.code !== 0x06, ["dst"]],
      ["JMP32 register", (i) => cls(i) === 6 && x(i), ["dst", "src"]],
      ["callx", (i) => i.code === 0x8d, ["dst"]],
      ["ldimm64", (i) => i.code === 0x18, ["dst"]],
      ["ld_ind", (i) => (i.code & 0xe7) === 0x40, ["src"]],
      ["ldx", (i) => cls(i) === 1, ["dst", "src"]],
      ["st", (i) => cls(i) === 2, ["dst"]],
      ["stx", (i) => (i.code & 0xe7) === 0x63, ["dst", "src"]],
      ["atomic", (i) => (i.code & 0xe7) === 0xc3, ["dst", "src"]],
    ];
    for (const [name, pick, fields] of groups) {
      for (const f of fields) expect(regs(pick, f), `${name} ${f}`).toEqual(range(11));
    }
  });

  it("has the edge immediates and offsets", () => {
    const imms = values((i) => (i.code & 7) === 4 || (i.code & 7) === 7 || (i.code & 7) === 2 || (((i.code & 7) === 5 || (i.code & 7) === 6) && (i.code & 8) === 0) ? i.imm : undefined);
    for (const v of [0, 1, -1, 2147483647, -2147483648]) expect(imms.has(v), `imm ${v}`).toBe(true);
    const offs = values((i) => ((i.code & 7) >= 1 && (i.code & 7) <= 3) || ((i.code & 7) === 5 && (i.code & 8) === 0) ? i.off : undefined);
    for (const v of [0, 1, -1, 32767, -32768]) expect(offs.has(v), `off ${v}`).toBe(true);
    const wide = values((i) => (i.code === 0x18 ? i.src : undefined));
    expect([...wide].sort()).toEqual(range(7));
    const atomics = values((i) => (i.code === 0xdb || i.code === 0xc3 ? (i.code << 16) | i.imm : undefined));
    for (const code of [0xc3, 0xdb]) {
      for (const imm of [0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1, 0x100, 0x110]) expect(atomics.has((code << 16) | imm), `${code}/${imm}`).toBe(true);
    }
    const signed = values((i) => ((i.code & 0xf0) === 0x30 || (i.code & 0xf0) === 0x90) && (i.code & 7) >= 4 && (i.code & 7) !== 5 && (i.code & 7) !== 6 ? (i.code << 8) | i.off : undefined);
    for (const code of [0x34, 0x37, 0x3c, 0x3f, 0x94, 0x97, 0x9c, 0x9f]) expect(signed.has((code << 8) | 1), `signed ${code}`).toBe(true);
    const movsx = values((i) => ((i.code === 0xbf || i.code === 0xbc) ? (i.code << 8) | i.off : undefined));
    for (const v of [0xbf08, 0xbf10, 0xbf20, 0xbc08, 0xbc10, 0xbf01]) expect(movsx.has(v), `mov ${v.toString(16)}`).toBe(true);
  });
});
