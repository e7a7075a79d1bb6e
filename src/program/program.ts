/**
 * BpfProgram: a loaded BPF program as an object that owns its fd - load it from instructions,
 * open it from a pin, an id or an fd, run it with BPF_PROG_TEST_RUN, read its info, pin it,
 * close it (or let `using` close it).
 *
 * ```ts
 * using prog = BpfProgram.load({ type: ProgType.socket_filter, insns: [Insn.mov("r0", 7), Insn.exit()], name: "seven" });
 * prog.testRun({ data: new Uint8Array(64) }).retval; // 7
 * ```
 * @module
 */
import { AttachType, ProgType } from "../uapi/enums.gen.ts";
import { objGet, type ObjOptions } from "../cmd/obj.ts";
import { progGetFdById } from "../cmd/ids.ts";
import { checkFd } from "../cmd/args.ts";
import { close as closeFd } from "../cmd/fd.ts";
import { FdObject, pinHint } from "../fd-object.ts";
import { ensureMemlock } from "../sys/rlimit.ts";
import { fdTarget } from "../sys/syscalls.ts";
import { type ProgramInfo, programInfo, progTypeName } from "./info.ts";
import { type Instructions, type MapSymbols, programBytes } from "./insns.ts";
import { listPrograms, programIds } from "./list.ts";
import { type LoadAttrs, type Loaded, loadWithLog, type LogPolicy } from "./load.ts";
import { runTest, type TestRunInput, type TestRunOutput } from "./test-run.ts";
import { type AttachTarget, resolveAttachTarget, type ResolvedTarget } from "./attach-target.ts";

/** A ProgType value or its name ("xdp"). */
export type ProgTypeLike = number | keyof typeof ProgType;

/** What BpfProgram.load() loads: the instructions, their type, and the BPF_PROG_LOAD attributes. */
export interface ProgramSpec extends Omit<LoadAttrs, "expectedAttachType">, LogPolicy {
  /** Program type: a ProgType value or name. */
  type: ProgTypeLike;
  /** Insn objects, encoded bytes, or a finished ProgramBuilder program (its map symbols resolved from `maps`). */
  insns: Instructions;
  /** Maps a ProgramBuilder program names: symbol -> BpfMap (or anything with an fd) or fd. */
  maps?: MapSymbols;
  /** License; "GPL" unless given (GPL-only helpers need a GPL-compatible license). */
  license?: string;
  /** expected_attach_type (AttachType), which some program types need at load time. */
  attachType?: number;
  /**
   * What a tracing, LSM or extension program attaches to, resolved through the kernel's BTF to
   * attach_btf_id (and attach_btf_obj_fd for a module, attach_prog_fd for a program's function):
   * "do_unlinkat" for fentry/fexit/fmod_ret, "sys_enter" for tp_btf, "file_open" for lsm,
   * "module:func", or { program, func } for freplace. attachTracing() then attaches it.
   */
  attachTo?: AttachTarget;
}

function typeOf(t: ProgTypeLike): number {
  if (typeof t === "number") return t;
  const v = (ProgType as Record<string, number>)[t];
  if (v === undefined) throw new TypeError(`unknown program type ${JSON.stringify(t)}; use a ProgType value or one of: ${Object.keys(ProgType).join(", ")}`);
  return v;
}

function describe(name: string, type: number): string {
  return name ? `program "${name}"` : `${progTypeName(type)} program`;
}

// An fd must be a program before we take it over; one we opened ourselves is closed on failure.
function expectProgram(fd: number, where: string, ours: boolean): void {
  const target = fdTarget(fd);
  if (target === "anon_inode:bpf-prog") return;
  if (ours) closeFd(fd);
  const what = target === null ? "not an open fd" : target.startsWith("anon_inode:bpf-") ? `a BPF ${target.slice(15)}` : target;
  throw new TypeError(`${where} is ${what}, not a BPF program`);
}

/**
 * A loaded BPF program (BPF_PROG_LOAD), owning one fd: closed by close(), by `using`, or (with a
 * warning) by the GC. A rejected load throws a VerifierError with the verifier's log.
 *
 * @example
 * ```ts
 * import { BpfProgram, Insn, ProgType } from "tsbpf";
 * using prog = BpfProgram.load({ type: ProgType.socket_filter, insns: [Insn.mov("r0", 7), Insn.exit()], name: "seven" });
 * prog.testRun({ data: new Uint8Array(64) }).retval; // 7
 * ```
 */
export class BpfProgram extends FdObject {
  /** ProgType value. */
  readonly type: number;
  /** The name given at load time ("" for none). */
  readonly name: string;
  /** The verifier's log of a successful load, when the spec asked for one with logLevel. */
  readonly verifierLog: string | undefined;
  /** The expected attach type it was loaded with (AttachType); undefined when not given, or opened from a pin, id or fd. */
  readonly attachType: number | undefined;
  /** The attach target it was loaded for (the BTF name resolved, "btf_trace_sys_enter"); undefined for none or unknown. */
  readonly attachTo: string | undefined;
  #id = 0;

