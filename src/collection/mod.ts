/**
 * Collections: a clang-built BPF ELF object as a pure CollectionSpec (maps, programs, variables,
 * BTF), and loaded into the kernel as a Collection of live maps, programs and mmap'd variables.
 * @module
 */
export { CollectionSpec, type CollectionSpecOptions, VariableSpec } from "./spec.ts";
export { Collection, type CollectionOptions } from "./collection.ts";
export { type DataBacking, DataMemory, Variable } from "./variables.ts";
export { ArenaMemory } from "./arena-memory.ts";
export { DEFAULT_PIN_PATH } from "./create-maps.ts";
export { POISON_CALL_KFUNC_BASE, POISON_LDIMM64_MAP_BASE } from "./load-programs.ts";
export { kernStructOps, type KernStructOps, type StructOpsKernel, type StructOpsSlot, type StructOpsTarget } from "./struct-ops.ts";
