/**
 * The ELF numbers the reader and the object loader use (elf.h: SHT_*, SHF_*, STB_*, STT_*, SHN_*,
 * EM_*, PT_*), and libbpf's BPF relocation types.
 * @module
 */

/** Section types, sh_type (SHT_*). */
export const SectionType = {
  null: 0, progbits: 1, symtab: 2, strtab: 3, rela: 4, hash: 5, dynamic: 6, note: 7, nobits: 8, rel: 9,
  dynsym: 11, symtab_shndx: 18,
} as const;

/** Section flags, sh_flags (SHF_*). */
export const SectionFlag = { write: 0x1, alloc: 0x2, execinstr: 0x4 } as const;

/** Symbol binding, ELF64_ST_BIND (STB_*). */
export const SymbolBind = { local: 0, global: 1, weak: 2 } as const;

/** Symbol type, ELF64_ST_TYPE (STT_*). */
export const SymbolType = { notype: 0, object: 1, func: 2, section: 3, file: 4, common: 5, tls: 6, gnu_ifunc: 10 } as const;

/** Symbol visibilities, st_other & 3 (STV_*). */
export const SymbolVisibility = { default: 0, internal: 1, hidden: 2, protected: 3 } as const;

/** True for STV_HIDDEN and STV_INTERNAL: a global kept inside its object, which libbpf verifies as static (mark_btf_static). */
export function isHiddenVisibility(visibility: number): boolean {
  return visibility === SymbolVisibility.hidden || visibility === SymbolVisibility.internal;
}

/** Special section indexes (SHN_*). */
export const SectionIndex = { undef: 0, loreserve: 0xff00, abs: 0xfff1, common: 0xfff2, xindex: 0xffff } as const;

/** Machines, e_machine (EM_*), that this project meets. */
export const Machine = { none: 0, x86_64: 62, aarch64: 183, bpf: 247 } as const;

/** Program header types, p_type (PT_*). */
export const SegmentType = { load: 1 } as const;

/** BPF relocation types, ELF64_R_TYPE on EM_BPF (R_BPF_*). */
export const BpfReloc = { none: 0, bpf_64_64: 1, bpf_64_abs64: 2, bpf_64_abs32: 3, bpf_64_32: 10 } as const;
