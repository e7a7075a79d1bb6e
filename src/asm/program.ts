/**
 * A builder for hand-written programs: jumps, long jumps, bpf-to-bpf calls and function
 * pointers go to labels resolved by finish(), and maps are referenced by symbol and resolved to
 * fds by Program.resolve() when the maps exist, just before loading.
 *
 * ```ts
 * const prog = new ProgramBuilder()
 *   .ldMap("r1", "counts").emit(Insn.mov("r2", "r10"), Insn.add("r2", -4), Insn.call("map_lookup_elem"))
 *   .jmp("jeq", "r0", 0, "out").emit(Insn.mov("r0", 1)).label("out").emit(Insn.exit())
 *   .finish();
 * const insns = prog.resolve({ counts: map.fd });
 * ```
 * @module
 */
import { Pseudo } from "../uapi/flags.gen.ts";
import { Helper } from "../uapi/enums.gen.ts";
import { assembleWithSymbols } from "./assemble.ts";
import { imm32 } from "./check.ts";
import { decode } from "./decode.ts";
import { Insn, type Src } from "./insn.ts";
import { Jmp } from "./jump.ts";
import { LD_IMM64, LdImm64 } from "./ldimm64.ts";
import type { JmpCond } from "./ops.ts";
import { type Reg, regNum } from "./reg.ts";

/** A map reference left for load time: instruction `index` loads map `symbol` (or a pointer into its value). */
export interface MapReloc {
  /** Index into BuiltProgram.insns of the 64-bit load. */
  readonly index: number;
  /** The map's symbol, as passed to ldMap()/ldMapValue(). */
  readonly symbol: string;
  /** "fd": the map itself (BPF_PSEUDO_MAP_FD); "value": a pointer into its value (BPF_PSEUDO_MAP_VALUE). */
  readonly kind: "fd" | "value";
  /** Byte offset into the value, for kind "value". */
  readonly offset: number;
}

/**
 * A finished program (ProgramBuilder.finish()): instructions with every label resolved, and the
 * map symbols still open until load time. BpfProgram.load() takes one with its `maps`.
 */
export class BuiltProgram {
  /** The instructions; map loads carry fd 0 until resolve(). */
  readonly insns: readonly Insn[];
  /** The map loads to patch, in instruction order. */
  readonly relocations: readonly MapReloc[];
  /** Every label and the slot index it marks. */
  readonly labels: ReadonlyMap<string, number>;

  /** A program from finished parts (ProgramBuilder.finish() makes these). */
  constructor(insns: readonly Insn[], relocations: readonly MapReloc[], labels: ReadonlyMap<string, number>) {
    this.insns = insns;
    this.relocations = relocations;
    this.labels = labels;
  }

  /** The map symbols the program needs, each once, in order of first use. */
  get symbols(): string[] {
    return [...new Set(this.relocations.map((r) => r.symbol))];
  }

  /** The instructions with every map symbol replaced by its fd; a ReferenceError naming a missing symbol. */
  resolve(maps: Readonly<Record<string, number>> | ReadonlyMap<string, number>): Insn[] {
    const out = this.insns.slice();
    for (const r of this.relocations) {
      const fd = maps instanceof Map ? maps.get(r.symbol) : Object.hasOwn(maps, r.symbol) ? (maps as Record<string, number>)[r.symbol] : undefined;
      if (fd === undefined) {
        throw new ReferenceError(`unresolved map symbol "${r.symbol}" (loaded by instruction ${r.index}); pass its fd to resolve()`);
      }
      if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) throw new RangeError(`map symbol "${r.symbol}": ${String(fd)} is not a file descriptor`);
      const dst = out[r.index].dst;
      out[r.index] = r.kind === "fd"
        ? new LdImm64(dst, Pseudo.map_fd, fd, 0)
        : new LdImm64(dst, Pseudo.map_value, fd, r.offset);
    }
    return out;
  }
}

const OFF16 = 0; // 16-bit jump offset in off
const IMM32 = 1; // 32-bit offset in imm (gotol, bpf-to-bpf call, function pointer)

interface Fixup {
  readonly index: number;
  readonly slot: number;
  readonly label: string;
  readonly field: number;
}

function checkName(name: string, what: string): string {
  if (typeof name !== "string" || name === "") throw new TypeError(`${what} must be a non-empty string, got ${JSON.stringify(name)}`);
  return name;
}

/**
 * Builds a program instruction by instruction, with labels and map symbols resolved at load
 * time; every method but finish() returns the builder.
 *
 * @example
 * ```ts
 * import { BpfProgram, Insn, ProgramBuilder, ProgType } from "tsbpf";
 * const insns = new ProgramBuilder()
 *   .emit(Insn.mov("r0", 0))
 *   .jmp("jeq", "r1", 0, "out")
 *   .emit(Insn.mov("r0", 1))
 *   .label("out").emit(Insn.exit())
 *   .finish();
 * using prog = BpfProgram.load({ type: ProgType.socket_filter, insns });
 * ```
 */
export class ProgramBuilder {
  private readonly insns: Insn[] = [];
  private slots = 0;
  private readonly labelSlots = new Map<string, number>();
  private readonly fixups: Fixup[] = [];
  private readonly relocs: MapReloc[] = [];

  /** Appends instructions as they are (a 64-bit load takes two slots). */
  emit(...insns: Insn[]): this {
    for (const i of insns) {
      if (!(i instanceof Insn)) throw new TypeError(`emit() takes instructions (Insn), got ${String(i)}`);
      this.insns.push(i);
      this.slots += i.code === LD_IMM64 && i instanceof LdImm64 ? 2 : 1;
    }
    return this;
  }

