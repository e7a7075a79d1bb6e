/**
 * Closing fds: every fd this library hands out is closed with `close()`, which also drops what
 * the library cached about that fd number.
 * @module
 */
import { sysClose } from "../sys/syscalls.ts";
import { checkFd } from "./args.ts";
import { forgetFd } from "./mapmeta.ts";

/** close(2): closes a map, program, link or BTF fd. Throws a SyscallError (EBADF) if it was not open. */
export function close(fd: number): void {
  checkFd(fd);
  forgetFd(fd);
  sysClose(fd);
}
