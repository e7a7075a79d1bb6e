/**
 * Pinning: BPF_OBJ_PIN and BPF_OBJ_GET on a bpffs path.
 * @module
 */
import { Cmd } from "../constants/enums.gen.ts";
import { Attr, cString } from "../sys/attr.ts";
import { bpfCall } from "../sys/bpf.ts";
import { ObjAttr } from "../sys/layout.gen.ts";
import { checkFd, u32Arg } from "./args.ts";
import { forgetFd } from "./mapmeta.ts";

/** Optional attributes of BPF_OBJ_PIN and BPF_OBJ_GET. */
export interface ObjOptions {
  /** file_flags: BPF_F_RDONLY / BPF_F_WRONLY for obj_get, BPF_F_PATH_FD with pathFd. */
  flags?: number;
  /** Directory fd the path is relative to (with BPF_F_PATH_FD). */
  pathFd?: number;
}

const obj = new Attr(ObjAttr.size);

function objAttr(path: string, fd: number, opts: ObjOptions): Attr {
  const F = ObjAttr.fields;
  if (typeof path !== "string" || path.length === 0) throw new TypeError(`pin path must be a non-empty string, got ${JSON.stringify(path)}`);
  const a = obj.zero(ObjAttr.size)
    .ptr(F.pathname.off, cString(path))
    .u32(F.bpf_fd.off, fd)
    .u32(F.file_flags.off, u32Arg(opts.flags ?? 0, "file flags"));
  if (opts.pathFd !== undefined) a.s32(F.path_fd.off, opts.pathFd);
  return a;
}

/** BPF_OBJ_PIN: pins the map, program or link `fd` at `path` on a bpffs (which must be mounted). */
export function objPin(fd: number, path: string, opts: ObjOptions = {}): void {
  bpfCall(Cmd.obj_pin, objAttr(path, checkFd(fd), opts), ObjAttr.size, { context: path });
}

/** BPF_OBJ_GET: a new fd for the object pinned at `path`. */
export function objGet(path: string, opts: ObjOptions = {}): number {
  const fd = bpfCall(Cmd.obj_get, objAttr(path, 0, opts), ObjAttr.size, { context: path });
  forgetFd(fd);
  return fd;
}
