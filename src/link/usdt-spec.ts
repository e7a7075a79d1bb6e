/**
 * USDT argument specs: the operand strings of a probe's note, x86-64's ("-4@%edi", "8@-16(%rbp)",
 * "-4@$42") or aarch64's ("8@x0", "-4@[sp, 12]", "-4@5"), parsed into where each argument lives, and encoded as the `struct __bpf_usdt_spec`
 * that libbpf's BPF-side `usdt.bpf.h` reads from its `__bpf_usdt_specs` map (bpf_usdt_arg()):
 * per argument a u64 value or offset, the kind (constant, register, memory at register plus
 * offset), the register's offset in `struct pt_regs`, signedness and the shift that narrows it.
 * Pure.
 * @module
 */
import { HOST_LITTLE } from "../util/endian.ts";

/** The kinds of enum __bpf_usdt_arg_type. */
export const UsdtArgKind = { const: 0, reg: 1, reg_deref: 2 } as const;
/** One of UsdtArgKind. */
export type UsdtArgKind = (typeof UsdtArgKind)[keyof typeof UsdtArgKind];

/** One argument of a probe site (struct __bpf_usdt_arg_spec). */
export interface UsdtArg {
  /** Where it lives: UsdtArgKind. */
  kind: UsdtArgKind;
  /** val_off: the constant, or the offset added to the register for reg_deref (0 for reg). */
  value: bigint;
  /** reg_off: the register's byte offset in struct pt_regs (0 for a constant). */
  regOffset: number;
  /** The register's name as written ("edi"), "" for a constant. */
  register: string;
  /** Its size in bytes: 1, 2, 4 or 8. */
  size: number;
  /** arg_signed: a negative size in the note ("-4@..."). */
  signed: boolean;
}

/** The most arguments a spec holds (BPF_USDT_MAX_ARG_CNT). */
export const USDT_MAX_ARGS = 12;
/** sizeof(struct __bpf_usdt_spec): 12 arguments of 16 bytes, the u64 cookie, the short count, padding. */
export const USDT_SPEC_SIZE = 208;

/** The architectures whose USDT operands parse: the kernel's names, as Backend.arch gives them. */
export type UsdtArch = "x86_64" | "aarch64";

// offsetof(struct pt_regs, reg) on x86-64, for every name the assembler gives a register or its low part.
const X86_REGS: Record<string, number> = {};
for (const [off, names] of [
  [0, "r15 r15d r15w r15b"], [8, "r14 r14d r14w r14b"], [16, "r13 r13d r13w r13b"], [24, "r12 r12d r12w r12b"],
  [32, "rbp ebp bp bpl"], [40, "rbx ebx bx bl"], [48, "r11 r11d r11w r11b"], [56, "r10 r10d r10w r10b"],
  [64, "r9 r9d r9w r9b"], [72, "r8 r8d r8w r8b"], [80, "rax eax ax al"], [88, "rcx ecx cx cl"],
  [96, "rdx edx dx dl"], [104, "rsi esi si sil"], [112, "rdi edi di dil"], [128, "rip eip ip"], [152, "rsp esp sp spl"],
] as const) {
  for (const n of names.split(" ")) X86_REGS[n] = off;
}

// On aarch64, struct pt_regs opens with struct user_pt_regs { u64 regs[31]; u64 sp; u64 pc; u64 pstate; }.
// libbpf names x0..x30 and sp only (its calc_pt_regs_off); so does this parser.
const ARM64_REGS: Record<string, number> = { sp: 248 };
for (let i = 0; i <= 30; i++) ARM64_REGS[`x${i}`] = i * 8;

function register(name: string, arg: string, arch: UsdtArch): number {
  const off = (arch === "x86_64" ? X86_REGS : ARM64_REGS)[name];
  if (off === undefined) {
    if (arch === "aarch64") throw new RangeError(`USDT argument ${JSON.stringify(arg)}: unknown aarch64 register ${name} (x0..x30 and sp are)`);
    const why = /^[abcd]h$/.test(name) ? " (a high-byte register, which pt_regs cannot address)" : "";
    throw new RangeError(`USDT argument ${JSON.stringify(arg)}: unknown x86-64 register %${name}${why}`);
  }
  return off;
}

/** An integer as operands write it: signed, decimal or 0x hex. */
const INTEGER = /^[-+]?(0x[0-9a-f]+|\d+)$/i;

function integer(text: string, arg: string): bigint {
  if (!INTEGER.test(text)) throw new RangeError(`USDT argument ${JSON.stringify(arg)}: ${JSON.stringify(text)} is not an integer`);
  const neg = text.startsWith("-");
  const v = BigInt(text.replace(/^[-+]/, ""));
  return BigInt.asUintN(64, neg ? -v : v);
}

type Where = Pick<UsdtArg, "kind" | "value" | "regOffset" | "register">;

