/**
 * A signal storm from a child process: test/fixtures/storm.c, compiled with gcc into a temp
 * dir, kill()s this process at a fixed rate. The signal needs a handler here (installed with the
 * runtime's own API), or the kernel discards it on arrival and nothing is ever pending.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runtime } from "./env.ts";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");

/** Why no storm can be built here (no gcc), or null. */
export function stormMissing(): string | null {
  try {
    execFileSync("gcc", ["--version"], { stdio: "ignore" });
    return null;
  } catch {
    return "needs gcc to build test/fixtures/storm.c";
  }
}

/** Compiles the storm sender; returns its path and a function removing it. */
export function buildStorm(): { exe: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "tsbpf-storm-"));
  const exe = join(dir, "storm");
  execFileSync("gcc", ["-O2", "-o", exe, join(root, "test", "fixtures", "storm.c")]);
  return { exe, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Signal numbers by name, the same on x86_64 and aarch64. */
export const SIGNALS = { SIGURG: 23, SIGWINCH: 28 } as const;

/** Installs a do-nothing handler for `name` with this runtime's API; returns its removal. */
export function catchSignal(name: keyof typeof SIGNALS): () => void {
  const handler = (): void => {};
  const D = (globalThis as { Deno?: { addSignalListener(s: string, f: () => void): void; removeSignalListener(s: string, f: () => void): void } }).Deno;
  if (runtime === "deno" && D) {
    D.addSignalListener(name, handler);
    return () => D.removeSignalListener(name, handler);
  }
  process.on(name, handler);
  return () => void process.off(name, handler);
}

/** True when this process has a handler for signal `n` (the SigCgt mask of /proc/self/status). */
export function caught(n: number): boolean {
  const hex = readFileSync("/proc/self/status", "utf8").match(/^SigCgt:\s*([0-9a-f]+)/m)?.[1] ?? "0";
  return ((BigInt(`0x${hex}`) >> BigInt(n - 1)) & 1n) === 1n;
}

/** A running storm. */
export interface Storm {
  /** Stops it: how many signals it sent and over how many seconds. */
  stop(): Promise<{ sent: number; seconds: number }>;
}

/** Starts `exe` sending signal `sig` to process `pid` `hz` times a second; resolves once it sends. */
export function startStorm(exe: string, pid: number, sig: number, hz: number): Promise<Storm> {
  const child: ChildProcess = spawn(exe, [String(pid), String(sig), String(hz)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (s: string) => {
      const before = out.includes("ready\n");
      out += s;
      if (before || !out.includes("ready\n")) return;
      const t0 = performance.now();
      resolve({
        async stop() {
          child.kill("SIGTERM");
          const code = await closed;
          const seconds = (performance.now() - t0) / 1000;
          const sent = Number(out.split("\n").filter((l) => /^\d+$/.test(l)).at(-1));
          // The count line is the proof of a clean exit: Deno's close event may report code null.
          if (!Number.isFinite(sent) || (code !== 0 && code !== null)) throw new Error(`storm exited ${code}; output ${JSON.stringify(out)}`);
          return { sent, seconds };
        },
      });
    });
  });
}
