/**
 * USDT probes (libbpf's bpf_program__attach_usdt): a kprobe program on every site of a probe a
 * binary declares with sys/sdt.h (its `.note.stapsdt`), each site a uprobe at the site's file
 * offset with the probe's semaphore as ref_ctr_offset. The program reads the probe's arguments
 * with libbpf's BPF-side usdt.bpf.h, which looks up where they live in the object's
 * `__bpf_usdt_specs` map: this attach writes one spec per distinct argument string there, and
 * finds it for each site by BPF cookie (5.15+) or, on older kernels, by the site's address in
 * the traced process through `__bpf_usdt_ip_to_spec_id`. Which one is the perf event link's to
 * say: a BPF cookie needs the BPF_PERF_EVENT link, which came with bpf_get_attach_cookie (the
 * LINUX_HAS_BPF_COOKIE the object's BPF side tests) in 5.15. Closing the UsdtLink detaches every
 * site and frees its specs.
 * @module
 */
import { mapDeleteElem, mapUpdateElem } from "../cmd/map.ts";
import { ElfError } from "../elf/error.ts";
import { Machine } from "../elf/constants.ts";
import { usdtNotes, type UsdtNote } from "../elf/usdt-notes.ts";
import { FeatureError } from "../errors.ts";
import { closeQuietly, openRead } from "../sys/file.ts";
import { getBackend } from "../sys/backend.ts";
import { fdTarget, readTextFile } from "../sys/syscalls.ts";
import { AttachType, MapType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { u32Arg } from "../util/args.ts";
import { HOST_LITTLE } from "../util/endian.ts";
import { attachFailed, type BpfLink, programText } from "./link.ts";
import { ATTACH_VERSIONS, lacks } from "./needs.ts";
import type { PerfEventLink } from "./perf-event.ts";
import type { ProgramRef } from "./socket-filter.ts";
import { attachUprobe, checkPid, readExecutable } from "./uprobe.ts";
import { attachUprobeMulti } from "./uprobe-multi.ts";
import { encodeUsdtSpec, parseUsdtArgs, type UsdtArch, type UsdtArg, USDT_SPEC_SIZE } from "./usdt-spec.ts";
import { binaryPath } from "./binary-path.ts";

/** The maps usdt.bpf.h declares, as a Collection's `maps` holds them. */
export interface UsdtMaps {
  /** `__bpf_usdt_specs`: array of struct __bpf_usdt_spec, indexed by spec id. */
  readonly __bpf_usdt_specs?: UsdtMapRef;
  /** `__bpf_usdt_ip_to_spec_id`: hash from a site's address to its spec id, used where there are no BPF cookies. */
  readonly __bpf_usdt_ip_to_spec_id?: UsdtMapRef;
}

/** What attachUsdt needs of a map: its fd and shape (a BpfMap). */
export interface UsdtMapRef {
  /** The map's fd. */
  readonly fd: number;
  /** BPF_MAP_TYPE_*. */
  readonly type: number;
  /** key_size. */
  readonly keySize: number;
  /** value_size. */
  readonly valueSize: number;
  /** max_entries. */
  readonly maxEntries: number;
  /** The kernel's map id: spec ids are allocated per map. */
  readonly id: number;
}

/** Options of attachUsdt. */
export interface UsdtOptions {
  /** The object's usdt.bpf.h maps: pass the Collection's `maps`. */
  maps: UsdtMaps;
  /** The process to probe: -1 (default) for every process mapping the file, 0 for this one, else a pid. */
  pid?: number;
  /** A value the program reads with bpf_usdt_cookie() (not the BPF cookie, which carries the spec id). */
  cookie?: number | bigint;
  /**
   * The program's expected attach type, for a program opened from a pin, an id or an fd, which
   * does not know it (a loaded BpfProgram does): AttachType.trace_uprobe_multi for one uprobe_multi link.
   */
  attachType?: number;
}

/** One probe site as attached. */
export interface UsdtSite {
  /** The site's note. */
  note: UsdtNote;
  /** The arguments its spec describes. */
  args: UsdtArg[];
  /** Its spec's index in `__bpf_usdt_specs`. */
  specId: number;
  /** Where there are no BPF cookies: the site's address in the traced process, the key in `__bpf_usdt_ip_to_spec_id`. */
  ip?: bigint;
}

// Spec ids in use, per __bpf_usdt_specs map (by map id): every attach to one object shares its map.
const used = new Map<number, Set<number>>();

function allocSpecId(map: UsdtMapRef): number {
  let ids = used.get(map.id);
  if (ids === undefined) used.set(map.id, ids = new Set());
  for (let i = 0; i < map.maxEntries; i++) {
    if (!ids.has(i)) {
      ids.add(i);
      return i;
    }
  }
  throw new RangeError(`__bpf_usdt_specs holds ${map.maxEntries} specs, all in use: raise BPF_USDT_MAX_SPEC_CNT in the BPF program`);
}

function freeSpecIds(map: UsdtMapRef, ids: Iterable<number>): void {
  const set = used.get(map.id);
  if (set === undefined) return;
  for (const i of ids) set.delete(i);
  if (set.size === 0) used.delete(map.id);
}

function checkMap(m: UsdtMapRef | undefined, name: string, type: number, key: number, value: number): UsdtMapRef {
  if (m === undefined || m === null || typeof m !== "object" || typeof m.fd !== "number") {
    throw new TypeError(`attachUsdt: opts.maps has no map ${name}: pass the Collection's maps of a program that includes <bpf/usdt.bpf.h>`);
  }
  if (m.type !== type || m.keySize !== key || m.valueSize !== value) {
    throw new TypeError(`attachUsdt: ${name} is a map of type ${m.type} with ${m.keySize}-byte keys and ${m.valueSize}-byte values, not the type ${type}, ${key} and ${value} of libbpf's usdt.bpf.h`);
  }
  return m;
}

/**
 * Whether `prog` was loaded for uprobe_multi: as its `known` attach type says (a BpfProgram's), or
 * as `given` says for a bare fd (which cannot tell); a TypeError where the two disagree.
 */
function loadedForMulti(prog: ProgramRef, known: number | undefined, given: number | undefined): boolean {
  if (given === undefined) return known === AttachType.trace_uprobe_multi;
  const at = u32Arg(given, "attachUsdt: attachType");
  if (known !== undefined && known !== at) {
    throw new TypeError(`attachUsdt: attachType ${at} was given, but ${programText(prog)} was loaded with attach type ${known}`);
  }
  return at === AttachType.trace_uprobe_multi;
}

/** The operand syntax of an executable's notes, from its e_machine; an ElfError for another machine than the kernel's. */
function usdtArch(machine: number, path: string): UsdtArch {
  const arch = machine === Machine.x86_64 ? "x86_64" : machine === Machine.aarch64 ? "aarch64" : undefined;
  if (arch === undefined) throw new ElfError(`${path} is for e_machine ${machine}: USDT arguments parse for x86-64 (62) and aarch64 (183)`);
  const kernel = getBackend().arch;
  if (arch !== kernel) throw new ElfError(`${path} is an ${arch} executable, and this kernel runs ${kernel} code: its probes would never fire`);
  return arch;
}

/** The canonical path of `path` (symlinks resolved), as /proc/<pid>/maps names a mapped file. */
function canonical(path: string): string {
  const fd = openRead(path);
  try {
    return fdTarget(fd) ?? path;
  } finally {
    closeQuietly(fd);
  }
}

/** An executable mapping of a file in a process: [start, end) in memory, from file offset `offset`. */
interface Mapping {
  start: bigint;
  end: bigint;
  offset: bigint;
}

/** The executable mappings of `file` in process `pid`, from /proc/<pid>/maps (read once per attach). */
function executableMappings(pid: number, file: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of readTextFile(`/proc/${pid}/maps`, 1 << 24).split("\n")) {
    // start-end perms offset dev inode path
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) \S+ \d+\s+(.*)$/.exec(line);
    if (m === null || m[3][2] !== "x" || m[5] !== file) continue;
    out.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), offset: BigInt(`0x${m[4]}`) });
  }
  return out;
}

