/**
 * Program commands: BPF_PROG_LOAD, BPF_PROG_TEST_RUN, BPF_PROG_ATTACH/DETACH, BPF_PROG_QUERY,
 * BPF_PROG_BIND_MAP.
 * @module
 */
import { Cmd } from "../uapi/enums.gen.ts";
import { encode, type RawInsn } from "../asm/encode.ts";
import { BpfError } from "../errors.ts";
import { Attr, cString } from "../sys/attr.ts";
import { bpfCall, cmdName } from "../sys/bpf.ts";
import { ProgAttachAttr, ProgBindMapAttr, ProgLoadAttr, QueryAttr, TestRunAttr } from "../uapi/layout.gen.ts";
import { bpfNoSignals } from "../sys/nosig.ts";
import { retryInterrupted } from "../sys/retry.ts";
import { cStringAt } from "../util/text.ts";
import { checkBytes, checkFd, checkName, u32Arg } from "./args.ts";
import { admitFd } from "../sys/fd-reserve.ts";

/** A verifier log request: the level (1 basic, 2 verbose, 4 stats) and the buffer the kernel fills. */
export interface LogOptions {
  /** log_level. */
  level: number;
  /** The buffer; its text is in the BpfError's `log` on failure and stays here on success. */
  buf: Uint8Array;
}

/** BTF func_info or line_info records for BPF_PROG_LOAD. */
export interface BtfExtInfo {
  /** Size of one record. */
  recSize: number;
  /** The records, back to back. */
  data: Uint8Array;
  /** Number of records. */
  count: number;
}

/** Optional attributes of BPF_PROG_LOAD. */
export interface ProgLoadOptions {
  /** License string; "GPL" unless given (GPL-only helpers need a GPL-compatible license). */
  license?: string;
  /** Verifier log: level and buffer. */
  log?: LogOptions;
  /** kern_version (checked by kprobe programs on kernels before 5.0). */
  kernVersion?: number;
  /** prog_flags: ProgLoadFlags values or'ed together. */
  flags?: number;
  /** Object name, up to 15 characters of [A-Za-z0-9_.]. */
  name?: string;
  /** expected_attach_type (AttachType), needed by some program types at load time. */
  expectedAttachType?: number;
  /** Network device to offload to. */
  ifindex?: number;
  /** BTF object fd with the program's types. */
  progBtfFd?: number;
  /** func_info records. */
  funcInfo?: BtfExtInfo;
  /** line_info records. */
  lineInfo?: BtfExtInfo;
  /** attach_btf_id: the kernel (or module, or program) BTF id to attach to. */
  attachBtfId?: number;
  /** attach_btf_obj_fd: module BTF fd for attachBtfId. */
  attachBtfObjFd?: number;
  /** attach_prog_fd: the program to attach to (freplace, fentry on a program). */
  attachProgFd?: number;
  /** fd_array: map and BTF fds the program refers to by index. */
  fdArray?: readonly number[];
  /** CO-RE relocation records (struct bpf_core_relo). */
  coreRelos?: BtfExtInfo;
  /** BPF token fd (with ProgLoadFlags.token_fd). */
  tokenFd?: number;
}

const load = new Attr(ProgLoadAttr.size);

/** Instructions as the bytes BPF_PROG_LOAD takes: Insn objects are encoded, bytes are checked. */
export function insnBytes(insns: readonly RawInsn[] | Uint8Array): Uint8Array {
  if (!Array.isArray(insns)) {
    const code = checkBytes(insns, "program instructions");
    if (code.length === 0 || code.length % 8 !== 0) throw new RangeError(`program bytes must be a non-zero multiple of 8, got ${code.length}`);
    return code;
  }
  if (insns.length === 0) throw new RangeError("a program needs at least one instruction");
  return encode(insns, "little");
}

function i32Array(fds: readonly number[]): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(fds.length * 4));
  const dv = new DataView(out.buffer);
  fds.forEach((fd, i) => dv.setInt32(i * 4, checkFd(fd, "fd_array entry"), true));
  return out;
}

