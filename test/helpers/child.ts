/**
 * Child processes of the runtime under test, for what cannot run inside vitest (exposed GCs,
 * Workers, lowered rlimits, profilers): the command line that runs a .ts script there.
 */
import { join } from "node:path";
import { runtime } from "./env.ts";

/** The repository root. */
export const root: string = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");

/** Path of test/fixtures/`name`. */
export function fixture(name: string): string {
  return join(root, "test", "fixtures", name);
}

/** Runtime flags before the script, per runtime (Node's come before its tsx loader). */
export interface ChildFlags { node?: string[]; deno?: string[]; bun?: string[] }

/** Arguments for process.execPath that run `script` (a .ts file) on this runtime: Node through tsx. */
export function childArgs(script: string, flags: ChildFlags = {}): string[] {
  if (runtime === "node") return [...(flags.node ?? []), "--import", "tsx", script];
  if (runtime === "deno") return ["run", "-A", ...(flags.deno ?? []), script];
  return [...(flags.bun ?? []), script];
}

/** A child's start-up takes a second on the host and many more in the emulated VMs. */
export const CHILD_TIMEOUT = 240_000;
