/**
 * The running kernel's build configuration, found where libbpf looks for it
 * (bpf_object__read_kconfig_file): /boot/config-$(uname -r), else /proc/config.gz
 * (CONFIG_IKCONFIG_PROC); and where newer Debian kernel packages put it instead of /boot
 * (/usr/lib/modules/<release>/config, as sid's 7.x do). Plain text or gzip, by the gzip magic.
 * @module
 */
import { SyscallError } from "../errors.ts";
import { gunzip, InflateError } from "../util/inflate.ts";
import { KconfigError, parseKernelConfig } from "../util/kconfig.ts";
import { utf8Text } from "../util/text.ts";
import { readFileBytes } from "./file.ts";
import { readTextFile } from "./syscalls.ts";

/** Options of readKernelConfig. */
export interface KernelConfigOptions {
  /** Read this file (plain or gzip) instead of looking in /boot and /proc. */
  path?: string;
}

/** The files the running kernel's config is read from, in order: libbpf's two, then the modules directory. */
export function kernelConfigPaths(): string[] {
  const release = readTextFile("/proc/sys/kernel/osrelease").trim();
  return [`/boot/config-${release}`, "/proc/config.gz", `/usr/lib/modules/${release}/config`];
}

/**
 * CONFIG_* values of the running kernel (or of `options.path`), as parseKernelConfig gives them:
 * from the first of /boot/config-<release> and /proc/config.gz that can be opened. A KconfigError
 * when none can (it names each path and why) or when the file is corrupt.
 */
export function readKernelConfig(options?: KernelConfigOptions): Map<string, string> {
  const path = options?.path;
  if (path !== undefined && typeof path !== "string") throw new TypeError(`kernel config path must be a string, not ${typeof path}`);
  return readFirstConfig(path !== undefined ? [path] : kernelConfigPaths(), path === undefined);
}

/** The config in the first of `paths` that opens; `system` when they are the kernel's own places. */
export function readFirstConfig(paths: readonly string[], system: boolean): Map<string, string> {
  const failed: string[] = [];
  for (const p of paths) {
    let bytes: Uint8Array;
    try {
      bytes = readFileBytes(p);
    } catch (e) {
      if (!(e instanceof SyscallError)) throw e;
      failed.push(`${p}: ${e.code}`);
      continue;
    }
    let text: string;
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        text = utf8Text(gunzip(bytes));
      } catch (e) {
        if (!(e instanceof InflateError)) throw e;
        throw new KconfigError(`corrupt gzip data: ${e.message}`, { source: p, cause: e });
      }
    } else text = utf8Text(bytes);
    return parseKernelConfig(text, p);
  }
  const hint = system ? " (a kernel built without CONFIG_IKCONFIG_PROC, and no config in /boot or its modules directory)" : "";
  throw new KconfigError(
    `cannot read the kernel's config${hint}: ${failed.join(", ")}; pass its text as the kconfig option of Collection.load`,
  );
}
