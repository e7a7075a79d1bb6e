// The FinalizationRegistry behind BpfObject: a program nobody closed is closed when collected,
// with a warning. Runs a child process of the same runtime with garbage collection exposed.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { itPriv, runtime } from "../helpers/env.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const fixture = join(here, "fixtures", "gc-leak.ts");

function childArgs(): string[] {
  if (runtime === "node") return ["--expose-gc", "--import", "tsx", fixture];
  if (runtime === "deno") return ["run", "-A", "--v8-flags=--expose-gc", fixture];
  return [fixture]; // bun: Bun.gc(true)
}

// A child's start-up takes a second on the host and many more in the emulated VMs.
const CHILD_TIMEOUT = 240_000;

itPriv(`a program dropped without close() is closed by the GC, with a warning (${runtime})`, () => {
  const r = spawnSync(process.execPath, childArgs(), { cwd: root, encoding: "utf8", timeout: CHILD_TIMEOUT, env: { ...process.env, NO_COLOR: "1" } });
  const how = `exit ${r.status}, signal ${r.signal}, error ${r.error?.message}; stdout: ${r.stdout}`;
  expect(r.stderr, how).toMatch(/tsbpf: program "leaked_prog" \(fd \d+\) was garbage-collected without close\(\); closed it now/);
  expect(r.stdout.trim().split("\n").at(-1)).toBe("fd-closed");
  expect(r.status).toBe(0);
}, CHILD_TIMEOUT + 10_000);
