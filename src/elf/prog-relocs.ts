/**
 * Relocations of executable sections to what they mean, as libbpf's
 * bpf_object__collect_prog_relos and bpf_program__record_reloc decide it: a bpf-to-bpf call, a
 * subprogram's address, an extern, a map, or an address in global data - each attached to the
 * function holding the instruction, at its index relative to that function.
 * @module
 */
import { ElfError } from "./error.ts";
import type { ElfFile, ElfSection, ElfSymbol } from "./file.ts";
import { SectionFlag, SectionIndex, SectionType, SymbolBind, SymbolType } from "./constants.ts";
import { ARENA_SECTION, arenaMap } from "./arena-data.ts";
import { dataSectionKind } from "./data-maps.ts";
import type { ElfExternSpec } from "./externs.ts";
import { type ElfCode, type ElfFunction, functionAt, sectionLabel } from "./functions.ts";
import { CALL, LD_IMM64 } from "./host-insns.ts";
import type { ElfMapSpec } from "./map-spec.ts";
import { Pseudo } from "../uapi/flags.gen.ts";

/** What one relocated instruction refers to (libbpf's struct reloc_desc); `insn` is relative to its function. */
export type ProgReloc =
  /** RELO_CALL: a bpf-to-bpf call into `.text`; `symOff` the symbol's byte offset there. */
  | { type: "call"; insn: number; symOff: number }
  /** RELO_SUBPROG_ADDR: an ld_imm64 of a `.text` function's address (a callback). */
  | { type: "subprogAddr"; insn: number; symOff: number }
  /** RELO_EXTERN_CALL: a call of an extern function (a kfunc). */
  | { type: "externCall"; insn: number; ext: ElfExternSpec }
  /** RELO_EXTERN_LD64: an ld_imm64 of an extern (kconfig or ksym). */
  | { type: "externLd"; insn: number; ext: ElfExternSpec }
  /** RELO_LD64: an ld_imm64 of a map. */
  | { type: "map"; insn: number; map: string }
  /** RELO_DATA: an ld_imm64 of an address `offset` bytes into global-data map `map`. */
  | { type: "data"; insn: number; map: string; offset: number };

/** What relocations are resolved against. */
export interface RelocContext {
  /** The object's functions, whose `relocs` get filled. */
  code: ElfCode;
  /** Its maps, by which map and data references are named. */
  maps: readonly ElfMapSpec[];
  /** Its externs, by name. */
  externs: ReadonlyMap<string, ElfExternSpec>;
}

// libbpf's sym_is_extern.
function isExtern(s: ElfSymbol): boolean {
  return s.shndx === SectionIndex.undef && (s.bind === SymbolBind.global || s.bind === SymbolBind.weak) && s.type === SymbolType.notype;
}

// libbpf's sym_is_subprog.
function isSubprog(s: ElfSymbol, text: ElfSection | undefined): boolean {
  if (text === undefined || s.shndx !== text.index) return false;
  if (s.bind === SymbolBind.local && s.type === SymbolType.section) return true;
  return (s.bind === SymbolBind.global || s.bind === SymbolBind.weak) && s.type === SymbolType.func;
}

const isLegacyMaps = (name: string) => name === "maps" || name.startsWith("maps/");

/** Fills `relocs` of every function from the SHT_REL sections that patch executable sections. */
export function collectRelocs(elf: ElfFile, ctx: RelocContext): void {
  const syms = elf.symbols();
  // Map symbols by (section, offset): libbpf matches a map reference by the symbol's st_value.
  const mapSyms = new Map<string, Set<string>>();
  for (const s of syms) {
    const sec = elf.sections[s.shndx];
    if (sec === undefined || s.name === "" || s.type === SymbolType.section || (sec.name !== ".maps" && !isLegacyMaps(sec.name))) continue;
    const key = `${s.shndx}:${s.value}`;
    let names = mapSyms.get(key);
    if (names === undefined) mapSyms.set(key, (names = new Set()));
    names.add(s.name);
  }
  for (const rel of elf.sections) {
    if (rel.type !== SectionType.rel && rel.type !== SectionType.rela) continue;
    const target = elf.sections[rel.info];
    if (target === undefined || (target.flags & SectionFlag.execinstr) === 0) continue; // only code
    if (rel.type === SectionType.rela) {
      throw new ElfError(`SHT_RELA relocations of code section ${JSON.stringify(target.name)}: BPF objects use SHT_REL, as libbpf requires`, { section: sectionLabel(rel) });
    }
    const relocs = elf.relocations(rel);
    for (let i = 0; i < relocs.length; i++) {
      const r = relocs[i];
      const sym = syms[r.symbol];
      const at = { section: sectionLabel(target), offset: target.offset + Math.min(r.offset, target.size) };
      if (sym === undefined) throw new ElfError(`relocation #${i} of ${rel.name} names symbol ${r.symbol}, which the symbol table lacks`, at);
      if (sym.shndx >= elf.sections.length) {
        throw new ElfError(`relocation #${i} of ${rel.name}: symbol ${sym.index} (${JSON.stringify(sym.name)}) points to section ${sym.shndx}, which does not exist`, at);
      }
      if (r.offset % 8 !== 0 || r.offset >= target.size) {
        throw new ElfError(`relocation #${i} of ${rel.name} at offset ${r.offset} is not at an instruction of the section's ${target.size} bytes`, at);
      }
      const insn = r.offset / 8;
      const fn = functionAt(ctx.code, target.index, insn);
      // Code no function covers, e.g. of a weak function another object overrode: libbpf skips it.
      if (fn === undefined) continue;
      const name = sym.type === SymbolType.section && sym.name === "" ? (elf.sections[sym.shndx]?.name ?? "") : sym.name;
      fn.relocs.push(recordReloc(elf, ctx, mapSyms, fn, insn - fn.insnOff, sym, name, at));
    }
  }
  // libbpf's bpf_object__sort_relos: by instruction. Two for one instruction libbpf would apply
  // one over the other; clang never emits them, so they are a flaw here.
  for (const fn of ctx.code.functions) {
    fn.relocs.sort((a, b) => a.insn - b.insn);
    for (let i = 1; i < fn.relocs.length; i++) {
      if (fn.relocs[i].insn !== fn.relocs[i - 1].insn) continue;
      throw new ElfError(`program ${JSON.stringify(fn.name)}: two relocations of insns[${fn.relocs[i].insn}]`, {
        section: sectionLabel(fn.section),
        offset: fn.section.offset + (fn.insnOff + fn.relocs[i].insn) * 8,
      });
    }
  }
}

