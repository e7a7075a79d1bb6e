/**
 * struct_ops maps of a collection, loaded as libbpf loads them (bpf_map__init_kern_struct_ops,
 * bpf_object_adjust_struct_ops_autoload, bpf_map_prepare_vdata): the kernel's struct
 * (`struct tcp_congestion_ops`) and its map value type (`struct bpf_struct_ops_tcp_congestion_ops`)
 * found in vmlinux's or a module's BTF by the local struct's essential name; the value laid out
 * as the kernel's, member by member by name (data copied, each function pointer given its
 * program's fd once the programs are loaded; a member the kernel lacks must be zero); the map
 * made with btf_vmlinux_value_type_id; each program loaded with attach_btf_id (the kernel
 * struct) and expected_attach_type (the member's index). A `.struct_ops.link` map's value is
 * written at load (attachStructOps links it); a `.struct_ops` map's writing registers it, so that
 * is left to attachStructOps.
 * @module
 */
import type { Btf } from "../btf/btf.ts";
import { BtfHandle } from "../btf/handle.ts";
import { kernelBtf } from "../btf/kernel.ts";
import type { BtfCompositeType } from "../btf/types.ts";
import { essentialName } from "../btf/core/names.ts";
import type { ElfMapSpec } from "../elf/map-spec.ts";
import type { ElfObject } from "../elf/object.ts";
import type { ElfProgramSpec } from "../elf/program-spec.ts";
import { mapUpdateElem } from "../cmd/map.ts";
import { BpfError } from "../errors.ts";
import { deferStructOpsValue } from "../link/struct-ops.ts";
import { ATTACH_VERSIONS, kernelBelow, lacks } from "../link/needs.ts";
import { BpfMap } from "../map/map.ts";
import { Insn } from "../asm/insn.ts";
import { BpfProgram } from "../program/program.ts";
import { MapType, ProgType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { MapCreateFlags } from "../uapi/flags.gen.ts";
import { HOST_LITTLE } from "../util/endian.ts";
import { objName } from "./create-maps.ts";

const VALUE_PREFIX = "bpf_struct_ops_";
const ENOTSUPP = 524; // the kernel's internal "operation not supported", which bpf() lets out

/** The kernel BTF struct_ops types are looked up in: vmlinux, then each module. */
export interface StructOpsKernel {
  /** vmlinux's BTF. */
  vmlinux: Btf;
  /** Module BTFs (split over vmlinux), by name, in the order to search. */
  modules?: () => Iterable<{ name: string; btf: Btf }>;
}

/** Where a struct_ops program attaches: its BPF_PROG_LOAD attributes (libbpf's attach_btf_id and expected_attach_type). */
export interface StructOpsTarget {
  /** attach_btf_id: the kernel struct's id ("struct tcp_congestion_ops"), in `module`'s BTF or vmlinux's. */
  attachBtfId: number;
  /** expected_attach_type: the index of the member the program implements, in the kernel's struct. */
  memberIndex: number;
  /** The module whose BTF has the struct; undefined for vmlinux. */
  module?: string;
}

/** One function pointer of the kernel's value: which program's fd goes where. */
export interface StructOpsSlot {
  /** The member's name. */
  member: string;
  /** The program (function) name. */
  program: string;
  /** Byte offset of the 8-byte pointer in the value. */
  offset: number;
}

/** A struct_ops map laid out for the kernel (libbpf's kern_vdata and kern_func_off). */
export interface KernStructOps {
  /** The map's name. */
  map: string;
  /** The kernel struct's id ("struct tcp_congestion_ops"). */
  typeId: number;
  /** The map value type's id ("struct bpf_struct_ops_tcp_congestion_ops"): btf_vmlinux_value_type_id. */
  valueTypeId: number;
  /** Its module, undefined for vmlinux. */
  module?: string;
  /** The value: the data members copied, the function pointers still zero. */
  value: Uint8Array;
  /** Where each program's fd goes. */
  slots: StructOpsSlot[];
  /** The target of each program, by program name. */
  targets: Map<string, StructOpsTarget>;
}

const fail = (map: string, what: string): never => {
  throw new TypeError(`struct_ops map ${JSON.stringify(map)}: ${what}`);
};

/** The kernel struct and value type for local struct `name`, vmlinux first (libbpf's find_struct_ops_kern_types). */
function kernTypes(map: string, name: string, kernel: StructOpsKernel): { btf: Btf; type: BtfCompositeType; vtype: BtfCompositeType; dataOffset: number; module?: string } {
  const tname = essentialName(name);
  const vname = VALUE_PREFIX + tname;
  let btf: Btf = kernel.vmlinux;
  let module: string | undefined;
  let vtype = btf.find(vname, "struct");
  if (vtype === undefined) {
    for (const m of kernel.modules?.() ?? []) {
      vtype = m.btf.find(vname, "struct");
      if (vtype !== undefined) {
        btf = m.btf;
        module = m.name;
        break;
      }
    }
  }
  if (vtype === undefined || vtype.kind !== "struct") {
    return fail(map, `no struct ${vname} in the kernel's BTF (vmlinux or a loaded module): this kernel has no struct_ops ${tname} (too old, built without it, or its module is not loaded)`);
  }
  const type = btf.find(tname, "struct");
  if (type === undefined || type.kind !== "struct") return fail(map, `no struct ${tname} in ${module ? `module ${module}'s` : "vmlinux's"} BTF`);
  const data = vtype.members.find((m) => m.type === type.id);
  if (data === undefined) return fail(map, `struct ${vname} has no member of type struct ${tname}`);
  return { btf, type, vtype, dataOffset: data.bitOffset / 8, module };
}

const isZero = (b: Uint8Array) => b.every((x) => x === 0);

/**
 * Lays out struct_ops map `m` for the kernel (libbpf's bpf_map__init_kern_struct_ops): a TypeError
 * names the map and member the kernel's struct does not take (missing and non-zero, a bitfield,
 * another kind or size), or a program that is not a struct_ops program of the object.
 */
export function kernStructOps(m: ElfMapSpec, local: Btf, kernel: StructOpsKernel, programs: ReadonlyMap<string, ElfProgramSpec>): KernStructOps {
  const so = m.structOps;
  if (so === undefined) throw new TypeError(`map ${JSON.stringify(m.name)} is not a struct_ops map`);
  const st = local.typeById(so.typeId);
  if (st.kind !== "struct") return fail(m.name, `local type [${so.typeId}] is a ${st.kind}, not a struct`);
  if (so.data.length !== st.size) return fail(m.name, `its data has ${so.data.length} bytes, struct ${st.name} ${st.size}`);
  for (const member of Object.keys(so.programs)) if (!st.members.some((x) => x.name === member)) fail(m.name, `programs names member ${member}, which struct ${st.name} lacks`);
  const k = kernTypes(m.name, st.name, kernel);
  const value = new Uint8Array(k.vtype.size);
  const slots: StructOpsSlot[] = [];
  const targets = new Map<string, StructOpsTarget>();
  st.members.forEach((lm) => {
    const at = `member ${lm.name}`;
    if (lm.bitOffset % 8 !== 0) fail(m.name, `${at} is not byte-aligned`);
    const moff = lm.bitOffset / 8;
    const msize = local.sizeof(lm.type);
    const mdata = so.data.subarray(moff, moff + msize);
    const program = Object.hasOwn(so.programs, lm.name) ? so.programs[lm.name] : undefined;
    const ki = k.type.members.findIndex((x) => x.name === lm.name);
    if (ki < 0) {
      // As libbpf: a member this kernel lacks is skipped when the object leaves it zero (newer ops).
      if (program !== undefined || !isZero(mdata)) fail(m.name, `${at} is not in the kernel's struct ${k.type.name}, and is set${program ? ` (to program ${program})` : ""}`);
      return;
    }
    const km = k.type.members[ki];
    if (lm.bitfieldSize || km.bitfieldSize) fail(m.name, `${at} is a bitfield, which struct_ops values cannot hold`);
    const lt = local.resolve(lm.type), kt = k.btf.resolve(km.type);
    if (lt.kind !== kt.kind) fail(m.name, `${at} is a ${lt.kind} here but a ${kt.kind} in the kernel's struct ${k.type.name}`);
    const koff = k.dataOffset + km.bitOffset / 8;
    if (lt.kind === "ptr") {
      if (program === undefined) {
        if (!isZero(mdata)) fail(m.name, `${at} holds a non-zero pointer that is no program`);
        return;
      }
      const p = programs.get(program);
      if (p === undefined) fail(m.name, `${at} names program ${program}, which the object lacks`);
      if (p!.type !== ProgType.struct_ops) fail(m.name, `${at} names program ${program} of section ${JSON.stringify(p!.section)}, not a SEC("struct_ops/...") program`);
      if (k.btf.resolve((kt as { type: number }).type).kind !== "func_proto") fail(m.name, `${at} is not a function pointer in the kernel's struct ${k.type.name}`);
      const had = targets.get(program);
      if (had !== undefined && had.memberIndex !== ki) fail(m.name, `${at} names program ${program}, which member ${k.type.members[had.memberIndex].name} holds too: a struct_ops program implements one member`);
      targets.set(program, { attachBtfId: k.type.id, memberIndex: ki, ...(k.module ? { module: k.module } : {}) });
      slots.push({ member: lm.name, program, offset: koff });
      return;
    }
    if (program !== undefined) fail(m.name, `${at} is a ${lt.kind}, not a function pointer: it cannot hold program ${program}`);
    const ksize = k.btf.sizeof(km.type);
    if (ksize !== msize) fail(m.name, `${at} has ${msize} bytes here but ${ksize} in the kernel's struct ${k.type.name}`);
    if (koff + msize > value.length) fail(m.name, `${at} lies past the kernel's ${value.length}-byte value`);
    value.set(mdata, koff);
  });
  return { map: m.name, typeId: k.type.id, valueTypeId: k.vtype.id, ...(k.module ? { module: k.module } : {}), value, slots, targets };
}

/** Whether Collection.load creates `m`: every map but a `?.struct_ops` one left with autocreate false. */
export function isCreated(m: ElfMapSpec): boolean {
  return m.structOps === undefined || m.structOps.autocreate;
}

/**
 * The programs to load (libbpf's bpf_object_adjust_struct_ops_autoload): a struct_ops program one
 * or more struct_ops maps use is loaded exactly when one of them is created, whatever its
 * section's '?'; the others as `picked` says. A list the caller gave (`explicit`) is kept as is.
 */
export function structOpsAutoload(obj: ElfObject, picked: readonly ElfProgramSpec[], explicit: boolean): ElfProgramSpec[] {
  const used = new Map<string, boolean>();
  for (const m of obj.maps) {
    if (m.structOps === undefined) continue;
    for (const p of Object.values(m.structOps.programs)) used.set(p, (used.get(p) ?? false) || m.structOps.autocreate);
  }
  if (explicit || used.size === 0) return [...picked];
  const chosen = new Set(picked);
  return obj.programs.filter((p) => (p.type === ProgType.struct_ops && used.has(p.name) ? used.get(p.name)! : chosen.has(p)));
}

/**
 * The struct_ops part of one Collection.load: lays out the maps against the kernel's BTF on first
 * use, creates them, gives each program its target, and writes or defers the values once the
 * programs are loaded. close() releases the module BTF fds it opened.
 */
export class StructOpsLoad {
  readonly #obj: ElfObject;
  readonly #local: Btf | undefined;
  readonly #kernel: () => StructOpsKernel;
  #plan: Map<string, KernStructOps> | undefined;
  #targets: Map<string, StructOpsTarget> | undefined;
  readonly #modules = new Map<string, BtfHandle>();
  #primed = false;

  /** The struct_ops maps of `obj`, typed by its BTF `local`, laid out against `kernel` (the running kernel's BTF unless given). */
  constructor(obj: ElfObject, local: Btf | undefined, kernel?: () => StructOpsKernel) {
    this.#obj = obj;
    this.#local = local;
    this.#kernel = kernel ?? (() => {
      const k = kernelBtf();
      return { vmlinux: k.vmlinux(), modules: () => k.modules() };
    });
  }

  /** Whether the map loop skips `m` (a `?.struct_ops` map not asked for). */
  skips(m: ElfMapSpec): boolean {
    return !isCreated(m);
  }

  // Every created map at once: a program used by two maps must get one target from both.
  #layout(): { plan: Map<string, KernStructOps>; targets: Map<string, StructOpsTarget> } {
    if (this.#plan !== undefined) return { plan: this.#plan, targets: this.#targets! };
    const plan = new Map<string, KernStructOps>(), targets = new Map<string, StructOpsTarget>();
    const maps = this.#obj.maps.filter((m) => m.structOps !== undefined && isCreated(m));
    if (maps.length) {
      if (this.#local === undefined) throw new TypeError("struct_ops maps need the object's BTF");
      const kernel = this.#kernel();
      const programs = new Map(this.#obj.programs.map((p) => [p.name, p]));
      for (const m of maps) {
        const k = kernStructOps(m, this.#local, kernel, programs);
        plan.set(m.name, k);
        for (const [name, t] of k.targets) {
          const had = targets.get(name);
          if (had && (had.attachBtfId !== t.attachBtfId || had.memberIndex !== t.memberIndex || had.module !== t.module)) {
            throw new TypeError(`struct_ops map ${JSON.stringify(m.name)}: program ${name} is used for another struct or member elsewhere (kernel type ${had.attachBtfId} member ${had.memberIndex}, here ${t.attachBtfId} member ${t.memberIndex}): a struct_ops program implements one member of one struct`);
          }
          targets.set(name, t);
        }
      }
    }
    this.#plan = plan;
    this.#targets = targets;
    return { plan, targets };
  }

  #moduleFd(name: string): number {
    let h = this.#modules.get(name);
    if (h === undefined) this.#modules.set(name, (h = BtfHandle.fromModule(name)));
    return h.fd;
  }

  /**
   * Creates struct_ops map `m` as the kernel's value type says (value_size, btf_vmlinux_value_type_id,
   * the module's BTF fd), typed by the object's BTF `btfFd`; undefined for a map of another type.
   */
  createMap(m: ElfMapSpec, btfFd: number | undefined): BpfMap<any, any, any, any> | undefined {
    if (m.type !== MapType.struct_ops || m.structOps === undefined) return undefined;
    const k = this.#layout().plan.get(m.name)!;
    if (btfFd === undefined) throw new TypeError(`struct_ops map ${JSON.stringify(m.name)}: the object's BTF must be loaded for the kernel to match its struct`);
    const create = () => BpfMap.create({
      type: MapType.struct_ops, name: objName(m.name), keySize: 4, valueSize: k.value.length, maxEntries: 1, btfFd, btfVmlinuxValueTypeId: k.valueTypeId,
      ...(k.module === undefined ? { flags: m.flags } : { flags: m.flags | MapCreateFlags.vtype_btf_obj_fd, valueTypeBtfObjFd: this.#moduleFd(k.module) }),
    });
    try {
      try {
        return create();
      } catch (e) {
        // Before 6.9 the kernel learns its struct_ops types when it first parses vmlinux's BTF,
        // which the first program load since boot does: until then every struct_ops map is
        // ENOTSUPP. libbpf loads a program first anyway (bpf_object__probe_loading); so do we, once.
        if (!(e instanceof BpfError && e.errno === ENOTSUPP) || this.#primed) throw e;
        this.#primed = true;
        BpfProgram.load({ type: ProgType.socket_filter, insns: [Insn.mov("r0", 0), Insn.exit()], name: "tsbpf_probe" }).close();
        return create();
      }
    } catch (e) {
      throw explainCreate(e, m, k);
    }
  }

  /**
   * The BPF_PROG_LOAD attributes of program `p` when it is a struct_ops program; a TypeError when
   * no created struct_ops map uses it (libbpf: "isn't referenced anywhere").
   */
  target(p: ElfProgramSpec): { attachBtfId: number; attachType: number; attachBtfObjFd?: number } | undefined {
    if (p.type !== ProgType.struct_ops) return undefined;
    const t = this.#layout().targets.get(p.name);
    if (t === undefined) {
      throw new TypeError(`program ${p.name}: a SEC("struct_ops/...") program no created struct_ops map uses (did you forget to put it in one, or is that map a ?.struct_ops one left out?)`);
    }
    return { attachBtfId: t.attachBtfId, attachType: t.memberIndex, ...(t.module ? { attachBtfObjFd: this.#moduleFd(t.module) } : {}) };
  }

  /**
   * Once the programs are loaded: writes each `.struct_ops.link` map's value (it is registered
   * when linked), and leaves each `.struct_ops` map's to attachStructOps (writing it registers).
   */
  finish(maps: Record<string, BpfMap<any, any, any, any>>, programs: Record<string, BpfProgram>): void {
    const plan = this.#plan;
    if (plan === undefined) return;
    for (const [name, k] of plan) {
      const map = maps[name];
      for (const s of k.slots) {
        if (programs[s.program] === undefined) throw new TypeError(`struct_ops map ${JSON.stringify(name)}: member ${s.member} holds program ${s.program}, which was not loaded`);
      }
      // Built when written: the fds are those of the programs open then (a closed one throws).
      const value = (): Uint8Array => {
        const v = k.value.slice();
        const dv = new DataView(v.buffer);
        for (const s of k.slots) dv.setBigUint64(s.offset, BigInt(programs[s.program].fd), HOST_LITTLE);
        return v;
      };
      if (map.flags & MapCreateFlags.link) mapUpdateElem(map.fd, new Uint8Array(4), value(), 0);
      else deferStructOpsValue(map, value);
    }
  }

  /** Closes the module BTF fds opened for map creation and program loads. */
  close(): void {
    for (const h of this.#modules.values()) h.close();
    this.#modules.clear();
  }
}

function explainCreate(e: unknown, m: ElfMapSpec, k: KernStructOps): unknown {
  if (!(e instanceof BpfError)) return e;
  const what = `struct_ops map ${JSON.stringify(m.name)} (${k.module ? `module ${k.module}` : "vmlinux"} value type ${k.valueTypeId}, ${k.value.length} bytes, flags 0x${m.flags.toString(16)})`;
  if ((e.errno === Errno.EINVAL || e.errno === ENOTSUPP) && kernelBelow(ATTACH_VERSIONS.struct_ops.version)) return lacks(what, "struct_ops", e);
  if (e.errno === Errno.EINVAL && (m.flags & MapCreateFlags.link) && kernelBelow(ATTACH_VERSIONS.struct_ops_link.version)) {
    return lacks(`${what}: BPF_F_LINK (a .struct_ops.link section)`, "struct_ops_link", e);
  }
  if (e.errno === Errno.EINVAL && k.module !== undefined && kernelBelow(ATTACH_VERSIONS.struct_ops_module.version)) return lacks(`${what} of a module`, "struct_ops_module", e);
  e.message = `${what}: ${e.message}`;
  return e;
}
