/**
 * A program of a collection made ready for BPF_PROG_LOAD, as libbpf's bpf_object__relocate_data
 * and bpf_object_load_prog do it: the linked instructions copied, CO-RE results applied, each
 * reference patched with the fd, value offset, BTF id or address it names, func_info and
 * line_info encoded as the kernel reads them, then loaded through BpfProgram.
 * @module
 */
import type { ElfProgramSpec, ElfReference } from "../elf/program-spec.ts";
import type { ElfExternSpec } from "../elf/externs.ts";
import { sectionProgramType } from "../elf/section-type.ts";
import type { BtfExtInfo } from "../cmd/prog.ts";
import { BpfProgram } from "../program/program.ts";
import { AttachType, ProgType } from "../uapi/enums.gen.ts";
import { haveUprobeMulti } from "../features/uprobe-multi.ts";
import { HOST_LITTLE } from "../util/endian.ts";
import { objName } from "./create-maps.ts";
import type { ResolvedExterns } from "./externs.ts";

/** libbpf's poison values: a call to helper POISON_CALL_KFUNC_BASE + extern index names an unresolved weak kfunc. */
export const POISON_CALL_KFUNC_BASE = 2002000000;
/** libbpf's POISON_LDIMM64_MAP_BASE + map index: a reference to a map not created. */
export const POISON_LDIMM64_MAP_BASE = 2001000000;

const PSEUDO_MAP_FD = 1, PSEUDO_MAP_VALUE = 2, PSEUDO_BTF_ID = 3, PSEUDO_KFUNC_CALL = 2;
const BPF_PROG_F_SLEEPABLE = 1 << 4, BPF_F_XDP_HAS_FRAGS = 1 << 5;

/** What patching needs from the loaded collection. */
export interface PatchContext {
  /** A map's fd by its spec name; undefined for a map not created. */
  mapFd(name: string): number | undefined;
  /** Where in a map's value its section starts (an arena's globals); 0 for other maps. */
  valueBase(name: string): number;
  /** Index of a map in the object's list (for poison values). */
  mapIndex(name: string): number;
  /** The `.kconfig` map's fd. */
  kconfigFd: number | undefined;
  /** Externs in libbpf's order, and what they resolved to. */
  externs: readonly ElfExternSpec[];
  /** Resolved ksyms and kfuncs. */
  resolved: ResolvedExterns;
}

class Insns {
  readonly dv: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  setSrc(i: number, src: number): void {
    const b = this.bytes[i * 8 + 1];
    this.bytes[i * 8 + 1] = HOST_LITTLE ? (b & 0x0f) | (src << 4) : (b & 0xf0) | src;
  }
  setImm(i: number, imm: number): void {
    this.dv.setInt32(i * 8 + 4, imm | 0, HOST_LITTLE);
  }
  setOff(i: number, off: number): void {
    this.dv.setInt16(i * 8 + 2, off, HOST_LITTLE);
  }
  poisonCall(i: number, imm: number): void {
    this.bytes[i * 8] = 0x85; // BPF_JMP | BPF_CALL
    this.bytes[i * 8 + 1] = 0;
    this.setOff(i, 0);
    this.setImm(i, imm);
  }
}

/** Patches every reference of `p` into `code` (a copy of p.insns). */
export function patchReferences(p: ElfProgramSpec, code: Uint8Array, ctx: PatchContext): void {
  const insns = new Insns(code);
  const externIndex = (name: string) => ctx.externs.findIndex((e) => e.name === name);
  for (const r of p.references as readonly ElfReference[]) {
    const i = r.insn;
    if (i < 0 || (i + 1) * 8 > code.length) throw new RangeError(`program ${p.name}: reference at instruction ${i} is outside its ${code.length / 8} instructions`);
    switch (r.kind) {
      case "map":
      case "mapValue": {
        const fd = ctx.mapFd(r.map);
        if (fd === undefined) {
          insns.poisonCall(i, POISON_LDIMM64_MAP_BASE + ctx.mapIndex(r.map));
          insns.poisonCall(i + 1, POISON_LDIMM64_MAP_BASE + ctx.mapIndex(r.map));
          break;
        }
        insns.setSrc(i, r.kind === "map" ? PSEUDO_MAP_FD : PSEUDO_MAP_VALUE);
        insns.setImm(i, fd);
        if (r.kind === "mapValue") insns.setImm(i + 1, r.offset + ctx.valueBase(r.map));
        break;
      }
      case "kconfig": {
        const e = ctx.externs.find((x) => x.name === r.name);
        if (e?.kconfig === undefined || ctx.kconfigFd === undefined) throw new TypeError(`program ${p.name}: kconfig extern ${r.name} has no place in a .kconfig map`);
        insns.setSrc(i, PSEUDO_MAP_VALUE);
        insns.setImm(i, ctx.kconfigFd);
        insns.setImm(i + 1, e.kconfig.offset);
        break;
      }
      case "ksym": {
        const k = ctx.resolved.ksyms.get(r.name);
        if (k !== undefined && k.btfId !== 0) {
          insns.setSrc(i, PSEUDO_BTF_ID);
          insns.setImm(i, k.btfId);
          insns.setImm(i + 1, k.btfObjFd);
        } else {
          // Typeless, or typed but weak and absent: the address (0 when absent).
          const a = k?.address ?? 0n;
          insns.setImm(i, Number(BigInt.asIntN(32, a)));
          insns.setImm(i + 1, Number(BigInt.asIntN(32, a >> 32n)));
        }
        break;
      }
      case "kfunc": {
        const k = ctx.resolved.ksyms.get(r.name);
        if (k === undefined) {
          insns.poisonCall(i, POISON_CALL_KFUNC_BASE + externIndex(r.name));
        } else {
          insns.setSrc(i, PSEUDO_KFUNC_CALL);
          insns.setImm(i, k.btfId);
          insns.setOff(i, k.fdIndex);
        }
        break;
      }
    }
  }
}

