/**
 * Collection: a BPF ELF object loaded into the kernel in one call, as libbpf's bpf_object__load
 * loads it: the object's BTF (sanitized for the running kernel), its maps (pinned ones reused),
 * global data filled and frozen, externs resolved, CO-RE relocated against the kernel's BTF, and
 * every autoloaded program loaded (an arena mapped and given its `__arena` globals first); then prog-array and map-in-map slots filled and global
 * variables mapped into the process. Everything it opened is closed by close() or `using`; a
 * failure half-way closes what was made.
 * @module
 */
import type { Btf } from "../btf/btf.ts";
import { BtfHandle } from "../btf/handle.ts";
import { kernelBtf } from "../btf/kernel.ts";
import type { ElfMapSpec } from "../elf/map-spec.ts";
import { kconfigSize } from "../elf/externs.ts";
import { mapUpdateElem } from "../cmd/map.ts";
import { progBindMap } from "../cmd/prog.ts";
import type { BpfMap } from "../map/map.ts";
import type { BpfProgram } from "../program/program.ts";
import { MapType } from "../uapi/enums.gen.ts";
import { MapCreateFlags } from "../uapi/flags.gen.ts";
import { HOST_LITTLE } from "../util/endian.ts";
import { unlinkPath } from "../sys/path.ts";
import { coreTypesAreCompat } from "../btf/core/public-compat.ts";
import { type CoreTargets, relocateProgram } from "./core.ts";
import { explainPoison } from "./poison.ts";
import type { CoreResult } from "../btf/core/apply.ts";
import { checkArena, mapArena } from "./arena.ts";
import { ArenaMemory } from "./arena-memory.ts";
import { checkPinned, createMap, DEFAULT_PIN_PATH, openPinned, pinPathOf, populateDataMap } from "./create-maps.ts";
import { resolveExterns } from "./externs.ts";
import { loadProgram, patchReferences } from "./load-programs.ts";
import { StructOpsLoad, structOpsAutoload } from "./struct-ops.ts";
import { CollectionSpec } from "./spec.ts";
import { DataMemory, Variable } from "./variables.ts";

/** Options of {@link Collection.load}. */
export interface CollectionOptions {
  /** Values for `.rodata` variables (`const volatile` globals), set before load so the verifier sees them. */
  constants?: Record<string, unknown>;
  /** Directory of maps pinned by name (LIBBPF_PIN_BY_NAME); /sys/fs/bpf unless given, as libbpf's pin_root_path. */
  pinPath?: string;
  /** Kconfig text (`CONFIG_X=y` lines) used before the kernel's own config, as libbpf's kconfig option. */
  kconfig?: string;
  /** BTF to CO-RE-relocate against instead of the running kernel's (libbpf's btf_custom_path). */
  coreBtf?: Btf;
  /** Programs to load: by default those whose section has no leading '?'. */
  programs?: readonly string[];
  /** Verifier log level for every program (1 or 2): the log is then kept on success too. */
  logLevel?: number;
  /** Initial verifier log size in bytes. */
  logSize?: number;
  /**
   * Load SEC("usdt") programs for one uprobe_multi link over all of a probe's sites, as newer libbpf
   * does (not Debian 12's 1.1): the default where the kernel has uprobe_multi links; false keeps a uprobe per site.
   */
  usdtUprobeMulti?: boolean;
}

const SLOT_MAP_TYPES = new Set<number>([MapType.prog_array, MapType.array_of_maps, MapType.hash_of_maps]);

/**
 * The live maps, programs and variables of a loaded BPF object.
 *
 * @example
 * ```ts
 * import { Collection } from "tsbpf";
 * using obj = Collection.load("counter.bpf.o", { constants: { target_pid: 1234 } });
 * obj.programs.count_packets;      // a BpfProgram, its type from SEC()
 * obj.maps.counts.get(0);          // decoded through the object's BTF
 * obj.variables.total.get();       // .bss read from mapped memory, no syscall
 * ```
 */
