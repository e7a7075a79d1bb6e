/**
 * tsbpf: Linux eBPF from TypeScript on Deno, Bun and Node.
 *
 * The kernel's constants and enums, BPF instructions, the bpf() attr layouts and a wrapper for
 * every bpf() command with errors mapped from errno. The FFI backend for the current runtime is
 * picked on first use; `setBackend()` replaces it.
 *
 * ```ts
 * import { Insn, MapType, mapCreate, ProgType, progLoad } from "./mod.ts";
 * const map = mapCreate(MapType.hash, 4, 4, 32);
 * const prog = progLoad(ProgType.socket_filter, [Insn.mov("r0", 0), Insn.exit()], { license: "GPL" });
 * ```
 * @module
 */
import "./runtimes/auto.ts";

export * from "./src/uapi/enums.gen.ts";
export * from "./src/uapi/flags.gen.ts";
export * from "./src/uapi/errno.gen.ts";
export * from "./src/uapi/names.gen.ts";
export * from "./src/errors.ts";
export * from "./src/asm/mod.ts";
export * from "./src/sys/mod.ts";
export * from "./src/cmd/mod.ts";
export { FdObject } from "./src/fd-object.ts";
export * from "./src/map/mod.ts";
export * from "./src/program/mod.ts";
export * from "./src/link/mod.ts";
export * from "./src/ringbuf/mod.ts";
export * from "./src/perf/mod.ts";
export * from "./src/features/mod.ts";
export * from "./src/btf/mod.ts";
export * from "./src/btf/kernel.ts";
export * from "./src/btf/handle.ts";
export * from "./src/elf/mod.ts";
export * from "./src/collection/mod.ts";
