/**
 * tsbpf/link: attaching programs to the kernel (a BpfLink or attachment for every attach kind, one
 * file per kind under src/link/) and querying what is attached, with the runtime's FFI backend
 * picked on first use as in the main entry.
 *
 * ```ts
 * import { attachSocketFilter } from "tsbpf/link";
 * ```
 * @module
 */
import "./runtimes/auto.ts";

export * from "./src/link/mod.ts";
