/**
 * Extern values for loading (libbpf's bpf_object__resolve_externs): `.kconfig` values from the
 * kernel's config (or the caller's text) and libbpf's virtual LINUX_* values, typeless ksyms from
 * /proc/kallsyms, typed ksyms and kfuncs from the kernel's BTF (vmlinux first, then modules, a
 * module's BTF fd going into fd_array). A strong extern left unresolved is an error naming it;
 * weak ones become 0 (a weak kfunc's call is poisoned).
 * @module
 */
import type { Btf } from "../btf/btf.ts";
import type { ElfExternSpec } from "../elf/externs.ts";
import { BtfHandle } from "../btf/handle.ts";
import { utf8 } from "../util/text.ts";
import { parseKernelConfig } from "../util/kconfig.ts";
import { readKernelConfig } from "../sys/kconfig.ts";
import { kernelSymbolAddresses } from "../sys/kallsyms.ts";
import { linuxVersionCode } from "../features/kernel.ts";
import { haveHelper } from "../features/helpers.ts";

/** Where a ksym or kfunc was found. */
export interface ResolvedKsym {
  /** BTF id of the VAR or FUNC in vmlinux or the module (typed), 0 for a typeless ksym. */
  btfId: number;
  /** The module's BTF fd (0 for vmlinux). */
  btfObjFd: number;
  /** The module's index in fd_array (0 for vmlinux): a kfunc call's off. */
  fdIndex: number;
  /** A typeless ksym's address. */
  address: bigint;
}

/** What externs resolve to for one load. */
export interface ResolvedExterns {
  /** The `.kconfig` map's value. */
  kconfig: Uint8Array;
  /** ksyms and kfuncs by name; absent: weak and unresolved. */
  ksyms: Map<string, ResolvedKsym>;
  /** fd_array for BPF_PROG_LOAD ([0] unused), empty when no module kfunc is used. */
  fdArray: number[];
  /** Module BTF handles opened for fd_array, closed after the load. */
  handles: BtfHandle[];
}

/** Inputs of {@link resolveExterns}. */
export interface ExternSources {
  /** Kconfig text (`CONFIG_X=y` lines) taking precedence over the kernel's own config file. */
  kconfig?: string;
  /** The kernel's BTF: vmlinux, and its modules' split BTF by name. */
  kernelBtf: () => Btf;
  /** Module BTFs: name and parsed (split) BTF. */
  moduleBtfs: () => { name: string; btf: Btf }[];
  /** Types compatible for a ksym or kfunc (libbpf's bpf_core_types_are_compat). */
  compatible: (local: Btf, localId: number, target: Btf, targetId: number) => boolean;
}

function setNumber(buf: Uint8Array, e: ElfExternSpec, value: bigint): void {
  const k = e.kconfig!;
  const bits = BigInt(k.size * 8);
  const fits = k.size === 8 || (k.signed ? value + (1n << (bits - 1n)) < (1n << bits) && value >= -(1n << (bits - 1n)) : value >= 0n && value >> bits === 0n);
  if (!fits) throw new RangeError(`extern (kconfig) ${e.name}: value ${value} does not fit in ${k.size} bytes`);
  const dv = new DataView(buf.buffer, buf.byteOffset + k.offset, k.size);
  const v = BigInt.asUintN(Number(bits), value);
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (k.size === 1) dv.setUint8(0, Number(v));
  else if (k.size === 2) dv.setUint16(0, Number(v), little);
  else if (k.size === 4) dv.setUint32(0, Number(v), little);
  else dv.setBigUint64(0, v, little);
}

function setKconfig(buf: Uint8Array, e: ElfExternSpec, raw: string): void {
  const k = e.kconfig!;
  const c = raw[0];
  if (c === "y" || c === "n" || c === "m") {
    if (k.type === "bool") {
      if (c === "m") throw new TypeError(`extern (kconfig) ${e.name}: value 'm' needs a tristate or char, not bool`);
      buf[k.offset] = c === "y" ? 1 : 0;
    } else if (k.type === "tristate") {
      setNumber(buf, e, c === "y" ? 1n : c === "m" ? 2n : 0n);
    } else if (k.type === "char") {
      buf[k.offset] = c.charCodeAt(0);
    } else {
      throw new TypeError(`extern (kconfig) ${e.name}: value '${c}' needs a bool, tristate or char type`);
    }
  } else if (c === '"') {
    if (k.type !== "chars") throw new TypeError(`extern (kconfig) ${e.name}: value ${raw} needs a char array`);
    if (raw.length < 2 || !raw.endsWith('"')) throw new TypeError(`extern (kconfig) ${e.name}: bad string value ${raw}`);
    const bytes = utf8(raw.slice(1, -1), `kconfig ${e.name}`).subarray(0, k.size - 1);
    buf.fill(0, k.offset, k.offset + k.size);
    buf.set(bytes, k.offset);
  } else {
    if (k.type !== "int" && k.type !== "char") throw new TypeError(`extern (kconfig) ${e.name}: value ${raw} needs an integer type`);
    let v: bigint;
    try {
      v = BigInt(raw.trim());
    } catch {
      throw new TypeError(`extern (kconfig) ${e.name}: value ${JSON.stringify(raw)} is not an integer`);
    }
    setNumber(buf, e, v);
  }
}

