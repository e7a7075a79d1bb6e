/**
 * What the test process runs on, and `it`/`describe` variants that skip - saying why - when
 * privileges or a feature are missing, by the library's own probes and version tables. The same
 * files run on the host and in the VMs, where a feature missing from a kernel that should have it fails.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BpfError, Errno, FeatureError, featureName, type FeatureRef, type FeatureVersion, featureVersions, haveFeature } from "../../mod.ts";
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

/** True in the VM matrix (vm/run.mjs sets TSBPF_VM=1): there a feature's absence can be a failure. */
export const inVm: boolean = !!process.env.TSBPF_VM;

/** Requirements a privileged test may declare. */
export interface Needs {
  /**
   * Entries of the library's version tables the test uses ("batch_ops", { mapType: "queue" }, ...):
   * each must pass the library's own probe. Versions come from the tables, never from tests.
   */
  feature?: FeatureRef | readonly FeatureRef[];
  /** Needs kprobes. */
  kprobes?: boolean;
  /** A kernel build option (CONFIG_...) that must not be off; runs when the config cannot be found. */
  config?: string;
  /** A scenario of the runtime rather than the kernel: runs on the host and one kernel of the VM matrix. */
  runtimeScenario?: boolean;
  /**
   * A check of the kernel, not of the runtime, and a slow one (comparing all of vmlinux with an
   * oracle): the VM matrix runs it under one runtime (node) per kernel; the host under all three.
   */
  kernelScenario?: boolean;
  /**
   * The VM matrix's kernels (names of vm/kernels.list) that run it, where running it on every
   * kernel costs minutes under emulation and adds little (the host runs it always).
   */
  vmKernels?: readonly string[];
  /**
   * A reason found by the test itself not to run here (a tool not installed, nothing of the kind
   * on this kernel): the test is skipped, saying it, never counted as passed.
   */
  skipIf?: string | null;
}

/** Why a test cannot run here; `fail` when that is a failure rather than a skip. */
export interface Verdict {
  /** The reason, as printed. */
  why: string;
  /** Register a failing test instead of skipping. */
  fail: boolean;
}

/** The facts a feature verdict depends on: the running kernel, its build config, and whether this is the VM matrix. */
export interface Host {
  /** Release string, for messages. */
  release: string;
  /** Whether the kernel is at least "maj.min". */
  atLeast: (v: string) => boolean;
  /** State of a CONFIG_ option in the kernel's build. */
  config: (option: string) => "on" | "off" | "unknown";
  /** In the VM matrix. */
  vm: boolean;
}

const here: Host = { release: kernelRelease, atLeast: kernelAtLeast, config: configState, vm: inVm };

/**
 * What the probe's answer `yes` for feature `name` (table entries `since`) means: run (null), or
 * skip - unless, in the VM matrix, the kernel is at least every release in `since` with their
 * config options on: then the probe or the table is wrong, and the test fails, as
 * test/features/versions.test.ts fails the probe itself.
 */
export function featureVerdict(name: string, since: readonly FeatureVersion[], yes: boolean, host: Host = here): Verdict | null {
  if (yes) return null;
  const newest = since.map((s) => s.version).reduce((a, b) => (compareVersions(a, b) >= 0 ? a : b));
  const configs = since.flatMap((s) => (s.config ? [s.config] : []));
  const why = `needs ${name} (Linux ${newest}+${configs.map((c) => `, ${c}`).join("")}): the library's probe says no on ${host.release}`;
  const off = configs.filter((c) => host.config(c) === "off");
  if (off.length) return { why: `${why}; ${off.join(", ")} off in its build`, fail: false };
  if (!host.vm || !since.every((s) => host.atLeast(s.version))) return { why, fail: false };
  const unknown = configs.filter((c) => host.config(c) === "unknown");
  if (unknown.length) return { why: `${why}; whether ${unknown.join(", ")} is set is unknown (no kernel config found)`, fail: false };
  return { why: `${why}, yet it is at least ${newest}: the probe or the version table is wrong (TSBPF_VM)`, fail: true };
}

function compareVersions(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split(".").map(Number));
  return x[0] - y[0] || x[1] - y[1];
}

function featureCheck(ref: FeatureRef): Verdict | null {
  const name = featureName(ref);
  let yes: boolean;
  try {
    yes = haveFeature(ref);
  } catch (e) {
    // The kernel may know the feature while this system's policy refuses it to root: no answer.
    if (e instanceof FeatureError && e.cause instanceof BpfError && e.cause.errno === Errno.EPERM) return { why: e.message, fail: false };
    return { why: `needs ${name}, and the library's probe failed: ${e instanceof Error ? e.message : String(e)}`, fail: true };
  }
  return featureVerdict(name, featureVersions(ref), yes);
}

