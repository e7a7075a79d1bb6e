/**
 * ELF: a pure reader of ELF64 files in either byte order (sections, symbols, relocations,
 * program headers), for BPF objects and for the binaries uprobes attach to; and libbpf's SEC()
 * table, which says what program a section holds.
 * @module
 */
export { ElfFile, type ElfRelocation, type ElfSection, type ElfSegment, type ElfSymbol } from "./file.ts";
export { ElfError, type ElfErrorWhere } from "./error.ts";
export { functionOffset, type FunctionLocation } from "./symbol-offset.ts";
export { BpfReloc, isHiddenVisibility, Machine, SectionFlag, SectionIndex, SectionType, SegmentType, SymbolBind, SymbolType, SymbolVisibility } from "./constants.ts";
export { findSecDef, secDefMatches, sectionProgramType, type SectionProgramType } from "./section-type.ts";
export { SEC_DEFS, type SecAutoAttach, type SecDef, SecFlag } from "../uapi/sec.gen.ts";
export { mapSpecs, type MapSpecsOptions } from "./maps.ts";
export { type ElfMapSlot, type ElfMapSpec, type ElfMapSource, type ElfMapVariable, type ElfStructOps } from "./map-spec.ts";
export { isStructOpsSection, structOpsMapSpecs } from "./struct-ops.ts";
export { internalMapName, objectNameFromPath } from "./data-maps.ts";
export { programSpecs } from "./programs.ts";
export {
  type ElfCoreRelo, type ElfFuncInfo, type ElfLineInfo, type ElfProgramSpec, type ElfReference, type ProgramSpecsOptions,
} from "./program-spec.ts";
export { type ElfExternSpec, externSpecs, kconfigSize, type KconfigType } from "./externs.ts";
export { objectBtf } from "./object-btf.ts";
export { type ElfObject, parseObject, type ParseObjectOptions } from "./object.ts";
export { NT_STAPSDT, type UsdtNote, usdtNotes } from "./usdt-notes.ts";
