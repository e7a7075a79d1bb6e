/**
 * .BTF.ext: the func_info, line_info and CO-RE relocation records clang emits beside .BTF, per ELF
 * section (struct btf_ext_header and its btf_ext_info_sec blocks), checked as libbpf's
 * btf_ext_parse and cilium/ebpf's loadExtInfos check them. Names resolve through the BTF's strings.
 * @module
 */
import { HOST_LITTLE } from "../util/endian.ts";
import type { Btf } from "./btf.ts";
import { BtfError } from "./error.ts";

/** One struct bpf_func_info: where a function starts and its BTF_KIND_FUNC. */
export interface BtfExtFuncInfo {
  /** bpf_func_info.insn_off: byte offset of the function's first instruction in its ELF section. */
  insnOff: number;
  /** bpf_func_info.type_id: the function's BTF_KIND_FUNC. */
  typeId: number;
}

/** One struct bpf_line_info: the source line an instruction came from. */
export interface BtfExtLineInfo {
  /** bpf_line_info.insn_off: byte offset of the instruction in its ELF section. */
  insnOff: number;
  /** bpf_line_info.file_name_off: the source file's name in the BTF strings. */
  fileNameOff: number;
  /** bpf_line_info.line_off: the source line's text in the BTF strings. */
  lineOff: number;
  /** bpf_line_info.line_col: line number << 10 | column. */
  lineCol: number;
  /** The string at fileNameOff. */
  fileName: string;
  /** The string at lineOff: the line of C source. */
  line: string;
  /** BPF_LINE_INFO_LINE_NUM: lineCol >> 10. */
  lineNumber: number;
  /** BPF_LINE_INFO_LINE_COL: lineCol & 0x3ff. */
  column: number;
}

/** One struct bpf_core_relo: a CO-RE relocation of one instruction. */
export interface BtfExtCoreRelo {
  /** bpf_core_relo.insn_off: byte offset of the instruction in its ELF section. */
  insnOff: number;
  /** bpf_core_relo.type_id: the local root type. */
  typeId: number;
  /** bpf_core_relo.access_str_off: the access string's offset in the BTF strings. */
  accessStrOff: number;
  /** The access string ("0:1:2", or "0" for type-based kinds, an enumerator index for enum kinds). */
  access: string;
  /** bpf_core_relo.kind: enum bpf_core_relo_kind. */
  kind: number;
}

/** A parsed .BTF.ext section: records by ELF section name, in file order. */
export interface BtfExt {
  /** func_info records by ELF section name (".text", "kprobe/x", ...). */
  funcInfo: Map<string, BtfExtFuncInfo[]>;
  /** line_info records by ELF section name. */
  lineInfo: Map<string, BtfExtLineInfo[]>;
  /** CO-RE relocation records by ELF section name (empty when hdr_len has no core_relo fields). */
  coreRelos: Map<string, BtfExtCoreRelo[]>;
  /** func_info's record_size (8, or more from a newer compiler); 0 when absent. */
  funcInfoRecSize: number;
  /** line_info's record_size (16 or more); 0 when absent. */
  lineInfoRecSize: number;
  /** core_relo's record_size (16 or more); 0 when absent. */
  coreReloRecSize: number;
}

// offsetofend(struct btf_ext_header, line_info_len) and (..., core_relo_len).
const HDR_MIN = 24, HDR_CORE = 32;
// cilium/ebpf's bound on record sizes: anything larger is not a record this format will grow to.
const MAX_RECORD = 256;

/** One info kind: its header fields, minimum record size, and how to read a record. */
interface InfoKind<T> {
  /** libbpf's name of the block, for messages. */
  desc: string;
  /** Where its off/len pair sits in the header. */
  hdrAt: number;
  /** sizeof the record as this parser knows it (bpf_func_info_min and the like). */
  minSize: number;
  /** Reads the record at byte `at`. */
  read: (at: number) => T;
}

function where(what: string, offset: number): BtfError {
  return new BtfError(`.BTF.ext: ${what}`, { offset });
}

/**
 * Parses a .BTF.ext section against its object's `.BTF`, in the BTF's byte order. Every flaw -
 * a short or foreign header, a block past the end, a bad record size or count, a string or type
 * id the BTF lacks, an insn_off not on an instruction - is a BtfError naming its .BTF.ext offset.
 */
