/**
 * Which file a uprobe or USDT target names. A path with a "/" is used as given; a bare name is
 * looked up the way libbpf does (resolve_full_path): a shared library ("libc.so.6", "libfoo.so")
 * in LD_LIBRARY_PATH, then /usr/lib64, /usr/lib and the architecture's multiarch directory; any
 * other name in PATH, as a shell finds an executable.
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { SyscallError } from "../errors.ts";
import { getBackend } from "../sys/backend.ts";
import { envVar } from "../sys/env.ts";
import { existsNotDirectory } from "../sys/file.ts";

/** Multiarch library directories Debian and Ubuntu use, after the generic ones. */
const MULTIARCH_LIBS: Readonly<Record<string, string>> = { x86_64: "/lib/x86_64-linux-gnu", aarch64: "/lib/aarch64-linux-gnu" };

/** True for a library's name: ending in ".so" or holding ".so." (a versioned soname). */
function isLibrary(name: string): boolean {
  return name.endsWith(".so") || name.includes(".so.");
}

/** The directories a bare `name` is looked for in, in order. */
function searchDirectories(name: string): string[] {
  const lists = isLibrary(name)
    ? [envVar("LD_LIBRARY_PATH") ?? "", "/usr/lib64:/usr/lib", MULTIARCH_LIBS[getBackend().arch] ?? ""]
    : [envVar("PATH") ?? ""];
  // An empty PATH entry means the current directory, as in execvp(3); in LD_LIBRARY_PATH as well.
  return lists.flatMap((l) => (l === "" ? [] : l.split(":").map((d) => (d === "" ? "." : d))));
}

/**
 * The file `target` names: `target` itself when it holds a "/", else the first match in the
 * search directories (see the module). A SyscallError (open, ENOENT) listing where it looked when none has it.
 */
export function binaryPath(target: string): string {
  if (target.includes("/")) return target;
  const dirs = searchDirectories(target);
  for (const d of dirs) {
    const p = `${d.endsWith("/") ? d : `${d}/`}${target}`;
    if (existsNotDirectory(p)) return p;
  }
  const where = isLibrary(target) ? "LD_LIBRARY_PATH and the system library directories" : "PATH";
  throw new SyscallError("open", Errno.ENOENT, `${target}: no such file in ${where} (${dirs.join(":") || "empty"}); give its path`);
}
