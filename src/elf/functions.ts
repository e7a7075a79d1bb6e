/**
 * The functions of an object's executable sections, as libbpf's bpf_object__elf_collect and
 * bpf_object__add_programs find them: every STT_FUNC symbol of a non-empty SHT_PROGBITS section
 * with SHF_EXECINSTR is one, its code copied into the host's byte order. Those of `.text` are
 * subprograms; the others are entry programs. Sorted by section index, then offset.
 * @module
 */
import { ElfError } from "./error.ts";
import type { ElfFile, ElfSection, ElfSymbol } from "./file.ts";
import { isHiddenVisibility, SectionFlag, SectionType, SymbolBind, SymbolType } from "./constants.ts";
import { HostInsns, hostOrderInsns } from "./host-insns.ts";
import type { ProgReloc } from "./prog-relocs.ts";

/** One function of an executable section (libbpf's struct bpf_program before linking). */
export interface ElfFunction {
  /** The symbol's name. */
  name: string;
  /** Its section. */
  section: ElfSection;
  /** Its symbol. */
  symbol: ElfSymbol;
  /** Index of its first instruction in the section (sec_insn_off). */
  insnOff: number;
  /** Its own instructions, host byte order (sec_insn_cnt of them). */
  insns: HostInsns;
  /** Its relocations, by ascending instruction index relative to the function (reloc_desc). */
  relocs: ProgReloc[];
  /** STB_GLOBAL or STB_WEAK (sym_global). */
  global: boolean;
  /** A global with hidden or internal visibility, verified as static (mark_btf_static). */
  hidden: boolean;
}

/** An object's functions, and where its `.text` is. */
export interface ElfCode {
  /** Every function, sorted by section index, then offset (libbpf's cmp_progs). */
  functions: ElfFunction[];
  /** The functions of each executable section, by section index, sorted by offset. */
  bySection: Map<number, ElfFunction[]>;
  /** The `.text` section (text_shndx), when there is a non-empty one. */
  text: ElfSection | undefined;
}

/** Section label for errors, as ElfFile writes it. */
export function sectionLabel(s: ElfSection): string {
  return `${s.index} (${s.name})`;
}

// Names bpf_object__elf_collect handles before it looks at a section's type and flags.
function isSpecialName(name: string): boolean {
  return name === "license" || name === "version" || name === "maps" || name === ".maps" || name === ".BTF" || name === ".BTF.ext" || name.startsWith(".debug_");
}

/** Whether `s` holds programs by libbpf's rules: non-empty SHT_PROGBITS with SHF_EXECINSTR. */
export function isCodeSection(s: ElfSection): boolean {
  return s.type === SectionType.progbits && s.size > 0 && (s.flags & SectionFlag.execinstr) !== 0 && !isSpecialName(s.name);
}

/** The functions of `elf`'s executable sections; a malformed one is an ElfError. */
export function collectFunctions(elf: ElfFile): ElfCode {
  const symtabs = elf.sections.filter((s) => s.type === SectionType.symtab);
  if (symtabs.length === 0) throw new ElfError("no symbol table (SHT_SYMTAB): a stripped object file?");
  if (symtabs.length > 1) throw new ElfError(`${symtabs.length} symbol tables; a BPF object has one`, { section: sectionLabel(symtabs[1]) });
  const syms = elf.symbols(symtabs[0]);
  const functions: ElfFunction[] = [];
  const bySection = new Map<number, ElfFunction[]>();
  let text: ElfSection | undefined;
  for (const sec of elf.sections) {
    if (!isCodeSection(sec)) continue;
    if (sec.name === ".text") text = sec;
    const data = elf.data(sec);
    const list: ElfFunction[] = [];
    for (const sym of syms) {
      if (sym.shndx !== sec.index || sym.type !== SymbolType.func) continue;
      const where = { section: sectionLabel(sec), offset: sec.offset + Math.min(sym.value, sec.size) };
      if (sym.value + sym.size > sec.size) {
        throw new ElfError(`program ${JSON.stringify(sym.name)} at offset ${sym.value} (${sym.size} bytes) crosses the section's end (${sec.size} bytes)`, where);
      }
      if (sec.name !== ".text" && sym.bind === SymbolBind.local) {
        throw new ElfError(`program ${JSON.stringify(sym.name)} is static: libbpf supports static functions only in .text`, where);
      }
      if (sym.size === 0 || sym.size % 8 !== 0 || sym.value % 8 !== 0) {
        throw new ElfError(`corrupted program ${JSON.stringify(sym.name)}: offset ${sym.value}, size ${sym.size} (each must be whole 8-byte instructions, the size not 0)`, where);
      }
      const global = sym.bind !== SymbolBind.local;
      list.push({
        name: sym.name, section: sec, symbol: sym, insnOff: sym.value / 8,
        insns: new HostInsns(hostOrderInsns(data.subarray(sym.value, sym.value + sym.size), elf.little)),
        relocs: [], global, hidden: global && isHiddenVisibility(sym.visibility),
      });
    }
    list.sort((a, b) => a.insnOff - b.insnOff);
    bySection.set(sec.index, list);
    functions.push(...list);
  }
  return { functions, bySection, text };
}

/**
 * The function of section `sectionIndex` that holds instruction `insn` (an index in the section),
 * as libbpf's find_prog_by_sec_insn: the last one starting at or before it, if it reaches it.
 */
export function functionAt(code: ElfCode, sectionIndex: number, insn: number): ElfFunction | undefined {
  const list = code.bySection.get(sectionIndex);
  if (list === undefined || list.length === 0 || !Number.isInteger(insn)) return undefined;
  let l = 0, r = list.length - 1;
  while (l < r) {
    const m = l + ((r - l + 1) >> 1);
    if (list[m].insnOff <= insn) l = m;
    else r = m - 1;
  }
  const f = list[l];
  return insn >= f.insnOff && insn < f.insnOff + f.insns.count ? f : undefined;
}
