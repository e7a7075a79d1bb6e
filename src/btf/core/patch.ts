/**
 * Writing a relocation's value into its instruction (libbpf's bpf_core_patch_insn): ALU/ALU64
 * immediates, LDX/ST/STX offsets (and access sizes, where the field's size changed), ld_imm64's
 * 64-bit immediate; after checking the instruction holds the local value. Poisoning turns the
 * instruction (both halves of an ld_imm64) into a call of helper 0xbad2310, which the verifier
 * rejects only where it is reachable.
 * @module
 */
import { SlotReader } from "../../asm/slot.ts";
import { writeSlot } from "../../asm/encode.ts";
import type { CoreCalc } from "./calc.ts";
import { fail } from "./error.ts";

/** The helper id a poisoned instruction calls: 195896080, "bad relo" (libbpf, cilium's COREBadRelocationSentinel). */
export const CORE_POISON_IMM = 0xbad2310;

const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, ALU64 = 0x07;
const LD_IMM64 = 0x18, CALL = 0x85;
const SIZE_BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
const BYTES_SIZE: Record<number, number> = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 };

/** What patching did, beyond the value. */
export interface CorePatched {
  /** The instruction was poisoned (here, or because the calculation said so). */
  poisoned: boolean;
  /** Why it was poisoned. */
  reason?: string;
  /** A load or store whose access size was rewritten: the sizes in bytes before and after. */
  resized?: { local: number; target: number };
}

function poison(insns: Uint8Array, at: number, little: boolean): void {
  writeSlot(insns, at, CALL, 0, 0, 0, CORE_POISON_IMM, little);
}

/** Patches instruction `insn` (an index) of `insns`, as libbpf does; a CoreFailure when it cannot. */
export function patchInsn(insns: Uint8Array, insn: number, res: CoreCalc, little: boolean): CorePatched {
  const count = Math.floor(insns.length / 8);
  if (!Number.isInteger(insn) || insn < 0 || insn >= count) fail(`instruction #${insn} is outside the program's ${count} instructions`);
  const r = new SlotReader(insns, little);
  const at = insn * 8;
  r.read(at);
  const code = r.code, isLdImm64 = code === LD_IMM64;
  if (isLdImm64 && insn + 1 >= count) fail(`ld_imm64 at #${insn} has no second half`);
  const doPoison = (reason: string | undefined): CorePatched => {
    // Both halves: a lone second half would read to the verifier as "unknown opcode 00".
    if (isLdImm64) poison(insns, at + 8, little);
    poison(insns, at, little);
    return { poisoned: true, reason };
  };
  if (res.poison) return doPoison(res.reason);
  const orig = res.origVal, val = res.newVal;
  switch (code & 7) {
    case ALU: case ALU64: {
      if (code & 0x08) fail(`ALU instruction #${insn} takes a register, not an immediate`);
      if (res.validate && BigInt.asUintN(64, BigInt(r.imm)) !== orig) fail(`instruction #${insn} (ALU/ALU64) holds ${r.imm}, expected ${orig} (-> ${val})`);
      writeSlot(insns, at, code, r.dst, r.src, r.off, Number(BigInt.asIntN(32, val)), little);
      return { poisoned: false };
    }
    case LDX: case ST: case STX: {
      if (res.validate && BigInt.asUintN(64, BigInt(r.off)) !== orig) fail(`instruction #${insn} (LDX/ST/STX) has offset ${r.off}, expected ${orig} (-> ${val})`);
      if (val > 0x7fffn) fail(`instruction #${insn} (LDX/ST/STX): offset ${val} is past SHRT_MAX`, "ERANGE");
      if (res.failMemszAdjust) {
        return doPoison(`the ${res.origSize}-byte field is ${res.newSize} bytes in the target: only pointers and unsigned integers may change size under a load or store`);
      }
      let newCode = code;
      let resized: CorePatched["resized"];
      if (res.newSize !== res.origSize) {
        const have = SIZE_BYTES[code & 0x18];
        if (have !== res.origSize) fail(`instruction #${insn} (LDX/ST/STX) accesses ${have} bytes, expected ${res.origSize}`);
        const size = BYTES_SIZE[res.newSize];
        if (size === undefined) fail(`instruction #${insn} (LDX/ST/STX): no access size of ${res.newSize} bytes`);
        newCode = (code & 0xe0) | size | (code & 7);
        resized = { local: res.origSize, target: res.newSize };
      }
      writeSlot(insns, at, newCode, r.dst, r.src, Number(val), r.imm, little);
      return resized ? { poisoned: false, resized } : { poisoned: false };
    }
    case LD: {
      const lo = r.imm, dst = r.dst, src0 = r.src, off0 = r.off;
      if (isLdImm64) r.read(at + 8);
      if (!isLdImm64 || src0 !== 0 || off0 !== 0 || r.code !== 0 || r.dst !== 0 || r.src !== 0 || r.off !== 0) {
        fail(`instruction #${insn} is not a plain ld_imm64 (src_reg 0, off 0, an empty second half)`);
      }
      const imm = BigInt(lo >>> 0) | (BigInt(r.imm >>> 0) << 32n);
      if (res.validate && imm !== orig) fail(`instruction #${insn} (LDIMM64) holds ${imm}, expected ${orig} (-> ${val})`);
      writeSlot(insns, at, code, dst, 0, 0, Number(BigInt.asIntN(32, val)), little);
      writeSlot(insns, at + 8, 0, 0, 0, 0, Number(BigInt.asIntN(32, val >> 32n)), little);
      return { poisoned: false };
    }
    default:
      return fail(`instruction #${insn} (code 0x${code.toString(16)}) is of no class CO-RE patches`);
  }
}
