/**
 * Outside programs the tests use as oracles (bpftool, clang-19, llvm-readelf-19, gcc): whether
 * they run here, and `it` that skips - saying why - when one does not.
 */
import { execFileSync } from "node:child_process";
import { it } from "vitest";

/** Why `cmd args` cannot run here ("needs cmd (apt-get install pkg)"), or undefined when it runs. */
export function toolMissing(cmd: string, args: string[], pkg: string = cmd): string | undefined {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
    return undefined;
  } catch {
    return `needs ${cmd} (apt-get install ${pkg})`;
  }
}

/** Why Debian's bpftool cannot run here, or undefined. */
export function bpftoolMissing(): string | undefined {
  return toolMissing("bpftool", ["version"]);
}

/** `it`, or a skip that prints `why` (never counted as passed) when `why` is set. */
export function itIf(why: string | undefined, name: string, fn: () => void): void {
  if (why) {
    console.warn(`skip: ${name}: ${why}`);
    it.skip(`${name} (skipped: ${why})`, fn);
  } else it(name, fn);
}
