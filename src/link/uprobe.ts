/**
 * Uprobes and uretprobes: a BPF_PROG_TYPE_KPROBE program on a function of an executable or
 * shared library, at its entry (at an offset) or return. The function is found in the file's
 * ELF symbols (.symtab, then .dynsym, with symbol versions: "malloc@@GLIBC_2.2.5"), or given as
 * a file offset. The perf event comes from the "uprobe" PMU (perf_event_open with the path in
 * config1 and the offset in config2, 4.17), else from a legacy tracefs uprobe_events entry in a
 * group of its own, removed again on close; then the shared perf event attach (perf-event.ts).
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { SyscallError } from "../errors.ts";
import { SectionIndex, SectionType, SymbolType } from "../elf/constants.ts";
import { ElfError } from "../elf/error.ts";
import { ElfFile, type ElfSymbol } from "../elf/file.ts";
import { functionOffset } from "../elf/symbol-offset.ts";
import { cString } from "../sys/attr.ts";
import { readFileBytes } from "../sys/file.ts";
import { currentPid, type PerfEventAttr, perfEventOpen, PerfAttrFlag, PerfType } from "../sys/perf-event.ts";
import { fsType } from "../sys/statfs.ts";
import { readTextFile } from "../sys/syscalls.ts";
import { appendTracefs, sanitizeEventName, tracefsHas, tracepointId } from "../sys/tracefs.ts";
import { cStringAt } from "../util/text.ts";
import type { PerfEventInfo } from "./info.ts";
import { attachFailed, programText } from "./link.ts";
import { lacks } from "./needs.ts";
import { attachPerfFd, type PerfAttachOptions, type PerfEventLink } from "./perf-event.ts";
import type { ProgramRef } from "./socket-filter.ts";
import { binaryPath } from "./binary-path.ts";

/** Options of attachUprobe. */
export interface UprobeOptions extends PerfAttachOptions {
  /** A uretprobe: run when the function returns (the offset must then be 0). */
  retprobe?: boolean;
  /** The process to probe: -1 (default) for every process mapping the file, 0 for this one, else a pid. */
  pid?: number;
  /** Bytes into the function (an instruction boundary), added to the symbol's file offset; 0 by default. */
  offset?: number;
  /** File offset of a USDT semaphore the kernel counts up while the probe exists (ref_ctr_offset, 4.20). */
  refCtrOffset?: number;
  /** Make the probe through tracefs uprobe_events even where the uprobe PMU exists (the path of kernels before 4.17). */
  tracefs?: boolean;
}

/** SHT_GNU_versym: one u16 version index per .dynsym entry. */
const SHT_GNU_VERSYM = 0x6fffffff;
/** SHT_GNU_verdef: the versions the file defines. */
const SHT_GNU_VERDEF = 0x6ffffffd;
/** The versym bit of a symbol that is not its name's default version (name@VER, not name@@VER). */
const VERSYM_HIDDEN = 0x8000;

/** A function symbol found for a uprobe. */
export interface UprobeSymbol {
  /** The symbol as found. */
  symbol: ElfSymbol;
  /** Its file offset: what the kernel's uprobe takes. */
  offset: number;
  /** Its version ("GLIBC_2.2.5") where .dynsym is versioned, else undefined. */
  version?: string;
  /** Whether it is its name's default version (name@@VER); true where there are no versions. */
  isDefault: boolean;
}

function isFunc(s: ElfSymbol): boolean {
  return (s.type === SymbolType.func || s.type === SymbolType.gnu_ifunc) && s.shndx !== SectionIndex.undef && s.shndx < SectionIndex.loreserve;
}

/** The file offset of a defined symbol: st_value - sh_addr + sh_offset of its section. */
function fileOffset(elf: ElfFile, s: ElfSymbol): number {
  const sec = elf.sectionAt(s.shndx, `symbol ${JSON.stringify(s.name)}'s st_shndx`);
  const delta = BigInt(s.value) - sec.addr;
  if (delta < 0n || delta > BigInt(sec.size)) {
    throw new ElfError(`symbol ${JSON.stringify(s.name)} at 0x${s.value.toString(16)} lies outside its section`, { section: `${sec.index} (${sec.name})` });
  }
  return sec.offset + Number(delta);
}

