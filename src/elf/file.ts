/**
 * ElfFile: a pure reader of ELF64 files in either byte order - the header, section headers and
 * names, symbol tables, relocation tables and program headers - for BPF objects clang emits and
 * for the executables and shared libraries uprobes attach to. Everything read is bounds-checked
 * against the file; a flaw is an ElfError naming the offset and section.
 * @module
 */
import { ElfError } from "./error.ts";
import { SectionIndex, SectionType } from "./constants.ts";
import { cStringAt } from "../util/text.ts";

/** One section header (Elf64_Shdr), with its name resolved. */
export interface ElfSection {
  /** Index in the section header table (what st_shndx and sh_link refer to). */
  index: number;
  /** sh_name's string in the section header string table. */
  name: string;
  /** sh_type, SHT_*. */
  type: number;
  /** sh_flags, SHF_*. */
  flags: number;
  /** sh_addr: its virtual address in an executable (kernel addresses exceed 2^53, hence a bigint). */
  addr: bigint;
  /** sh_offset: where its bytes start in the file. */
  offset: number;
  /** sh_size in bytes (for SHT_NOBITS, the size it takes in memory). */
  size: number;
  /** sh_link: a related section's index (a symbol table's strings, a relocation table's symbols). */
  link: number;
  /** sh_info: for a relocation table, the section it patches. */
  info: number;
  /** sh_addralign. */
  addralign: number;
  /** sh_entsize: the size of each entry of a table section. */
  entsize: number;
}

/** One symbol (Elf64_Sym), with its name resolved and st_info split. */
export interface ElfSymbol {
  /** Index in its symbol table (what a relocation's ELF64_R_SYM refers to). */
  index: number;
  /** st_name's string ("" for section symbols: their name is their section's). */
  name: string;
  /** st_value: an offset into its section in objects, a virtual address in executables. */
  value: number;
  /** st_size in bytes. */
  size: number;
  /** ELF64_ST_BIND: STB_LOCAL, STB_GLOBAL, STB_WEAK. */
  bind: number;
  /** ELF64_ST_TYPE: STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, ... */
  type: number;
  /** ELF64_ST_VISIBILITY of st_other: STV_DEFAULT 0, INTERNAL 1, HIDDEN 2, PROTECTED 3. */
  visibility: number;
  /** st_shndx, with SHN_XINDEX resolved through SHT_SYMTAB_SHNDX. */
  shndx: number;
}

/** One relocation (Elf64_Rel or Elf64_Rela). */
export interface ElfRelocation {
  /** r_offset: where in the patched section (an offset in objects). */
  offset: number;
  /** ELF64_R_SYM: index of the symbol in the table the relocation section links to. */
  symbol: number;
  /** ELF64_R_TYPE. */
  type: number;
  /** r_addend of Elf64_Rela; 0 for Elf64_Rel. */
  addend: bigint;
}

/** One program header (Elf64_Phdr). */
export interface ElfSegment {
  /** p_type, PT_*. */
  type: number;
  /** p_flags: PF_X 1, PF_W 2, PF_R 4. */
  flags: number;
  /** p_offset in the file. */
  offset: number;
  /** p_vaddr. */
  vaddr: bigint;
  /** p_filesz. */
  filesz: number;
  /** p_memsz. */
  memsz: number;
}

const EHDR = 64, SHDR = 64, SYM = 24, REL = 16, RELA = 24, PHDR = 56;

