/**
 * Picks the backend for the runtime we are on, on first use. Importing this file is what
 * `mod.ts` does; replace the choice at any time with `setBackend()`.
 * @module
 */
import { type Backend, setBackendFactory } from "../src/sys/backend.ts";
import { bunBackend, isBun } from "./bun.ts";
import { denoBackend, isDeno } from "./deno.ts";
import { nodeBackend } from "./node.ts";

/** The default backend for the current runtime: Deno, then Bun, then Node with koffi. */
export function autoBackend(): Backend {
  if (isDeno()) return denoBackend();
  if (isBun()) return bunBackend();
  return nodeBackend();
}

setBackendFactory(autoBackend);