/** Where file offset `off` lies in `maps` (the process's executable mappings of `file`). */
function siteAddress(maps: readonly Mapping[], pid: number, file: string, off: number, what: string): bigint {
  const o = BigInt(off);
  for (const m of maps) if (o >= m.offset && o < m.offset + (m.end - m.start)) return m.start + (o - m.offset);
  throw new RangeError(`${what}: process ${pid} has no executable mapping of ${file} holding file offset 0x${off.toString(16)}`);
}

/**
 * Runs kprobe program `prog` (SEC("usdt"), built with libbpf's usdt.bpf.h) on every site of USDT
 * probe `provider:name` in the executable or shared library at `path`; in every process, or in
 * `pid` alone (a bare `path` is looked up as attachUprobe does). `opts.maps` are the program's object's maps (Collection `maps`), where the
 * argument specs go. Kernels before 5.15 have no BPF cookies: there a probe in a PIE or shared
 * library needs a pid, whose mapping of the file gives the sites' addresses.
 *
 * @example
 * ```ts
 * import { attachUsdt, Collection } from "tsbpf";
 * using obj = Collection.load("usdt.bpf.o");
 * using link = attachUsdt(obj.programs.on_args, "python3", "python", "function__entry", { maps: obj.maps });
 * ```
 */
export function attachUsdt(prog: ProgramRef, path: string, provider: string, name: string, opts: UsdtOptions): UsdtLink {
  if (typeof path !== "string" || path === "" || path.includes("\0")) throw new TypeError(`USDT path must be a file's path, got ${JSON.stringify(path)}`);
  for (const [v, w] of [[provider, "provider"], [name, "name"]] as const) {
    if (typeof v !== "string" || v === "" || /[\s\0:]/.test(v)) throw new TypeError(`USDT ${w} must be a non-empty string without spaces or colons, got ${JSON.stringify(v)}`);
  }
  if (opts === null || typeof opts !== "object" || opts.maps === null || typeof opts.maps !== "object") {
    throw new TypeError("attachUsdt: opts.maps must be the program's object's maps (Collection maps), which hold __bpf_usdt_specs");
  }
  const pid = checkPid(opts.pid ?? -1, "USDT pid");
  const cookie = opts.cookie ?? 0;
  if (typeof cookie !== "bigint" && (typeof cookie !== "number" || !Number.isSafeInteger(cookie))) throw new TypeError(`USDT cookie must be an integer, got ${String(cookie)}`);
  const specs = checkMap(opts.maps.__bpf_usdt_specs, "__bpf_usdt_specs", MapType.array, 4, USDT_SPEC_SIZE);
  const known = typeof prog === "object" && prog !== null ? (prog as { attachType?: number }).attachType : undefined;
  const multi = loadedForMulti(prog, known, opts.attachType);
  path = binaryPath(path);
  const what = `USDT ${provider}:${name} in ${path}${pid === -1 ? "" : ` (pid ${pid})`}`;
  const doing = `attaching ${programText(prog)} to ${what}`;

  try {
    const elf = readExecutable(path);
    const all = usdtNotes(elf);
    const notes = all.filter((n) => n.provider === provider && n.name === name);
    if (notes.length === 0) {
      const have = [...new Set(all.map((n) => `${n.provider}:${n.name}`))];
      throw new ElfError(`no USDT probe ${provider}:${name} in ${path} (${have.length ? `it has ${have.join(", ")}` : "it has no .note.stapsdt probes"})`);
    }
    const arch = usdtArch(elf.machine, path);
    const args = notes.map((n) => parseUsdtArgs(n.args, arch));
    const p: Plan = { specs, maps: opts.maps, pid, cookie: BigInt(cookie), isExec: elf.type === 2, what, real: "", mappings: [], ipMap: undefined };
    return multi ? attachMulti(prog, path, notes, args, p) : attachSites(prog, path, notes, args, p);
  } catch (e) {
    // The kernel's EINVAL for a uprobe_multi program on a uprobe says nothing of the cause.
    if (!multi && opts.attachType === undefined && known === undefined && e instanceof Error && (e as { errno?: number }).errno === Errno.EINVAL) {
      e.message += "; a bare fd cannot tell how its program was loaded: if it was for uprobe_multi, pass attachType: AttachType.trace_uprobe_multi";
    }
    throw attachFailed(e, doing);
  }
}

