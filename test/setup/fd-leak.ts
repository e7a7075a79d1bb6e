/**
 * Fails a test file that leaves a bpf fd (map, prog, link, BTF) open: every fd must have an owner
 * that closes it. Runs in the process that runs the file's tests, on all three runtimes.
 */
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { closeOwned, openFds } from "../helpers/fds.ts";

/** Open fds of this process that point at bpf objects, as "fd -> anon_inode:bpf-map". */
export function bpfFds(): string[] {
  return openFds().filter(([, target]) => /^anon_inode:(bpf|btf)/.test(target)).map(([fd, target]) => `${fd} -> ${target}`).sort();
}

afterEach(closeOwned);

let before: string[] = [];
beforeAll(() => {
  before = bpfFds();
});
afterAll(() => {
  const leaked = bpfFds().filter((f) => !before.includes(f));
  expect(leaked, "bpf fds left open by this file").toEqual([]);
});
