/**
 * The syscall layer: the backend seam, attr buffers, generated layouts, the raw bpf() call.
 * @module
 */
export { type Backend, getBackend, peekBackend, setBackend, setBackendFactory } from "./backend.ts";
export { Attr, cString } from "./attr.ts";
export { bpfCall, bpfRaw, cmdName } from "./bpf.ts";
export type { Field, FieldType, Layout } from "../uapi/layout.gen.ts";
export * from "../uapi/layout.gen.ts";
export { linuxArch, type SyscallNumbers, syscallNumbers } from "./nr.ts";
export { keepAlive } from "./backend.ts";
export { decodeStruct, type FieldValue, readField } from "./decode.ts";
export { parseCpuList, possibleCpus } from "./cpus.ts";
export { fdTarget, readAll, readTextFile, sysClose } from "./syscalls.ts";
export { RETRY_WINDOW_MS, retryCount, setRetryWindow } from "./retry.ts";
export { type KernelConfigOptions, readKernelConfig } from "./kconfig.ts";
export { KconfigError, type KconfigErrorWhere, parseKernelConfig } from "../util/kconfig.ts";
export { KallsymsError, type KallsymsOptions, kernelSymbolAddress, kernelSymbolAddresses } from "./kallsyms.ts";
