/**
 * unlinkat(2) for one job: removing a pin from a bpffs (libbpf's bpf_link__unpin, cilium/ebpf's
 * Unpin are an unlink of the path).
 * @module
 */
import { SyscallError } from "../errors.ts";
import { cString } from "./attr.ts";
import { getBackend, keepAlive } from "./backend.ts";

const AT_FDCWD = -100;

// unlinkat is not in nr.ts's table (arch/x86/entry/syscalls/syscall_64.tbl, asm-generic/unistd.h).
const UNLINKAT: Readonly<Record<string, number>> = { x86_64: 263, aarch64: 35 };

/** Removes the file (a pinned object) at `path`; a SyscallError naming it on failure (ENOENT when nothing is there). */
export function unlinkPath(path: string): void {
  if (typeof path !== "string" || path === "") throw new TypeError(`path must be a non-empty string, got ${JSON.stringify(path)}`);
  const b = getBackend();
  const nr = UNLINKAT[b.arch];
  if (nr === undefined) throw new Error(`tsbpf: unsupported architecture ${b.arch}; x86_64 and aarch64 are supported`);
  const p = cString(path);
  const rc = b.syscall(nr, AT_FDCWD, b.address(p), 0);
  keepAlive(p);
  if (rc < 0) throw new SyscallError("unlink", -rc, path);
}
