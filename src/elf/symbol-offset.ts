/**
 * Where a function's code lies in an executable or shared library file: what a uprobe's offset
 * is (the file offset, not the virtual address: they differ wherever a segment's p_vaddr and
 * p_offset do, as in PIE executables and most shared libraries).
 * @module
 */
import { ElfError } from "./error.ts";
import type { ElfFile, ElfSymbol } from "./file.ts";
import { SectionIndex, SectionType, SymbolBind, SymbolType } from "./constants.ts";

/** A function symbol found for a uprobe. */
export interface FunctionLocation {
  /** The symbol as found (.symtab first, then .dynsym). */
  symbol: ElfSymbol;
  /** Its file offset: st_value - sh_addr + sh_offset of the section holding it. */
  offset: number;
}

function isFunc(s: ElfSymbol): boolean {
  return (s.type === SymbolType.func || s.type === SymbolType.gnu_ifunc) && s.shndx !== SectionIndex.undef && s.shndx < SectionIndex.loreserve;
}

/**
 * The file offset of function `name` in `elf`, searched in .symtab then .dynsym; global symbols
 * win over weak, weak over local. Throws an ElfError when no defined function has the name.
 */
export function functionOffset(elf: ElfFile, name: string): FunctionLocation {
  let best: ElfSymbol | undefined;
  const rank = (s: ElfSymbol) => (s.bind === SymbolBind.global ? 0 : s.bind === SymbolBind.weak ? 1 : 2);
  for (const type of [SectionType.symtab, SectionType.dynsym]) {
    for (const table of elf.sections.filter((s) => s.type === type)) {
      for (const s of elf.symbols(table)) {
        if (s.name === name && isFunc(s) && (best === undefined || rank(s) < rank(best))) best = s;
      }
    }
    if (best) break;
  }
  if (best === undefined) throw new ElfError(`no function symbol named ${JSON.stringify(name)} in .symtab or .dynsym`);
  const sec = elf.sectionAt(best.shndx, `symbol ${JSON.stringify(name)}'s st_shndx`, elf.sections.find((t) => t.type === SectionType.symtab || t.type === SectionType.dynsym));
  const delta = BigInt(best.value) - sec.addr;
  if (delta < 0n || delta > BigInt(sec.size)) {
    throw new ElfError(`symbol ${JSON.stringify(name)} at 0x${best.value.toString(16)} lies outside its section`, { section: `${sec.index} (${sec.name})` });
  }
  return { symbol: best, offset: sec.offset + Number(delta) };
}
