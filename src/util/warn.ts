/**
 * Warnings to stderr through the runtime's console (declared here: the core compiles without DOM
 * or runtime type libraries).
 * @module
 */

const out = (globalThis as { console?: { warn(...args: unknown[]): void } }).console;

/** Prints a warning line prefixed with "tsbpf: ". */
export function warn(message: string): void {
  out?.warn(`tsbpf: ${message}`);
}