function records(rows: readonly (readonly number[])[], size: number): BtfExtInfo | undefined {
  if (rows.length === 0) return undefined;
  const data = new Uint8Array(rows.length * size);
  const dv = new DataView(data.buffer);
  rows.forEach((row, r) => row.forEach((v, j) => dv.setUint32(r * size + j * 4, v >>> 0, HOST_LITTLE)));
  return { recSize: size, data, count: rows.length };
}

/** func_info (bpf_func_info, 8 bytes) and line_info (bpf_line_info, 16 bytes) of `p`, in instruction indexes. */
export function extInfo(p: ElfProgramSpec): { funcInfo?: BtfExtInfo; lineInfo?: BtfExtInfo } {
  const funcInfo = records(p.funcInfo.map((f) => [f.insn, f.typeId]), 8);
  const lineInfo = records(p.lineInfo.map((l) => [l.insn, l.fileNameOff, l.lineOff, l.lineCol]), 16);
  return { ...(funcInfo ? { funcInfo } : {}), ...(lineInfo ? { lineInfo } : {}) };
}

/** Options for one program's load. */
export interface ProgramLoadContext {
  /** License of the object. */
  license: string;
  /** kern_version of the object. */
  kernVersion: number;
  /** The object's BTF fd, for prog_btf_fd (func_info and line_info need it). */
  btfFd: number | undefined;
  /** fd_array of module BTFs for kfunc calls. */
  fdArray: readonly number[];
  /** Verifier log level to load with (0: only on failure). */
  logLevel?: number;
  /** Initial verifier log buffer size. */
  logSize?: number;
  /** False: a SEC("usdt") program keeps its perf-event attach type even where uprobe_multi links exist. */
  usdtUprobeMulti?: boolean;
  /** A struct_ops program's kernel struct and member (StructOpsLoad.target): attach_btf_id, expected_attach_type, module BTF fd. */
  structOps?: { attachBtfId: number; attachType: number; attachBtfObjFd?: number };
}

/** Loads program `p` from the patched `code`. */
export function loadProgram(p: ElfProgramSpec, code: Uint8Array, ctx: ProgramLoadContext): BpfProgram {
  const sec = sectionProgramType(p.section);
  let flags = 0;
  if (sec?.sleepable) flags |= BPF_PROG_F_SLEEPABLE;
  if (sec?.xdpFrags) flags |= BPF_F_XDP_HAS_FRAGS;
  const attachTo = sec?.attachBtf && p.attachTo ? p.attachTo : undefined;
  const ext = ctx.btfFd !== undefined ? extInfo(p) : {};
  // As newer libbpf (libbpf_prepare_prog_load, SEC_USDT): a USDT program is loaded for uprobe_multi
  // where the kernel has the links, so that one link covers all of a probe's sites (attachUsdt
  // reads the attach type back).
  const usdtMulti = sec?.usdt === true && ctx.usdtUprobeMulti !== false && haveUprobeMulti();
  const attachType = usdtMulti ? AttachType.trace_uprobe_multi : p.attachType;
  return BpfProgram.load({
    type: p.type, insns: code, name: objName(p.name), license: ctx.license,
    ...(p.type === ProgType.kprobe && ctx.kernVersion ? { kernVersion: ctx.kernVersion } : {}),
    ...(attachType || usdtMulti || (sec?.expectedAttachType !== undefined) ? { attachType } : {}),
    ...(flags ? { flags } : {}),
    ...(attachTo !== undefined ? { attachTo } : {}),
    ...(ctx.btfFd !== undefined ? { progBtfFd: ctx.btfFd, ...ext } : {}),
    ...(ctx.fdArray.length ? { fdArray: ctx.fdArray } : {}),
    ...(ctx.logLevel ? { logLevel: ctx.logLevel } : {}),
    ...(ctx.logSize ? { logSize: ctx.logSize } : {}),
    ...ctx.structOps,
  });
}
