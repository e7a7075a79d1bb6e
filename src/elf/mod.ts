/**
 * ELF: a pure reader of ELF64 files in either byte order (sections, symbols, relocations,
 * program headers), for BPF objects and for the binaries uprobes attach to.
 * @module
 */
export { ElfFile, type ElfRelocation, type ElfSection, type ElfSegment, type ElfSymbol } from "./file.ts";
export { ElfError, type ElfErrorWhere } from "./error.ts";
export { functionOffset, type FunctionLocation } from "./symbol-offset.ts";
export { BpfReloc, Machine, SectionFlag, SectionIndex, SectionType, SegmentType, SymbolBind, SymbolType } from "./constants.ts";