export class Collection implements Disposable {
  /** Maps by name (global data as "obj.bss", ...). */
  readonly maps: Record<string, BpfMap<any, any, any, any>>;
  /** Loaded programs by function name. */
  readonly programs: Record<string, BpfProgram>;
  /** Global variables by name. */
  readonly variables: Record<string, Variable>;
  /** The spec it was loaded from. */
  readonly spec: CollectionSpec;
  /** The object's BPF_MAP_TYPE_ARENA map as live memory (an object has one at most), mapped at load. */
  readonly arena: ArenaMemory | undefined;
  readonly #memories: DataMemory[];
  #closed = false;

  private constructor(spec: CollectionSpec, maps: Record<string, BpfMap<any, any, any, any>>, programs: Record<string, BpfProgram>, variables: Record<string, Variable>, memories: DataMemory[], arena: ArenaMemory | undefined) {
    this.spec = spec;
    this.arena = arena;
    this.maps = maps;
    this.programs = programs;
    this.variables = variables;
    this.#memories = memories;
  }

  /**
   * Loads an object: a CollectionSpec, a path, or the file's bytes. A VerifierError names the
   * program (and the source line, from line_info); an unresolved strong extern, a pinned map that
   * does not match, or a CO-RE relocation that is ambiguous is an error naming it.
   */
  static load(source: CollectionSpec | string | Uint8Array, options: CollectionOptions = {}): Collection {
    const spec = source instanceof CollectionSpec ? source
      : typeof source === "string" ? CollectionSpec.fromFile(source)
      : source instanceof Uint8Array ? CollectionSpec.parse(source)
      : (() => {
        throw new TypeError(`Collection.load takes a CollectionSpec, a path or the object's bytes, got ${String(source)}`);
      })();
    if (typeof options !== "object" || options === null) throw new TypeError("Collection.load options must be an object");
    if (options.usdtUprobeMulti !== undefined && typeof options.usdtUprobeMulti !== "boolean") throw new TypeError(`usdtUprobeMulti must be a boolean, got ${String(options.usdtUprobeMulti)}`);
    const obj = spec.object;
    for (const m of obj.maps) checkArena(m);
    if (obj.elf.little !== HOST_LITTLE) {
      throw new TypeError(`the object is ${obj.elf.little ? "little" : "big"}-endian; this machine is ${HOST_LITTLE ? "little" : "big"}-endian (build it with -target bpf${HOST_LITTLE ? "el" : "eb"}, or plain bpf)`);
    }
    const wanted = options.programs === undefined ? undefined : new Set(options.programs);
    for (const name of wanted ?? []) if (!(name in spec.programs)) throw new TypeError(`no program ${JSON.stringify(name)} in the object (it has: ${Object.keys(spec.programs).join(", ") || "none"})`);
    const structOps = new StructOpsLoad(obj, spec.btf);
    const progs = structOpsAutoload(obj, obj.programs.filter((p) => (wanted ? wanted.has(p.name) : p.autoload)), wanted !== undefined);
    const contents = dataContents(spec, options.constants);

    const owned: { close(): void }[] = [];
    const maps: Record<string, BpfMap<any, any, any, any>> = Object.create(null);
    const programs: Record<string, BpfProgram> = Object.create(null);
    const memories: DataMemory[] = [];
    let btf: BtfHandle | undefined;
    let handles: { close(): void }[] = [];
    const pinned: string[] = []; // pins this load made: taken back if it fails, as libbpf unpins
    try {
      if (spec.btf !== undefined) btf = BtfHandle.load(spec.btf);
      const pinDir = options.pinPath ?? DEFAULT_PIN_PATH;
      const fresh = new Set<string>();
      const memOf = new Map<string, DataMemory>();
      const arenaOffset = new Map<string, number>();
      let arena: ArenaMemory | undefined;
      for (const m of obj.maps) {
        if (structOps.skips(m)) continue; // a ?.struct_ops map not asked for
        let map: BpfMap<any, any, any, any> | undefined;
        if (m.pinning === 1) {
          const path = pinPathOf(m, pinDir);
          map = openPinned(path, m, spec.btf);
          if (map) {
            owned.push(map);
            checkPinned(m, map, path);
          } else {
            map = createMap(m, spec.btf, btf?.fd);
            owned.push(map);
            map.pin(path);
            pinned.push(path);
            fresh.add(m.name);
          }
        } else {
          map = structOps.createMap(m, btf?.fd) ?? createMap(m, spec.btf, btf?.fd);
          owned.push(map);
          fresh.add(m.name);
        }
        maps[m.name] = map;
        const c = contents.get(m.name);
        if (c && fresh.has(m.name)) populateDataMap(map, m, c);
        if (m.type === MapType.arena) {
          const a = mapArena(map, m, fresh.has(m.name));
          const mem = new DataMemory(map, a.dataSize, { region: a.region, offset: a.dataOffset });
          memories.push(mem);
          memOf.set(m.name, mem);
          arenaOffset.set(m.name, a.dataOffset);
          arena = new ArenaMemory(map, a);
        }
      }

      const resolved = resolveExterns(obj.externs, spec.btf, kconfigSize(obj.externs), {
        kconfig: options.kconfig,
        kernelBtf: () => kernelBtf().vmlinux(),
        moduleBtfs: () => [...kernelBtf().modules()],
        compatible: coreTypesAreCompat,
      });
      handles = resolved.handles;
      const kconfigMap = obj.maps.find((m) => m.section === ".kconfig");
      if (kconfigMap) {
        const map = maps[kconfigMap.name];
        mapUpdateElem(map.fd, new Uint8Array(4), resolved.kconfig, 0);
        map.freeze();
        contents.set(kconfigMap.name, resolved.kconfig);
      }

      const mapIndex = new Map(obj.maps.map((m, i) => [m.name, i]));
      const rodata = obj.maps.filter((m) => m.source === "data" && (m.section === ".rodata" || m.section.startsWith(".rodata.")));
      let core: CoreTargets | undefined;
      for (const p of progs) {
        const code = p.insns.slice();
        let relocated: CoreResult[] = [];
        if (p.coreRelos.length) {
          core ??= coreTargets(options.coreBtf);
          relocated = relocateProgram(code, p, spec.btf!, core);
        }
        patchReferences(p, code, {
          mapFd: (name) => maps[name]?.fd, mapIndex: (name) => mapIndex.get(name) ?? -1, valueBase: (name) => arenaOffset.get(name) ?? 0,
          kconfigFd: kconfigMap ? maps[kconfigMap.name].fd : undefined, externs: obj.externs, resolved,
        });
        let prog: BpfProgram;
        try {
          prog = loadProgram(p, code, {
            license: spec.license, kernVersion: spec.kernVersion, btfFd: btf?.fd, fdArray: resolved.fdArray,
            logLevel: options.logLevel, logSize: options.logSize, structOps: structOps.target(p), usdtUprobeMulti: options.usdtUprobeMulti,
          });
        } catch (e) {
          throw explainPoison(e, p, relocated, obj.externs, obj.maps);
        }
        owned.push(prog);
        programs[p.name] = prog;
        // As libbpf: every .rodata map is bound to every program, so that it lives as long as
        // they do (bpftool reads a program's metadata from it). Failing to bind is not fatal.
        for (const m of rodata) {
          try {
            progBindMap(prog.fd, maps[m.name].fd);
          } catch {
            // kernels before 5.10 have no BPF_PROG_BIND_MAP
          }
        }
      }

      fillSlots(obj.maps, maps, programs, fresh);
      structOps.finish(maps, programs);

      const variables: Record<string, Variable> = Object.create(null);
      for (const v of Object.values(spec.variables)) {
        const m = spec.maps[v.map];
        const map = maps[v.map];
        let mem = memOf.get(v.map);
        if (mem === undefined) {
          mem = new DataMemory(map, m.valueSize, { mmapable: (m.flags & MapCreateFlags.mmapable) !== 0, readOnly: (m.flags & MapCreateFlags.rdonly_prog) !== 0 });
          memOf.set(v.map, mem);
          memories.push(mem);
        }
        variables[v.name] = new Variable(v, mem);
      }
      return new Collection(spec, maps, programs, variables, memories, arena);
    } catch (e) {
      for (const path of pinned) {
        try {
          unlinkPath(path);
        } catch {
          // gone already
        }
      }
      for (const m of memories) m.release();
      for (const o of owned.reverse()) {
        try {
          o.close();
        } catch {
          // the first error is the one to report
        }
      }
      throw e;
    } finally {
      btf?.close();
      for (const h of handles) h.close();
      structOps.close();
    }
  }

