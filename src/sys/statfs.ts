/**
 * statfs(2) for one question: which filesystem a path is on (f_type), so a pin error can say
 * when the path is not on a bpffs. Only used on error paths.
 * @module
 */
import { cString } from "./attr.ts";
import { getBackend, keepAlive } from "./backend.ts";
import { syscallNumbers } from "./nr.ts";

/** BPF_FS_MAGIC (include/uapi/linux/magic.h): f_type of a bpffs. */
export const BPF_FS_MAGIC = 0xcafe4a11;

// include/uapi/linux/magic.h: the filesystems a wrong pin path is likely to be on.
const FS_NAMES: Readonly<Record<number, string>> = {
  [BPF_FS_MAGIC]: "bpf", 0x01021994: "tmpfs", 0x9fa0: "proc", 0x62656572: "sysfs", 0xef53: "ext4",
  0x58465342: "xfs", 0x9123683e: "btrfs", 0x794c7630: "overlay", 0x63677270: "cgroup2", 0x27e0eb: "cgroup",
  0x64626720: "debugfs", 0x74726163: "tracefs", 0x1373: "devfs", 0x1cd1: "devpts", 0x6969: "nfs", 0x858458f6: "ramfs",
};

/** f_type of the filesystem `path` is on, or -errno (ENOENT when it does not exist). */
export function fsType(path: string): number {
  const b = getBackend();
  const p = cString(path);
  // struct statfs is 120 bytes on both architectures; f_type is its first word.
  const buf = new Uint8Array(new ArrayBuffer(128));
  const rc = b.syscall(syscallNumbers(b.arch).statfs, b.address(p), b.address(buf));
  keepAlive(p, buf);
  return rc < 0 ? rc : new DataView(buf.buffer).getUint32(0, true);
}

/** A filesystem's name for messages ("tmpfs"), or its magic in hex. */
export function fsName(type: number): string {
  return FS_NAMES[type] ?? `a filesystem of type 0x${type.toString(16)}`;
}
