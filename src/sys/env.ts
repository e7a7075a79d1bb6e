/**
 * The process environment for the few look-ups the core makes (PATH, LD_LIBRARY_PATH): the
 * runtime's live environment where the backend offers it, else /proc/self/environ.
 * @module
 */
import { getBackend } from "./backend.ts";
import { readFileBytes } from "./file.ts";
import { cStringAt } from "../util/text.ts";

/** The value of environment variable `name`, or undefined when it is unset (getenv(3)). */
export function envVar(name: string): string | undefined {
  const b = getBackend();
  if (b.env !== undefined) {
    try {
      return b.env(name);
    } catch {
      // Deno without --allow-env refuses; the environment the process started with still answers.
    }
  }
  return startEnv(name);
}

/** `name` from /proc/self/environ: the environment as the process was exec'd ("K=V\0" records). */
function startEnv(name: string): string | undefined {
  let bytes: Uint8Array;
  try {
    bytes = readFileBytes("/proc/self/environ");
  } catch {
    return undefined;
  }
  for (let at = 0; at < bytes.length;) {
    let end = bytes.indexOf(0, at);
    if (end < 0) end = bytes.length;
    const entry = cStringAt(bytes, at, end - at);
    const eq = entry.indexOf("=");
    if (eq > 0 && entry.slice(0, eq) === name) return entry.slice(eq + 1);
    at = end + 1;
  }
  return undefined;
}
