/**
 * One instruction as the kernel's verifier log prints it (kernel/bpf/disasm.c): the opcode in
 * hex in parentheses, then the kernel's own variant of the C-like syntax - `(61) r0 = *(u32
 * *)(r1 +0)`, `(15) if r0 == 0x0 goto pc+1`, `(85) call bpf_map_lookup_elem#1`.
 * @module
 */
import { AtomicOp, BPF, Pseudo } from "../uapi/flags.gen.ts";
import { helperName as helperEnumName } from "../uapi/names.gen.ts";
import { Form, FORMS } from "./valid.ts";

/** How to print what the instruction alone does not say. */
export interface VerifierSyntaxOptions {
  /** Name of kfunc `btfId` (from module BTF `off`, 0 for vmlinux); the kernel looks it up in BTF. */
  readonly kfuncName?: (btfId: number, off: number) => string | undefined;
  /**
   * Whether map pointers in 64-bit loads are shown (the kernel prints 0x0 for them when the
   * loader may not see kernel pointers); default true, as for a privileged loader.
   */
  readonly allowPtrLeaks?: boolean;
}

const ALU_OPS: readonly string[] = ["+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=", "endian"];
const JMP_OPS: readonly string[] = ["jmp", "==", ">", ">=", "&", "!=", "s>", "s>=", "call", "exit", "<", "<=", "s<", "s<="];
const USIZE: readonly string[] = ["u32", "u16", "u8", "u64"];
const SSIZE: readonly string[] = ["s32", "s16", "s8", "s64"];

/** "bpf_<name>" for helper `id`, as the kernel's func_id_str; undefined for an unknown id. */
export function helperName(id: number): string | undefined {
  const name = helperEnumName(id);
  return name === `helper_${id}` ? undefined : `bpf_${name}`;
}

const hex2 = (code: number): string => (code < 16 ? `0${code.toString(16)}` : code.toString(16));
// C's "%+d".
const signed = (v: number): string => (v < 0 ? `${v}` : `+${v}`);

/** The verifier's text for validated fields, without the leading "N: " instruction index. */
export function verifierText(code: number, dst: number, src: number, off: number, imm: number, imm2: number, opts: VerifierSyntaxOptions = {}): string {
  const c = `(${hex2(code)})`;
  const cls = code & 7;
  const p = cls === BPF.ALU || cls === BPF.JMP32 ? "w" : "r";
  switch (FORMS[code]) {
    case Form.aluK: {
      const op = off === 1 ? ((code & 0xf0) === BPF.DIV ? "s/=" : "s%=") : ALU_OPS[code >> 4];
      return `${c} ${p}${dst} ${op} ${imm}`;
    }
    case Form.aluX: {
      if (cls === BPF.ALU64 && (code & 0xf0) === BPF.MOV && off === 1) {
        return `${c} r${dst} = addr_space_cast(r${src}, ${imm >>> 16}, ${imm & 0xffff})`;
      }
      const op = off === 1 ? ((code & 0xf0) === BPF.DIV ? "s/=" : "s%=") : ALU_OPS[code >> 4];
      const sx = (code & 0xf0) === BPF.MOV && off !== 0 ? `(s${off})` : "";
      return `${c} ${p}${dst} ${op} ${sx}${p}${src}`;
    }
    case Form.neg:
      return `${c} ${p}${dst} = -${p}${dst}`;
    case Form.end:
      return `${c} r${dst} = ${(code & BPF.TO_BE) !== 0 ? "be" : "le"}${imm} r${dst}`;
    case Form.bswap:
      return `${c} r${dst} = bswap${imm} r${dst}`;
    case Form.stx:
      return `${c} *(${USIZE[(code >> 3) & 3]} *)(r${dst} ${signed(off)}) = r${src}`;
    case Form.atomic:
    case Form.atomicAcqRel:
      return atomicText(c, code, dst, src, off, imm);
    case Form.st:
      return `${c} *(${USIZE[(code >> 3) & 3]} *)(r${dst} ${signed(off)}) = ${imm}`;
    case Form.ldx:
      return `${c} r${dst} = *(${USIZE[(code >> 3) & 3]} *)(r${src} ${signed(off)})`;
    case Form.ldsx:
      return `${c} r${dst} = *(${SSIZE[(code >> 3) & 3]} *)(r${src} ${signed(off)})`;
    case Form.ldAbs:
      return `${c} r0 = *(${USIZE[(code >> 3) & 3]} *)skb[${imm}]`;
    case Form.ldInd:
      return `${c} r0 = *(${USIZE[(code >> 3) & 3]} *)skb[r${src} + ${imm}]`;
    case Form.ldImm64: {
      const isPtr = src === Pseudo.map_fd || src === Pseudo.map_value;
      const v = isPtr && opts.allowPtrLeaks === false ? 0n : (BigInt(imm2 >>> 0) << 32n) | BigInt(imm >>> 0);
      return `${c} r${dst} = 0x${v.toString(16)}`;
    }
    case Form.call:
    case Form.callx: {
      if (src === Pseudo.call) return `${c} call pc${signed(imm)}`;
      let name: string | undefined;
      if (src === 0) name = helperName(imm);
      if (name === undefined && src === Pseudo.kfunc_call) name = opts.kfuncName?.(imm, off) ?? "kernel-function";
      return `${c} call ${name ?? "unknown"}#${imm}`;
    }
    case Form.ja:
      return `${c} goto pc${signed(off)}`;
    case Form.mayGoto:
      return `${c} may_goto pc${signed(off)}`;
    case Form.gotol:
      return `${c} gotol pc${signed(imm)}`;
    case Form.exit:
      return `${c} exit`;
    case Form.jmpX:
      return `${c} if ${p}${dst} ${JMP_OPS[code >> 4]} ${p}${src} goto pc${signed(off)}`;
    case Form.jmpK:
      return `${c} if ${p}${dst} ${JMP_OPS[code >> 4]} 0x${(imm >>> 0).toString(16)} goto pc${signed(off)}`;
  }
  throw new RangeError(`0x${code.toString(16)} is not a BPF opcode`);
}

function atomicText(c: string, code: number, dst: number, src: number, off: number, imm: number): string {
  const s = (code >> 3) & 3;
  const u = USIZE[s];
  const mem = `(r${dst} ${signed(off)})`;
  const w64 = s === 3 ? "64" : "";
  switch (imm) {
    case AtomicOp.load_acq:
      return `${c} r${dst} = load_acquire((${u} *)(r${src} ${signed(off)}))`;
    case AtomicOp.store_rel:
      return `${c} store_release((${u} *)${mem}, r${src})`;
    case AtomicOp.xchg:
      return `${c} r${src} = atomic${w64}_xchg((${u} *)${mem}, r${src})`;
    case AtomicOp.cmpxchg:
      return `${c} r0 = atomic${w64}_cmpxchg((${u} *)${mem}, r0, r${src})`;
  }
  const op = imm & 0xf0;
  if ((imm & AtomicOp.fetch) !== 0) {
    const fn = op === BPF.ADD ? "add" : op === BPF.OR ? "or" : op === BPF.AND ? "and" : "xor";
    return `${c} r${src} = atomic${w64}_fetch_${fn}((${u} *)${mem}, r${src})`;
  }
  return `${c} lock *(${u} *)${mem} ${ALU_OPS[op >> 4]} r${src}`;
}
