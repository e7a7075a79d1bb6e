/**
 * The running kernel's version: uname's release from /proc, compared as "major.minor", and
 * LINUX_VERSION_CODE as kprobe programs had to pass it before 5.0 (Debian and Ubuntu report the
 * real sublevel elsewhere than the release string).
 * @module
 */
import { readTextFile } from "../sys/syscalls.ts";

/** A kernel version as [major, minor, patch]. */
export type KernelVersion = readonly [number, number, number];

let release: string | undefined;

/** The running kernel's release string, e.g. "6.1.0-50-amd64" (uname -r). */
export function kernelRelease(): string {
  return (release ??= readTextFile("/proc/sys/kernel/osrelease").trim());
}

/** Parses "maj.min[.patch]" at the start of `v`; a RangeError for anything else. */
export function parseVersion(v: string): KernelVersion {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
  if (!m) throw new RangeError(`not a kernel version: ${JSON.stringify(v)}`);
  return [+m[1], +m[2], +(m[3] ?? 0)];
}

/** [major, minor, patch] of the running kernel. */
export function kernelVersion(): KernelVersion {
  return parseVersion(kernelRelease());
}

/** Whether the running kernel is at least `v` ("5.8"). */
export function kernelAtLeast(v: string): boolean {
  const [a, b, c] = parseVersion(v);
  const [x, y, z] = kernelVersion();
  return x !== a ? x > a : y !== b ? y > b : z >= c;
}

/**
 * KERNEL_VERSION(major, minor, sublevel) of the running kernel, as the kernel's own
 * LINUX_VERSION_CODE: Ubuntu's /proc/version_signature and Debian's "Debian x.y.z" in the
 * version string carry the real sublevel where the release says ".0". The sublevel is capped at
 * 255, as the kernel caps it.
 */
export function linuxVersionCode(): number {
  let v = kernelVersion();
  const fromFile = (path: string, re: RegExp): KernelVersion | null => {
    try {
      const m = re.exec(readTextFile(path));
      return m ? parseVersion(m[1]) : null;
    } catch {
      return null;
    }
  };
  v = fromFile("/proc/version_signature", /^\S+ \S+ (\d+\.\d+\.\d+)/) ?? fromFile("/proc/sys/kernel/version", /Debian (\d+\.\d+\.\d+)/) ?? v;
  return (v[0] << 16) + (v[1] << 8) + Math.min(v[2], 255);
}