/** Checks BTF ext records: the kernel reads `count * recSize` bytes from `data`, which must hold them. */
function checkExtInfo(x: BtfExtInfo, what: string): void {
  checkBytes(x.data, `${what}.data`);
  const n = u32Arg(x.count, `${what}.count`) * u32Arg(x.recSize, `${what}.recSize`);
  if (n > x.data.length) throw new RangeError(`${what}: ${x.count} records of ${x.recSize} bytes need ${n} bytes, data has ${x.data.length}`);
}

/** Checks every BPF_PROG_LOAD option once, before any syscall. */
export function checkProgLoadOptions(type: number, o: ProgLoadOptions): void {
  u32Arg(type, "program type");
  u32Arg(o.kernVersion ?? 0, "kern version");
  u32Arg(o.flags ?? 0, "program flags");
  u32Arg(o.expectedAttachType ?? 0, "expected attach type");
  if (o.name !== undefined) checkName(o.name);
  if (o.ifindex !== undefined) u32Arg(o.ifindex, "ifindex");
  if (o.progBtfFd !== undefined) checkFd(o.progBtfFd, "program BTF fd");
  if (o.attachBtfId !== undefined) u32Arg(o.attachBtfId, "attach BTF id");
  if (o.attachBtfObjFd !== undefined) checkFd(o.attachBtfObjFd, "attach BTF object fd");
  if (o.attachProgFd !== undefined) checkFd(o.attachProgFd, "attach program fd");
  if (o.tokenFd !== undefined) checkFd(o.tokenFd, "token fd");
  if (o.fdArray !== undefined) {
    if (!Array.isArray(o.fdArray)) throw new TypeError("fdArray must be an array of fds");
    for (const fd of o.fdArray) checkFd(fd, "fd_array entry");
  }
  if (o.funcInfo !== undefined) checkExtInfo(o.funcInfo, "funcInfo");
  if (o.lineInfo !== undefined) checkExtInfo(o.lineInfo, "lineInfo");
  if (o.coreRelos !== undefined) checkExtInfo(o.coreRelos, "coreRelos");
  if (o.log !== undefined) {
    u32Arg(o.log.level, "log level");
    checkBytes(o.log.buf, "log.buf");
    if (o.log.level !== 0 && o.log.buf.length < 128) throw new RangeError(`log buffer of ${o.log.buf.length} bytes is too small: the kernel wants at least 128`);
  }
}

/**
 * Writes a BPF_PROG_LOAD attr for `type`, the encoded program `code` and the NUL-terminated
 * `license` into `a` (options already checked). Rebuilt for each attempt: the kernel writes
 * log_true_size back into it.
 */
export function fillProgLoad(a: Attr, type: number, code: Uint8Array, license: Uint8Array, o: ProgLoadOptions): Attr {
  const F = ProgLoadAttr.fields;
  a.zero(ProgLoadAttr.size)
    .u32(F.prog_type.off, type)
    .u32(F.insn_cnt.off, code.length / 8)
    .ptr(F.insns.off, code)
    .ptr(F.license.off, license)
    .u32(F.kern_version.off, o.kernVersion ?? 0)
    .u32(F.prog_flags.off, o.flags ?? 0)
    .u32(F.expected_attach_type.off, o.expectedAttachType ?? 0);
  if (o.log) a.u32(F.log_level.off, o.log.level).u32(F.log_size.off, o.log.buf.length).ptr(F.log_buf.off, o.log.buf);
  if (o.name !== undefined) a.chars(F.prog_name.off, F.prog_name.count, o.name);
  if (o.ifindex !== undefined) a.u32(F.prog_ifindex.off, o.ifindex);
  if (o.progBtfFd !== undefined) a.u32(F.prog_btf_fd.off, o.progBtfFd);
  if (o.funcInfo) a.u32(F.func_info_rec_size.off, o.funcInfo.recSize).ptr(F.func_info.off, o.funcInfo.data).u32(F.func_info_cnt.off, o.funcInfo.count);
  if (o.lineInfo) a.u32(F.line_info_rec_size.off, o.lineInfo.recSize).ptr(F.line_info.off, o.lineInfo.data).u32(F.line_info_cnt.off, o.lineInfo.count);
  if (o.coreRelos) a.u32(F.core_relo_rec_size.off, o.coreRelos.recSize).ptr(F.core_relos.off, o.coreRelos.data).u32(F.core_relo_cnt.off, o.coreRelos.count);
  if (o.attachBtfId !== undefined) a.u32(F.attach_btf_id.off, o.attachBtfId);
  if (o.attachBtfObjFd !== undefined) a.u32(F.attach_btf_obj_fd.off, o.attachBtfObjFd);
  if (o.attachProgFd !== undefined) a.u32(F.attach_prog_fd.off, o.attachProgFd);
  if (o.fdArray !== undefined) a.ptr(F.fd_array.off, i32Array(o.fdArray));
  if (o.tokenFd !== undefined) a.s32(F.prog_token_fd.off, o.tokenFd);
  return a;
}

