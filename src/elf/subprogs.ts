/**
 * bpf-to-bpf linking, in libbpf's order (bpf_object__reloc_code, bpf_object__append_subprog_code):
 * an entry program's instructions are walked; each call or BPF_PSEUDO_FUNC ld_imm64 into a `.text`
 * function not yet part of this program appends that function's code at the end and walks it
 * at once, depth first; then the immediate is set to reach the appended copy. Each program gets
 * its own copies, so the same subprogram may sit at different places in different programs.
 * @module
 */
import { ElfError } from "./error.ts";
import { type ElfCode, type ElfFunction, functionAt, sectionLabel } from "./functions.ts";
import { CALL, HostInsns, LD_IMM64 } from "./host-insns.ts";
import { Pseudo } from "../uapi/flags.gen.ts";

/** A function's place in a linked program. */
export interface LinkedPart {
  /** The function. */
  fn: ElfFunction;
  /** Index of its first instruction in the linked program (libbpf's sub_insn_off). */
  at: number;
}

/** A linked program: its instructions, and the functions they came from in append order (the entry first). */
export interface LinkedProgram {
  /** The linked instructions, host byte order. */
  insns: Uint8Array;
  /** The entry program at 0, then each appended subprogram. */
  parts: LinkedPart[];
}

/** A growing instruction buffer, patched in place. */
class Growing {
  bytes: Uint8Array;
  view: HostInsns;
  length = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(Math.max(capacity, 64));
    this.view = new HostInsns(this.bytes);
  }

  append(src: Uint8Array): void {
    if (this.length + src.length > this.bytes.length) {
      const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + src.length));
      next.set(this.bytes.subarray(0, this.length));
      this.bytes = next;
      this.view = new HostInsns(next);
    }
    this.bytes.set(src, this.length);
    this.length += src.length;
  }
}

// libbpf's insn_is_subprog_call: a BPF_PSEUDO_CALL with dst_reg and off zero.
function isSubprogCall(v: HostInsns, i: number): boolean {
  return v.code(i) === CALL && v.src(i) === Pseudo.call && v.dst(i) === 0 && v.off(i) === 0;
}

// libbpf's insn_is_pseudo_func.
function isPseudoFunc(v: HostInsns, i: number): boolean {
  return v.code(i) === LD_IMM64 && v.src(i) === Pseudo.func;
}

/** The first relocation of `fn` at instruction `insn` (find_prog_insn_relo). */
function relocAt(fn: ElfFunction, insn: number): ElfFunction["relocs"][number] | undefined {
  let lo = 0, hi = fn.relocs.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (fn.relocs[m].insn < insn) lo = m + 1;
    else hi = m;
  }
  const r = fn.relocs[lo];
  return r !== undefined && r.insn === insn ? r : undefined;
}

/**
 * Links entry program `main`: appends every `.text` function it reaches, plus `extra` (an
 * exception callback, appended after the walk as libbpf does) if not reached already.
 */
export function linkProgram(code: ElfCode, main: ElfFunction, extra?: ElfFunction): LinkedProgram {
  const out = new Growing(main.insns.bytes.length * 2);
  out.append(main.insns.bytes);
  const placed = new Map<ElfFunction, number>();
  const parts: LinkedPart[] = [{ fn: main, at: 0 }];
  const append = (sub: ElfFunction): number => {
    const at = out.length >> 3;
    placed.set(sub, at);
    parts.push({ fn: sub, at });
    out.append(sub.insns.bytes);
    walk(sub, at);
    return at;
  };

  // Recursion depth is bounded by the number of distinct subprograms: each is appended once.
  const walk = (prog: ElfFunction, base: number): void => {
    const own = prog.insns;
    for (let i = 0; i < own.count; i++) {
      // Reading the program's own copy is reading the linked one: only this walk patches it, and
      // only at `i` after the read.
      if (!isSubprogCall(own, i) && !isPseudoFunc(own, i)) continue;
      const relo = relocAt(prog, i);
      if (relo?.type === "externCall") continue;
      const fail = (what: string): never => {
        throw new ElfError(`program ${JSON.stringify(main.name)}: ${prog === main ? "" : `subprogram ${JSON.stringify(prog.name)}, `}insns[${i}]: ${what}`, {
          section: sectionLabel(prog.section),
          offset: prog.section.offset + (prog.insnOff + i) * 8,
        });
      };
      if (relo !== undefined && relo.type !== "call" && relo.type !== "subprogAddr") fail(`a bpf-to-bpf call or callback address with a ${relo.type} relocation`);
      if (relo === undefined && isPseudoFunc(own, i)) fail("a BPF_PSEUDO_FUNC ld_imm64 without a relocation");
      const imm = own.imm(i);
      const target = relo?.type === "call" ? relo.symOff / 8 + imm + 1
        : relo?.type === "subprogAddr" ? (relo.symOff + imm) / 8
        // A call within the section, resolved by the assembler: relative to where it stands.
        : prog.insnOff + i + imm + 1;
      const sub = code.text ? functionAt(code, code.text.index, target) : undefined;
      if (sub === undefined) fail(`the call target, instruction ${target} of .text, is in no .text function`);
      const at = placed.get(sub!) ?? append(sub!);
      out.view.setImm(base + i, at - (base + i) - 1);
    }
  };

  walk(main, 0);
  if (extra !== undefined && !placed.has(extra)) append(extra);
  return { insns: out.bytes.slice(0, out.length), parts };
}