  private constructor(fd: number, type: number, name: string, log?: string, attachType?: number, attachTo?: string) {
    super(fd, describe(name, type));
    this.type = type;
    this.name = name;
    this.verifierLog = log;
    this.attachType = attachType;
    this.attachTo = attachTo;
  }

  /**
   * BPF_PROG_LOAD: verifies and loads `spec`. Loads without a verifier log first; a rejected
   * program is loaded again with one and throws a VerifierError showing the failing instruction.
   * Raises RLIMIT_MEMLOCK first where the kernel (before 5.11) charges programs to it.
   */
  static load(spec: ProgramSpec): BpfProgram {
    if (typeof spec !== "object" || spec === null) throw new TypeError("BpfProgram.load() takes a spec object: { type, insns, ... }");
    const type = typeOf(spec.type);
    const code = programBytes(spec.insns, spec.maps);
    const { insns: _i, maps: _m, type: _t, license, attachTo, attachType: given, ...rest } = spec;
    // LSM programs take one attach type; naming the hook is enough.
    const attachType = given ?? (type === ProgType.lsm && attachTo !== undefined ? AttachType.lsm_mac : undefined);
    const name = spec.name ?? "";
    let target: ResolvedTarget | undefined;
    if (attachTo !== undefined) {
      if (type === ProgType.tracing && attachType === undefined) {
        throw new TypeError("a tracing program with attachTo needs attachType: AttachType.trace_fentry, trace_fexit, modify_return, trace_raw_tp (tp_btf) or trace_iter");
      }
      target = resolveAttachTarget(type, attachType, attachTo);
    }
    ensureMemlock();
    const context = `${describe(name, type)}, ${code.length / 8} instructions${target ? `, attached to ${target.name}` : ""}`;
    let r: Loaded;
    try {
      const at = target === undefined ? {} : { attachBtfId: target.attachBtfId, attachBtfObjFd: target.attachBtfObjFd, attachProgFd: target.attachProgFd };
      r = loadWithLog(type, code, license ?? "GPL", { ...rest, ...at, expectedAttachType: attachType }, context);
    } finally {
      target?.close();
    }
    return new BpfProgram(r.fd, type, name, r.log, attachType, target?.name);
  }

  /**
   * BPF_OBJ_GET: opens the program pinned at `path` on a bpffs (`flags`: BPF_F_RDONLY ...).
   * Throws NotFound, with a hint about mounting the bpffs, for a path where nothing is pinned,
   * and a TypeError when a map or link is pinned there.
   */
  static fromPin(path: string, opts: ObjOptions = {}): BpfProgram {
    let fd: number;
    try {
      fd = objGet(path, opts);
    } catch (e) {
      throw pinHint(e, path);
    }
    expectProgram(fd, `the object pinned at ${path}`, true);
    return BpfProgram.#adopt(fd);
  }

  /** BPF_PROG_GET_FD_BY_ID: opens the loaded program with kernel id `id`. Throws NotFound if there is none. */
  static fromId(id: number): BpfProgram {
    return BpfProgram.#adopt(progGetFdById(id));
  }

  /**
   * Takes ownership of program fd `fd`: close() closes it. A TypeError, leaving `fd` open, when
   * it is not a program.
   */
  static fromFd(fd: number): BpfProgram {
    expectProgram(checkFd(fd), `fd ${fd}`, false);
    return BpfProgram.#adopt(fd, false);
  }

  static #adopt(fd: number, ours = true): BpfProgram {
    let info: ProgramInfo;
    try {
      info = programInfo(fd);
    } catch (e) {
      if (ours) closeFd(fd);
      throw e;
    }
    const p = new BpfProgram(fd, info.type, info.name);
    p.#id = info.id;
    return p;
  }

  /** Info of every program loaded on the system (each opened briefly and closed again). */
  static list(): ProgramInfo[] {
    return listPrograms();
  }

  /** Ids of every program loaded on the system. */
  static ids(): number[] {
    return programIds();
  }

  /** The program's kernel id (read once, on first use). */
  get id(): number {
    if (this.#id === 0) this.#id = programInfo(this.fd).id;
    return this.#id;
  }

  /** BPF_OBJ_GET_INFO_BY_FD: what the kernel reports about the program now (run counts change). */
  info(): ProgramInfo {
    return programInfo(this.fd);
  }

  /** BPF_PROG_TEST_RUN: runs the program on `input` in the kernel; r0, mean duration and output. */
  testRun(input: TestRunInput = {}): TestRunOutput {
    return runTest(this.fd, this.type, input);
  }
}
