/**
 * Errors: every failed bpf() call throws a `BpfError` carrying the errno, its name, the command,
 * and a `kind` - the name Zig's std.os.linux.BPF gives that errno on that command. Bad input found
 * before any syscall is a plain TypeError or RangeError that says what was wrong.
 * @module
 */
import { Errno } from "./constants/errno.gen.ts";

/** ENOTSUPP: kernel-internal (include/linux/errno.h), yet bpf() returns it for unsupported features. */
export const ENOTSUPP = 524;

const NAMES: string[] = [];
for (const [name, n] of Object.entries(Errno)) NAMES[n] ??= name; // first name wins: EAGAIN over EWOULDBLOCK
Object.assign(NAMES, { 512: "ERESTARTSYS", 513: "ERESTARTNOINTR", 514: "ERESTARTNOHAND", 515: "ENOIOCTLCMD", 516: "ERESTART_RESTARTBLOCK", 517: "EPROBE_DEFER", 518: "EOPENSTALE", 519: "ENOPARAM", 521: "EBADHANDLE", 522: "ENOTSYNC", 523: "EBADCOOKIE", [ENOTSUPP]: "ENOTSUPP", 525: "ETOOSMALL", 526: "ESERVERFAULT", 527: "EBADTYPE", 528: "EJUKEBOX", 529: "EIOCBQUEUED", 530: "ERECALLCONFLICT" });

/** The symbolic name of an errno value ("ENOENT"), or "E<n>" for an unknown one. */
export function errnoName(errno: number): string {
  return NAMES[errno] ?? `E${errno}`;
}

/** Kinds of failure, named as Zig's BPF wrappers name their errors. */
export type ErrorKind =
  | "AccessDenied" | "PermissionDenied" | "BadFd" | "NotFound" | "SystemResources" | "ReachedMaxEntries"
  | "FieldInAttrNeedsZeroing" | "MapTypeOrAttrInvalid" | "UnsafeProgram" | "InvalidProgram" | "InvalidArgument"
  | "AlreadyExists" | "Busy" | "WouldBlock" | "NoSpaceLeft" | "BadAddress" | "NotSupported" | "NotImplemented"
  | "ArgumentTooBig" | "NoDevice" | "ProcessNotFound" | "ProcessFdQuotaExceeded" | "SystemFdQuotaExceeded"
  | "OutOfRange" | "Interrupted" | "NameTooLong" | "NotDir" | "ReadOnlyFileSystem" | "Unexpected";

// EPERM on an element write is usually a frozen or read-only map, not missing privileges.
const ELEM_WRITE = new Set(["map_update_elem", "map_delete_elem", "map_lookup_and_delete_elem", "map_update_batch", "map_delete_batch", "map_lookup_and_delete_batch", "map_freeze"]);

const DEFAULT_KINDS: Readonly<Record<number, ErrorKind>> = {
  [Errno.EPERM]: "AccessDenied", [Errno.EACCES]: "PermissionDenied", [Errno.EBADF]: "BadFd", [Errno.EBADFD]: "BadFd", [Errno.ENOENT]: "NotFound",
  [Errno.ENOMEM]: "SystemResources", [Errno.E2BIG]: "ArgumentTooBig", [Errno.EINVAL]: "InvalidArgument",
  [Errno.EEXIST]: "AlreadyExists", [Errno.EBUSY]: "Busy", [Errno.EAGAIN]: "WouldBlock", [Errno.ENOSPC]: "NoSpaceLeft",
  [Errno.EFAULT]: "BadAddress", [Errno.EOPNOTSUPP]: "NotSupported", [ENOTSUPP]: "NotSupported",
  [Errno.ENOSYS]: "NotImplemented", [Errno.ENODEV]: "NoDevice", [Errno.ENXIO]: "NoDevice", [Errno.ESRCH]: "ProcessNotFound",
  [Errno.EMFILE]: "ProcessFdQuotaExceeded", [Errno.ENFILE]: "SystemFdQuotaExceeded", [Errno.ERANGE]: "OutOfRange",
  [Errno.EINTR]: "Interrupted", [Errno.ENAMETOOLONG]: "NameTooLong", [Errno.ENOTDIR]: "NotDir", [Errno.EROFS]: "ReadOnlyFileSystem",
};