/** Resolves every extern of `externs` for a load; `local` is the object's BTF. */
export function resolveExterns(externs: readonly ElfExternSpec[], local: Btf | undefined, size: number, src: ExternSources): ResolvedExterns {
  const kconfig = new Uint8Array(size);
  const ksyms = new Map<string, ResolvedKsym>();
  const out: ResolvedExterns = { kconfig, ksyms, fdArray: [], handles: [] };
  const unresolved = new Set<string>();
  const config: ElfExternSpec[] = [];
  const typeless: ElfExternSpec[] = [];
  for (const e of externs) {
    if (e.kind === "kconfig") {
      if (e.name.startsWith("CONFIG_")) {
        config.push(e);
      } else if (e.name === "LINUX_KERNEL_VERSION") {
        setNumber(kconfig, e, BigInt(linuxVersionCode()));
      } else if (e.name === "LINUX_HAS_BPF_COOKIE") {
        // libbpf's FEAT_BPF_COOKIE: bpf_get_attach_cookie in a kprobe program.
        setNumber(kconfig, e, haveHelper("kprobe", "get_attach_cookie") ? 1n : 0n);
      } else if (e.name === "LINUX_HAS_SYSCALL_WRAPPER") {
        // Every kernel the library runs on (x86_64 and arm64, 4.17 and later) wraps syscalls.
        setNumber(kconfig, e, 1n);
      } else if (!e.name.startsWith("LINUX_") || !e.weak) {
        throw new TypeError(`extern (kconfig) ${e.name}: not a CONFIG_ value nor one of the LINUX_ values libbpf provides (LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE, LINUX_HAS_SYSCALL_WRAPPER)`);
      }
    } else if (e.kind === "ksym" && e.typeId === 0) {
      typeless.push(e);
    } else {
      unresolved.add(e.name);
    }
  }
  if (config.length) {
    const set = new Set<string>();
    const apply = (values: Map<string, string>) => {
      for (const e of config) {
        if (set.has(e.name)) continue;
        const v = values.get(e.name);
        // "# CONFIG_X is not set" reads as n: for a bool, tristate or char that is a value; for
        // a number or a string it is no value at all, and the extern stays 0 as in libbpf.
        if (v === undefined || (v === "n" && (e.kconfig!.type === "int" || e.kconfig!.type === "chars"))) continue;
        setKconfig(kconfig, e, v);
        set.add(e.name);
      }
    };
    if (src.kconfig !== undefined) apply(parseKernelConfig(src.kconfig));
    if (config.some((e) => !set.has(e.name))) apply(readKernelConfig());
    // Not set by the config ("# CONFIG_X is not set" is n): 0, as libbpf leaves the zeroed value.
  }
  if (typeless.length) {
    const addrs = kernelSymbolAddresses(typeless.map((e) => e.name));
    for (const e of typeless) {
      const a = addrs.get(e.name);
      if (a !== undefined) ksyms.set(e.name, { btfId: 0, btfObjFd: 0, fdIndex: 0, address: a });
      else if (!e.weak) throw new TypeError(`extern (ksym) ${e.name} (strong): not in /proc/kallsyms`);
    }
  }
  if (unresolved.size) {
    if (local === undefined) throw new TypeError("typed ksyms and kfuncs need the object's BTF");
    const vmlinux = src.kernelBtf();
    let modules: { name: string; btf: Btf }[] | undefined;
    const moduleFd = new Map<string, { fd: number; index: number }>();
    for (const e of externs) {
      if (!unresolved.has(e.name)) continue;
      const want = e.kind === "kfunc" ? "func" : "var";
      const lookName = e.kind === "kfunc" ? e.essentialName : e.name;
      const own = (b: Btf) => b.findIds(lookName).filter((id) => id >= b.firstId && b.typeById(id).kind === want);
      let where: { btf: Btf; id: number; module?: string } | undefined;
      const inVmlinux = own(vmlinux);
      if (inVmlinux.length) where = { btf: vmlinux, id: inVmlinux[0] };
      else {
        modules ??= src.moduleBtfs();
        for (const m of modules) {
          const ids = own(m.btf);
          if (ids.length) {
            where = { btf: m.btf, id: ids[0], module: m.name };
            break;
          }
        }
      }
      const kind = e.kind === "kfunc" ? "func ksym" : "var ksym";
      if (where === undefined) {
        if (e.weak) continue;
        throw new TypeError(`extern (${kind}) ${e.name}: not found in the kernel's BTF (vmlinux or modules)`);
      }
      const target = where.btf.typeById(where.id) as { type: number };
      let targetType = target.type;
      if (e.kind === "ksym") {
        for (let t = where.btf.typeById(targetType); t.kind === "typedef" || t.kind === "const" || t.kind === "volatile" || t.kind === "restrict" || t.kind === "type_tag"; t = where.btf.typeById(targetType)) targetType = t.type;
      }
      if (!src.compatible(local, e.typeId, where.btf, targetType)) {
        if (e.weak && e.kind === "kfunc") continue;
        throw new TypeError(`extern (${kind}) ${e.name}: its type [${e.typeId}] is not compatible with the kernel's [${targetType}] in ${where.module ?? "vmlinux"}`);
      }
      let btfObjFd = 0, fdIndex = 0;
      if (where.module) {
        let slot = moduleFd.get(where.module);
        if (slot === undefined) {
          const h = BtfHandle.fromModule(where.module);
          out.handles.push(h);
          if (out.fdArray.length === 0) out.fdArray.push(0);
          if (out.fdArray.length >= 0x7fff) throw new RangeError(`extern ${e.name}: more module BTFs than fit in an instruction's 16-bit offset`);
          slot = { fd: h.fd, index: out.fdArray.length };
          out.fdArray.push(h.fd);
          moduleFd.set(where.module, slot);
        }
        btfObjFd = slot.fd;
        fdIndex = e.kind === "kfunc" ? slot.index : 0;
      }
      ksyms.set(e.name, { btfId: where.id, btfObjFd, fdIndex, address: 0n });
    }
  }
  return out;
}