  /** Closes every map and program and unmaps the variables; idempotent. Pinned maps stay pinned. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const m of this.#memories) m.release();
    for (const p of Object.values(this.programs)) p.close();
    for (const m of Object.values(this.maps)) m.close();
  }

  /** close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** CO-RE targets: the caller's BTF alone, or the running kernel's vmlinux and module BTFs. */
function coreTargets(given: Btf | undefined): CoreTargets {
  if (given !== undefined) return { vmlinux: given, cache: new Map() };
  const k = kernelBtf();
  let modules: Btf[] | undefined;
  return { vmlinux: k.vmlinux(), modules: () => (modules ??= [...k.modules()].map((m) => m.btf)), cache: new Map() };
}

/** Initial values of the global-data maps, with `constants` applied to copies of the spec's contents. */
function dataContents(spec: CollectionSpec, constants: Record<string, unknown> | undefined): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const m of Object.values(spec.maps)) if (m.contents && m.source === "data" && m.section !== ".kconfig") out.set(m.name, m.contents.slice());
  if (constants === undefined) return out;
  if (typeof constants !== "object" || constants === null) throw new TypeError("constants must be an object of variable names to values");
  for (const [name, value] of Object.entries(constants)) {
    const v = spec.variables[name];
    if (v === undefined) throw new TypeError(`constants: no variable ${JSON.stringify(name)} in the object (its .rodata has: ${Object.values(spec.variables).filter((x) => x.constant).map((x) => x.name).join(", ") || "none"})`);
    if (!v.constant || spec.maps[v.map].section === ".kconfig") throw new TypeError(`constants: ${name} is in ${spec.maps[v.map].section}, not .rodata: set it through collection.variables after load`);
    v.codec.encode(value, out.get(v.map)!, v.offset);
  }
  return out;
}

/** Fills prog-array and map-in-map slots from `.maps` initialisers (libbpf's init_map_in_map_slots / init_prog_array_slots). */
function fillSlots(specs: readonly ElfMapSpec[], maps: Record<string, BpfMap<any, any, any, any>>, programs: Record<string, BpfProgram>, fresh: Set<string>): void {
  for (const m of specs) {
    if (!m.slots?.length || !fresh.has(m.name) || !SLOT_MAP_TYPES.has(m.type)) continue;
    for (const s of m.slots) {
      const target = m.type === MapType.prog_array ? programs[s.name] : maps[s.name];
      if (target === undefined) {
        if (m.type === MapType.prog_array) continue; // libbpf skips programs not loaded
        throw new TypeError(`map "${m.name}": slot ${s.index} names map ${JSON.stringify(s.name)}, which the object lacks`);
      }
      const key = new Uint8Array(4), value = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, s.index, HOST_LITTLE);
      new DataView(value.buffer).setUint32(0, target.fd, HOST_LITTLE);
      mapUpdateElem(maps[m.name].fd, key, value, 0);
    }
  }
}