interface Plan {
  specs: UsdtMapRef;
  maps: UsdtMaps;
  pid: number;
  cookie: bigint;
  isExec: boolean;
  what: string;
  /** Set once the sites are found by address: the map; for a PIE or library, its canonical path and the pid's mappings of it. */
  ipMap: UsdtMapRef | undefined;
  real: string;
  mappings: Mapping[];
}

/** Where there are no BPF cookies: the address map, checked, and what finding a PIE's sites needs. */
function byAddress(p: Plan, path: string, cause: unknown): void {
  p.ipMap = checkMap(p.maps.__bpf_usdt_ip_to_spec_id, "__bpf_usdt_ip_to_spec_id", MapType.hash, 8, 4);
  if (!p.isExec) {
    if (p.pid === -1) {
      throw lacks(`USDT in a PIE or shared library for every process (${path}): without BPF cookies a site is found by its address, which differs per process; give a pid`, "perf_event_link", cause);
    }
    p.real = canonical(path);
    p.mappings = executableMappings(p.pid, p.real);
  }
}

/** The spec id of each distinct argument string, written to __bpf_usdt_specs on first use: sites with the same arguments share a spec, as libbpf's do. */
function specWriter(p: Plan, ids: Map<string, number>): (note: UsdtNote, args: UsdtArg[]) => number {
  const spec = new Uint8Array(USDT_SPEC_SIZE);
  const key4 = new Uint8Array(4), k4 = new DataView(key4.buffer);
  return (note, args) => {
    let id = ids.get(note.args);
    if (id === undefined) {
      id = allocSpecId(p.specs);
      ids.set(note.args, id);
      k4.setUint32(0, id, HOST_LITTLE);
      mapUpdateElem(p.specs.fd, key4, encodeUsdtSpec(args, p.cookie, spec));
    }
    return id;
  };
}