export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  if (!(bytes instanceof Uint8Array)) throw new TypeError("parseBtfExt: bytes must be a Uint8Array");
  const little = btf.little;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.length;
  if (size < 8) throw where(`${size} bytes is shorter than the 8-byte header prefix`, 0);
  const magic = dv.getUint16(0, little);
  if (magic !== 0xeb9f) {
    const swapped = magic === 0x9feb;
    throw where(swapped ? "byte order differs from the .BTF's" : `bad magic 0x${magic.toString(16).padStart(4, "0")}, want 0xeb9f`, 0);
  }
  if (bytes[2] !== 1) throw where(`unsupported version ${bytes[2]}, want 1`, 2);
  if (bytes[3] !== 0) throw where(`unsupported flags 0x${bytes[3].toString(16)}`, 3);
  const hdrLen = dv.getUint32(4, little);
  if (hdrLen < HDR_MIN) throw where(`hdr_len ${hdrLen} is below the ${HDR_MIN} bytes that hold func_info and line_info`, 4);
  if (hdrLen > size) throw where(`hdr_len ${hdrLen} runs past the end of the ${size}-byte section`, 4);
  if (hdrLen === size) throw where("no data after the header", 4);
  const u32 = (at: number) => dv.getUint32(at, little);
  // Records of a byte order other than the host's must have exactly the known layout (libbpf
  // byte-swaps them field by field); same-order records may carry a newer compiler's tail.
  const native = little === HOST_LITTLE;

  const str = (off: number, what: string, at: number): string => {
    if (!btf.strings.has(off)) throw where(`${what} offset ${off} is past the ${btf.strings.end}-byte BTF string section`, at);
    return btf.strings.get(off);
  };
  const insnOff = (at: number): number => {
    const v = u32(at);
    if (v % 8) throw where(`insn_off ${v} is not a multiple of the 8-byte instruction size`, at);
    return v;
  };
  const typeId = (at: number): number => {
    const v = u32(at);
    if (v >= btf.count) throw where(`type_id ${v} is not in the BTF's ${btf.count} types`, at);
    return v;
  };

  const block = <T>(k: InfoKind<T>, out: Map<string, T[]>): number => {
    const off = u32(k.hdrAt), len = u32(k.hdrAt + 4);
    if (len === 0) return 0;
    if (off & 3) throw where(`${k.desc} offset ${off} is not 4-byte aligned`, k.hdrAt);
    const start = hdrLen + off, end = start + len;
    if (end > size) throw where(`${k.desc} [${start}, ${end}) runs past the end of the ${size}-byte section`, k.hdrAt + 4);
    if (len < 4) throw where(`${k.desc} of ${len} bytes has no record_size`, start);
    const rec = u32(start);
    if (rec < k.minSize || rec & 3 || rec > MAX_RECORD || (!native && rec !== k.minSize)) {
      const want = native ? `a multiple of 4 in [${k.minSize}, ${MAX_RECORD}]` : `${k.minSize} (records of the other byte order)`;
      throw where(`${k.desc} record_size ${rec}, want ${want}`, start);
    }
    let at = start + 4;
    if (at === end) throw where(`${k.desc} has no btf_ext_info_sec`, at);
    while (at < end) {
      if (end - at < 8) throw where(`${k.desc}: ${end - at} bytes left, short of a btf_ext_info_sec header`, at);
      const nameOff = u32(at), n = u32(at + 4);
      const name = str(nameOff, `${k.desc} sec_name_off`, at);
      if (name === "") throw where(`${k.desc} section name is empty`, at);
      if (n === 0) throw where(`${k.desc} for section ${JSON.stringify(name)} has num_info 0`, at + 4);
      if (n * rec > end - at - 8) throw where(`${k.desc} for section ${JSON.stringify(name)}: ${n} records of ${rec} bytes run past the block's end ${end}`, at + 4);
      at += 8;
      let list = out.get(name);
      if (!list) out.set(name, (list = []));
      for (let i = 0; i < n; i++, at += rec) list.push(k.read(at));
    }
    return rec;
  };

  const ext: BtfExt = { funcInfo: new Map(), lineInfo: new Map(), coreRelos: new Map(), funcInfoRecSize: 0, lineInfoRecSize: 0, coreReloRecSize: 0 };
  ext.funcInfoRecSize = block<BtfExtFuncInfo>({
    desc: "func_info", hdrAt: 8, minSize: 8,
    read: (at) => {
      const id = typeId(at + 4);
      if (btf.kindNumberOf(id) !== 12) throw where(`func_info type_id ${id} is a ${btf.typeById(id).kind}, not a func`, at + 4);
      return { insnOff: insnOff(at), typeId: id };
    },
  }, ext.funcInfo);
  ext.lineInfoRecSize = block<BtfExtLineInfo>({
    desc: "line_info", hdrAt: 16, minSize: 16,
    read: (at) => {
      const fileNameOff = u32(at + 4), lineOff = u32(at + 8), lineCol = u32(at + 12);
      return {
        insnOff: insnOff(at), fileNameOff, lineOff, lineCol,
        fileName: str(fileNameOff, "line_info file_name_off", at + 4), line: str(lineOff, "line_info line_off", at + 8),
        lineNumber: lineCol >>> 10, column: lineCol & 0x3ff,
      };
    },
  }, ext.lineInfo);
  if (hdrLen >= HDR_CORE) {
    ext.coreReloRecSize = block<BtfExtCoreRelo>({
      desc: "core_relo", hdrAt: 24, minSize: 16,
      read: (at) => {
        const accessStrOff = u32(at + 8);
        return { insnOff: insnOff(at), typeId: typeId(at + 4), accessStrOff, access: str(accessStrOff, "core_relo access_str_off", at + 8), kind: u32(at + 12) };
      },
    }, ext.coreRelos);
  }
  return ext;
}
