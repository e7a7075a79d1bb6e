/**
 * Closes, after each test, the fds a test registered: tests stay leak-free even when they fail.
 * The hook lives in the per-file setup (test/setup/fd-leak.ts): a module-level hook here would be
 * registered only by the first file to import this one when files share modules (the VM runs).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
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

/** Where /proc/self/fd/<fd> points, or undefined for an fd closed since it was listed. */
export function fdTarget(fd: string): string | undefined {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined; // readdir's own fd, or one closed meanwhile
  }
}

/** This process's open fds, each with where it points: [fd, target]. */
export function openFds(): [string, string][] {
  const out: [string, string][] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    const target = fdTarget(fd);
    if (target !== undefined) out.push([fd, target]);
  }
  return out;
}

/** The inodes of the AF_UNIX sockets of this network namespace (/proc/net/unix's last-but-one column). */
function unixInodes(): Set<string> {
  const lines = readFileSync("/proc/self/net/unix", "utf8").split("\n").slice(1);
  return new Set(lines.map((l) => l.trim().split(/\s+/)[6]).filter((i) => i !== undefined));
}

/**
 * The fds of this process of the kinds the library's objects hold: BPF objects (anon_inode:bpf-*,
 * btf), perf events and sockets other than AF_UNIX (the library opens netlink and inet ones). A
 * runtime opens fds of other kinds of its own at any moment (Bun's event loop: eventfds, epoll,
 * pipes; Bun's execFileSync: a unix socketpair per child, closed some time after it returns), so
 * leak checks count these, not every fd.
 */
export function libraryFds(): number {
  let n = 0;
  const sockets: [string, string][] = [];
  for (const [fd, target] of openFds()) {
    if (target.startsWith("anon_inode:bpf") || target === "anon_inode:btf" || target === "anon_inode:[perf_event]") n++;
    else if (target.startsWith("socket:[")) sockets.push([fd, target]);
  }
  if (sockets.length === 0) return n;
  const unix = unixInodes();
  // Not in the table: a socket of another family, or a unix one closed (its fd maybe reused) before
  // the table was read. Only one still open as the same socket after the read is counted.
  for (const [fd, target] of sockets) if (!unix.has(target.slice(8, -1)) && fdTarget(fd) === target) n++;
  return n;
}
