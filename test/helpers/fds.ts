/**
 * Closes, after each test, the fds a test registered: tests stay leak-free even when they fail.
 * The hook lives in the per-file setup (test/setup/fd-leak.ts): a module-level hook here would be
 * registered only by the first file to import this one when files share modules (the VM runs).
 */
import { close } from "../../mod.ts";

const open: number[] = [];

/** Registers `fd` to be closed after the current test; returns it. */
export function own(fd: number): number {
  open.push(fd);
  return fd;
}

/** Closes every fd registered with own() since the last call. */
export function closeOwned(): void {
  while (open.length) close(open.pop()!);
}
