/**
 * Programs as objects: BpfProgram (load with the verifier log handled, pin, open by pin/id/fd,
 * list, info, test runs, close/dispose), VerifierError, and the socket calls a socket filter needs.
 * @module
 */
export { BpfProgram, BpfProgram as Program, type ProgramSpec, type ProgTypeLike } from "./program.ts";
export { type ProgramInfo, progTypeName } from "./info.ts";
export type { AttachTarget } from "./attach-target.ts";
export { type HasFd, type Instructions, type MapSymbols, MAX_INSNS, MAX_INSNS_UNPRIVILEGED, type ResolvableProgram } from "./insns.ts";
export type { LoadAttrs, LogPolicy } from "./load.ts";
export { type TestRunInput, type TestRunOutput } from "./test-run.ts";
export { VerifierError, type VerifierErrorDetail } from "./verifier-error.ts";
export {
  bind, getsockname, recvfrom, sendto, setReceiveTimeout, setsockopt, Sock, sockaddrIn, sockaddrPort, socket,
} from "../sys/socket.ts";
