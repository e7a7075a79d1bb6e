/** Runs once per vitest run: says which runtime and kernel the suite is on. */
import { readFileSync } from "node:fs";

export default function setup(): void {
  const rt = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined" ? "deno"
    : typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "node";
  const kernel = readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
  const uid = typeof process.getuid === "function" ? process.getuid() : -1;
  console.log(`tsbpf tests: runtime ${rt}, kernel ${kernel}, uid ${uid}`);
}
