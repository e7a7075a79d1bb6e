/**
 * Reads the committed LLVM corpus (test/asm/corpus, made by scripts/gen-asm-corpus.sh): sources,
 * the bytes llvm-mc made of them and what llvm-objdump printed for those bytes.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { decode, encode, Insn, LdImm64 } from "../../src/asm/mod.ts";

const dir = join(dirname(fileURLToPath(import.meta.url)), "corpus");

/** Files assembled from source by llvm-mc. */
export const SOURCES = ["alu", "mem", "atomic", "ld", "jmp", "labels", "syntax", "expr"] as const;

/** The text of corpus file `name`. */
export function read(name: string): string {
  return readFileSync(join(dir, name), "utf8");
}

/** Bytes from a ".hex" file: one 8-byte slot per line, "b7 01 00 00 05 00 00 00". */
export function bytesOf(name: string): Uint8Array {
  const hex = read(name).split("\n").filter((l) => l.trim() !== "").join(" ").trim().split(/\s+/);
  return Uint8Array.from(hex, (h) => parseInt(h, 16));
}

/** Bytes as one "xx xx .. xx" line per 8-byte slot, for readable diffs. */
export function slots(b: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < b.length; i += 8) out.push([...b.subarray(i, i + 8)].map((x) => x.toString(16).padStart(2, "0")).join(" "));
  return out;
}

/** Whitespace-insensitive form of an instruction's text, without objdump's "<label+0x10>" note. */
export function norm(text: string): string {
  return text.replace(/\s+<[^\s<>]+>\s*$/, "").replace(/\s+/g, " ").trim();
}

/** One entry per instruction llvm-objdump printed: its bytes and its text. */
export interface DumpLine {
  readonly bytes: string;
  readonly text: string;
}

/** The instruction lines of an llvm-objdump -d listing (labels and blank lines skipped). */
export function objdump(name: string): DumpLine[] {
  const out: DumpLine[] = [];
  for (const line of read(name).split("\n")) {
    const m = /^\s*\d+:\t([0-9a-f ]+?)\s*\t(.*)$/.exec(line);
    if (m) out.push({ bytes: m[1], text: norm(m[2]) });
  }
  return out;
}

/**
 * `bytes` with the fields LLVM's text does not show set to zero: which kind of call (helper,
 * bpf-to-bpf, kfunc) and a kfunc's BTF fd index, the second immediate of a pseudo 64-bit
 * load, and the immediate of a legacy indirect packet load. Text -> bytes gives back exactly this.
 */
export function llvmVisible(bytes: Uint8Array, endian: "little" | "big" = "little"): Uint8Array {
  const insns = decode(bytes, { endian }).map((i) => {
    if (i.code === 0x85) return new Insn(i.code, i.dst, 0, 0, i.imm);
    if (i instanceof LdImm64 && i.src !== 0) return new LdImm64(i.dst, i.src, i.imm, 0);
    if (i.code === 0x40 || i.code === 0x48 || i.code === 0x50) return new Insn(i.code, i.dst, i.src, i.off, 0);
    return i;
  });
  return encode(insns, endian);
}

/** Every opcode of the instruction set (cpu v4, plus load-acquire/store-release), sorted. */
export const ALL_OPCODES: readonly number[] = [
  ...[0x04, 0x07].flatMap((c) => [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0].flatMap((op) => [c | op, c | op | 8])),
  0x84, 0x87, 0xd4, 0xdc, 0xd7, // neg, le/be, bswap
  ...[0x05, 0x06].flatMap((c) => [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0].flatMap((op) => [c | op, c | op | 8])),
  0x05, 0x06, 0x85, 0x8d, 0x95, 0xe5, // goto, gotol, call, callx, exit, may_goto
  0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, // ldimm64, ld_abs, ld_ind
  0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91, // ldx, ldsx
  0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, // st, stx
  0xc3, 0xdb, 0xd3, 0xcb, // atomics
].sort((a, b) => a - b);
