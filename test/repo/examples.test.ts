// Every script in examples/ runs to completion against the real kernel, on the runtime running
// the tests (Node through tsx, Bun and Deno directly): the examples are part of the suite. One
// child process runs them all in turn (test/fixtures/run-examples.ts) and marks each one's output.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect } from "vitest";
import { childArgs, fixture, root } from "../helpers/child.ts";
import { describePriv, itPriv, missing, runtime } from "../helpers/env.ts";

const examples = readdirSync(join(root, "examples")).filter((f) => f.endsWith(".ts")).sort();
// Start-up and six examples take seconds on the host, minutes in the emulated VMs.
const TIMEOUT = 300_000;

/** Splits a stream at the runner's marker lines: example name -> its output. */
function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name = "";
  for (const line of text.split("\n")) {
    const m = /^#tsbpf-example (\S+)$/.exec(line);
    if (m) out.set((name = m[1]), "");
    else if (name) out.set(name, out.get(name) + line + "\n");
  }
  return out;
}

// In the VMs the examples run under node on the oldest and the newest kernel (a child runtime per
// example costs ~100 s a cell under emulation); all five passed when the examples were written.
describePriv("examples", { kernelScenario: true, vmKernels: ["5.10", "sid"] }, () => {
  let run: { status: number | null; stdout: Map<string, string>; stderr: Map<string, string>; how: string };
  beforeAll(() => {
    if (missing()) return;
    const r = spawnSync(process.execPath, childArgs(fixture("run-examples.ts")), { cwd: root, encoding: "utf8", timeout: TIMEOUT, env: { ...process.env, NO_COLOR: "1" } });
    const how = `exit ${r.status}, signal ${r.signal}, error ${r.error?.message}; stderr: ${r.stderr.slice(-2000)}`;
    run = { status: r.status, stdout: sections(r.stdout), stderr: sections(r.stderr), how };
  }, TIMEOUT + 10_000);

  itPriv("the runner went through every example and exited 0", () => {
    expect(run.status, run.how).toBe(0);
    expect([...run.stdout.keys()]).toEqual(examples);
  });

  for (const name of examples) {
    itPriv(`examples/${name} runs to the end, printing, without errors`, () => {
      const stderr = run.stderr.get(name);
      expect(stderr, run.how).toBeDefined();
      expect(stderr, `stderr of ${name}`).not.toMatch(/Error|error:|threw/);
      expect(run.stdout.get(name)?.trim().length, `stdout of ${name}`).toBeGreaterThan(0);
    });
  }
});
