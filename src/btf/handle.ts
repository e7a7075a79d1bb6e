/**
 * BtfHandle: a BTF object loaded into the kernel (BPF_BTF_LOAD), owning its fd - loaded from a
 * Btf or bytes, sanitized first for what the running kernel lacks, or opened by id or fd; its
 * bpf_btf_info and the kernel's copy of the BTF read back. Importing this module installs
 * `btf.load()` (the "tsbpf" entry does).
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { BtfInfo } from "../uapi/layout.gen.ts";
import { btfLoad } from "../cmd/btf.ts";
import { checkFd } from "../cmd/args.ts";
import { close as closeFd } from "../cmd/fd.ts";
import { btfGetFdById, btfGetNextId } from "../cmd/ids.ts";
import { objGetInfoByFd } from "../cmd/info.ts";
import { BpfError } from "../errors.ts";
import { FdObject } from "../fd-object.ts";
import { Attr } from "../sys/attr.ts";
import { fdTarget } from "../sys/syscalls.ts";
import { cStringAt } from "../util/text.ts";
import { Btf, btfLive } from "./btf.ts";
import { HOST_LITTLE } from "../util/endian.ts";
import type { BtfHandleInfo, BtfLoadOptions, LoadedBtf } from "./loaded.ts";
import { missingBtfFeatures } from "./probe.ts";
import { sanitizeBtf } from "./sanitize.ts";

export { clearBtfFeatureCache, haveBtfFeature, missingBtfFeatures } from "./probe.ts";
export { BTF_FEATURE_VERSIONS } from "../features/versions.ts";

const LOG_DEFAULT = 64 * 1024;
const LOG_MIN = 128;
// Kernels before 6.4 refuse a BTF log buffer above UINT_MAX >> 8; later ones allow UINT_MAX >> 2.
const LOG_CAP = 0xffffff;
const LOG_KERNEL_MAX = 0xffffffff >>> 2;
/** Lines of the BTF log the short message shows. */
const TAIL_LINES = 6;

/** A rejected BPF_BTF_LOAD with the kernel's BTF verifier log: the failing type's line first. */
export class BtfLoadError extends BpfError {
  /** The whole log text. */
  declare readonly log: string;
  /** The log, line by line. */
  readonly lines: readonly string[];
  /** The kernel's complaint: the last line of the log, e.g. "[3] FUNC f type_id=1 Invalid type_id". */
  readonly reason: string | undefined;
  /** The id of the type the complaint names ("[3] ..."), when it names one. */
  readonly typeId: number | undefined;
  /** True when the log outgrew the largest buffer allowed (kernels before 6.4 keep its start). */
  readonly truncated: boolean;

  /** A BPF_BTF_LOAD failure with `errno` and the BTF verifier's `log`. */
  constructor(errno: number, log: string, detail: { context?: string; truncated?: boolean } = {}) {
    super("btf_load", errno, { log, context: detail.context });
    this.name = "BtfLoadError";
    this.lines = log.replace(/\n+$/, "").split("\n");
    this.truncated = detail.truncated === true;
    const meaningful = this.lines.filter((l) => l.trim() !== "");
    this.reason = meaningful.length ? meaningful[meaningful.length - 1].trim() : undefined;
    const m = this.reason === undefined ? null : /^\[(\d+)\] /.exec(this.reason);
    this.typeId = m ? Number(m[1]) : undefined;
    const shown = meaningful.slice(-TAIL_LINES);
    const cut = this.truncated ? " (truncated: raise logSizeMax)" : "";
    this.message = [
      this.message,
      ...(this.reason !== undefined ? [`  ${this.reason}`] : []),
      `  BTF log, last ${shown.length} of ${this.lines.length} lines${cut} (err.log has all of it):`,
      ...shown.map((l) => `    | ${l}`),
    ].join("\n");
  }
}

function logSize(v: number | undefined, fallback: number, what: string): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < LOG_MIN || n > LOG_KERNEL_MAX) throw new RangeError(`${what} must be an integer in [${LOG_MIN}, ${LOG_KERNEL_MAX}], got ${n}`);
  return n;
}

/**
 * BPF_BTF_LOAD of `bytes`: without a log first (unless one is wanted on success), then - on
 * failure - again with one, grown while the kernel fills it, which the BtfLoadError carries.
 */
