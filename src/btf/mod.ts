/**
 * BTF, the kernel's type format: a pure, lazy parser for vmlinux, module (split) and program
 * BTF, type look-up and resolution, and bpftool's raw text format.
 * @module
 */
export { Btf, type BtfFormat, type BtfParseOptions } from "./btf.ts";
export { BtfError, type BtfErrorWhere } from "./error.ts";
export { BTF_MAGIC, type BtfHeaderInfo } from "./header.ts";
export { BtfStrings } from "./strings.ts";
export * from "./types.ts";