const isList = (f: FeatureRef | readonly FeatureRef[]): f is readonly FeatureRef[] => Array.isArray(f);

function judge(needs: Needs): Verdict | null {
  // Untyped callers too: a version written in a test would silently run the test everywhere.
  if ("kernel" in needs) throw new TypeError("Needs.kernel is gone: name the feature (Needs.feature); its version comes from the library's tables");
  const skip = (why: string): Verdict => ({ why, fail: false });
  if (!isRoot) return skip("needs root (bpf() requires CAP_BPF or CAP_SYS_ADMIN)");
  if (needs.kprobes && !haveKprobes()) return skip(`needs kprobes (CONFIG_KPROBES), absent on ${kernelRelease}`);
  if (needs.skipIf) return skip(needs.skipIf);
  if (needs.config && configState(needs.config) === "off") return skip(`needs ${needs.config}, off in the build of ${kernelRelease}`);
  const elsewhere = needs.runtimeScenario ? runtimeScenarioSkip() : needs.kernelScenario ? kernelScenarioSkip() : null;
  if (elsewhere) return skip(elsewhere);
  const vmKernel = process.env.TSBPF_VM_KERNEL;
  if (needs.vmKernels && process.env.TSBPF_VM && vmKernel !== undefined && !needs.vmKernels.includes(vmKernel)) {
    return skip(`slow under emulation: the VM matrix runs it on ${needs.vmKernels.join(" and ")} only (this is ${vmKernel})`);
  }
  const f = needs.feature;
  for (const ref of f === undefined ? [] : isList(f) ? f : [f]) {
    const v = featureCheck(ref);
    if (v) return v;
  }
  return null;
}

/** Why a privileged test cannot run here, or null when it can. */
export function missing(needs: Needs = {}): string | null {
  return judge(needs)?.why ?? null;
}

const said = new Set<string>();
function say(name: string, why: string): void {
  if (said.has(name)) return;
  said.add(name);
  console.warn(`skip: ${name}: ${why}`);
}

/**
 * A test that calls the real bpf(); skipped, with the reason printed, where `needs` are not met -
 * failed instead where the VM matrix's kernel should have a needed feature (featureVerdict).
 */
export function itPriv(name: string, needs: Needs | (() => unknown), fn?: () => unknown, timeout?: number): void {
  const [n, f] = typeof needs === "function" ? [{}, needs] : [needs, fn!];
  const v = judge(n);
  if (v?.fail) {
    it(name, () => expect.fail(v.why));
  } else if (v) {
    say(name, v.why);
    it.skip(`${name} [skipped: ${v.why}]`, f);
  } else {
    it(name, f, timeout);
  }
}

/** A describe block of privileged tests; skipped as a whole, with the reason, where `needs` are not met (failed as itPriv fails). */
export function describePriv(name: string, needs: Needs | (() => void), fn?: () => void): void {
  const [n, f] = typeof needs === "function" ? [{}, needs] : [needs, fn!];
  const v = judge(n);
  if (v?.fail) {
    describe(name, () => it("what it needs", () => expect.fail(v.why)));
  } else if (v) {
    say(name, v.why);
    describe.skip(`${name} [skipped: ${v.why}]`, f);
  } else {
    describe(name, f);
  }
}

/**
 * The kernel of the VM matrix that runs the scenarios of a runtime's own behaviour (Workers,
 * profilers, fd tables, the GC): the newest in vm/kernels.list. They behave alike on every kernel,
 * and each costs a child runtime's start-up under emulation, so the other kernels skip them.
 */
export function matrixKernelForRuntimeScenarios(): string {
  const list = readFileSync(new URL("../../vm/kernels.list", import.meta.url), "utf8");
  const names = list.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#")).map((l) => l.split(/\s+/)[0]);
  return names[names.length - 1];
}

/** Why a kernel scenario does not run here: in the VM matrix, only the node cell of each kernel runs it. */
export function kernelScenarioSkip(): string | null {
  if (!process.env.TSBPF_VM || runtime === "node") return null;
  return "a check of the kernel, not the runtime: the VM matrix runs it under node on each kernel";
}

/**
 * Why a runtime scenario does not run here, or null: it runs on the host and on one kernel of the
 * VM matrix (matrixKernelForRuntimeScenarios()); the kernel side is covered on every kernel elsewhere.
 */
export function runtimeScenarioSkip(): string | null {
  const vm = process.env.TSBPF_VM_KERNEL;
  if (!process.env.TSBPF_VM || vm === undefined) return null;
  const one = matrixKernelForRuntimeScenarios();
  return vm === one ? null : `a scenario of the runtime, not the kernel: the VM matrix runs it on ${one} only (this is ${vm})`;
}
