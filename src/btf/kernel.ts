/**
 * The running kernel's BTF: vmlinux and module BTF from /sys/kernel/btf (live; installs
 * Btf.kernel and Btf.kernelModule). vmlinux is mapped read-only where the kernel allows it
 * (Linux 6.16+), else read; modules are read; each is parsed lazily and cached.
 * @module
 */
import { SyscallError } from "../errors.ts";
import { type Backend, getBackend } from "../sys/backend.ts";
import { closeQuietly, fileSize, listDirectory, openRead, readToEnd } from "../sys/file.ts";
import { MapFlag, mmapFd, munmap, Prot } from "../sys/mmap.ts";
import { readTextFile } from "../sys/syscalls.ts";
import { warn } from "../util/warn.ts";
import { Btf, btfLive } from "./btf.ts";
import { BtfError } from "./error.ts";

/** How {@link KernelBtf} gets a file's bytes. */
export type KernelBtfAccess = "auto" | "read" | "mmap";

/** Options of {@link KernelBtf}. */
export interface KernelBtfOptions {
  /** The directory of vmlinux and module BTF files; /sys/kernel/btf unless a sysfs is mounted elsewhere. */
  dir?: string;
  /**
   * "auto" maps vmlinux (PROT_READ, MAP_PRIVATE) and reads it where the kernel refuses, as
   * cilium/ebpf's LoadKernelSpec; "read" always reads (what kernels before 6.16 get); "mmap" never reads.
   */
  access?: KernelBtfAccess;
}

/** One module's BTF, as {@link KernelBtf.modules} yields it. */
export interface KernelModuleBtf {
  /** The module's name: the file's name in /sys/kernel/btf. */
  name: string;
  /** Its split BTF over vmlinux. */
  btf: Btf;
}

/** The default directory, as libbpf's btf__load_vmlinux_btf and btf__load_module_btf use it. */
export const KERNEL_BTF_DIR = "/sys/kernel/btf";

// Where libbpf looks when sysfs has no vmlinux; each holds an ELF image, which is not read here.
const ELF_PLACES = [
  "/boot/vmlinux-%s", "/lib/modules/%s/vmlinux-%s", "/lib/modules/%s/build/vmlinux", "/usr/lib/modules/%s/kernel/vmlinux",
  "/usr/lib/debug/boot/vmlinux-%s", "/usr/lib/debug/boot/vmlinux-%s.debug", "/usr/lib/debug/lib/modules/%s/vmlinux",
];

// Unmaps a vmlinux mapping once nothing can reach the ArrayBuffer over it: every Btf, BtfStrings
// and view made from it holds that buffer, so none can outlive the memory.
const mappings = new FinalizationRegistry<{ b: Backend; addr: number; len: number }>((m) => {
  try {
    munmap(m.b, m.addr, m.len);
  } catch {
    // the process is past caring
  }
});

/** The bytes of `path`, and whether they are a live mapping of it rather than a copy. */
function fileBytes(path: string, access: KernelBtfAccess): { bytes: Uint8Array; mapped: boolean } {
  const b = getBackend();
  const fd = openRead(path);
  try {
    const size = fileSize(fd, path);
    if (access !== "read" && size > 0 && b.view !== undefined) {
      let addr = 0;
      try {
        addr = mmapFd(b, fd, size, Prot.read, MapFlag.private, 0, path);
      } catch (e) {
        // Older kernels' sysfs has no mmap for this file (ENODEV, EINVAL): read it instead.
        if (access === "mmap" || !(e instanceof SyscallError)) throw e;
      }
      if (addr !== 0) {
        const buf = b.view(addr, size);
        mappings.register(buf, { b, addr, len: size });
        return { bytes: new Uint8Array(buf), mapped: true };
      }
    } else if (access === "mmap") {
      throw new Error(`cannot map ${path}: ${size === 0 ? "it is empty" : `the ${b.name} backend has no view() of native memory`}`);
    }
    return { bytes: readToEnd(fd, size, path), mapped: false };
  } finally {
    closeQuietly(fd);
  }
}

function checkModuleName(name: string): void {
  if (typeof name !== "string" || name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    throw new TypeError(`kernel module name must be a file name in /sys/kernel/btf, got ${JSON.stringify(name)}`);
  }
  if (name === "vmlinux") throw new TypeError(`"vmlinux" is the kernel's own BTF: use Btf.kernel(), not Btf.kernelModule()`);
}

/**
 * The BTF files of one kernel, parsed on first use and cached: vmlinux (libbpf's
 * btf__load_vmlinux_btf) and each module's split BTF over it (btf__load_module_btf).
 */
export class KernelBtf {
  /** The directory the files are read from. */
  readonly dir: string;
  /** How vmlinux's bytes are got. */
  readonly access: KernelBtfAccess;
  #vmlinux: Btf | undefined;
  #mapped = false;
  readonly #modules = new Map<string, Btf>();
  readonly #broken = new Map<string, Error>();
  readonly #warned = new Set<string>();

  /** Files under `options.dir` (default /sys/kernel/btf); nothing is read until asked for. */
  constructor(options: KernelBtfOptions = {}) {
    const { dir = KERNEL_BTF_DIR, access = "auto" } = options;
    if (typeof dir !== "string" || dir === "") throw new TypeError(`KernelBtf: dir must be a non-empty path, got ${JSON.stringify(dir)}`);
    if (access !== "auto" && access !== "read" && access !== "mmap") throw new TypeError(`KernelBtf: access must be "auto", "read" or "mmap", got ${JSON.stringify(access)}`);
    this.dir = dir.replace(/\/+$/, "") || "/";
    this.access = access;
  }

