// Decoder fuzzing with a seeded PRNG, so CI runs the same inputs every time. Random bytes and
// bit-flipped real instructions may only ever give a DecodeError that names an offset inside
// the input and the byte found there - never another exception, and never an instruction whose
// encoding differs from the input. Acceptance is checked against an independent statement of
// the rules (reference() below), written from the ISA document rather than from valid.ts.
import { describe, expect, it } from "vitest";
import { assemble, decode, DecodeError, disassemble, encode } from "../../src/asm/mod.ts";
import { ALL_OPCODES, bytesOf, llvmVisible } from "./corpus.ts";
import { xorshift } from "../helpers/random.ts";


interface Slot { code: number; dst: number; src: number; off: number; imm: number }
function slotAt(b: Uint8Array, at: number, little: boolean): Slot {
  const dv = new DataView(b.buffer, b.byteOffset + at, 8);
  const regs = b[at + 1];
  return {
    code: b[at], dst: little ? regs & 15 : regs >> 4, src: little ? regs >> 4 : regs & 15,
    off: dv.getInt16(2, little), imm: dv.getInt32(4, little),
  };
}

// The ISA's rules, one opcode class at a time: true when the slot (and, for ldimm64, the next)
// is an instruction. Unused fields must be zero and registers r0..r10, as the kernel requires.
function reference(s: Slot, next: Slot | undefined): boolean {
  const { code, dst, src, off, imm } = s;
  const cls = code & 7, op = code & 0xf0, x = (code & 8) !== 0, size = code & 0x18, mode = code & 0xe0;
  if (dst > 10) return false;
  const reg = (r: number) => r <= 10;
  switch (cls) {
    case 4: case 7: { // ALU, ALU64
      if (op === 0xd0) return (cls === 4 || !x) && src === 0 && off === 0 && [16, 32, 64].includes(imm);
      if (op === 0x80) return !x && src === 0 && off === 0 && imm === 0;
      if (op > 0xc0) return false;
      const offOk = off === 0 || (off === 1 && (op === 0x30 || op === 0x90));
      if (!x) return src === 0 && offOk;
      if (imm !== 0 && !(op === 0xb0 && cls === 7 && off === 1)) return false;
      if (op === 0xb0) return reg(src) && (off === 0 || off === 8 || off === 16 || (cls === 7 && (off === 32 || off === 1)));
      return reg(src) && offOk;
    }
    case 5: case 6: { // JMP, JMP32
      if (op === 0x00) return !x && dst === 0 && src === 0 && (cls === 5 ? imm === 0 : off === 0);
      if (op === 0x80) return cls === 5 && (x ? src === 0 && off === 0 && imm === 0 : dst === 0 && src <= 2 && (off === 0 || src === 2));
      if (op === 0x90) return cls === 5 && !x && dst === 0 && src === 0 && off === 0 && imm === 0;
      if (op === 0xe0) return cls === 5 && !x && dst === 0 && src === 0 && imm === 0;
      if (op === 0xf0) return false;
      return x ? reg(src) && imm === 0 : src === 0;
    }
    case 0: // LD
      if (code === 0x18) {
        return src <= 6 && off === 0 && next !== undefined && next.code === 0 && next.dst === 0 && next.src === 0 && next.off === 0;
      }
      if (size === 0x18) return false;
      if (mode === 0x20) return dst === 0 && src === 0 && off === 0;
      if (mode === 0x40) return dst === 0 && reg(src) && off === 0;
      return false;
    case 1: // LDX
      if (mode === 0x60) return reg(src) && imm === 0;
      if (mode === 0x80) return size !== 0x18 && reg(src) && imm === 0;
      return false;
    case 2: // ST
      return mode === 0x60 && src === 0;
    case 3: // STX
      if (mode === 0x60) return reg(src) && imm === 0;
      if (mode !== 0xc0 || !reg(src)) return false;
      if (imm === 0x100 || imm === 0x110) return true;
      return (size === 0x00 || size === 0x18) && [0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1].includes(imm);
  }
  return false;
}

// Expected outcome of decoding `b`: the index of the first bad slot, or -1 when all are valid.
function firstBad(b: Uint8Array, little: boolean): number {
  const whole = b.length - (b.length % 8);
  for (let at = 0; at < whole;) {
    const s = slotAt(b, at, little);
    const next = s.code === 0x18 && at + 16 <= whole ? slotAt(b, at + 8, little) : undefined;
    if (!reference(s, next)) return at;
    at += s.code === 0x18 ? 16 : 8;
  }
  return b.length % 8 !== 0 ? whole : -1;
}

// Plain checks rather than expect() in the hot loop: tens of thousands of inputs per run.
function assert(ok: boolean, what: () => string): void {
  if (!ok) throw new Error(what());
}
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const hexOf = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