/**
 * BPF_PROG_LOAD: verifies and loads a program, returning its fd. Throws UnsafeProgram (the
 * verifier said no), InvalidProgram, AccessDenied; with `log`, the error carries the log text.
 */
export function progLoad(type: number, insns: readonly RawInsn[] | Uint8Array, opts: ProgLoadOptions = {}): number {
  const code = insnBytes(insns);
  const license = cString(opts.license ?? "GPL");
  checkProgLoadOptions(type, opts);
  const rc = retryInterrupted(() => bpfNoSignals(Cmd.prog_load, fillProgLoad(load, type, code, license, opts), ProgLoadAttr.size));
  if (rc >= 0) return admitFd("prog_load", rc);
  const log = opts.log && opts.log.level !== 0 ? cStringAt(opts.log.buf) : undefined;
  throw new BpfError("prog_load", -rc, { log, context: `${code.length / 8} instructions` });
}

/** Inputs of BPF_PROG_TEST_RUN. */
export interface TestRunOptions {
  /** Packet or input data. */
  data?: Uint8Array;
  /** Buffer for the output data. */
  dataOut?: Uint8Array;
  /** Context input (__sk_buff, xdp_md, ...). */
  ctx?: Uint8Array;
  /** Buffer for the output context. */
  ctxOut?: Uint8Array;
  /** Times to run (duration is the mean). */
  repeat?: number;
  /** TestRunFlags values. */
  flags?: number;
  /** CPU to run on (with TestRunFlags.run_on_cpu). */
  cpu?: number;
  /** Batch size for XDP live frames. */
  batchSize?: number;
}

/** What BPF_PROG_TEST_RUN reports. */
export interface TestRunResult {
  /** The program's return value (r0). */
  retval: number;
  /** Mean run time in nanoseconds. */
  duration: number;
  /** Bytes of output data. */
  dataSizeOut: number;
  /** Bytes of output context. */
  ctxSizeOut: number;
}

const testRun = new Attr(TestRunAttr.size);

const optBytes = (x: unknown, what: string): Uint8Array | undefined => (x === undefined ? undefined : checkBytes(x, what));

/**
 * BPF_PROG_TEST_RUN: runs the program in the kernel on the given input. A run a signal cuts
 * short (EINTR, likelier the larger `repeat`) is run again, with signals blocked around it.
 */