/** An x86-64 (AT&T syntax) operand: $imm, %reg, off(%reg). */
function x86Operand(op: string, arg: string): Where {
  if (op.startsWith("$")) return { kind: UsdtArgKind.const, value: integer(op.slice(1), arg), regOffset: 0, register: "" };
  if (op.startsWith("%")) {
    const name = op.slice(1);
    return { kind: UsdtArgKind.reg, value: 0n, regOffset: register(name, arg, "x86_64"), register: name };
  }
  const mem = /^([^(]*)\(%([a-z0-9]+)\)$/.exec(op);
  if (mem !== null) {
    const name = mem[2];
    if (name === "rip" && mem[1] !== "" && !INTEGER.test(mem[1])) {
      throw new RangeError(`USDT argument ${JSON.stringify(arg)}: a symbol relative to %rip (libbpf's usdt.bpf.h reads no such argument)`);
    }
    return { kind: UsdtArgKind.reg_deref, value: mem[1] === "" ? 0n : integer(mem[1], arg), regOffset: register(name, arg, "x86_64"), register: name };
  }
  if (/^[^(]*\(%[a-z0-9]*,/.test(op)) {
    // BPF_USDT_ARG_SIB came with libbpf 1.7's usdt.bpf.h, in a spec layout older headers misread.
    throw new RangeError(`USDT argument ${JSON.stringify(arg)}: base-index-scale addressing, which the usdt.bpf.h of libbpf before 1.7 cannot read`);
  }
  throw new RangeError(`USDT argument ${JSON.stringify(arg)}: unknown operand ${JSON.stringify(op)}`);
}

/** An aarch64 operand: imm, xN or sp, [reg], [reg, off]. */
function arm64Operand(op: string, arg: string): Where {
  const mem = /^\[\s*([a-z0-9]+)\s*(?:,\s*([^\]]*?)\s*)?\]$/.exec(op);
  if (mem !== null) {
    const name = mem[1], off = mem[2];
    if (off !== undefined && !INTEGER.test(off)) {
      throw new RangeError(`USDT argument ${JSON.stringify(arg)}: offset ${JSON.stringify(off)} is a relocation, not an integer (libbpf's usdt.bpf.h reads no such argument)`);
    }
    return { kind: UsdtArgKind.reg_deref, value: off === undefined ? 0n : integer(off, arg), regOffset: register(name, arg, "aarch64"), register: name };
  }
  if (INTEGER.test(op)) return { kind: UsdtArgKind.const, value: integer(op, arg), regOffset: 0, register: "" };
  if (/^[a-z][a-z0-9]*$/.test(op)) return { kind: UsdtArgKind.reg, value: 0n, regOffset: register(op, arg, "aarch64"), register: op };
  throw new RangeError(`USDT argument ${JSON.stringify(arg)}: unknown aarch64 operand ${JSON.stringify(op)}`);
}

/**
 * One argument spec ("-4@-36(%rbp)" on x86-64, "-4@[sp, 12]" on aarch64), as libbpf's
 * parse_usdt_arg reads it. A RangeError for a form libbpf's usdt.bpf.h cannot read.
 */
export function parseUsdtArg(arg: string, arch: UsdtArch = "x86_64"): UsdtArg {
  if (arch !== "x86_64" && arch !== "aarch64") throw new TypeError(`USDT arch must be "x86_64" or "aarch64", got ${JSON.stringify(arch)}`);
  const m = /^(-?)(\d+)@(.+)$/.exec(arg);
  if (m === null) throw new RangeError(`USDT argument ${JSON.stringify(arg)}: not of the form [-]<size>@<operand>`);
  const size = Number(m[2]), signed = m[1] === "-", op = m[3];
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) throw new RangeError(`USDT argument ${JSON.stringify(arg)}: size ${size} is not 1, 2, 4 or 8`);
  return { size, signed, ...(arch === "x86_64" ? x86Operand(op, arg) : arm64Operand(op, arg)) };
}

/** A site's argument string, split at the spaces between arguments (not those inside aarch64's "[sp, 12]") and parsed; at most USDT_MAX_ARGS. */
export function parseUsdtArgs(args: string, arch: UsdtArch = "x86_64"): UsdtArg[] {
  const parts = args.match(/(?:\[[^\]]*\]|\S)+/g) ?? [];
  if (parts.length > USDT_MAX_ARGS) throw new RangeError(`USDT probe with ${parts.length} arguments: usdt.bpf.h holds at most ${USDT_MAX_ARGS}`);
  return parts.map((p) => parseUsdtArg(p, arch));
}

/**
 * `args` and `cookie` as the bytes of a struct __bpf_usdt_spec (USDT_SPEC_SIZE, host byte order):
 * what bpf_usdt_arg(), bpf_usdt_arg_cnt() and bpf_usdt_cookie() read.
 */
export function encodeUsdtSpec(args: readonly UsdtArg[], cookie: bigint, out: Uint8Array = new Uint8Array(USDT_SPEC_SIZE)): Uint8Array {
  if (args.length > USDT_MAX_ARGS) throw new RangeError(`a USDT spec holds at most ${USDT_MAX_ARGS} arguments, got ${args.length}`);
  if (out.length < USDT_SPEC_SIZE) throw new RangeError(`a USDT spec takes ${USDT_SPEC_SIZE} bytes, the buffer has ${out.length}`);
  out.fill(0, 0, USDT_SPEC_SIZE);
  const dv = new DataView(out.buffer, out.byteOffset, USDT_SPEC_SIZE);
  const le = HOST_LITTLE;
  args.forEach((a, i) => {
    const at = i * 16;
    dv.setBigUint64(at, a.value, le);
    dv.setUint32(at + 8, a.kind, le);
    dv.setInt16(at + 12, a.regOffset, le);
    dv.setUint8(at + 14, a.signed ? 1 : 0);
    // arg_bitshift: shifting left then right by 64 - 8 * size narrows the u64 to the argument's size.
    dv.setUint8(at + 15, 64 - a.size * 8);
  });
  dv.setBigUint64(192, BigInt.asUintN(64, cookie), le);
  dv.setInt16(200, args.length, le);
  return out;
}
