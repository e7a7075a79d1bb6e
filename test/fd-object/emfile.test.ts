// Running out of fds: a child of the runtime under test runs test/fixtures/emfile-child.ts under
// `ulimit -n 256`. The library must keep a reserve below RLIMIT_NOFILE (Deno panics when its lazy
// signal set-up finds no fd), and every EMFILE must say how many fds the library's objects hold,
// how many the GC closed, and that close() or `using` releases them.
import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { fdReserve } from "../../src/sys/fd-reserve.ts";
import { CHILD_TIMEOUT, childArgs, fixture, root } from "../helpers/child.ts";
import { describePriv, itPriv, missing, runtime } from "../helpers/env.ts";

const LIMIT = 256;
const TIMEOUT = CHILD_TIMEOUT;

interface Line {
  name: string; limit: number; opened?: number; error?: string; errno?: number;
  census: { open: number; collected: number };
}

describe("fd reserve", () => {
  it("keeps 16 fds, or a sixteenth of a small limit", () => {
    expect([fdReserve(1024), fdReserve(256), fdReserve(64), fdReserve(8)]).toEqual([16, 16, 4, 0]);
  });
});

describePriv("fd exhaustion", { runtimeScenario: true }, () => {
  const lines = new Map<string, Line>();
  let how = "";
  beforeAll(() => {
    if (missing()) return;
    // exec keeps the shell out of the way: the runtime itself runs under the limit.
    const r = spawnSync("/bin/sh", ["-c", `ulimit -n ${LIMIT} && exec "$0" "$@"`, process.execPath, ...childArgs(fixture("emfile-child.ts"))], {
      cwd: root, encoding: "utf8", timeout: TIMEOUT, env: { ...process.env, NO_COLOR: "1" },
    });
    how = `exit ${r.status}, signal ${r.signal}, error ${r.error?.message}; stderr: ${r.stderr.slice(-3000)}`;
    for (const l of r.stdout.split("\n")) if (l.startsWith("{")) {
      const line = JSON.parse(l) as Line;
      lines.set(line.name, line);
    }
    expect(r.status, how).toBe(0);
  }, TIMEOUT + 10_000);

  const counts = (message: string) => {
    const m = /tsbpf objects hold (\d+) fds? open now .*the GC has closed (\d+) of dropped ones so far/.exec(message);
    expect(m, message).not.toBeNull();
    return { open: Number(m![1]), collected: Number(m![2]) };
  };

  itPriv(`the library refuses the last fds below RLIMIT_NOFILE, saying so (${runtime})`, () => {
    const l = lines.get("open-by-id")!;
    expect(l, how).toBeDefined();
    expect(l.limit).toBe(LIMIT);
    expect(l.errno).toBe(24);
    expect(l.error).toMatch(new RegExp(`^bpf\\(map_get_fd_by_id\\): EMFILE \\(ProcessFdQuotaExceeded\\): refused a new fd \\(${LIMIT - 16}\\)`));
    expect(l.error).toContain(`RLIMIT_NOFILE of ${LIMIT}`);
    expect(counts(l.error!)).toEqual(l.census);
    expect(l.census.open).toBe(l.opened);
    expect(l.error).toMatch(/call close\(\) .* or declare them with `using`/);
  });

  itPriv(`with every fd but the reserve held by maps, the runtime lives on through event-loop turns (${runtime})`, () => {
    // Without the reserve Deno panics here (ext/signals: socketpair fails with EMFILE).
    const l = lines.get("alive-after-wait");
    expect(l, how).toBeDefined();
    expect(l!.census.open).toBe(0);
  });

  itPriv(`EMFILE from creating maps dropped without close() names the library's fds and the GC's count (${runtime})`, () => {
    const l = lines.get("create-dropped")!;
    expect(l, how).toBeDefined();
    expect(l.errno).toBe(24);
    expect(l.error).toMatch(/^bpf\(map_create\): EMFILE \(ProcessFdQuotaExceeded\): /);
    expect(l.error).not.toMatch(/: failed\b/);
    const c = counts(l.error!);
    expect(c).toEqual(l.census);
    expect(c.open).toBeGreaterThan(LIMIT / 2);
  });
});
