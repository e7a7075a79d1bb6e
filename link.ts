/**
 * tsbpf/link: attaching programs to the kernel (socket filters today; one file per attach kind
 * under src/link/), with the runtime's FFI backend picked on first use as in the main entry.
 *
 * ```ts
 * import { attachSocketFilter } from "tsbpf/link";
 * ```
 * @module
 */
import "./runtimes/auto.ts";

export * from "./src/link/mod.ts";