function loadWithLog(bytes: Uint8Array, o: BtfLoadOptions, context: string): { fd: number; log?: string } {
  let size = logSize(o.logSize, LOG_DEFAULT, "logSize");
  const max = Math.max(size, logSize(o.logSizeMax, LOG_CAP, "logSizeMax"));
  let firstErrno = 0;
  if (o.log !== true) {
    try {
      return { fd: btfLoad(bytes) };
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      // EPERM is decided before the BTF is read: a log would be empty.
      if (o.log === false || e.errno === Errno.EPERM) throw new BpfError("btf_load", e.errno, { context });
      firstErrno = e.errno;
    }
  }
  for (;;) {
    const buf = new Uint8Array(new ArrayBuffer(size));
    let errno: number;
    try {
      const fd = btfLoad(bytes, { log: { level: 1, buf } });
      return o.log === true ? { fd, log: cStringAt(buf) } : { fd };
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      errno = e.errno;
    }
    const text = cStringAt(buf);
    // A full buffer: before 6.4 the kernel keeps the log's start (the failing line is lost) and
    // may say ENOSPC even for good BTF; later kernels keep the end and say ENOSPC.
    const full = errno === Errno.ENOSPC || text.length >= size - 1;
    if (full && size < max) {
      size = Math.min(max, size * 4);
      continue;
    }
    const real = errno === Errno.ENOSPC && firstErrno !== 0 ? firstErrno : errno;
    if (text.trim() === "") throw new BpfError("btf_load", real, { context });
    throw new BtfLoadError(real, text, { context, truncated: full });
  }
}

// Kernels before 5.11 know no bpf_btf_info.name: a name pointer there is a nonzero tail, E2BIG.
let infoHasName: boolean | undefined;

/** bpf_btf_info of `fd`; with `data`, the kernel also copies the BTF into it. */
function readInfo(fd: number, data?: Uint8Array): BtfHandleInfo {
  const F = BtfInfo.fields;
  const a = new Attr(BtfInfo.size);
  const name = new Uint8Array(new ArrayBuffer(64)); // MODULE_NAME_LEN
  if (data) a.ptr(F.btf.off, data).u32(F.btf_size.off, data.length);
  const withName = infoHasName !== false;
  if (withName) a.ptr(F.name.off, name).u32(F.name_len.off, name.length);
  try {
    objGetInfoByFd(fd, a.u8);
  } catch (e) {
    if (withName && infoHasName === undefined && e instanceof BpfError && e.errno === Errno.E2BIG) {
      infoHasName = false;
      return readInfo(fd, data);
    }
    throw e;
  } finally {
    a.release();
  }
  if (withName) infoHasName = true;
  return { id: a.getU32(F.id.off), name: cStringAt(name), kernel: a.getU32(F.kernel_btf.off) === 1, size: a.getU32(F.btf_size.off) };
}

// An fd must be a BTF object before we take it over; one we opened ourselves is closed on failure.
function expectBtf(fd: number, where: string, ours: boolean): void {
  const target = fdTarget(fd);
  if (target === "anon_inode:btf") return;
  if (ours) closeFd(fd);
  const kinds: Record<string, string> = { "anon_inode:bpf-map": "a BPF map", "anon_inode:bpf-prog": "a BPF program", "anon_inode:bpf_link": "a BPF link" };
  const what = target === null ? "not an open fd" : kinds[target] ?? target;
  throw new TypeError(`${where} is ${what}, not a BTF object`);
}

/**
 * A BTF object in the kernel, owning one fd: closed by close(), by `using`, or (with a warning)
 * by the GC. Maps and programs name it by fd (btf_fd) and its types by id.
 */
export class BtfHandle extends FdObject implements LoadedBtf {
  /** The BTF verifier log of the load, when asked for with `log: true`. */
  readonly log: string | undefined;
  #id = 0;

  private constructor(fd: number, log?: string) {
    super(fd, "BTF object");
    this.log = log;
  }

  /**
   * BPF_BTF_LOAD: loads `btf` (a Btf, or BTF bytes in either byte order). With `sanitize` (the
   * default) the kinds and features the running kernel lacks are rewritten first, as libbpf's
   * bpf_object__sanitize_btf does (see sanitizeBtf and haveBtfFeature); `sanitize: false` hands
   * bytes over as they are. A rejected BTF throws a BtfLoadError (a BpfError) carrying the
   * kernel's BTF verifier log, its last line - the failing type and why - in the message.
   *
   * @example
   * ```ts
   * import { BtfBuilder, BtfHandle } from "tsbpf";
   * const b = new BtfBuilder();
   * const int = b.addInt("int", 4, { signed: true });
   * b.addCStruct("value", [{ name: "count", type: int }]);
   * using handle = BtfHandle.load(b.build());
   * handle.info(); // { id: 42, name: "", kernel: false, size: 62 }
   * ```
   */
  static load(btf: Btf | Uint8Array, options: BtfLoadOptions = {}): BtfHandle {
    if (typeof options !== "object" || options === null) throw new TypeError("BtfHandle.load() options must be an object");
    for (const k of ["sanitize", "log"] as const) {
      if (options[k] !== undefined && typeof options[k] !== "boolean") throw new TypeError(`${k} must be a boolean, got ${typeof options[k]}`);
    }
    let bytes: Uint8Array | undefined;
    let parsed: Btf;
    if (btf instanceof Uint8Array) {
      if (btf.length === 0) throw new TypeError("BTF bytes must not be empty");
      if (options.sanitize === false) return BtfHandle.#load(btf, options, `${btf.length} bytes`);
      bytes = btf;
      parsed = Btf.parse(btf);
    } else if (btf instanceof Btf) {
      parsed = btf;
    } else {
      throw new TypeError("BtfHandle.load() takes a Btf or BTF bytes (Uint8Array)");
    }
    if (parsed.base) throw new TypeError("a split BTF cannot be loaded: BPF_BTF_LOAD takes no base (module BTF is the kernel's own)");
    // Loading a native-order blob that needs no rewrite sends the caller's bytes untouched.
    const out = options.sanitize === false ? parsed : sanitizeBtf(parsed, missingBtfFeatures());
    if (out !== parsed || bytes === undefined || parsed.little !== HOST_LITTLE) {
      bytes = out.marshal({ littleEndian: HOST_LITTLE, layout: out.header.layoutLen > 0 });
    }
    return BtfHandle.#load(bytes, options, `${bytes.length} bytes, ${out.count - 1} types`);
  }