/** A parsed ELF64 file; the bytes are viewed, not copied, and must not change while it is used. */
export class ElfFile {
  /** The whole file. */
  readonly bytes: Uint8Array;
  /** EI_DATA: true for ELFDATA2LSB. */
  readonly little: boolean;
  /** e_type: ET_REL 1 (objects), ET_EXEC 2, ET_DYN 3 (shared libraries, PIE executables). */
  readonly type: number;
  /** e_machine: EM_BPF 247, EM_X86_64 62, ... */
  readonly machine: number;
  /** e_flags. */
  readonly flags: number;
  /** The section headers, by index (index 0 is the null section). */
  readonly sections: readonly ElfSection[];
  /** The program headers (none in objects). */
  readonly segments: readonly ElfSegment[];
  readonly #dv: DataView;
  readonly #symbols = new Map<number, ElfSymbol[]>();
  #byName: Map<string, ElfSection> | undefined;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    const dv = (this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (bytes.length < EHDR) throw new ElfError(`${bytes.length} bytes is shorter than the 64-byte ELF64 header`, { offset: 0 });
    if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) throw new ElfError("no \\x7fELF magic", { offset: 0 });
    if (bytes[4] !== 2) throw new ElfError(`EI_CLASS ${bytes[4]} is not ELFCLASS64`, { offset: 4 });
    if (bytes[5] !== 1 && bytes[5] !== 2) throw new ElfError(`EI_DATA ${bytes[5]} is neither little (1) nor big (2) endian`, { offset: 5 });
    if (bytes[6] !== 1) throw new ElfError(`EI_VERSION ${bytes[6]} is not EV_CURRENT`, { offset: 6 });
    const le = (this.little = bytes[5] === 1);
    this.type = dv.getUint16(16, le);
    this.machine = dv.getUint16(18, le);
    this.flags = dv.getUint32(48, le);
    this.sections = this.#readSections(dv, le);
    this.segments = this.#readSegments(dv, le);
  }

  /** Parses an ELF64 file; throws an ElfError naming the offset of the first flaw found. */
  static parse(bytes: Uint8Array): ElfFile {
    if (!(bytes instanceof Uint8Array)) throw new TypeError("ElfFile.parse: bytes must be a Uint8Array");
    return new ElfFile(bytes);
  }

  // Two 32-bit halves, no BigInt: every symbol has two of these, and objects have thousands.
  #u64(at: number, what: string | (() => string), where: { section?: string } = {}): number {
    const le = this.little, dv = this.#dv;
    const hi = dv.getUint32(le ? at + 4 : at, le), lo = dv.getUint32(le ? at : at + 4, le);
    if (hi > 0x1fffff) {
      const v = dv.getBigUint64(at, le);
      throw new ElfError(`${typeof what === "string" ? what : what()} 0x${v.toString(16)} is beyond 2^53`, { offset: at, ...where });
    }
    return hi * 0x100000000 + lo;
  }

  #readSections(dv: DataView, le: boolean): ElfSection[] {
    const shoff = this.#u64(40, "e_shoff");
    let shnum = dv.getUint16(60, le), shstrndx = dv.getUint16(62, le);
    if (shoff === 0) return [];
    const shentsize = dv.getUint16(58, le);
    if (shentsize !== SHDR) throw new ElfError(`e_shentsize ${shentsize} is not 64`, { offset: 58 });
    if (shoff + SHDR > this.bytes.length) throw new ElfError(`section headers at ${shoff} lie past the end (${this.bytes.length} bytes)`, { offset: 40 });
    // Extended numbering: more than 0xff00 sections keep their count and the names' index in section 0.
    if (shnum === 0) shnum = this.#u64(shoff + 32, "section count (section 0's sh_size)");
    if (shstrndx === SectionIndex.xindex) shstrndx = dv.getUint32(shoff + 40, le);
    if (shoff + shnum * SHDR > this.bytes.length) {
      throw new ElfError(`${shnum} section headers at ${shoff} run past the end (${this.bytes.length} bytes)`, { offset: 40 });
    }
    const raw: (ElfSection & { nameOff: number })[] = new Array(shnum);
    for (let i = 0; i < shnum; i++) {
      const p = shoff + i * SHDR;
      const where = { section: String(i) };
      const s = {
        index: i, name: "", nameOff: dv.getUint32(p, le), type: dv.getUint32(p + 4, le), flags: this.#u64(p + 8, "sh_flags", where),
        addr: dv.getBigUint64(p + 16, le), offset: this.#u64(p + 24, "sh_offset", where), size: this.#u64(p + 32, "sh_size", where),
        link: dv.getUint32(p + 40, le), info: dv.getUint32(p + 44, le), addralign: this.#u64(p + 48, "sh_addralign", where),
        entsize: this.#u64(p + 56, "sh_entsize", where),
      };
      if (i > 0 && s.type !== SectionType.nobits && s.type !== SectionType.null && s.offset + s.size > this.bytes.length) {
        throw new ElfError(`its ${s.size} bytes at ${s.offset} run past the end of the file (${this.bytes.length} bytes)`, { section: String(i), offset: p + 24 });
      }
      raw[i] = s;
    }
    if (shnum > 0) {
      if (shstrndx >= shnum) throw new ElfError(`e_shstrndx ${shstrndx} is not a section (there are ${shnum})`, { offset: 62 });
      const names = raw[shstrndx];
      for (const s of raw) {
        s.name = s.index === 0 ? "" : this.#string(names, s.nameOff, `name of section ${s.index}`);
      }
    }
    return raw.map(({ nameOff: _, ...s }) => s);
  }

  #readSegments(dv: DataView, le: boolean): ElfSegment[] {
    const phoff = this.#u64(32, "e_phoff"), phnum = dv.getUint16(56, le);
    if (phoff === 0 || phnum === 0) return [];
    const phentsize = dv.getUint16(54, le);
    if (phentsize !== PHDR) throw new ElfError(`e_phentsize ${phentsize} is not 56`, { offset: 54 });
    if (phoff + phnum * PHDR > this.bytes.length) throw new ElfError(`${phnum} program headers at ${phoff} run past the end`, { offset: 32 });
    const out: ElfSegment[] = new Array(phnum);
    for (let i = 0; i < phnum; i++) {
      const p = phoff + i * PHDR;
      out[i] = {
        type: dv.getUint32(p, le), flags: dv.getUint32(p + 4, le), offset: this.#u64(p + 8, "p_offset"),
        vaddr: dv.getBigUint64(p + 16, le), filesz: this.#u64(p + 32, "p_filesz"), memsz: this.#u64(p + 40, "p_memsz"),
      };
    }
    return out;
  }

  /** The NUL-terminated string at `off` in string table `strtab`. */
  #string(strtab: ElfSection, off: number, what: string | (() => string)): string {
    const label = () => (typeof what === "string" ? what : what());
    if (strtab.type !== SectionType.strtab) throw new ElfError(`${label()}: section ${strtab.index} is not a string table`, { section: this.#label(strtab) });
    if (off >= strtab.size) {
      throw new ElfError(`${label()}: string offset ${off} is past the table's ${strtab.size} bytes`, { section: this.#label(strtab), offset: strtab.offset });
    }
    const start = strtab.offset + off, end = this.bytes.indexOf(0, start);
    if (end < 0 || end >= strtab.offset + strtab.size) {
      throw new ElfError(`${label()}: the string at ${off} is not NUL-terminated within the table`, { section: this.#label(strtab), offset: start });
    }
    return latin1OrUtf8(this.bytes, start, end);
  }

  #label(s: ElfSection): string {
    return s.name ? `${s.index} (${s.name})` : String(s.index);
  }

  /** The first section named `name`. */
  section(name: string): ElfSection | undefined {
    if (!this.#byName) {
      this.#byName = new Map();
      for (const s of this.sections) if (!this.#byName.has(s.name)) this.#byName.set(s.name, s);
    }
    return this.#byName.get(name);
  }

  /**
   * The section at `index`; when there is none, an ElfError saying `what` referred to it, placed
   * at the referring section `from` if given.
   */
  sectionAt(index: number, what = "section index", from?: ElfSection): ElfSection {
    const s = this.sections[index];
    if (s === undefined) {
      throw new ElfError(`${what} ${index} is not a section (there are ${this.sections.length})`, from ? { section: this.#label(from), offset: from.offset } : { offset: 0 });
    }
    return s;
  }

  /** A section's bytes, viewed (not copied); an SHT_NOBITS section (.bss) has none in the file. */
  data(section: ElfSection): Uint8Array {
    if (section.type === SectionType.nobits || section.type === SectionType.null) return new Uint8Array(0);
    return this.bytes.subarray(section.offset, section.offset + section.size);
  }

  /**
   * The symbols of the SHT_SYMTAB section (or of `table`, e.g. .dynsym), by index, decoded on
   * first use. A file with no symbol table has none.
   */
  symbols(table?: ElfSection): readonly ElfSymbol[] {
    const t = table ?? this.sections.find((s) => s.type === SectionType.symtab);
    if (t === undefined) return [];
    let syms = this.#symbols.get(t.index);
    if (syms === undefined) this.#symbols.set(t.index, (syms = this.#readSymbols(t)));
    return syms;
  }

  #readSymbols(t: ElfSection): ElfSymbol[] {
    const where = { section: this.#label(t) };
    if (t.type !== SectionType.symtab && t.type !== SectionType.dynsym) throw new ElfError("not a symbol table", where);
    if (t.entsize !== SYM) throw new ElfError(`sh_entsize ${t.entsize} is not 24 (Elf64_Sym)`, where);
    if (t.size % SYM !== 0) throw new ElfError(`size ${t.size} is not a multiple of 24`, where);
    const strtab = this.sectionAt(t.link, `symbol table ${t.index}'s sh_link`, t);
    const xindex = this.sections.find((s) => s.type === SectionType.symtab_shndx && s.link === t.index);
    const dv = this.#dv, le = this.little, n = t.size / SYM;
    const out: ElfSymbol[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const p = t.offset + i * SYM;
      const info = dv.getUint8(p + 4);
      let shndx = dv.getUint16(p + 6, le);
      if (shndx === SectionIndex.xindex && xindex !== undefined) {
        if ((i + 1) * 4 > xindex.size) throw new ElfError(`no SHT_SYMTAB_SHNDX entry for symbol ${i}`, { section: this.#label(xindex) });
        shndx = dv.getUint32(xindex.offset + i * 4, le);
      }
      out[i] = {
        index: i, name: this.#string(strtab, dv.getUint32(p, le), () => `name of symbol ${i}`),
        value: this.#u64(p + 8, () => `symbol ${i}'s st_value`, where), size: this.#u64(p + 16, () => `symbol ${i}'s st_size`, where),
        bind: info >> 4, type: info & 0xf, visibility: dv.getUint8(p + 5) & 3, shndx,
      };
    }
    return out;
  }

  /** The relocations of an SHT_REL or SHT_RELA section, their symbol indexes checked against its table. */
  relocations(section: ElfSection): ElfRelocation[] {
    const where = { section: this.#label(section) };
    const rela = section.type === SectionType.rela;
    if (!rela && section.type !== SectionType.rel) throw new ElfError("not a relocation section", where);
    const size = rela ? RELA : REL;
    if (section.entsize !== size) throw new ElfError(`sh_entsize ${section.entsize} is not ${size} (Elf64_Rel${rela ? "a" : ""})`, where);
    if (section.size % size !== 0) throw new ElfError(`size ${section.size} is not a multiple of ${size}`, where);
    const nsyms = this.symbols(this.sectionAt(section.link, `relocation section ${section.index}'s sh_link`, section)).length;
    const dv = this.#dv, le = this.little, n = section.size / size;
    const out: ElfRelocation[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const p = section.offset + i * size;
      // r_info is ELF64_R_INFO(sym, type) = sym << 32 | type: which half comes first is the byte order's.
      const symbol = dv.getUint32(le ? p + 12 : p + 8, le), type = dv.getUint32(le ? p + 8 : p + 12, le);
      if (symbol >= nsyms) throw new ElfError(`relocation ${i} names symbol ${symbol}, past the table's ${nsyms}`, { ...where, offset: p + 8 });
      out[i] = { offset: this.#u64(p, `relocation ${i}'s r_offset`, where), symbol, type, addend: rela ? dv.getBigInt64(p + 16, le) : 0n };
    }
    return out;
  }
}

// Names are ASCII in practice: build short ones directly, which beats TextDecoder per call.
function latin1OrUtf8(b: Uint8Array, start: number, end: number): string {
  if (end - start <= 32) {
    let s = "";
    for (let i = start; i < end; i++) {
      const c = b[i];
      if (c >= 0x80) return cStringAt(b, start, end - start);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return cStringAt(b, start, end - start);
}
