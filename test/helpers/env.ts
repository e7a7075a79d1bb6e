/**
 * What the test process runs on, and `it`/`describe` variants that skip - saying why - when the
 * kernel, privileges or a feature are missing. The same files run on the host and in the VMs.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "vitest";
import { configState } from "./kconfig.ts";

/** The JS runtime running the tests. */
export const runtime: "deno" | "bun" | "node" =
  typeof (globalThis as { Deno?: unknown }).Deno !== "undefined" ? "deno"
    : typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "node";

/** Running kernel's release string, e.g. "6.18.44-fc-v657". */
export const kernelRelease: string = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();

/** [major, minor, patch] of the running kernel. */
export const kernelVersion: [number, number, number] = (() => {
  const m = kernelRelease.match(/^(\d+)\.(\d+)(?:\.(\d+))?/);
  return m ? [+m[1], +m[2], +(m[3] ?? 0)] : [0, 0, 0];
})();

/** Compares the running kernel with "maj.min[.patch]". */
export function kernelAtLeast(v: string): boolean {
  const [a, b, c = 0] = v.split(".").map(Number);
  const [x, y, z] = kernelVersion;
  return x !== a ? x > a : y !== b ? y > b : z >= c;
}

/** True when the process is root (bpf() needs CAP_BPF/CAP_SYS_ADMIN for everything we test). */
export const isRoot: boolean = typeof process.getuid === "function" && process.getuid() === 0;

/** True when kprobes can be created (CONFIG_KPROBES): not on this project's host kernel. */
export function haveKprobes(): boolean {
  return existsSync("/sys/kernel/tracing/kprobe_events") || existsSync("/sys/kernel/debug/tracing/kprobe_events");
}

/** Requirements a privileged test may declare. */
export interface Needs {
  /** Minimum kernel version, "maj.min". */
  kernel?: string;
  /** Needs kprobes. */
  kprobes?: boolean;
  /** A kernel build option (CONFIG_...) that must not be off; runs when the config cannot be found. */
  config?: string;
}

/** Why a privileged test cannot run here, or null when it can. */
export function missing(needs: Needs = {}): string | null {
  if (!isRoot) return "needs root (bpf() requires CAP_BPF or CAP_SYS_ADMIN)";
  if (needs.kernel && !kernelAtLeast(needs.kernel)) return `needs kernel >= ${needs.kernel}, running ${kernelRelease}`;
  if (needs.kprobes && !haveKprobes()) return `needs kprobes (CONFIG_KPROBES), absent on ${kernelRelease}`;
  if (needs.config && configState(needs.config) === "off") return `needs ${needs.config}, off in the build of ${kernelRelease}`;
  return null;
}

const said = new Set<string>();
function say(name: string, why: string): void {
  if (said.has(name)) return;
  said.add(name);
  console.warn(`skip: ${name}: ${why}`);
}

/** A test that calls the real bpf(); skipped, with the reason printed, where `needs` are not met. */
export function itPriv(name: string, needs: Needs | (() => unknown), fn?: () => unknown, timeout?: number): void {
  const [n, f] = typeof needs === "function" ? [{}, needs] : [needs, fn!];
  const why = missing(n);
  if (why) {
    say(name, why);
    it.skip(`${name} [skipped: ${why}]`, f);
  } else {
    it(name, f, timeout);
  }
}

/** A describe block of privileged tests; skipped as a whole, with the reason, where `needs` are not met. */
export function describePriv(name: string, needs: Needs | (() => void), fn?: () => void): void {
  const [n, f] = typeof needs === "function" ? [{}, needs] : [needs, fn!];
  const why = missing(n);
  if (why) {
    say(name, why);
    describe.skip(`${name} [skipped: ${why}]`, f);
  } else {
    describe(name, f);
  }
}
