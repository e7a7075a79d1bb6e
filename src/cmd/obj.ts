/**
 * Pinning: BPF_OBJ_PIN and BPF_OBJ_GET on a bpffs path.
 * @module
 */
import { Cmd } from "../uapi/enums.gen.ts";
import { BpfError } from "../errors.ts";
import { admitFd } from "../sys/fd-reserve.ts";
import { Attr, cString } from "../sys/attr.ts";
import { bpfRaw } from "../sys/bpf.ts";
import { ObjAttr } from "../uapi/layout.gen.ts";
import { checkFd, u32Arg } from "./args.ts";
import { forgetFd } from "./mapmeta.ts";
import { pinError } from "./pin-error.ts";

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
  const flags = u32Arg(opts.flags ?? 0, "file flags");
  const pathFd = opts.pathFd === undefined ? undefined : checkFd(opts.pathFd, "path fd");
  const a = obj.zero(ObjAttr.size).ptr(F.pathname.off, cString(path)).u32(F.bpf_fd.off, fd).u32(F.file_flags.off, flags);
  if (pathFd !== undefined) a.s32(F.path_fd.off, pathFd);
  return a;
}

// A path relative to a directory fd is not looked into: the errno's usual meaning then.
function fail(cmd: string, rc: number, path: string, opts: ObjOptions, fd?: number): never {
  if (opts.pathFd !== undefined) throw new BpfError(cmd, -rc, { context: `${path}, relative to path fd ${opts.pathFd}` });
  throw pinError(cmd, -rc, path, fd);
}

/** BPF_OBJ_PIN: pins the map, program or link `fd` at `path` on a bpffs (which must be mounted). */
export function objPin(fd: number, path: string, opts: ObjOptions = {}): void {
  const rc = bpfRaw(Cmd.obj_pin, objAttr(path, checkFd(fd), opts), ObjAttr.size);
  if (rc < 0) fail("obj_pin", rc, path, opts, fd);
}

/** BPF_OBJ_GET: a new fd for the object pinned at `path`. */
export function objGet(path: string, opts: ObjOptions = {}): number {
  const rc = bpfRaw(Cmd.obj_get, objAttr(path, 0, opts), ObjAttr.size);
  if (rc < 0) fail("obj_get", rc, path, opts);
  forgetFd(rc);
  return admitFd("obj_get", rc);
}
