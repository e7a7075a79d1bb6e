/**
 * What each errno means, in words: per kind of failure (ErrorKind), and where one command gives
 * an errno a more particular meaning, per command. Every kind has a text, so no message is a bare
 * "failed".
 * @module
 */
import type { ErrorKind } from "./errors.ts";

const TEXT: Readonly<Record<ErrorKind, string>> = {
  AccessDenied: "operation not permitted: bpf() needs root, or CAP_BPF (plus CAP_PERFMON or CAP_NET_ADMIN for tracing and networking programs); on kernels before 5.11 a low RLIMIT_MEMLOCK gives this error too",
  PermissionDenied: "permission denied (the file mode of a pinned object, an open's read/write flags, or a security module refused it)",
  BadFd: "bad file descriptor: not open, or not the kind of bpf object this command takes",
  NotFound: "no such element or object",
  SystemResources: "out of memory (kernel memory, or the memory cgroup's limit)",
  ReachedMaxEntries: "the map is full (max_entries reached), or an array index is past max_entries",
  FieldInAttrNeedsZeroing: "invalid argument: the fd is not a map, or a flag, size or attr field is one the kernel does not accept",
  MapTypeOrAttrInvalid: "invalid map type or attributes (key/value size, max_entries, flags)",
  UnsafeProgram: "the verifier rejected the program",
  InvalidProgram: "invalid program or load attributes",
  InvalidArgument: "invalid argument",
  AlreadyExists: "already exists",
  Busy: "busy: the object is in a state that forbids this now",
  WouldBlock: "try again: the kernel could not do it now (EAGAIN)",
  NoSpaceLeft: "no space left (a buffer given to the kernel is too small)",
  BadAddress: "bad address: the kernel could not read or write a buffer it was given",
  NotSupported: "not supported by this kernel or for this object",
  NotImplemented: "bpf() is not implemented by this kernel (CONFIG_BPF_SYSCALL)",
  ArgumentTooBig: "argument too big (or attr bytes this kernel does not know are non-zero)",
  NoDevice: "no such device (an ifindex, or the device the object is bound to)",
  ProcessNotFound: "no such process",
  ProcessFdQuotaExceeded: "too many open files: this process reached its RLIMIT_NOFILE (ulimit -n)",
  SystemFdQuotaExceeded: "too many open files in the system (fs.file-max)",
  OutOfRange: "a value is out of range",
  Interrupted: "interrupted by a signal before the command finished; it is safe to retry",
  NameTooLong: "a path or name is too long",
  NotDir: "a component of the path is not a directory",
  ReadOnlyFileSystem: "the filesystem is read-only",
  Unexpected: "an errno this command is not known to return",
};

// EPERM on an element write is usually a frozen or read-only map, not missing privileges.
const FROZEN = "operation not permitted: the map is frozen or read-only from user space, or the process lacks CAP_BPF";
const WRITE = { AccessDenied: FROZEN };
const NO_KEY = "no element with this key";
const BY_ID = { NotFound: "no object with this id" };