export function progTestRun(fd: number, opts: TestRunOptions = {}): TestRunResult {
  const F = TestRunAttr.fields;
  checkFd(fd, "program fd");
  const data = optBytes(opts.data, "data");
  const dataOut = optBytes(opts.dataOut, "dataOut");
  const ctx = optBytes(opts.ctx, "ctx");
  const ctxOut = optBytes(opts.ctxOut, "ctxOut");
  const repeat = u32Arg(opts.repeat ?? 0, "repeat");
  const flags = u32Arg(opts.flags ?? 0, "flags");
  const cpu = u32Arg(opts.cpu ?? 0, "cpu");
  const batch = u32Arg(opts.batchSize ?? 0, "batch size");
  // Every size comes from its own buffer: the kernel reads data_size_out 0 as "no limit" (its
  // old behaviour) and copies the whole packet, so it is never 0 beside an output buffer.
  const fill = (): Attr => testRun.zero(TestRunAttr.size)
    .u32(F.prog_fd.off, fd)
    .u32(F.data_size_in.off, data?.length ?? 0)
    .ptr(F.data_in.off, data)
    .u32(F.data_size_out.off, dataOut?.length ?? 0)
    .ptr(F.data_out.off, dataOut)
    .u32(F.ctx_size_in.off, ctx?.length ?? 0)
    .ptr(F.ctx_in.off, ctx)
    .u32(F.ctx_size_out.off, ctxOut?.length ?? 0)
    .ptr(F.ctx_out.off, ctxOut)
    .u32(F.repeat.off, repeat)
    .u32(F.flags.off, flags)
    .u32(F.cpu.off, cpu)
    .u32(F.batch_size.off, batch);
  const rc = retryInterrupted(() => bpfNoSignals(Cmd.prog_test_run, fill(), TestRunAttr.size));
  if (rc < 0) throw new BpfError(cmdName(Cmd.prog_test_run), -rc, { context: `program fd ${fd}` });
  return {
    retval: testRun.getU32(F.retval.off),
    duration: testRun.getU32(F.duration.off),
    dataSizeOut: testRun.getU32(F.data_size_out.off),
    ctxSizeOut: testRun.getU32(F.ctx_size_out.off),
  };
}

/** BPF_PROG_RUN: the kernel's newer name for BPF_PROG_TEST_RUN (the same command, 10). */
export const progRun: typeof progTestRun = progTestRun;

/** Optional attributes of BPF_PROG_ATTACH and BPF_PROG_DETACH. */
export interface AttachOptions {
  /** AttachFlags values (allow_multi, replace, before, after, id, ...). */
  flags?: number;
  /** The program to replace (with AttachFlags.replace). */
  replaceFd?: number;
  /** Fd of the program or link to attach relative to (with before/after). */
  relativeFd?: number;
  /** Id of the program or link to attach relative to (with AttachFlags.id). */
  relativeId?: number;
  /** Fail unless the attach point is at this revision. */
  expectedRevision?: number | bigint;
}

const attach = new Attr(ProgAttachAttr.size);

function attachAttr(targetFd: number, progFd: number, attachType: number, opts: AttachOptions): Attr {
  const F = ProgAttachAttr.fields;
  const a = attach.zero(ProgAttachAttr.size)
    .u32(F.target_fd.off, checkFd(targetFd, "target fd"))
    .u32(F.attach_bpf_fd.off, checkFd(progFd, "program fd"))
    .u32(F.attach_type.off, u32Arg(attachType, "attach type"))
    .u32(F.attach_flags.off, u32Arg(opts.flags ?? 0, "attach flags"));
  if (opts.replaceFd !== undefined) a.u32(F.replace_bpf_fd.off, checkFd(opts.replaceFd, "replace fd"));
  if (opts.relativeFd !== undefined) a.u32(F.relative_fd.off, checkFd(opts.relativeFd, "relative fd"));
  if (opts.relativeId !== undefined) a.u32(F.relative_id.off, u32Arg(opts.relativeId, "relative id"));
  if (opts.expectedRevision !== undefined) a.u64(F.expected_revision.off, opts.expectedRevision);
  return a;
}

/** BPF_PROG_ATTACH: attaches `progFd` to `targetFd` (a cgroup, a socket map, a netns...) as `attachType`. */
export function progAttach(targetFd: number, progFd: number, attachType: number, opts: AttachOptions = {}): void {
  bpfCall(Cmd.prog_attach, attachAttr(targetFd, progFd, attachType, opts), ProgAttachAttr.size);
}

