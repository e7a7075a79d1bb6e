// The FinalizationRegistry behind FdObject: a map or program nobody closed is closed when the
// garbage collector takes it, with a warning; a closed one gives none. Collection cannot be forced
// inside vitest, so one child process of the same runtime (test/fixtures/gc-child.ts) runs the
// cases with the GC exposed.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, expect } from "vitest";
import { CHILD_TIMEOUT, childArgs, fixture, root } from "../helpers/child.ts";
import { describePriv, itPriv, missing, runtime } from "../helpers/env.ts";

const TIMEOUT = CHILD_TIMEOUT;

interface Case { fd: number; openBefore: boolean; openAfter: boolean; warnings: string[] }

describePriv("finalization", { runtimeScenario: true }, () => {
  const cases = new Map<string, Case>();
  let how = "";
  beforeAll(() => {
    if (missing()) return;
    const r = spawnSync(process.execPath, childArgs(fixture("gc-child.ts"), { node: ["--expose-gc"], deno: ["--v8-flags=--expose-gc"] }), { cwd: root, encoding: "utf8", timeout: TIMEOUT, env: { ...process.env, NO_COLOR: "1" } });
    how = `exit ${r.status}, signal ${r.signal}, error ${r.error?.message}; stderr: ${r.stderr.slice(-2000)}`;
    for (const line of r.stdout.split("\n")) if (line.startsWith("{")) {
      const c = JSON.parse(line) as Case & { name: string };
      cases.set(c.name, c);
    }
    expect(r.status, how).toBe(0);
  }, TIMEOUT + 10_000);

  itPriv(`a dropped map's fd is closed by the GC, with a warning (${runtime})`, () => {
    const c = cases.get("map-drop")!;
    expect(c, how).toBeDefined();
    expect(c.openBefore).toBe(true);
    expect(c.openAfter).toBe(false);
    expect(c.warnings).toContain(`tsbpf: map "gc_leak" (array) (fd ${c.fd}) was garbage-collected without close(); closed it now`);
  });

  itPriv(`a closed map gives no warning (${runtime})`, () => {
    const c = cases.get("map-close")!;
    expect(c, how).toBeDefined();
    expect(c.openBefore).toBe(false);
    expect(c.warnings).toEqual([]);
  });

  itPriv(`a program dropped without close() is closed by the GC, with a warning (${runtime})`, () => {
    const c = cases.get("prog-drop")!;
    expect(c, how).toBeDefined();
    expect(c.openBefore).toBe(true);
    expect(c.openAfter).toBe(false);
    expect(c.warnings.join("\n")).toMatch(new RegExp(`tsbpf: program "leaked_prog" \\(fd ${c.fd}\\) was garbage-collected without close\\(\\); closed it now`));
  });
});