function check(b: Uint8Array, endian: "little" | "big"): "ok" | "error" {
  const bad = firstBad(b, endian === "little");
  let insns;
  try {
    insns = decode(b, { endian });
  } catch (e) {
    assert(e instanceof DecodeError, () => `${hexOf(b)}: not a DecodeError: ${String(e)}`);
    const d = e as DecodeError;
    assert(bad >= 0, () => `decoder rejected valid ${hexOf(b)} (${endian}): ${d.message}`);
    // The error points into the first bad instruction (or the trailing partial one).
    assert(d.offset >= bad && d.offset < Math.min(b.length, bad + 16), () => `${hexOf(b)}: first bad slot at ${bad}, error at ${d.offset}`);
    assert(d.byte === b[d.offset], () => `${hexOf(b)}: error names byte ${d.byte}, found ${b[d.offset]}`);
    assert(d.message.includes(`at offset ${d.offset}`) && d.message.includes(`0x${d.byte.toString(16).padStart(2, "0")}`), () => d.message);
    // The disassemblers agree on what is not an instruction.
    for (const syntax of ["llvm", "verifier"] as const) {
      let msg = "";
      try {
        disassemble(b, { endian, syntax });
      } catch (e2) {
        msg = (e2 as Error).message;
      }
      assert(msg === d.message, () => `${hexOf(b)}: disassemble (${syntax}) said ${JSON.stringify(msg)}, decode ${JSON.stringify(d.message)}`);
    }
    return "error";
  }
  assert(bad === -1, () => `decoder accepted invalid ${hexOf(b)} (${endian}), bad slot at ${bad}`);
  // Never a wrong instruction: the decoded values encode to exactly the input.
  assert(same(encode(insns, endian), b), () => `${hexOf(b)}: decode/encode changed the bytes`);
  const text = disassemble(b, { endian });
  assert(text.length === insns.length, () => `${hexOf(b)}: ${text.length} lines for ${insns.length} instructions`);
  assert(same(assemble(text.join("\n"), { endian }), llvmVisible(b, endian)), () => `${hexOf(b)}: text ${JSON.stringify(text)} does not assemble back`);
  assert(disassemble(b, { endian, syntax: "verifier" }).length === insns.length, () => `${hexOf(b)}: verifier lines`);
  return "ok";
}

// Opcodes to draw from half the time, so that random slots are often instructions.
const OPCODES = [0x07, 0x0f, 0x04, 0x0c, 0x37, 0xbf, 0xbc, 0x87, 0xd4, 0xdc, 0xd7, 0x15, 0x1d, 0x16, 0x1e, 0x05, 0x06,
  0x85, 0x8d, 0x95, 0xe5, 0x18, 0x20, 0x40, 0x61, 0x79, 0x81, 0x62, 0x7a, 0x63, 0x7b, 0xc3, 0xdb, 0xd3, 0x00];

describe("decoder fuzz (seeded)", () => {
  it("random bytes: a DecodeError at the right place, or the exact instructions", () => {
    const rnd = xorshift(0x5eed);
    let ok = 0, errors = 0;
    for (let n = 0; n < 20000; n++) {
      const len = rnd() % 4 === 0 ? rnd() % 41 : (rnd() % 5) * 8;
      const b = new Uint8Array(len);
      for (let i = 0; i < len; i++) b[i] = rnd() & 255;
      // Half the slots get a common opcode, registers r0..r10 and mostly-zero fields.
      for (let i = 0; i + 8 <= len; i += 8) {
        if (rnd() % 4 === 0) continue;
        b[i] = OPCODES[rnd() % OPCODES.length];
        b[i + 1] = (rnd() % 11) | ((rnd() % 11) << 4);
        for (let k = 2; k < 8; k++) if (rnd() % 4) b[i + k] = 0;
      }
      for (const endian of ["little", "big"] as const) (check(b, endian) === "ok" ? ok++ : errors++);
    }
    expect(ok).toBeGreaterThan(1000);
    expect(errors).toBeGreaterThan(5000);
  });

  it("bit flips in valid programs: a DecodeError at the right place, or the exact instructions", () => {
    const rnd = xorshift(0xb1f1);
    for (const [file, endian] of [["random.el.hex", "little"], ["random.eb.hex", "big"]] as const) {
      const base = bytesOf(file);
      let ok = 0, errors = 0;
      for (let n = 0; n < 5000; n++) {
        const at = (rnd() % (base.length / 8 - 4)) * 8;
        const b = base.slice(at, at + 32);
        for (let f = rnd() % 3; f >= 0; f--) {
          const bit = rnd() % (b.length * 8);
          b[bit >> 3] ^= 1 << (bit & 7);
        }
        check(b, endian) === "ok" ? ok++ : errors++;
      }
      expect(ok).toBeGreaterThan(300);
      expect(errors).toBeGreaterThan(300);
    }
  });

  it("every opcode byte with zeroed fields is accepted exactly when the ISA defines it", () => {
    const accepted: number[] = [];
    for (let code = 0; code < 256; code++) {
      const b = new Uint8Array(16);
      b[0] = code;
      // Give the forms that need a nonzero imm one they accept.
      if (code === 0xd4 || code === 0xdc || code === 0xd7) b[4] = 16;
      if ((code & 0xe7) === 0xc3) b[5] = 1; // 0x100: load-acquire
      if (check(b.subarray(0, code === 0x18 ? 16 : 8), "little") === "ok") accepted.push(code);
    }
    expect(accepted).toEqual(ALL_OPCODES);
  });
});