/** BPF_PROG_DETACH: detaches `progFd` (0 for the only one, where allowed) from `targetFd`. */
export function progDetach(targetFd: number, progFd: number, attachType: number, opts: AttachOptions = {}): void {
  bpfCall(Cmd.prog_detach, attachAttr(targetFd, progFd, attachType, opts), ProgAttachAttr.size);
}

/** What BPF_PROG_QUERY reports. */
export interface QueryResult {
  /** attach_flags of the attach point. */
  attachFlags: number;
  /** Ids of the attached programs (as many as fit in the request). */
  progIds: number[];
  /** Total number of attached programs (may exceed progIds.length). */
  count: number;
  /** Revision of the attach point (kernels with tcx/mprog support). */
  revision: bigint;
}

const query = new Attr(QueryAttr.size);

/** What BPF_PROG_QUERY writes besides the arrays: progQueryInto's result. */
export interface QueryCounts {
  /** attach_flags of the attach point. */
  attachFlags: number;
  /** prog_cnt as the kernel wrote it back: how many programs are attached (may exceed the arrays). */
  count: number;
  /** revision of the attach point (tcx/netkit 6.6+; 0 elsewhere). */
  revision: bigint;
}

/**
 * BPF_PROG_QUERY into the caller's arrays: program ids into `ids` (up to its length) and, where
 * given (each as long as `ids`), each program's attach flags (prog_attach_flags, 6.0+) and link id
 * (link_ids, 6.6+). Throws ENOSPC's BpfError when more programs are attached than `ids` holds.
 */
export function progQueryInto(targetFd: number, attachType: number, queryFlags: number, ids: Uint32Array, progFlags?: Uint32Array, linkIds?: Uint32Array): QueryCounts {
  const F = QueryAttr.fields;
  for (const a of [progFlags, linkIds]) {
    // The kernel writes prog_cnt entries into every array it is given.
    if (a !== undefined && a.length !== ids.length) throw new RangeError(`BPF_PROG_QUERY arrays must be as long as ids (${ids.length}), got ${a.length}`);
  }
  const bytes = (a: Uint32Array | undefined) => (a === undefined || a.length === 0 ? null : new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const a = query.zero(QueryAttr.size)
    .u32(F.target_fd.off, checkFd(targetFd, "target fd"))
    .u32(F.attach_type.off, u32Arg(attachType, "attach type"))
    .u32(F.query_flags.off, u32Arg(queryFlags, "query flags"))
    .ptr(F.prog_ids.off, bytes(ids))
    .u32(F.prog_cnt.off, ids.length)
    .ptr(F.prog_attach_flags.off, bytes(progFlags))
    .ptr(F.link_ids.off, bytes(linkIds));
  bpfCall(Cmd.prog_query, a, QueryAttr.size);
  return { attachFlags: a.getU32(F.attach_flags.off), count: a.getU32(F.prog_cnt.off), revision: a.getBigU64(F.revision.off) };
}

/** BPF_PROG_QUERY: the programs attached to `targetFd` as `attachType`, up to `max` ids. */
export function progQuery(targetFd: number, attachType: number, opts: { queryFlags?: number; max?: number } = {}): QueryResult {
  const ids = new Uint32Array(u32Arg(opts.max ?? 64, "max"));
  const r = progQueryInto(targetFd, attachType, opts.queryFlags ?? 0, ids);
  return { attachFlags: r.attachFlags, progIds: [...ids.subarray(0, Math.min(r.count, ids.length))], count: r.count, revision: r.revision };
}

const bind = new Attr(ProgBindMapAttr.size);

/** BPF_PROG_BIND_MAP: keeps `mapFd` alive as long as `progFd` (for maps the program does not reference). */
export function progBindMap(progFd: number, mapFd: number, flags = 0): void {
  const F = ProgBindMapAttr.fields;
  bind.zero(ProgBindMapAttr.size)
    .u32(F.prog_fd.off, checkFd(progFd, "program fd"))
    .u32(F.map_fd.off, checkFd(mapFd, "map fd"))
    .u32(F.flags.off, u32Arg(flags, "flags"));
  bpfCall(Cmd.prog_bind_map, bind, ProgBindMapAttr.size);
}