/** Every site through one uprobe_multi link (the program was loaded for it), each site's cookie its spec id. */
function attachMulti(prog: ProgramRef, path: string, notes: UsdtNote[], args: UsdtArg[][], p: Plan): UsdtLink {
  const links: BpfLink[] = [];
  const ids = new Map<string, number>();
  const specOf = specWriter(p, ids);
  try {
    const sites: UsdtSite[] = notes.map((note, i) => ({ note, args: args[i], specId: specOf(note, args[i]) }));
    links.push(attachUprobeMulti(prog, path, {
      offsets: notes.map((n) => n.fileOffset), cookies: sites.map((s) => s.specId), refCtrOffsets: notes.map((n) => n.semaphoreOffset),
      ...(p.pid === -1 ? {} : { pid: p.pid }),
    }));
    return makeUsdtLink(links, sites, () => release(links, p, ids.values(), []), p.what);
  } catch (e) {
    release(links, p, ids.values(), []);
    throw e;
  }
}

function attachSites(prog: ProgramRef, path: string, notes: UsdtNote[], args: UsdtArg[][], p: Plan): UsdtLink {
  const links: PerfEventLink[] = [];
  const sites: UsdtSite[] = [];
  const ids = new Map<string, number>();
  const ips: bigint[] = [];
  const specOf = specWriter(p, ids);
  const key8 = new Uint8Array(8), val4 = new Uint8Array(4);
  const k8 = new DataView(key8.buffer), v4 = new DataView(val4.buffer);
  // Decided by the first site: true once a link took a cookie, false once the kernel had none.
  let byCookie: boolean | undefined;
  try {
    notes.forEach((note, i) => {
      const id = specOf(note, args[i]);
      const site: UsdtSite = { note, args: args[i], specId: id };
      const uprobe = { pid: p.pid, refCtrOffset: note.semaphoreOffset };
      if (byCookie !== false) {
        try {
          links.push(attachUprobe(prog, path, note.fileOffset, { ...uprobe, cookie: id }));
          byCookie = true;
          sites.push(site);
          return;
        } catch (e) {
          if (byCookie === true || !(e instanceof FeatureError && e.needs === ATTACH_VERSIONS.perf_event_link)) throw e;
          byCookie = false;
          byAddress(p, path, e);
        }
      }
      const ip = p.isExec ? note.address : siteAddress(p.mappings, p.pid, p.real, note.fileOffset, p.what);
      k8.setBigUint64(0, ip, HOST_LITTLE);
      v4.setUint32(0, id, HOST_LITTLE);
      try {
        mapUpdateElem(p.ipMap!.fd, key8, val4, 1 /* BPF_NOEXIST */);
      } catch (e) {
        if (e instanceof Error) e.message += `; site 0x${ip.toString(16)} is already attached through this object`;
        throw e;
      }
      ips.push(ip);
      site.ip = ip;
      links.push(attachUprobe(prog, path, note.fileOffset, uprobe));
      sites.push(site);
    });
  } catch (e) {
    release(links, p, ids.values(), ips);
    throw e;
  }
  return makeUsdtLink(links, sites, () => release(links, p, ids.values(), ips), p.what);
}

