/** Temporary mounts for privileged tests: a private bpffs, a cgroup2 hierarchy, tracefs. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Mounts a filesystem of `type` on a new temporary directory; returns the directory and an unmount function. */
export function tempMount(type: string, opts: string[] = []): { dir: string; unmount: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `tsbpf-${type}-`));
  execFileSync("mount", ["-t", type, ...opts, type, dir]);
  return {
    dir,
    unmount: () => {
      execFileSync("umount", [dir]);
      rmdirSync(dir);
    },
  };
}

/** The tracefs root, mounting one if none is mounted yet. */
export function tracefs(): string {
  for (const d of ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"]) if (existsSync(join(d, "events"))) return d;
  execFileSync("mount", ["-t", "tracefs", "tracefs", "/sys/kernel/tracing"]);
  return "/sys/kernel/tracing";
}

/** The id of tracepoint `group/name` (for perf_event_open). */
export function tracepointId(group: string, name: string): number {
  return Number(readFileSync(join(tracefs(), "events", group, name, "id"), "utf8"));
}
