/**
 * Closes, after each test, the fds a test registered: tests stay leak-free even when they fail.
 * The hook lives in the per-file setup (test/setup/fd-leak.ts): a module-level hook here would be
 * registered only by the first file to import this one when files share modules (the VM runs).
 */
import { readdirSync, readlinkSync } from "node:fs";
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

/**
 * The fds of this process of the kinds the library's objects hold: BPF objects (anon_inode:bpf-*,
 * btf), perf events and sockets (netlink). A runtime opens fds of other kinds of its own at any
 * moment (Bun's event loop: eventfds, epoll, pipes), so leak checks count these, not every fd.
 */
export function libraryFds(): number {
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // the directory's own fd
    }
    if (target.startsWith("anon_inode:bpf") || target === "anon_inode:btf" || target === "anon_inode:[perf_event]" || target.startsWith("socket:[")) n++;
  }
  return n;
}
