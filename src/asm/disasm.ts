/**
 * The disassembler: encoded instructions to one line of text each, in LLVM's syntax (what
 * `llvm-objdump -d --mcpu=v4` prints after the bytes) or in the kernel verifier's.
 * @module
 */
import { checkInsn, checkTail, wholeSlots } from "./decode.ts";
import { inRange, rangeError, type RawInsn } from "./encode.ts";
import { llvmText } from "./llvm-text.ts";
import { type Endian, isLittle, SlotReader } from "./slot.ts";
import { Form, FORMS, slotProblem } from "./valid.ts";
import { type VerifierSyntaxOptions, verifierText } from "./verifier-syntax.ts";

/** Options of disassemble() and formatInsn(). */
export interface DisassembleOptions extends VerifierSyntaxOptions {
  /** Byte order of the input (default "little"). */
  readonly endian?: Endian;
  /** LLVM syntax: immediates and offsets in hex, as plain `llvm-objdump -d` prints them (default decimal). */
  readonly hex?: boolean;
  /**
   * "llvm" (default) or "verifier": the kernel verifier log's syntax, each line prefixed with the
   * instruction's slot index as in the log ("3: (85) call bpf_map_lookup_elem#1").
   */
  readonly syntax?: "llvm" | "verifier";
}

function syntaxOf(opts: DisassembleOptions): boolean {
  const s = opts.syntax ?? "llvm";
  if (s !== "llvm" && s !== "verifier") throw new TypeError(`syntax must be "llvm" or "verifier", got ${JSON.stringify(s)}`);
  return s === "verifier";
}

/**
 * One line per instruction of `bytes`, as llvm-objdump prints them (or as the verifier's log
 * does, with `syntax: "verifier"`); a DecodeError (offset and byte) for anything that is not one.
 *
 * @example
 * ```ts
 * import { assemble, disassemble } from "tsbpf";
 * disassemble(assemble("r0 = 1\nexit")); // ["r0 = 1", "exit"]
 * ```
 */
export function disassemble(bytes: Uint8Array, opts: DisassembleOptions = {}): string[] {
  const r = new SlotReader(bytes, isLittle(opts.endian));
  const verifier = syntaxOf(opts);
  const hex = opts.hex === true;
  const end = wholeSlots(bytes);
  const out: string[] = [];
  for (let at = 0; at < end;) {
    r.read(at);
    const n = checkInsn(r, at);
    const imm2 = n === 2 ? r.immAt(at + 8) : 0;
    out.push(verifier
      ? `${at >> 3}: ${verifierText(r.code, r.dst, r.src, r.off, r.imm, imm2, opts)}`
      : llvmText(r.code, r.dst, r.src, r.off, r.imm, imm2, hex));
    at += n * 8;
  }
  checkTail(bytes);
  return out;
}

/**
 * The text of one instruction object (a 64-bit load with its `imm2`), in LLVM's syntax or the
 * verifier's (without the index). A RangeError if the fields do not make an instruction.
 */
export function formatInsn(insn: RawInsn, opts: DisassembleOptions = {}): string {
  const verifier = syntaxOf(opts);
  if (insn === null || typeof insn !== "object") throw new TypeError(`not an instruction object: ${String(insn)}`);
  if (!inRange(insn)) throw rangeError(insn, 0);
  const { code, dst, src, off } = insn;
  const imm = insn.imm | 0;
  const p = slotProblem(code, dst, src, off, imm);
  if (p !== undefined) throw new RangeError(`not an instruction: ${p.message}`);
  const wide = FORMS[code] === Form.ldImm64;
  if (wide && insn.imm2 === undefined) {
    throw new RangeError("a 64-bit immediate load needs its second half: pass an LdImm64 (with imm2)");
  }
  const imm2 = wide ? (insn.imm2 as number) | 0 : 0;
  return verifier ? verifierText(code, dst, src, off, imm, imm2, opts) : llvmText(code, dst, src, off, imm, imm2, opts.hex === true);
}
