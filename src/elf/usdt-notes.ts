/**
 * USDT probes of an executable or shared library: the SystemTap SDT notes (`.note.stapsdt`,
 * type NT_STAPSDT 3, owner "stapsdt") that `sys/sdt.h` emits, one per probe site, each with the
 * site's address, the `.stapsdt.base` address it was linked against, its semaphore's address and
 * the argument specs as the assembler wrote them ("-4@%edi 8@-16(%rbp) -4@$42"). Addresses are
 * turned into the file offsets a uprobe takes through the file's PT_LOAD segments, after the
 * prelink adjustment the base allows. Pure: bytes in, probes out; a malformed note is an ElfError
 * naming its offset.
 * @module
 */
import { SectionType } from "./constants.ts";
import { ElfError } from "./error.ts";
import type { ElfFile, ElfSegment } from "./file.ts";
import { cStringAt } from "../util/text.ts";

/** NT_STAPSDT: the note type of a SystemTap probe descriptor. */
export const NT_STAPSDT = 3;
const PT_LOAD = 1;
const PF_X = 1;

/** One USDT probe site, as its note describes it. */
export interface UsdtNote {
  /** The provider, the first STAP_PROBE argument ("tsbpf"). */
  provider: string;
  /** The probe's name ("args"). */
  name: string;
  /** The site's virtual address (the note's pc, adjusted by `.stapsdt.base` where the file was prelinked). */
  address: bigint;
  /** The site's offset in the file: what a uprobe takes. */
  fileOffset: number;
  /** The semaphore's virtual address, 0n where the probe has none. */
  semaphore: bigint;
  /** The semaphore's offset in the file (the uprobe's ref_ctr_offset), 0 where the probe has none. */
  semaphoreOffset: number;
  /** The argument specs, space-separated, as written ("" for a probe without arguments). */
  args: string;
  /** Where the note starts in the file, for errors. */
  noteOffset: number;
}

function loadSegment(segs: readonly ElfSegment[], addr: bigint, exec: boolean): ElfSegment | undefined {
  return segs.find((s) => s.type === PT_LOAD && (!exec || (s.flags & PF_X) !== 0) && addr >= s.vaddr && addr < s.vaddr + BigInt(s.memsz));
}

function cString(bytes: Uint8Array, at: number, end: number, what: string, offset: number): [string, number] {
  const nul = bytes.indexOf(0, at);
  if (nul < 0 || nul >= end) throw new ElfError(`USDT note's ${what} is not NUL-terminated inside the note`, { offset: offset + at });
  return [cStringAt(bytes, at, nul - at), nul + 1];
}

/**
 * Every USDT probe site in `elf`, in note order (libbpf's usdt collection). An empty list where
 * the file has no `.note.stapsdt`; an ElfError naming the offset of a note that is truncated,
 * not terminated, or whose site lies in no executable segment.
 */
export function usdtNotes(elf: ElfFile): UsdtNote[] {
  const sec = elf.section(".note.stapsdt");
  if (sec === undefined) return [];
  const where = (offset: number) => ({ section: `${sec.index} (${sec.name})`, offset });
  if (sec.type !== SectionType.note) throw new ElfError(`.note.stapsdt has type ${sec.type}, not SHT_NOTE (7)`, where(sec.offset));
  const data = elf.data(sec);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = elf.little;
  const base = elf.section(".stapsdt.base")?.addr;
  const out: UsdtNote[] = [];
  for (let at = 0; at < data.length;) {
    const noteOffset = sec.offset + at;
    if (at + 12 > data.length) throw new ElfError(`truncated note header (${data.length - at} bytes left)`, where(noteOffset));
    const namesz = dv.getUint32(at, le), descsz = dv.getUint32(at + 4, le), type = dv.getUint32(at + 8, le);
    const nameAt = at + 12, descAt = nameAt + align4(namesz), next = descAt + align4(descsz);
    if (next > data.length || namesz > data.length || descsz > data.length) {
      throw new ElfError(`note of ${namesz} name and ${descsz} description bytes runs past the section's ${data.length}`, where(noteOffset));
    }
    at = next;
    const owner = cStringAt(data, nameAt, namesz);
    if (type !== NT_STAPSDT || owner !== "stapsdt") continue;
    // pc, base and semaphore (8 bytes each in ELF64), then provider, name and args, each NUL-ended.
    if (descsz < 24 + 3) throw new ElfError(`USDT note of ${descsz} description bytes, under the 27 it needs`, where(noteOffset));
    const end = descAt + descsz;
    const pc = dv.getBigUint64(descAt, le), noteBase = dv.getBigUint64(descAt + 8, le), sema = dv.getBigUint64(descAt + 16, le);
    const [provider, p1] = cString(data, descAt + 24, end, "provider", sec.offset);
    const [name, p2] = cString(data, p1, end, "name", sec.offset);
    const [args] = cString(data, p2, end, "arguments", sec.offset);
    // A prelinked file moved its code by the distance its .stapsdt.base moved.
    const address = base !== undefined && noteBase !== 0n ? BigInt.asUintN(64, pc + base - noteBase) : pc;
    const seg = loadSegment(elf.segments, address, true);
    if (seg === undefined) throw new ElfError(`USDT probe ${provider}:${name} at 0x${address.toString(16)} lies in no executable PT_LOAD segment`, where(noteOffset));
    let semaphoreOffset = 0;
    if (sema !== 0n) {
      const s = loadSegment(elf.segments, sema, false);
      if (s === undefined || sema >= s.vaddr + BigInt(s.filesz)) {
        throw new ElfError(`USDT probe ${provider}:${name}'s semaphore at 0x${sema.toString(16)} lies in no file-backed PT_LOAD segment`, where(noteOffset));
      }
      semaphoreOffset = s.offset + Number(sema - s.vaddr);
    }
    out.push({ provider, name, address, fileOffset: seg.offset + Number(address - seg.vaddr), semaphore: sema, semaphoreOffset, args, noteOffset });
  }
  return out;
}

function align4(n: number): number {
  return n + ((4 - (n % 4)) % 4);
}
