/**
 * The pure description of a program an ELF object holds (libbpf's struct bpf_program after
 * bpf_object__relocate's linking step, before any kernel is involved): its instructions with the
 * `.text` subprograms it uses appended and the calls to them patched, and every instruction that
 * still needs something only the loader knows - a map fd, a kconfig offset, a kernel BTF id - as a
 * symbolic reference.
 * @module
 */
import type { Btf } from "../btf/btf.ts";
import type { BtfExt } from "../btf/ext.ts";
import type { ElfExternSpec } from "./externs.ts";
import type { ElfMapSpec } from "./map-spec.ts";

/**
 * An instruction the loader must patch (libbpf's reloc_desc of types RELO_LD64, RELO_DATA,
 * RELO_EXTERN_LD64, RELO_EXTERN_CALL). `insn` is its index in {@link ElfProgramSpec.insns}; the
 * instruction is left as clang emitted it (an ld_imm64 with src_reg 0, a call with
 * src_reg BPF_PSEUDO_CALL and imm -1).
 */
export type ElfReference =
  /** ld_imm64 of map `map` (an ElfMapSpec name): becomes src_reg BPF_PSEUDO_MAP_FD, imm the map's fd. */
  | { kind: "map"; insn: number; map: string }
  /**
   * ld_imm64 of an address in global-data map `map`: becomes src_reg BPF_PSEUDO_MAP_VALUE, imm the
   * map's fd, and insn[1].imm `offset` (clang's imm plus the symbol's offset, as libbpf adds them).
   */
  | { kind: "mapValue"; insn: number; map: string; offset: number }
  /** ld_imm64 of `.kconfig` extern `name`: a BPF_PSEUDO_MAP_VALUE into the `.kconfig` map at its offset. */
  | { kind: "kconfig"; insn: number; name: string; weak: boolean }
  /**
   * ld_imm64 of `.ksyms` extern `name`: typed (`typeId` is its local BTF VAR, or FUNC for a kfunc's
   * address) it becomes BPF_PSEUDO_BTF_ID; typeless (`typeId` 0) the kallsyms address.
   */
  | { kind: "ksym"; insn: number; name: string; weak: boolean; typeId: number }
  /** Call of kfunc `name` (`typeId` its local BTF FUNC): becomes src_reg BPF_PSEUDO_KFUNC_CALL, imm its kernel BTF id, off its fd_array slot. */
  | { kind: "kfunc"; insn: number; name: string; weak: boolean; typeId: number };

/** One func_info record (struct bpf_func_info), rebased to the linked program. */
export interface ElfFuncInfo {
  /** Instruction index in {@link ElfProgramSpec.insns} where the function starts. */
  insn: number;
  /** The function's BTF_KIND_FUNC id in the object's BTF. */
  typeId: number;
}

/** One line_info record (struct bpf_line_info), rebased to the linked program. */
export interface ElfLineInfo {
  /** Instruction index in {@link ElfProgramSpec.insns}. */
  insn: number;
  /** bpf_line_info.file_name_off: the source file's name in the BTF strings. */
  fileNameOff: number;
  /** bpf_line_info.line_off: the source line in the BTF strings. */
  lineOff: number;
  /** bpf_line_info.line_col: line number << 10 | column. */
  lineCol: number;
}

/** One CO-RE relocation (struct bpf_core_relo), rebased to the linked program. */
export interface ElfCoreRelo {
  /** Instruction index in {@link ElfProgramSpec.insns}. */
  insn: number;
  /** bpf_core_relo.type_id: the local root type. */
  typeId: number;
  /** bpf_core_relo.access_str_off: the access string in the BTF strings. */
  accessStrOff: number;
  /** The access string itself ("0:1"). */
  access: string;
  /** bpf_core_relo.kind: enum bpf_core_relo_kind. */
  kind: number;
}

/** An entry program (any function of an executable section other than `.text`), linked. */
export interface ElfProgramSpec {
  /** The function symbol's name (bpf_program__name). */
  name: string;
  /** The ELF section's name as written, a leading '?' included (libbpf's sec_name drops it). */
  section: string;
  /** BPF_PROG_TYPE_* from the SEC() table; 0 (unspec) when the name is not in it. */
  type: number;
  /** expected_attach_type from the SEC() table, 0 when it has none. */
  attachType: number;
  /** prog_flags the section implies: BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS. */
  flags: number;
  /** What follows the SEC() prefix ("do_nanosleep" of "kprobe/do_nanosleep"), "" if nothing. */
  attachTo: string;
  /** False for a '?' section: libbpf opens it but does not load it unless asked. */
  autoload: boolean;
  /**
   * The linked program in the host's byte order (libbpf byte-swaps a foreign-order object's
   * code): its own instructions, then each subprogram it reaches, with bpf-to-bpf call and
   * BPF_PSEUDO_FUNC ld_imm64 immediates pointing at the appended copies.
   */
  insns: Uint8Array;
  /** The instructions the loader must patch, by ascending instruction index. */
  references: ElfReference[];
  /** func_info of the program and its subprograms, in append order (empty without .BTF.ext). */
  funcInfo: ElfFuncInfo[];
  /** line_info of the program and its subprograms, in append order. */
  lineInfo: ElfLineInfo[];
  /** CO-RE relocations of the program and its subprograms, in append order. */
  coreRelos: ElfCoreRelo[];
  /** Names of the appended `.text` functions, in the order they were appended. */
  subprograms: string[];
}

/** Options of {@link programSpecs}. */
export interface ProgramSpecsOptions {
  /** The object's BTF (.BTF): needed for externs and exception callbacks. */
  btf?: Btf;
  /** The object's .BTF.ext: func_info, line_info and CO-RE records to rebase. */
  ext?: BtfExt;
  /** The object's maps, to name map and global-data references; computed with mapSpecs() if absent. */
  maps?: readonly ElfMapSpec[];
  /** The object's externs; computed with externSpecs() if absent. */
  externs?: readonly ElfExternSpec[];
  /** The object name for global-data map names when `maps` is absent (libbpf: the file name up to its first dot). */
  objectName?: string;
}