/** One relocation of instruction `insn` of `fn` against `sym`, classified as bpf_program__record_reloc does. */
function recordReloc(
  elf: ElfFile,
  ctx: RelocContext,
  mapSyms: ReadonlyMap<string, ReadonlySet<string>>,
  fn: ElfFunction,
  insn: number,
  sym: ElfSymbol,
  name: string,
  at: { section: string; offset: number },
): ProgReloc {
  const code = fn.insns.code(insn);
  const fail = (what: string): never => {
    throw new ElfError(`program ${JSON.stringify(fn.name)}: relocation against ${JSON.stringify(name)} at insns[${insn}]: ${what}`, at);
  };
  if (code !== CALL && code !== LD_IMM64) fail(`instruction code 0x${code.toString(16)} is neither a call nor an ld_imm64`);
  if (code === LD_IMM64 && insn + 1 >= fn.insns.count) fail("the ld_imm64 has no second slot in its function");
  if (isExtern(sym)) {
    const ext = ctx.externs.get(sym.name);
    if (ext === undefined) fail("no extern of that name (an extern symbol needs a name and a BTF VAR or FUNC)");
    if (code === CALL) {
      if (ext!.kind === "kconfig") fail("a call of a .kconfig variable");
      return { type: "externCall", insn, ext: ext! };
    }
    return { type: "externLd", insn, ext: ext! };
  }
  const text = ctx.code.text;
  if (code === CALL) {
    if (fn.insns.src(insn) !== Pseudo.call) fail(`a call with src_reg ${fn.insns.src(insn)}, not BPF_PSEUDO_CALL`);
    if (sym.shndx === 0 || text === undefined || sym.shndx !== text.index) {
      fail(`a call into section ${JSON.stringify(elf.sections[sym.shndx]?.name ?? "")}: bpf-to-bpf calls must go to .text`);
    }
    if (sym.value % 8 !== 0) fail(`the call's target offset ${sym.value} is not on an instruction`);
    return { type: "call", insn, symOff: sym.value };
  }
  if (sym.shndx === 0 || sym.shndx >= SectionIndex.loreserve) {
    fail(`the symbol is in special section 0x${sym.shndx.toString(16)} (an uninitialised global variable?)`);
  }
  if (isSubprog(sym, text)) {
    const imm = fn.insns.imm(insn);
    if (sym.value % 8 !== 0 || imm % 8 !== 0) fail(`the subprogram address ${sym.value}+${imm} is not on an instruction`);
    return { type: "subprogAddr", insn, symOff: sym.value };
  }
  const sec = elf.sections[sym.shndx];
  if (sec.name === ARENA_SECTION) {
    // libbpf's arena data relocation: a value of the arena map, at the variable's offset in the
    // section (Collection.load adds where in the arena the section goes).
    const arena = arenaMap(ctx.maps);
    if (arena === undefined) fail("an __arena variable, but the object declares no ARENA map");
    return { type: "data", insn, map: arena!.name, offset: (fn.insns.imm(insn) + sym.value) | 0 };
  }
  const kind = dataSectionKind(sec);
  if (kind === undefined || (kind !== "bss" && sec.size === 0)) {
    if (sec.name !== ".maps" && !isLegacyMaps(sec.name)) fail(`a reference into section ${JSON.stringify(sec.name)}, which holds neither maps nor global data`);
    const atOffset = mapSyms.get(`${sec.index}:${sym.value}`) ?? new Set<string>();
    const source = sec.name === ".maps" ? "btf" : "legacy";
    const map = ctx.maps.find((m) => m.source === source && m.section === sec.name && atOffset.has(m.name));
    if (map === undefined) fail(`no map in section ${JSON.stringify(sec.name)} at offset ${sym.value}`);
    return { type: "map", insn, map: map!.name };
  }
  const map = ctx.maps.find((m) => m.source === "data" && m.section === sec.name);
  if (map === undefined) fail(`no global-data map for section ${JSON.stringify(sec.name)}`);
  // relocate_data: insn[1].imm = insn[0].imm + sym_off, in 32 bits.
  return { type: "data", insn, map: map!.name, offset: (fn.insns.imm(insn) + sym.value) | 0 };
}
