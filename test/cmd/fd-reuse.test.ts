// Issue 10, scenario 2: the library's knowledge of an fd is per thread, fd numbers are per
// process. A Worker closes the main thread's map fd and creates a map with 1024-byte values under
// the same number; the main thread's next lookup into an 8-byte view must not write past it. Run
// in a child process of the same runtime (test/fixtures/fd-reuse-main.ts), Workers and all.
import { spawnSync } from "node:child_process";
import { expect } from "vitest";
import { CHILD_TIMEOUT, childArgs, fixture, root } from "../helpers/child.ts";
import { describePriv, itPriv, runtime } from "../helpers/env.ts";

const TIMEOUT = CHILD_TIMEOUT;

describePriv("an fd number reused by a Worker", { runtimeScenario: true }, () => {
  itPriv(`the main thread's lookup into an 8-byte view is refused and writes nothing past it (${runtime})`, {}, () => {
    const r = spawnSync(process.execPath, childArgs(fixture("fd-reuse-main.ts")), { cwd: root, encoding: "utf8", timeout: TIMEOUT, env: { ...process.env, NO_COLOR: "1" } });
    const how = `exit ${r.status}, signal ${r.signal}; stdout: ${r.stdout.slice(-1000)}; stderr: ${r.stderr.slice(-2000)}`;
    expect(r.status, how).toBe(0);
    const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
    expect(line, how).toBeDefined();
    const res = JSON.parse(line!) as { fd: number; workerFd: number; outcome: string[]; intact: boolean; view: number[] };
    expect(res.workerFd, "the Worker's map took the same number").toBe(res.fd);
    expect(res.intact, "bytes around the view").toBe(true);
    expect(res.outcome[0]).toMatch(/RangeError: map_lookup_elem: value is 8 bytes; map fd \d+ \(array\) needs 1024/);
    expect(res.outcome[1]).toMatch(/RangeError: .*needs 1024/);
    expect(res.view.every((b) => b !== 0x77)).toBe(true);
  }, TIMEOUT + 10_000);
});