/** .dynsym's versions: per symbol index, the version name and whether it is hidden; null where it has none. */
function dynVersions(elf: ElfFile): { table: readonly ElfSymbol[]; of: (i: number) => { name: string | undefined; hidden: boolean } } | null {
  const versym = elf.sections.find((s) => s.type === SHT_GNU_VERSYM);
  const verdef = elf.sections.find((s) => s.type === SHT_GNU_VERDEF);
  if (versym === undefined) return null;
  const dynsym = elf.sectionAt(versym.link, "SHT_GNU_versym's sh_link", versym);
  const table = elf.symbols(dynsym);
  const vs = elf.data(versym);
  const dv = new DataView(vs.buffer, vs.byteOffset, vs.byteLength);
  if (vs.length < table.length * 2) throw new ElfError(`${vs.length} bytes of versions for ${table.length} symbols`, { section: `${versym.index} (${versym.name})` });
  const names = new Map<number, string>();
  if (verdef !== undefined) {
    // Elf64_Verdef: vd_version, vd_flags, vd_ndx (u16), vd_cnt (u16), vd_hash, vd_aux, vd_next (u32); its first Elf64_Verdaux names it.
    const d = elf.data(verdef), ddv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    const strs = elf.data(elf.sectionAt(verdef.link, "SHT_GNU_verdef's sh_link", verdef));
    const where = { section: `${verdef.index} (${verdef.name})` };
    for (let at = 0, n = 0; n < verdef.info && at + 20 <= d.length; n++) {
      const ndx = ddv.getUint16(at + 4, elf.little), aux = at + ddv.getUint32(at + 12, elf.little), next = ddv.getUint32(at + 16, elf.little);
      if (aux + 8 > d.length) throw new ElfError(`version definition ${n}'s vd_aux runs past the section`, { ...where, offset: verdef.offset + at });
      const name = ddv.getUint32(aux, elf.little);
      if (name >= strs.length) throw new ElfError(`version definition ${n}'s name is past its string table`, { ...where, offset: verdef.offset + aux });
      names.set(ndx, cStringAt(strs, name));
      if (next === 0) break;
      at += next;
    }
  }
  return {
    table,
    of: (i) => {
      const v = dv.getUint16(i * 2, elf.little);
      // 0 is a local symbol, 1 the global unversioned one: neither has a version name.
      return { name: (v & 0x7fff) > 1 ? names.get(v & 0x7fff) : undefined, hidden: (v & VERSYM_HIDDEN) !== 0 };
    },
  };
}

/**
 * Function `spec` in `elf`, where a uprobe on it goes: a plain name ("malloc", found as
 * functionOffset finds it, but its default version where .dynsym holds several), or a versioned
 * one: "name@@VER" its default version VER, "name@VER" version VER, default or not. An ElfError
 * when no defined function matches, listing the versions the name has.
 */
export function uprobeSymbol(elf: ElfFile, spec: string): UprobeSymbol {
  if (!(elf instanceof ElfFile)) throw new TypeError("uprobeSymbol: elf must be an ElfFile");
  if (typeof spec !== "string" || spec === "") throw new TypeError(`uprobe symbol must be a non-empty string, got ${JSON.stringify(spec)}`);
  const versions = dynVersions(elf);
  const at = spec.indexOf("@");
  const name = at < 0 ? spec : spec.slice(0, at);
  const dyn = versions === null ? [] : versions.table.filter((s) => s.name === name && isFunc(s)).map((s) => ({ s, ...versions.of(s.index) }));
  const found = (s: ElfSymbol, v?: { name: string | undefined; hidden: boolean }): UprobeSymbol =>
    ({ symbol: s, offset: fileOffset(elf, s), ...(v?.name !== undefined ? { version: v.name } : {}), isDefault: !(v?.hidden ?? false) });
  if (at < 0) {
    const loc = functionOffset(elf, spec);
    const i = versions?.table.indexOf(loc.symbol) ?? -1;
    if (i < 0) return { symbol: loc.symbol, offset: loc.offset, isDefault: true };
    const v = versions!.of(i);
    // functionOffset took the first global of the name: prefer its default version to an old one.
    const def = v.hidden ? dyn.find((d) => !d.hidden) : undefined;
    return def ? found(def.s, def) : found(loc.symbol, v);
  }
  const wantDefault = spec[at + 1] === "@";
  const ver = spec.slice(at + (wantDefault ? 2 : 1));
  const hit = dyn.find((d) => d.name === ver && (!wantDefault || !d.hidden));
  if (hit) return found(hit.s, hit);
  // Without version tables (or in a .symtab), a versioned name may be spelled out in full.
  const literal = elf.symbols().find((s) => s.name === spec && isFunc(s));
  if (literal) return { symbol: literal, offset: fileOffset(elf, literal), version: ver, isDefault: wantDefault };
  const has = dyn.filter((d) => d.name !== undefined).map((d) => `${name}${d.hidden ? "@" : "@@"}${d.name}`);
  throw new ElfError(`no function symbol ${JSON.stringify(spec)} in .symtab or .dynsym${has.length ? ` (there are ${has.join(", ")})` : ""}`);
}