  /** The kernel's own BTF (<dir>/vmlinux), parsed once. */
  vmlinux(): Btf {
    if (this.#vmlinux) return this.#vmlinux;
    const path = `${this.dir}/vmlinux`;
    let got: { bytes: Uint8Array; mapped: boolean };
    try {
      got = fileBytes(path, this.access);
    } catch (e) {
      if (e instanceof SyscallError && e.code === "ENOENT") throw new Error(this.#noVmlinux(path), { cause: e });
      throw new Error(`kernel BTF: cannot get ${path}: ${(e as Error).message}`, { cause: e });
    }
    try {
      this.#vmlinux = Btf.parse(got.bytes);
    } catch (e) {
      throw new Error(`kernel BTF: ${path} does not parse: ${(e as Error).message}`, { cause: e });
    }
    this.#mapped = got.mapped;
    return this.#vmlinux;
  }

  /** Whether vmlinux's bytes are a live read-only mapping of the file (else a copy); false before vmlinux(). */
  get vmlinuxMapped(): boolean {
    return this.#mapped;
  }

  #noVmlinux(path: string): string {
    let release = "<release>";
    try {
      release = readTextFile("/proc/sys/kernel/osrelease").trim();
    } catch {
      // keep the placeholder: the message still names the places
    }
    const elf = ELF_PLACES.map((p) => p.replaceAll("%s", release));
    return `kernel BTF: ${path} does not exist (a kernel built with CONFIG_DEBUG_INFO_BTF has it). ` +
      `libbpf would look next in ${elf.join(", ")}: ELF images, not read here; ` +
      `parse their .BTF section with Btf.parse() instead.`;
  }

  /**
   * A module's split BTF (<dir>/<name>) over vmlinux, parsed once; an Error naming the file when it
   * is missing or does not parse (the cause says why).
   */
  module(name: string): Btf {
    checkModuleName(name);
    const have = this.#modules.get(name);
    if (have) return have;
    const broken = this.#broken.get(name);
    if (broken) throw broken;
    const base = this.vmlinux();
    const path = `${this.dir}/${name}`;
    let bytes: Uint8Array;
    try {
      bytes = fileBytes(path, "read").bytes;
    } catch (e) {
      const why = e instanceof SyscallError && e.code === "ENOENT" ? "no such module BTF (is the module loaded?)" : (e as Error).message;
      throw new Error(`kernel module BTF ${path}: ${why}`, { cause: e });
    }
    try {
      const btf = Btf.parse(bytes, { base });
      this.#modules.set(name, btf);
      return btf;
    } catch (e) {
      if (!(e instanceof BtfError)) throw e;
      const err = new Error(`kernel module BTF ${path} is broken: ${e.message}`, { cause: e });
      this.#broken.set(name, err);
      throw err;
    }
  }

  /** Names of the modules with BTF in <dir> (every file but vmlinux), sorted; an Error naming dir when it is unreadable. */
  moduleNames(): string[] {
    let names: string[];
    try {
      names = listDirectory(this.dir);
    } catch (e) {
      const why = e instanceof SyscallError && e.code === "ENOENT" ? "does not exist (the kernel has no CONFIG_DEBUG_INFO_BTF, or sysfs is not mounted)" : (e as Error).message;
      throw new Error(`kernel BTF: ${this.dir} ${why}`, { cause: e });
    }
    return names.filter((n) => n !== "vmlinux").sort();
  }

  /**
   * Every module's BTF, by name. A file that does not parse is skipped with one warning, and one
   * that vanished meanwhile (an unloaded module) silently, so that no module fails a caller looking
   * through all of them; the header-only files of cilium/ebpf#1818 and #1902 are valid and empty.
   */
  *modules(): IterableIterator<KernelModuleBtf> {
    const names = this.moduleNames();
    this.vmlinux();
    for (const name of names) {
      let btf: Btf;
      try {
        btf = this.module(name);
      } catch (e) {
        if (!this.#broken.has(name)) {
          // A vanished module is not remembered as broken: it may be loaded again.
          const cause = (e as Error).cause;
          if (cause instanceof SyscallError && cause.code === "ENOENT") continue;
          this.#broken.set(name, e as Error);
        }
        if (!this.#warned.has(name)) {
          this.#warned.add(name);
          warn(`${(e as Error).message}; skipped it`);
        }
        continue;
      }
      yield { name, btf };
    }
  }
}

let cache: KernelBtf | undefined;
const kernel = (): KernelBtf => (cache ??= new KernelBtf());

/** The running kernel's BTF files, cached for the process (what Btf.kernel() and Btf.kernelModule() use). */
export function kernelBtf(): KernelBtf {
  return kernel();
}

/** Names of the loaded modules that have BTF (/sys/kernel/btf/*, vmlinux aside), sorted. */
export function kernelModuleNames(): string[] {
  return kernel().moduleNames();
}

/** Every loaded module's split BTF, parsed and cached; broken ones are skipped with a warning. */
export function kernelModulesBtf(): IterableIterator<KernelModuleBtf> {
  return kernel().modules();
}

/**
 * Drops the cached kernel BTF, so that the next Btf.kernel() reads the files again (after modules
 * were loaded, say). Btf objects already handed out stay valid: a mapping is released only when
 * the garbage collector finds nothing left viewing it.
 */
export function forgetKernelBtf(): void {
  cache = undefined;
}

btfLive.kernel = () => kernel().vmlinux();
btfLive.kernelModule = (name) => kernel().module(name);
