/** Closes, after each test, the fds a test registered: tests stay leak-free even when they fail. */
import { afterEach } from "vitest";
import { close } from "../../mod.ts";

const open: number[] = [];

/** Registers `fd` to be closed after the current test; returns it. */
export function own(fd: number): number {
  open.push(fd);
  return fd;
}

afterEach(() => {
  while (open.length) close(open.pop()!);
});
