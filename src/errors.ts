/**
 * Errors: every failed bpf() call throws a `BpfError` carrying the errno, its name, the command,
 * and a `kind` - the name Zig's std.os.linux.BPF gives that errno on that command. Bad input found
 * before any syscall is a plain TypeError or RangeError that says what was wrong.
 * @module
 */
import { Errno } from "./uapi/errno.gen.ts";
import { meaning, syscallMeaning } from "./error-text.ts";
import { censusText } from "./fd-census.ts";

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

// Out of fds: say how many this library's objects hold, the usual cause being objects never closed.
function withCensus(errno: number, what: string): string {
  return errno === Errno.EMFILE || errno === Errno.ENFILE ? `${what}; ${censusText()}` : what;
}

/** Extra detail a caller may attach to a BpfError. */
export interface BpfErrorDetail {
  /** The verifier or BTF log text, when a log buffer was given. */
  log?: string;
  /** More context for the message (the path, the id). */
  context?: string;
  /** What the failure means here, in place of the errno's usual meaning ("fd 5 is not a BPF map (it is /etc/passwd)"). */
  what?: string;
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
    const what = withCensus(errno, detail.what ?? meaning(cmd, kind));
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
    const what = withCensus(errno, syscallMeaning(DEFAULT_KINDS[errno] ?? "Unexpected"));
    super(`${syscall}: ${code}: ${what}${context ? ` [${context}]` : ""}`);
    this.name = "SyscallError";
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
  }
}

/** The kernel release and build option a missing feature needs. */
export interface FeatureNeeds {
  /** First mainline release with it, "major.minor". */
  readonly version: string;
  /** A kernel config option it needs as well (CONFIG_KPROBES, CONFIG_FPROBE), when a build may leave it out. */
  readonly config?: string;
}

/**
 * A feature the library cannot use here: either a probe could not tell whether the kernel has it
 * (missing privileges, an errno no kernel should give; `needs` is undefined), or the running
 * kernel lacks it (an attach kind, a link type): then `needs` names the release and config option
 * it takes, as cilium/ebpf's "not supported, requires X.Y".
 */
export class FeatureError extends Error {
  /** The feature asked about, e.g. "map type ringbuf", "kprobe_multi links". */
  readonly feature: string;
  /** The underlying error. */
  override readonly cause: unknown;
  /** What the feature needs, when the kernel was found to lack it. */
  readonly needs?: FeatureNeeds;

  /**
   * An error probing `feature`, caused by `cause`; with `needs`, the kernel's lack of `feature`
   * (`cause` then says how it showed: the errno, a missing file).
   */
  constructor(feature: string, cause: unknown, needs?: FeatureNeeds) {
    super(needs ? missingText(feature, cause, needs) : probeText(feature, cause));
    this.name = "FeatureError";
    this.feature = feature;
    this.cause = cause;
    if (needs) this.needs = needs;
  }
}

function probeText(feature: string, cause: unknown): string {
  const why = cause instanceof BpfError && cause.errno === Errno.EPERM
    ? "bpf() said EPERM: the process lacks CAP_BPF (with CAP_PERFMON for tracing types, CAP_NET_ADMIN for networking ones), " +
      "or a security policy of this system forbids it (some refuse trampoline-based programs: fentry, LSM, extensions)"
    : cause instanceof Error ? cause.message : String(cause);
  return `cannot probe ${feature}: ${why}`;
}

function missingText(feature: string, cause: unknown, needs: FeatureNeeds): string {
  const how = cause instanceof Error ? cause.message : cause === undefined ? "" : String(cause);
  const config = needs.config ? ` built with ${needs.config}` : "";
  return `${feature} not supported by the running kernel: needs Linux ${needs.version}+${config}${how ? ` (${how})` : ""}`;
}