const CMD_TEXT: Readonly<Record<string, Readonly<Partial<Record<ErrorKind, string>>>>> = {
  map_create: {
    SystemResources: "out of memory for the map (about max_entries x value size), or the memory cgroup's limit",
    ArgumentTooBig: "key size, value size or max_entries too big for this map type (or attr bytes this kernel does not know are non-zero)",
    NotSupported: "this map type or one of its flags is not supported by this kernel",
  },
  map_lookup_elem: { NotFound: NO_KEY },
  map_update_elem: {
    ...WRITE,
    NotFound: `${NO_KEY} (BPF_EXIST updates only an existing one)`,
    AlreadyExists: "the key exists already (BPF_NOEXIST adds only a new one)",
  },
  map_delete_elem: {
    ...WRITE,
    NotFound: NO_KEY,
    FieldInAttrNeedsZeroing: "invalid argument: the fd is not a map, the map cannot delete elements (arrays), or an attr field is one the kernel does not accept",
  },
  map_get_next_key: { NotFound: "no key after this one" },
  map_lookup_and_delete_elem: { ...WRITE, NotFound: `${NO_KEY} (or the queue or stack is empty)` },
  map_freeze: { ...WRITE, Busy: "the map is frozen already, or mapped writable with mmap" },
  map_lookup_batch: { NotFound: "no more elements: the batch reached the end of the map" },
  map_lookup_and_delete_batch: { ...WRITE, NotFound: "no more elements: the batch reached the end of the map" },
  map_update_batch: WRITE,
  map_delete_batch: { ...WRITE, NotFound: "a key of the batch is not in the map" },
  prog_load: {
    ArgumentTooBig: "too many instructions for this kernel (or attr bytes it does not know are non-zero)",
    NoSpaceLeft: "the verifier log buffer is too small for the log",
  },
  btf_load: {
    InvalidArgument: "the BTF is malformed (the log, when asked for, says where)",
    NoSpaceLeft: "the BTF log buffer is too small for the log",
  },
  obj_pin: {
    AccessDenied: "operation not permitted: the path is not on a bpffs, or the process lacks CAP_BPF",
    AlreadyExists: "something is pinned at this path already",
    NotFound: "the directory of the path does not exist",
    InvalidArgument: "the fd is not a BPF map, program or link",
    BadFd: "the fd is not open",
  },
  obj_get: {
    NotFound: "nothing is pinned at this path",
    PermissionDenied: "permission denied: the path is not a pinned BPF object, or its file mode forbids this open",
  },
  obj_get_info_by_fd: { InvalidArgument: "the fd is not a BPF object, or the info buffer's size is refused", BadFd: "the fd is not open" },
  prog_get_fd_by_id: BY_ID,
  map_get_fd_by_id: BY_ID,
  btf_get_fd_by_id: BY_ID,
  link_get_fd_by_id: BY_ID,
  prog_run: {
    NotSupported: "this program type cannot be test-run (BPF_PROG_RUN)",
    NoSpaceLeft: "data_out or ctx_out is too small for what the program wrote",
  },
  prog_attach: { InvalidArgument: "the program's type or expected attach type does not fit this attach type or target" },
  prog_detach: { NotFound: "that program is not attached there" },
  prog_query: { InvalidArgument: "the target does not fit this attach type" },
  raw_tracepoint_open: {
    NotFound: "no such tracepoint",
    InvalidArgument: "the program is not a raw tracepoint or tracing program, or its attach target does not fit",
  },
  task_fd_query: {
    ProcessNotFound: "no process with this pid",
    BadFd: "the fd is not open in that process",
    NotFound: "nothing BPF is attached through that fd (it is not a perf event or raw tracepoint fd with a program)",
  },
  link_create: {
    InvalidArgument: "the program's type or expected attach type does not fit this attach type and target",
    BadFd: "the program or target fd is not open",
    AlreadyExists: "something is attached there already",
    Busy: "the target is busy: something attached there excludes this link",
  },
  link_update: { InvalidArgument: "the new program does not fit the link (type, expected attach type) or the flags" },
  link_detach: { NotSupported: "this link type cannot be detached", InvalidArgument: "the fd is not a link" },
  iter_create: { InvalidArgument: "the link is not an iterator link" },
  enable_stats: { InvalidArgument: "unknown stats type", Busy: "stats are being enabled or disabled concurrently" },
  token_create: { InvalidArgument: "the fd is not the root of a bpffs mounted with delegation options" },
  prog_bind_map: { InvalidArgument: "the fd is not a map, or the program cannot use it" },
};

/** What failure `kind` of bpf() command `cmd` means, in words. */
export function meaning(cmd: string, kind: ErrorKind): string {
  return CMD_TEXT[cmd]?.[kind] ?? TEXT[kind];
}

// Syscalls other than bpf(): the kind's text, except where that speaks of bpf().
const SYSCALL_TEXT: Readonly<Partial<Record<ErrorKind, string>>> = {
  AccessDenied: "operation not permitted",
  PermissionDenied: "permission denied",
  BadFd: "bad file descriptor: not open",
  NotFound: "no such file, directory or object",
  NotImplemented: "not implemented by this kernel",
  NoSpaceLeft: "no space left",
  ArgumentTooBig: "argument too big",
  Unexpected: "an errno this library has no words for (see errno(3))",
};

/** What failure `kind` of syscall `name` (mount, perf_event_open, ...) means, in words. */
export function syscallMeaning(kind: ErrorKind): string {
  return SYSCALL_TEXT[kind] ?? TEXT[kind];
}