/** The file at `path` as an ELF executable or shared library, else an Error saying what it is not. */
export function readExecutable(path: string): ElfFile {
  const bytes = readFileBytes(path);
  let elf: ElfFile;
  try {
    elf = ElfFile.parse(bytes);
  } catch (e) {
    if (e instanceof ElfError) e.message = `${path} is not an ELF64 executable or shared library: ${e.message}`;
    throw e;
  }
  // ET_EXEC 2, ET_DYN 3: only files the kernel maps have code a uprobe can be on.
  if (elf.type !== 2 && elf.type !== 3) throw new ElfError(`${path} is an ELF file of type ${elf.type}, not an executable (2) or shared library (3)`);
  if (!elf.sections.some((s) => s.type === SectionType.symtab || s.type === SectionType.dynsym)) {
    throw new ElfError(`${path} has no symbol table (.symtab or .dynsym): give the function's file offset instead`);
  }
  return elf;
}

/** The file offset of function `symbol` ("malloc", "malloc@@GLIBC_2.2.5") in the executable or library at `path` (a bare name is looked up as attachUprobe does). */
export function uprobeOffset(path: string, symbol: string): number {
  return uprobeSymbol(readExecutable(binaryPath(path)), symbol).offset;
}

const PMU = "/sys/bus/event_source/devices/uprobe";

/** The low bit of a PMU format file ("config:32-63" -> 32), or null where the file is absent. */
function formatBit(file: string): number | null {
  if (fsType(`${PMU}/format/${file}`) < 0) return null;
  const m = /config:(\d+)/.exec(readTextFile(`${PMU}/format/${file}`));
  if (m === null) throw new Error(`${PMU}/format/${file}: unreadable`);
  return Number(m[1]);
}

/** The uprobe PMU's type and config bits, or null where the kernel has no such PMU. */
function uprobePmu(): { type: number; retBit: number; refCtrBit: number | null } | null {
  if (fsType(`${PMU}/type`) < 0) return null;
  const type = Number(readTextFile(`${PMU}/type`).trim());
  const retBit = formatBit("retprobe");
  if (!Number.isInteger(type) || retBit === null) throw new Error(`${PMU}: unreadable type or format/retprobe`);
  return { type, retBit, refCtrBit: formatBit("ref_ctr_offset") };
}

let groups = 0;

/** A tracefs event group no other process or attach uses: tsbpf_<pid>_u<n> (kprobes use tsbpf_<pid>_<n>). */
function uniqueGroup(): string {
  return `tsbpf_${currentPid()}_u${groups++}`;
}

function hint(e: unknown, path: string, offset: number): unknown {
  if (e instanceof SyscallError) {
    if (e.errno === Errno.ENOENT) e.message += `; does ${path} exist?`;
    else if (e.errno === Errno.EINVAL) e.message += `; is 0x${offset.toString(16)} an instruction of ${path}'s code (inside the file, not in a data section)?`;
    else if (e.errno === Errno.ESRCH) e.message += "; is the pid a running process?";
  }
  return e;
}

/** The uprobe as a tracefs event: "p:<group>/<event> <path>:0x<offset>[(0x<refctr>)]" (or "r:"); its perf fd and the removal. */
function legacyProbe(path: string, label: string, offset: number, refCtr: number, retprobe: boolean, pid: number, what: string): { perfFd: number; cleanup: () => void } {
  if (/[\s()]/.test(path) || path.includes(":")) throw new TypeError(`a tracefs uprobe cannot name ${JSON.stringify(path)}: its path holds a space, colon or parenthesis`);
  // Event names are at most 64 characters and start with a letter or "_".
  const event = `_${sanitizeEventName(label).slice(0, 40)}_${offset.toString(16)}`;
  const probe = `${event} ${path}:0x${offset.toString(16)}${refCtr ? `(0x${refCtr.toString(16)})` : ""}`;
  let group: string;
  for (let tries = 0; ; tries++) {
    group = uniqueGroup();
    try {
      appendTracefs("uprobe_events", `${retprobe ? "r" : "p"}:${group}/${probe}`);
      break;
    } catch (e) {
      // Worker threads of this process count groups each from 0: take the next name.
      if (e instanceof SyscallError && e.errno === Errno.EEXIST && tries < 64) continue;
      throw hint(e, path, offset);
    }
  }
  const cleanup = () => appendTracefs("uprobe_events", `-:${group}/${event}`);
  try {
    const id = tracepointId(group, event);
    const attr: PerfEventAttr = { type: PerfType.tracepoint, config: id, samplePeriod: 1, flags: PerfAttrFlag.disabled };
    return { perfFd: perfEventOpen(attr, { pid, cpu: pid === -1 ? 0 : -1, what }), cleanup };
  } catch (e) {
    cleanup();
    throw hint(e, path, offset);
  }
}

