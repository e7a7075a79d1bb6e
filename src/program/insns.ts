/**
 * A program's instructions as BPF_PROG_LOAD takes them: Insn objects, raw bytes, or a finished
 * ProgramBuilder program whose map symbols are resolved to fds here, checked against the kernel's
 * size limit before any syscall.
 * @module
 */
import type { RawInsn } from "../asm/encode.ts";
import { checkFd } from "../cmd/args.ts";
import { insnBytes } from "../cmd/prog.ts";

/** BPF_COMPLEXITY_LIMIT_INSNS: the most instructions a privileged loader may pass (since 5.2). */
export const MAX_INSNS = 1_000_000;
/** BPF_MAXINSNS: the limit without CAP_BPF/CAP_SYS_ADMIN, and for everyone before 5.2. */
export const MAX_INSNS_UNPRIVILEGED = 4096;

/** Anything that owns a kernel fd: a BpfMap, a BpfProgram (a number is taken as the fd itself). */
export interface HasFd {
  /** The fd. */
  readonly fd: number;
}

/** A finished ProgramBuilder program (src/asm/program.ts): instructions whose map loads still name symbols. */
export interface ResolvableProgram {
  /** The instructions with each map symbol replaced by its fd. */
  resolve(maps: Readonly<Record<string, number>>): readonly RawInsn[];
}

/** Instructions a program can be loaded from. */
export type Instructions = readonly RawInsn[] | Uint8Array | ResolvableProgram;

/** The maps a ProgramBuilder program refers to by symbol: an fd or an object with one. */
export type MapSymbols = Readonly<Record<string, number | HasFd>>;

function isResolvable(x: unknown): x is ResolvableProgram {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !(x instanceof Uint8Array) &&
    typeof (x as { resolve?: unknown }).resolve === "function";
}

function fdOf(name: string, v: number | HasFd): number {
  if (typeof v === "number") return checkFd(v, `map "${name}"`);
  if (typeof v === "object" && v !== null && "fd" in v) return checkFd(v.fd, `map "${name}" fd`); // a closed BpfMap throws here
  throw new TypeError(`map "${name}" must be an fd or an object with an fd (a BpfMap), got ${String(v)}`);
}

function tooLarge(n: number): RangeError {
  return new RangeError(
    `the program has ${n.toLocaleString("en-US")} instructions; the kernel accepts at most ${MAX_INSNS.toLocaleString("en-US")} ` +
      `(BPF_COMPLEXITY_LIMIT_INSNS), and ${MAX_INSNS_UNPRIVILEGED} without CAP_BPF or before Linux 5.2: split it with tail calls or bpf-to-bpf calls`,
  );
}

/**
 * The bytes of `insns`, with the map symbols of a ProgramBuilder program resolved from `maps`.
 * Throws before any syscall: a RangeError for an empty or too large program, a TypeError for maps
 * given to plain instructions, a ReferenceError (from resolve) for a symbol `maps` lacks.
 */
export function programBytes(insns: Instructions, maps?: MapSymbols): Uint8Array {
  let list: readonly RawInsn[] | Uint8Array;
  if (isResolvable(insns)) {
    const fds: Record<string, number> = {};
    for (const [name, v] of Object.entries(maps ?? {})) fds[name] = fdOf(name, v);
    list = insns.resolve(fds);
  } else if (insns instanceof Uint8Array || Array.isArray(insns)) {
    if (maps !== undefined && Object.keys(maps).length > 0) {
      throw new TypeError("maps are resolved only for ProgramBuilder programs; plain instructions carry map fds already");
    }
    list = insns;
  } else {
    throw new TypeError(`insns must be Insn[], a Uint8Array or a finished ProgramBuilder program, got ${String(insns)}`);
  }
  // Every instruction takes at least one 8-byte slot: refuse before encoding a huge array.
  if (!(list instanceof Uint8Array) && list.length > MAX_INSNS) throw tooLarge(list.length);
  const code = insnBytes(list);
  if (code.length / 8 > MAX_INSNS) throw tooLarge(code.length / 8);
  return code;
}