  static #load(bytes: Uint8Array, options: BtfLoadOptions, context: string): BtfHandle {
    const r = loadWithLog(bytes, options, context);
    return new BtfHandle(r.fd, r.log);
  }

  /** BPF_BTF_GET_FD_BY_ID: opens the BTF object with kernel id `id` (vmlinux is one). Throws NotFound if there is none. */
  static fromId(id: number): BtfHandle {
    const fd = btfGetFdById(id);
    expectBtf(fd, `BTF id ${id}`, true);
    const h = new BtfHandle(fd);
    h.#id = id;
    return h;
  }

  /**
   * Takes ownership of BTF fd `fd`: close() closes it. A TypeError, leaving `fd` open, when it
   * is not a BTF object.
   */
  static fromFd(fd: number): BtfHandle {
    expectBtf(checkFd(fd), `fd ${fd}`, false);
    return new BtfHandle(fd);
  }

  /**
   * The kernel's BTF object of module `name` (bpf_btf_info.name, kernel_btf), found by walking
   * the BTF ids: the fd that attach_btf_obj_fd and a kfunc call's fd_array slot take.
   */
  static fromModule(name: string): BtfHandle {
    const h = kernelObject(name);
    if (h === undefined) throw new TypeError(`no BTF object for module ${name} in the kernel (is it loaded, and built with BTF?)`);
    return h;
  }


  /** Ids of every BTF object in the kernel (BPF_BTF_GET_NEXT_ID), vmlinux's and modules' included. */
  static ids(): number[] {
    const out: number[] = [];
    for (let id = btfGetNextId(0); id !== null; id = btfGetNextId(id)) out.push(id);
    return out;
  }

  /** The object's kernel id (read once, on first use). */
  get id(): number {
    if (this.#id === 0) this.#id = readInfo(this.fd).id;
    return this.#id;
  }

  /** BPF_OBJ_GET_INFO_BY_FD: bpf_btf_info - id, name, kernel_btf, btf_size. */
  info(): BtfHandleInfo {
    return readInfo(this.fd);
  }

  /** The kernel's copy of the BTF (bpf_btf_info.btf): the bytes loaded, or vmlinux's and modules' own. */
  bytes(): Uint8Array {
    const { size } = readInfo(this.fd);
    const data = new Uint8Array(new ArrayBuffer(size));
    const again = readInfo(this.fd, data);
    return again.size < size ? data.subarray(0, again.size) : data;
  }

  /**
   * The kernel's copy, parsed. A module's BTF is split over vmlinux: `base` if given, else the
   * kernel's (Btf.kernel() where the "tsbpf" entry installed it, else vmlinux's BTF object).
   */
  btf(options: { base?: Btf } = {}): Btf {
    const bytes = this.bytes();
    let base = options.base;
    if (base === undefined) {
      const info = this.info();
      if (info.kernel && info.name !== "vmlinux") base = btfLive.kernel ? btfLive.kernel() : vmlinuxById();
    }
    return Btf.parse(bytes, { base });
  }

  /** BTF objects cannot be pinned: BPF_OBJ_PIN takes maps, programs and links only. */
  override pin(path: string): void {
    throw new TypeError(`a BTF object cannot be pinned (BPF_OBJ_PIN takes maps, programs and links), not at ${JSON.stringify(path)} either`);
  }
}

// The kernel's own BTF object named `name` ("vmlinux" or a module's), by walking the BTF ids.
function kernelObject(name: string): BtfHandle | undefined {
  for (const id of BtfHandle.ids()) {
    let h: BtfHandle;
    try {
      h = BtfHandle.fromId(id);
    } catch (e) {
      if (e instanceof BpfError && e.errno === Errno.ENOENT) continue; // freed since the walk saw it
      throw e;
    }
    const info = h.info();
    if (info.kernel && info.name === name) return h;
    h.close();
  }
  return undefined;
}

// vmlinux's BTF by walking the BTF objects: the base of module BTF when no file is at hand.
function vmlinuxById(): Btf {
  const h = kernelObject("vmlinux");
  if (h === undefined) throw new Error("the kernel has no vmlinux BTF object (CONFIG_DEBUG_INFO_BTF off, or a kernel before 5.11)");
  try {
    return Btf.parse(h.bytes());
  } finally {
    h.close();
  }
}

btfLive.load = (btf, options) => BtfHandle.load(btf, options);
