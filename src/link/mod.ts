/**
 * Attaching programs to the kernel, one file per attach kind (the bpf_link commands themselves
 * are in cmd/link.ts). Today: socket filters.
 * @module
 */
export { attachSocketFilter, detachSocketFilter, type ProgramRef } from "./socket-filter.ts";
