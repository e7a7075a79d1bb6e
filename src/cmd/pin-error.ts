/**
 * Errors of BPF_OBJ_PIN and BPF_OBJ_GET that say what is wrong with the path: not on a bpffs
 * (and how to mount one), a directory that does not exist, a file that is no pinned object. The
 * kernel says EPERM, ENOENT or EACCES for all of these; statfs tells them apart, after the fact.
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { BpfError } from "../errors.ts";
import { fdMismatch } from "../sys/fd-kind.ts";
import { BPF_FS_MAGIC, fsName, fsType } from "../sys/statfs.ts";

const MOUNT = "pins live only on a bpffs: mount one with `mount -t bpf bpf /sys/fs/bpf` and pin under it";
const explained = new WeakSet<Error>();

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

// Not on a bpffs: the filesystem it is on instead, or undefined.
function notBpffs(path: string): string | undefined {
  const t = fsType(path);
  return t >= 0 && t !== BPF_FS_MAGIC ? fsName(t) : undefined;
}

function why(cmd: string, errno: number, path: string, fd: number | undefined): string | undefined {
  const dir = dirOf(path);
  // Whether a bpffs should be mounted right there is the caller's to know: ask, naming the command.
  const ask = `is a bpffs mounted at ${dir} (mount -t bpf bpf ${dir})`;
  if (errno === Errno.ENOENT) {
    if (fsType(dir) === -Errno.ENOENT) return `the directory ${dir} does not exist: should it be made, or ${ask}?`;
    const fs = notBpffs(dir);
    if (fs !== undefined) return `${dir} is on ${fs}, not a bpffs; ${MOUNT}`;
    if (cmd === "obj_get") return `nothing is pinned at this path; its directory is on a bpffs: is the name right, and ${ask} or only above it?`;
    return undefined;
  }
  if (cmd === "obj_pin" && errno === Errno.EPERM) {
    const fs = notBpffs(dir);
    return fs === undefined ? undefined : `${dir} is on ${fs}, not a bpffs; ${MOUNT}`;
  }
  if (cmd === "obj_pin" && (errno === Errno.EINVAL || errno === Errno.EBADF) && fd !== undefined) {
    return fdMismatch(fd, ["map", "program", "link"]);
  }
  if (cmd === "obj_get" && errno === Errno.EACCES) {
    const fs = notBpffs(path);
    if (fs !== undefined) return `${path} is not a pinned BPF object: it is on ${fs}, not a bpffs`;
    // Only a directory has a "." to statfs.
    if (fsType(`${path}/.`) === BPF_FS_MAGIC) return `${path} is a directory on a bpffs, not a pinned object`;
  }
  return undefined;
}

/**
 * The BpfError for `cmd` ("obj_pin" or "obj_get") failing with `errno` on `path` (with `fd`, the
 * object being pinned): what the path is, when that explains the errno.
 */
export function pinError(cmd: string, errno: number, path: string, fd?: number): BpfError {
  let what: string | undefined;
  try {
    what = why(cmd, errno, path, fd);
  } catch {
    // the explanation is best effort; the errno stands on its own
  }
  const e = new BpfError(cmd, errno, { context: path, what });
  explained.add(e);
  return e;
}

/** Explains a pin or open error of `path` the way pinError() does, unless it was already; returns it. */
export function pinHint(e: unknown, path: string): unknown {
  if (!(e instanceof BpfError) || explained.has(e) || (e.cmd !== "obj_pin" && e.cmd !== "obj_get")) return e;
  return pinError(e.cmd, e.errno, path);
}
