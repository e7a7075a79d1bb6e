// The FinalizationRegistry path: a map nobody closed is closed by the garbage collector, with a
// warning on stderr. Collection cannot be forced inside vitest, so a child process of the same
// runtime runs test/map/fixtures/gc-child.ts with the GC exposed.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";
import { describePriv, itPriv, runtime } from "../helpers/env.ts";

const here = import.meta.dirname ?? new URL(".", import.meta.url).pathname;
const root = join(here, "..", "..");
const child = join(here, "fixtures", "gc-child.ts");

function run(mode: "drop" | "close"): { fd: number; openBefore: boolean; openAfter: boolean; stderr: string } {
  const exe = process.execPath;
  const [cmd, args]: [string, string[]] = runtime === "deno" ? [exe, ["run", "-A", "--v8-flags=--expose-gc", child, mode]]
    : runtime === "bun" ? [exe, [child, mode]]
    : [exe, ["--expose-gc", "--import", "tsx", child, mode]];
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  const last = r.stdout.trim().split("\n").pop()!;
  return { ...JSON.parse(last), stderr: r.stderr };
}

describePriv("finalization", () => {
  itPriv(`a dropped map's fd is closed by the GC, with a warning (${runtime})`, () => {
    const r = run("drop");
    expect(r.openBefore).toBe(true);
    expect(r.openAfter).toBe(false);
    expect(r.stderr).toContain(`tsbpf: map "gc_leak" (array) (fd ${r.fd}) was garbage-collected without close(); closed it now`);
  });

  itPriv(`a closed map gives no warning (${runtime})`, () => {
    const r = run("close");
    expect(r.openBefore).toBe(false);
    expect(r.openAfter).toBe(false);
    expect(r.stderr).not.toContain("garbage-collected");
  });
});