// Where Zig's wrappers name an errno differently on a given command.
const ELEM: Readonly<Record<number, ErrorKind>> = { [Errno.EINVAL]: "FieldInAttrNeedsZeroing" };
const CMD_KINDS: Readonly<Record<string, Readonly<Record<number, ErrorKind>>>> = {
  map_create: { [Errno.EINVAL]: "MapTypeOrAttrInvalid" },
  map_lookup_elem: ELEM,
  map_update_elem: { ...ELEM, [Errno.E2BIG]: "ReachedMaxEntries" },
  map_delete_elem: ELEM,
  map_get_next_key: ELEM,
  map_lookup_and_delete_elem: ELEM,
  prog_load: { [Errno.EACCES]: "UnsafeProgram", [Errno.EINVAL]: "InvalidProgram" },
};

/** The kind Zig's wrappers give `errno` on command `cmd` ("map_update_elem", E2BIG -> "ReachedMaxEntries"). */
export function errorKind(cmd: string, errno: number): ErrorKind {
  return CMD_KINDS[cmd]?.[errno] ?? DEFAULT_KINDS[errno] ?? "Unexpected";
}

const TEXT: Readonly<Partial<Record<ErrorKind | "FrozenOrReadOnly", string>>> = {
  AccessDenied: "operation not permitted: bpf() needs root, or CAP_BPF (plus CAP_PERFMON or CAP_NET_ADMIN for tracing and networking programs); on kernels before 5.11 a low RLIMIT_MEMLOCK gives this error too",
  FrozenOrReadOnly: "operation not permitted: the map is frozen or read-only from user space, or the process lacks CAP_BPF",
  PermissionDenied: "permission denied",
  BadFd: "bad file descriptor: not open, or not the kind of bpf object this command takes",
  NotFound: "no such element or object",
  SystemResources: "out of memory",
  ReachedMaxEntries: "the map is full (max_entries reached)",
  FieldInAttrNeedsZeroing: "invalid argument: a flag, size or attr field the kernel does not accept",
  MapTypeOrAttrInvalid: "invalid map type or attributes (key/value size, max_entries, flags)",
  UnsafeProgram: "the verifier rejected the program",
  InvalidProgram: "invalid program or load attributes",
  InvalidArgument: "invalid argument",
  AlreadyExists: "already exists",
  Busy: "busy",
  WouldBlock: "try again",
  NoSpaceLeft: "no space left (a buffer given to the kernel is too small)",
  BadAddress: "bad address",
  NotSupported: "not supported by this kernel or for this object",
  NotImplemented: "bpf() is not implemented by this kernel (CONFIG_BPF_SYSCALL)",
  ArgumentTooBig: "argument too big (or attr bytes this kernel does not know are non-zero)",
};

/** Extra detail a caller may attach to a BpfError. */
export interface BpfErrorDetail {
  /** The verifier or BTF log text, when a log buffer was given. */
  log?: string;
  /** More context for the message (the path, the id). */
  context?: string;
  /** Overrides the kind derived from the command and errno. */
  kind?: ErrorKind;
}

/** A failed bpf() command: errno, its name, the command, and Zig's name for the failure. */
export class BpfError extends Error {
  /** The errno value (positive). */
  readonly errno: number;
  /** The errno name, e.g. "ENOENT". */
  readonly code: string;
  /** The command, e.g. "map_lookup_elem" (Cmd names). */
  readonly cmd: string;
  /** Zig's error name for this errno on this command, e.g. "NotFound". */
  readonly kind: ErrorKind;
  /** Verifier or BTF log text, when the call was given a log buffer. */
  readonly log?: string;

  /** An error for `cmd` failing with `errno`. */
  constructor(cmd: string, errno: number, detail: BpfErrorDetail = {}) {
    const code = errnoName(errno);
    const kind = detail.kind ?? errorKind(cmd, errno);
    const what = (kind === "AccessDenied" && ELEM_WRITE.has(cmd) ? TEXT.FrozenOrReadOnly : TEXT[kind]) ?? "failed";
    super(`bpf(${cmd}): ${code} (${kind}): ${what}${detail.context ? ` [${detail.context}]` : ""}`);
    this.name = "BpfError";
    this.errno = errno;
    this.code = code;
    this.cmd = cmd;
    this.kind = kind;
    if (detail.log !== undefined) this.log = detail.log;
  }
}

/** An error from a syscall other than bpf() (mount, perf_event_open, ...), with errno and its name. */
export class SyscallError extends Error {
  /** The errno value (positive). */
  readonly errno: number;
  /** The errno name, e.g. "EBUSY". */
  readonly code: string;
  /** The syscall, e.g. "mount". */
  readonly syscall: string;

  /** An error for `syscall` failing with `errno`. */
  constructor(syscall: string, errno: number, context?: string) {
    const code = errnoName(errno);
    super(`${syscall}: ${code}${context ? ` [${context}]` : ""}`);
    this.name = "SyscallError";
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
  }
}
