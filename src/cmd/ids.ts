/**
 * Walking and opening objects by id: BPF_{PROG,MAP,BTF,LINK}_GET_NEXT_ID and _GET_FD_BY_ID.
 * @module
 */
import { Cmd } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { BpfError } from "../errors.ts";
import { admitFd } from "../sys/fd-reserve.ts";
import { Attr } from "../sys/attr.ts";
import { bpfCall, bpfRaw, cmdName } from "../sys/bpf.ts";
import { GetIdAttr } from "../uapi/layout.gen.ts";
import { u32Arg } from "./args.ts";
import { forgetFd } from "./mapmeta.ts";

const attr = new Attr(GetIdAttr.size);
const F = GetIdAttr.fields;

function nextId(cmd: number, start: number): number | null {
  attr.zero(GetIdAttr.size).u32(F.start_id.off, u32Arg(start, "start id"));
  const rc = bpfRaw(cmd, attr, GetIdAttr.size);
  if (rc === -Errno.ENOENT) return null;
  if (rc < 0) throw new BpfError(cmdName(cmd), -rc);
  return attr.getU32(F.next_id.off);
}

function fdById(cmd: number, id: number, openFlags: number): number {
  attr.zero(GetIdAttr.size).u32(F.start_id.off, u32Arg(id, "id")).u32(F.open_flags.off, u32Arg(openFlags, "open flags"));
  const fd = bpfCall(cmd, attr, GetIdAttr.size, { context: `id ${id}` });
  forgetFd(fd);
  return admitFd(cmdName(cmd), fd);
}

/** BPF_PROG_GET_NEXT_ID: the first program id after `start` (0 for the first), or null after the last. */
export function progGetNextId(start: number): number | null {
  return nextId(Cmd.prog_get_next_id, start);
}
/** BPF_MAP_GET_NEXT_ID: the first map id after `start`, or null after the last. */
export function mapGetNextId(start: number): number | null {
  return nextId(Cmd.map_get_next_id, start);
}
/** BPF_BTF_GET_NEXT_ID: the first BTF object id after `start`, or null after the last. */
export function btfGetNextId(start: number): number | null {
  return nextId(Cmd.btf_get_next_id, start);
}
/** BPF_LINK_GET_NEXT_ID: the first link id after `start`, or null after the last. */
export function linkGetNextId(start: number): number | null {
  return nextId(Cmd.link_get_next_id, start);
}

/** BPF_PROG_GET_FD_BY_ID: a new fd for program `id`. Throws NotFound when no such program exists. */
export function progGetFdById(id: number, openFlags = 0): number {
  return fdById(Cmd.prog_get_fd_by_id, id, openFlags);
}
/** BPF_MAP_GET_FD_BY_ID: a new fd for map `id` (openFlags: BPF_F_RDONLY / BPF_F_WRONLY). */
export function mapGetFdById(id: number, openFlags = 0): number {
  return fdById(Cmd.map_get_fd_by_id, id, openFlags);
}
/** BPF_BTF_GET_FD_BY_ID: a new fd for BTF object `id`. */
export function btfGetFdById(id: number, openFlags = 0): number {
  return fdById(Cmd.btf_get_fd_by_id, id, openFlags);
}
/** BPF_LINK_GET_FD_BY_ID: a new fd for link `id`. */
export function linkGetFdById(id: number, openFlags = 0): number {
  return fdById(Cmd.link_get_fd_by_id, id, openFlags);
}