  /**
   * Appends LLVM-syntax assembly (see assemble()); its labels stay local to it, and a symbol
   * loaded as clang writes it (`r1 = my_map ll`) becomes a map reference like ldMap()'s.
   */
  asm(source: string): this {
    const { bytes, symbols } = assembleWithSymbols(source);
    const insns = decode(bytes);
    let slot = 0;
    let s = 0;
    for (const insn of insns) {
      if (s < symbols.length && symbols[s][0] === slot) {
        this.relocs.push({ index: this.insns.length, symbol: symbols[s][1], kind: "fd", offset: 0 });
        s++;
      }
      this.emit(insn);
      slot += insn instanceof LdImm64 ? 2 : 1;
    }
    return this;
  }

  /** Marks the next instruction with `name`; a name can be used once. */
  label(name: string): this {
    checkName(name, "a label");
    if (this.labelSlots.has(name)) throw new TypeError(`label "${name}" is already defined (at slot ${this.labelSlots.get(name)})`);
    this.labelSlots.set(name, this.slots);
    return this;
  }

  #jumpTo(insn: Insn, label: string, field: number): this {
    checkName(label, "a jump target");
    this.fixups.push({ index: this.insns.length, slot: this.slots, label, field });
    return this.emit(insn);
  }

  /** if (dst cond src) goto label, comparing 64 bits. */
  jmp(cond: JmpCond, dst: Reg, src: Src, label: string): this {
    return this.#jumpTo(Jmp.cond(64, cond, dst, src, 0), label, OFF16);
  }
  /** if (dst cond src) goto label, comparing the low 32 bits. */
  jmp32(cond: JmpCond, dst: Reg, src: Src, label: string): this {
    return this.#jumpTo(Jmp.cond(32, cond, dst, src, 0), label, OFF16);
  }
  /** goto label (16-bit offset). */
  ja(label: string): this {
    return this.#jumpTo(Jmp.ja(0), label, OFF16);
  }
  /** gotol label (32-bit offset, cpu v4). */
  gotol(label: string): this {
    return this.#jumpTo(Jmp.gotol(0), label, IMM32);
  }
  /** may_goto label. */
  mayGoto(label: string): this {
    return this.#jumpTo(Jmp.mayGoto(0), label, OFF16);
  }
  /** Calls the subprogram at `label` (bpf-to-bpf call). */
  call(label: string): this {
    return this.#jumpTo(Jmp.callLocal(0), label, IMM32);
  }
  /** Calls a helper by id or name. */
  callHelper(helper: number | keyof typeof Helper): this {
    return this.emit(Insn.call(helper));
  }
  /** dst = address of the subprogram at `label` (BPF_PSEUDO_FUNC), e.g. for bpf_loop's callback. */
  ldFunc(dst: Reg, label: string): this {
    return this.#jumpTo(LdImm64.func(dst, 0), label, IMM32);
  }
  /** dst = the map called `symbol`, resolved to an fd by Program.resolve(). */
  ldMap(dst: Reg, symbol: string): this {
    checkName(symbol, "a map symbol");
    this.relocs.push({ index: this.insns.length, symbol, kind: "fd", offset: 0 });
    return this.emit(new LdImm64(regNum(dst), Pseudo.map_fd, 0, 0));
  }
  /** dst = address of byte `offset` of the value of array map `symbol` (BPF_PSEUDO_MAP_VALUE). */
  ldMapValue(dst: Reg, symbol: string, offset = 0): this {
    checkName(symbol, "a map symbol");
    imm32(offset, "map value offset");
    this.relocs.push({ index: this.insns.length, symbol, kind: "value", offset: offset | 0 });
    return this.emit(new LdImm64(regNum(dst), Pseudo.map_value, 0, offset));
  }

  /**
   * Resolves every label: a ReferenceError naming the label for one that is unknown, a RangeError
   * for a jump whose distance does not fit its field (16 bits for goto and conditional jumps).
   */
  finish(): BuiltProgram {
    const out = this.insns.slice();
    for (const f of this.fixups) {
      const target = this.labelSlots.get(f.label);
      if (target === undefined) {
        const known = [...this.labelSlots.keys()];
        throw new ReferenceError(`unknown label "${f.label}" (instruction ${f.index} jumps to it)${known.length ? `; labels: ${known.join(", ")}` : ""}`);
      }
      if (target >= this.slots) throw new RangeError(`label "${f.label}" marks the end of the program: instruction ${f.index} would jump out of it`);
      const rel = target - f.slot - 1;
      const i = out[f.index];
      if (f.field === OFF16) {
        if (rel < -32768 || rel > 32767) {
          throw new RangeError(`instruction ${f.index} jumps to "${f.label}", ${rel} slots away: that does not fit in 16 signed bits (use gotol)`);
        }
        out[f.index] = new Insn(i.code, i.dst, i.src, rel, i.imm);
      } else if (i instanceof LdImm64) {
        out[f.index] = new LdImm64(i.dst, i.src, rel, 0);
      } else {
        if (rel < -2147483648 || rel > 2147483647) throw new RangeError(`instruction ${f.index} jumps to "${f.label}", ${rel} slots away: that does not fit in 32 signed bits`);
        out[f.index] = new Insn(i.code, i.dst, i.src, i.off, rel);
      }
    }
    return new BuiltProgram(out, this.relocs.slice(), new Map(this.labelSlots));
  }
}

/** A new ProgramBuilder. */
export function program(): ProgramBuilder {
  return new ProgramBuilder();
}