function release(links: readonly BpfLink[], p: Plan, ids: Iterable<number>, ips: bigint[]): void {
  let first: unknown;
  for (const l of links) {
    try {
      l.close();
    } catch (e) {
      first ??= e;
    }
  }
  if (p.ipMap !== undefined) {
    const key = new Uint8Array(8), dv = new DataView(key.buffer);
    for (const ip of ips) {
      dv.setBigUint64(0, ip, HOST_LITTLE);
      try {
        mapDeleteElem(p.ipMap.fd, key);
      } catch {
        // The object's maps may be closed already: nothing else reads the entry then.
      }
    }
  }
  freeSpecIds(p.specs, ids);
  if (first !== undefined) throw first;
}

let makeUsdtLink: (links: BpfLink[], sites: UsdtSite[], release: () => void, what: string) => UsdtLink;

/**
 * A USDT probe attached at each of its sites: one uprobe_multi link for them all where the program
 * was loaded for it (6.6+), else one uprobe link per site; closing it closes them and frees the specs.
 */
export class UsdtLink {
  /** The sites, in note order. */
  readonly sites: readonly UsdtSite[];
  /** The links: one uprobe_multi link (LinkType.uprobe_multi), or a PerfEventLink per site. */
  readonly links: readonly BpfLink[];
  /** What was attached, for messages. */
  readonly description: string;
  #release: (() => void) | undefined;

  static {
    makeUsdtLink = (links, sites, release, what) => new UsdtLink(links, sites, release, what);
  }

  private constructor(links: BpfLink[], sites: UsdtSite[], release: () => void, what: string) {
    this.links = links;
    this.sites = sites;
    this.#release = release;
    this.description = what;
  }

  /** Whether close() has run. */
  get closed(): boolean {
    return this.#release === undefined;
  }

  /** Detaches every site and frees its specs; a second call does nothing. */
  close(): void {
    const r = this.#release;
    this.#release = undefined;
    r?.();
  }

  /** close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
