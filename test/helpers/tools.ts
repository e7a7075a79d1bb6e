/**
 * Outside programs the tests use as oracles (bpftool, clang-19, llvm-readelf-19, gcc, C programs
 * linked with libbpf): whether they run here, how to build one, and `it` that skips - saying why -
 * when one does not.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
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

/** Why a C program linked with Debian's libbpf (libbpf-dev) cannot be built here, or undefined. */
export function libbpfMissing(): string | undefined {
  return toolMissing("gcc", ["--version"])
    ?? (existsSync("/usr/include/bpf/libbpf.h") ? undefined : "needs libbpf's headers (apt-get install libbpf-dev)")
    ?? (execFileSync("gcc", ["-print-file-name=libbpf.so"], { encoding: "utf8" }).trim().startsWith("/") ? undefined : "needs libbpf.so (apt-get install libbpf-dev)");
}

/** A libbpf oracle program built from C: its path, and remove() for its temp dir. */
export interface LibbpfTool {
  /** The executable. */
  exe: string;
  /** Removes the temp dir it was built in. */
  remove(): void;
}

/** Compiles `src` (a test's C oracle) with gcc -lbpf into a new temp dir; a gcc failure throws with its output. */
export function buildLibbpfTool(src: string): LibbpfTool {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-oracle-"));
  const exe = join(dir, basename(src, ".c"));
  try {
    execFileSync("gcc", ["-O1", "-Wall", "-Werror", "-o", exe, src, "-lbpf"], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return { exe, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
