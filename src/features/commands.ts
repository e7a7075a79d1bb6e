/**
 * Probes of bpf commands by a bad fd: a kernel that knows the command refuses fd -1 with EBADF,
 * one that does not says EINVAL (unknown command) before it reads any field. Nothing is made.
 * @module
 */
import { Cmd } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { cmdName } from "../uapi/names.gen.ts";
import {
  IterCreateAttr, LinkCreateAttr, LinkDetachAttr, MapElemAttr, ProgBindMapAttr, ProgStreamReadAttr, TaskFdQueryAttr, TokenCreateAttr,
} from "../uapi/layout.gen.ts";
import { close } from "../cmd/fd.ts";
import { Attr } from "../sys/attr.ts";
import { bpfRaw } from "../sys/bpf.ts";
import { cached, verdict } from "./probe.ts";

const attr = new Attr(256);

/** Calls `cmd` with the fields at `fds` set to -1: `yes` (EBADF by default) means the kernel knows it. */
function knows(what: string, cmd: number, size: number, fds: readonly number[], yes: number = Errno.EBADF): boolean {
  return cached(what, () => {
    attr.zero(size);
    for (const off of fds) attr.s32(off, -1);
    const rc = bpfRaw(cmd, attr, size);
    if (rc >= 0) close(rc); // cannot happen with fd -1; never leak it all the same
    return rc === -yes || verdict(rc < 0 ? -rc : 0, what, cmdName(cmd));
  });
}

/** Whether BPF_MAP_FREEZE exists (5.2). Cached. */
export function haveMapFreeze(): boolean {
  return knows("BPF_MAP_FREEZE", Cmd.map_freeze, MapElemAttr.size, [MapElemAttr.fields.map_fd.off]);
}

/**
 * Whether BPF_TASK_FD_QUERY exists (4.18). Cached. Pid 0 is no task: a kernel with the command
 * says ENOENT before it looks at the fd.
 */
export function haveTaskFdQuery(): boolean {
  return knows("BPF_TASK_FD_QUERY", Cmd.task_fd_query, TaskFdQueryAttr.size, [TaskFdQueryAttr.fields.fd.off], Errno.ENOENT);
}

/** Whether BPF_LINK_CREATE exists (5.7). Cached. */
export function haveLinkCreate(): boolean {
  const F = LinkCreateAttr.fields;
  return knows("BPF_LINK_CREATE", Cmd.link_create, LinkCreateAttr.size, [F.prog_fd.off, F.target_fd.off]);
}

/** Whether BPF_ITER_CREATE exists, and with it bpf iterators (5.8). Cached. */
export function haveIterCreate(): boolean {
  return knows("BPF_ITER_CREATE", Cmd.iter_create, IterCreateAttr.size, [IterCreateAttr.fields.link_fd.off]);
}

/** Whether BPF_LINK_DETACH exists (5.9). Cached. */
export function haveLinkDetach(): boolean {
  return knows("BPF_LINK_DETACH", Cmd.link_detach, LinkDetachAttr.size, [LinkDetachAttr.fields.link_fd.off]);
}

/** Whether BPF_PROG_BIND_MAP exists (5.10). Cached. */
export function haveProgBindMap(): boolean {
  const F = ProgBindMapAttr.fields;
  return knows("BPF_PROG_BIND_MAP", Cmd.prog_bind_map, ProgBindMapAttr.size, [F.prog_fd.off, F.map_fd.off]);
}

/** Whether BPF_TOKEN_CREATE exists, and with it BPF tokens (6.9). Cached. */
export function haveTokenCreate(): boolean {
  return knows("BPF_TOKEN_CREATE", Cmd.token_create, TokenCreateAttr.size, [TokenCreateAttr.fields.bpffs_fd.off]);
}

/** Whether BPF_PROG_STREAM_READ_BY_FD exists, and with it BPF streams (6.17). Cached. */
export function haveProgStreamRead(): boolean {
  return knows("BPF_PROG_STREAM_READ_BY_FD", Cmd.prog_stream_read_by_fd, ProgStreamReadAttr.size, [ProgStreamReadAttr.fields.prog_fd.off]);
}