function checkOffset(v: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > max) throw new RangeError(`${what} must be an integer in [0, ${max}], got ${String(v)}`);
  return v;
}

/** A pid option: -1 for every process, 0 for this one, else a pid; what perf_event_open and uprobe_multi take. */
export function checkPid(pid: unknown, what = "uprobe pid"): number {
  if (typeof pid !== "number" || !Number.isInteger(pid) || pid < -1 || pid > 0x7fffffff) throw new RangeError(`${what} must be -1 (every process), 0 (this one) or a pid, got ${String(pid)}`);
  return pid === 0 ? currentPid() : pid;
}

/**
 * Runs kprobe program `prog` on the function `target` of the executable or shared library at
 * `path` (a symbol, or a file offset as a number), at its entry (+`offset`) or, with `retprobe`,
 * its return; in every process, or in `pid` alone (libbpf's bpf_program__attach_uprobe_opts).
 * A bare `path` ("libc.so.6", "bash") is looked up as libbpf does: libraries in LD_LIBRARY_PATH
 * and the system library directories, executables in PATH. Kernels without uprobes (CONFIG_UPROBE_EVENTS off) throw a FeatureError.
 *
 * @example
 * ```ts
 * import { attachUprobe } from "tsbpf";
 * using link = attachUprobe(prog, "libc.so.6", "malloc", { pid: child.pid });
 * ```
 */
export function attachUprobe(prog: ProgramRef, path: string, target: string | number, opts: UprobeOptions = {}): PerfEventLink {
  if (typeof path !== "string" || path === "" || path.includes("\0")) throw new TypeError(`uprobe path must be a file's path, got ${JSON.stringify(path)}`);
  if (typeof target === "string" ? target === "" || /[\s\0]/.test(target) : typeof target !== "number") {
    throw new TypeError(`uprobe target must be a function's symbol or a file offset, got ${JSON.stringify(target)}`);
  }
  const extra = checkOffset(opts.offset ?? 0, "uprobe offset");
  const retprobe = opts.retprobe === true;
  if (retprobe && extra !== 0) throw new RangeError(`a uretprobe takes no offset (got ${extra}): it fires at the function's return`);
  const refCtr = checkOffset(opts.refCtrOffset ?? 0, "uprobe refCtrOffset", 0xffffffff);
  const pid = checkPid(opts.pid ?? -1);
  const kind = retprobe ? "uretprobe" : "uprobe";
  const label = typeof target === "number" ? `0x${target.toString(16)}` : target;
  path = binaryPath(path);
  const what = `${kind} ${path}:${label}${extra ? `+0x${extra.toString(16)}` : ""}${pid === -1 ? "" : ` (pid ${pid})`}`;
  let perfFd: number;
  let cleanup: (() => void) | undefined;
  let offset: number;
  try {
    offset = (typeof target === "number" ? checkOffset(target, "uprobe file offset") : uprobeOffset(path, target)) + extra;
    const pmu = opts.tracefs ? null : uprobePmu();
    if (pmu !== null) {
      if (refCtr && pmu.refCtrBit === null) throw lacks("a uprobe with a USDT semaphore (refCtrOffset)", "uprobe_ref_ctr", new Error(`no ${PMU}/format/ref_ctr_offset`));
      const config = (retprobe ? 1n << BigInt(pmu.retBit) : 0n) | (refCtr ? BigInt(refCtr) << BigInt(pmu.refCtrBit!) : 0n);
      const attr: PerfEventAttr = { type: pmu.type, config, config1: cString(path), config2: offset, samplePeriod: 1, flags: PerfAttrFlag.disabled };
      try {
        perfFd = perfEventOpen(attr, { pid, cpu: pid === -1 ? 0 : -1, what });
      } catch (e) {
        throw hint(e, path, offset);
      }
    } else {
      if (!tracefsHas("uprobe_events")) throw lacks("uprobes", "uprobe", new Error(`no uprobe PMU (${PMU}) and no uprobe_events in tracefs`));
      ({ perfFd, cleanup } = legacyProbe(path, label, offset, refCtr, retprobe, pid, what));
    }
  } catch (e) {
    throw attachFailed(e, `attaching ${programText(prog)} to ${what}`);
  }
  const event: PerfEventInfo = { kind, fileName: path, offset, cookie: BigInt(opts.cookie ?? 0), refCtrOffset: BigInt(refCtr) };
  return attachPerfFd(prog, { perfFd, what, event, cleanup }, opts);
}
