/**
 * The remaining commands: BPF_TASK_FD_QUERY, BPF_ENABLE_STATS, BPF_TOKEN_CREATE,
 * BPF_PROG_STREAM_READ_BY_FD and BPF_PROG_ASSOC_STRUCT_OPS.
 * @module
 */
import { Cmd } from "../uapi/enums.gen.ts";
import { admitFd } from "../sys/fd-reserve.ts";
import { Attr } from "../sys/attr.ts";
import { bpfCall, bpfRaw } from "../sys/bpf.ts";
import { fdError } from "../sys/fd-kind.ts";
import {
  EnableStatsAttr, ProgAssocStructOpsAttr, ProgStreamReadAttr, TaskFdQueryAttr, TokenCreateAttr,
} from "../uapi/layout.gen.ts";
import { cStringAt } from "../util/text.ts";
import { checkBytes, checkFd, u32Arg } from "./args.ts";

/** What BPF_TASK_FD_QUERY says about a perf event or raw tracepoint fd of a task. */
export interface TaskFdQueryResult {
  /** Id of the attached program. */
  progId: number;
  /** TaskFdType: raw_tracepoint, tracepoint, kprobe, kretprobe, uprobe, uretprobe. */
  fdType: number;
  /** The tracepoint name, kprobe symbol or uprobe file name. */
  name: string;
  /** Probe offset (kprobe/uprobe). */
  probeOffset: bigint;
  /** Probe address (kprobe). */
  probeAddr: bigint;
}

const attr = new Attr(256);

/** BPF_TASK_FD_QUERY: what BPF program is attached through `fd` of process `pid`. */
export function taskFdQuery(pid: number, fd: number, flags = 0): TaskFdQueryResult {
  const F = TaskFdQueryAttr.fields;
  const buf = new Uint8Array(new ArrayBuffer(4096));
  attr.zero(TaskFdQueryAttr.size)
    .u32(F.pid.off, u32Arg(pid, "pid"))
    .u32(F.fd.off, checkFd(fd))
    .u32(F.flags.off, u32Arg(flags, "flags"))
    .u32(F.buf_len.off, buf.length)
    .ptr(F.buf.off, buf);
  bpfCall(Cmd.task_fd_query, attr, TaskFdQueryAttr.size, { context: `pid ${pid} fd ${fd}` });
  return {
    progId: attr.getU32(F.prog_id.off),
    fdType: attr.getU32(F.fd_type.off),
    name: cStringAt(buf, 0, Math.min(attr.getU32(F.buf_len.off) + 1, buf.length)),
    probeOffset: attr.getBigU64(F.probe_offset.off),
    probeAddr: attr.getBigU64(F.probe_addr.off),
  };
}

/** BPF_ENABLE_STATS: turns on run_time_ns/run_cnt accounting (StatsType.run_time) while the returned fd is open. */
export function enableStats(type: number): number {
  attr.zero(EnableStatsAttr.size).u32(EnableStatsAttr.fields.type.off, u32Arg(type, "stats type"));
  return admitFd("enable_stats", bpfCall(Cmd.enable_stats, attr, EnableStatsAttr.size, { context: `stats type ${type}` }));
}

/** BPF_TOKEN_CREATE: a BPF token from a bpffs mounted with delegation options. */
export function tokenCreate(bpffsFd: number, flags = 0): number {
  const F = TokenCreateAttr.fields;
  attr.zero(TokenCreateAttr.size).u32(F.bpffs_fd.off, checkFd(bpffsFd, "bpffs fd")).u32(F.flags.off, u32Arg(flags, "flags"));
  const rc = bpfRaw(Cmd.token_create, attr, TokenCreateAttr.size);
  if (rc < 0) throw fdError("token_create", -rc, `bpffs fd ${bpffsFd}`, [[bpffsFd, "open", "bpffs fd"]]);
  return admitFd("token_create", rc);
}

/** BPF_PROG_STREAM_READ_BY_FD: reads a program's stdout (1) or stderr (2) stream into `buf`; bytes read. */
export function progStreamReadByFd(progFd: number, streamId: number, buf: Uint8Array): number {
  const F = ProgStreamReadAttr.fields;
  checkFd(progFd, "program fd");
  // The kernel writes up to stream_buf_len bytes at the pointer: both come from the one Uint8Array.
  const out = checkBytes(buf, "stream buffer");
  attr.zero(ProgStreamReadAttr.size)
    .ptr(F.stream_buf.off, out)
    .u32(F.stream_buf_len.off, out.length)
    .u32(F.stream_id.off, u32Arg(streamId, "stream id"))
    .u32(F.prog_fd.off, progFd);
  const rc = bpfRaw(Cmd.prog_stream_read_by_fd, attr, ProgStreamReadAttr.size);
  if (rc < 0) throw fdError("prog_stream_read_by_fd", -rc, `program fd ${progFd}, stream ${streamId}`, [[progFd, "program", "program fd"]]);
  return rc;
}

/** BPF_PROG_ASSOC_STRUCT_OPS: associates a program with a struct_ops map. */
export function progAssocStructOps(progFd: number, mapFd: number, flags = 0): void {
  const F = ProgAssocStructOpsAttr.fields;
  attr.zero(ProgAssocStructOpsAttr.size)
    .u32(F.map_fd.off, checkFd(mapFd, "map fd"))
    .u32(F.prog_fd.off, checkFd(progFd, "program fd"))
    .u32(F.flags.off, u32Arg(flags, "flags"));
  const rc = bpfRaw(Cmd.prog_assoc_struct_ops, attr, ProgAssocStructOpsAttr.size);
  if (rc < 0) {
    throw fdError("prog_assoc_struct_ops", -rc, `program fd ${progFd}, map fd ${mapFd}`, [[progFd, "program", "program fd"], [mapFd, "map", "map fd"]]);
  }
}
