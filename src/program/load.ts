/**
 * BPF_PROG_LOAD with the verifier log handled: the first load asks for no log (the fast path);
 * a failure is loaded again with one, growing the buffer while the kernel says ENOSPC - to the
 * exact size on kernels that report `log_true_size` (6.4+), x4 elsewhere - up to a cap. Signals
 * are blocked around each load (sys/nosig.ts); an EAGAIN they cause anyway is retried under the
 * one time-bounded policy (sys/retry.ts).
 * @module
 */
import { Cmd } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { u32Arg } from "../cmd/args.ts";
import { checkProgLoadOptions, fillProgLoad, type ProgLoadOptions } from "../cmd/prog.ts";
import { BpfError } from "../errors.ts";
import { memlockHint } from "../sys/rlimit.ts";
import { Attr, cString } from "../sys/attr.ts";
import { ProgLoadAttr } from "../uapi/layout.gen.ts";
import { bpfNoSignals } from "../sys/nosig.ts";
import { retryInterrupted } from "../sys/retry.ts";
import { cStringAt } from "../util/text.ts";
import { MAX_INSNS_UNPRIVILEGED } from "./insns.ts";
import { VerifierError } from "./verifier-error.ts";
import { admitFd } from "../sys/fd-reserve.ts";

/** Attributes of BPF_PROG_LOAD other than the log (the low-level progLoad's options). */
export type LoadAttrs = Omit<ProgLoadOptions, "log">;

/** How the verifier log is requested. */
export interface LogPolicy {
  /** log_level for the load (1 basic, 2 verbose, 4 stats; or'ed). Non-zero asks for a log even on success. */
  logLevel?: number;
  /** First log buffer size in bytes (default 64 KiB, at least 128). */
  logSize?: number;
  /** Largest log buffer to grow to (default 16 MiB; the kernel allows up to 1 GiB - 1). */
  logSizeMax?: number;
  /** Never retry with a log: a failure is a plain BpfError. */
  logDisabled?: boolean;
}

/** A loaded program's fd, and the log when one was asked for. */
export interface Loaded {
  /** The new program fd. */
  fd: number;
  /** Verifier log text, when logLevel was given. */
  log?: string;
}

const LOG_DEFAULT = 64 * 1024;
const LOG_MIN = 128;
const LOG_CAP = 16 * 1024 * 1024;
const LOG_KERNEL_MAX = 0xffffffff >>> 2; // bpf_verifier_log_attr_valid(): len_total <= UINT_MAX >> 2

const attr = new Attr(ProgLoadAttr.size);

/** One load: the result (fd or -errno) and, on 6.4+ kernels, the size the whole log needs. */
function attempt(type: number, code: Uint8Array, license: Uint8Array, o: LoadAttrs, log: { level: number; buf: Uint8Array } | null): { rc: number; trueSize: number } {
  const opts = log === null ? o : { ...o, log };
  const rc = retryInterrupted(() => bpfNoSignals(Cmd.prog_load, fillProgLoad(attr, type, code, license, opts), ProgLoadAttr.size));
  return { rc, trueSize: attr.getU32(ProgLoadAttr.fields.log_true_size.off) };
}

function plainError(errno: number, code: Uint8Array, context: string): BpfError {
  const n = code.length / 8;
  const e = new BpfError("prog_load", errno, { context });
  if (errno === Errno.E2BIG && n > MAX_INSNS_UNPRIVILEGED) {
    e.message += `; ${n} instructions exceed BPF_MAXINSNS (${MAX_INSNS_UNPRIVILEGED}), the limit without CAP_BPF/CAP_SYS_ADMIN and before Linux 5.2`;
  }
  return memlockHint(e) as BpfError;
}

function checkSize(v: number, what: string): number {
  if (!Number.isInteger(v) || v < LOG_MIN || v > LOG_KERNEL_MAX) throw new RangeError(`${what} must be an integer in [${LOG_MIN}, ${LOG_KERNEL_MAX}], got ${v}`);
  return v;
}

/**
 * Loads a program of `type` from `code`: no log first, then - on failure - again with one, which
 * is returned inside a VerifierError. Throws a plain BpfError for EPERM (privileges or memlock)
 * and where the kernel wrote no log.
 */
export function loadWithLog(type: number, code: Uint8Array, license: string, o: LoadAttrs & LogPolicy, context: string): Loaded {
  checkProgLoadOptions(type, o);
  const lic = cString(license);
  const level = u32Arg(o.logLevel ?? 0, "log level");
  let size = checkSize(o.logSize ?? LOG_DEFAULT, "logSize");
  const max = Math.max(size, checkSize(o.logSizeMax ?? LOG_CAP, "logSizeMax"));
  let firstErrno = 0;
  if (level === 0) {
    const first = attempt(type, code, lic, o, null);
    if (first.rc >= 0) return { fd: admitFd("prog_load", first.rc) };
    firstErrno = -first.rc;
    // EPERM is decided before the verifier runs (capabilities, memlock): a log would be empty.
    // EAGAIN that outlasted the retry window would only repeat.
    if (o.logDisabled || first.rc === -Errno.EPERM || first.rc === -Errno.EAGAIN) throw plainError(firstErrno, code, context);
  }
  for (;;) {
    const buf = new Uint8Array(new ArrayBuffer(size));
    const r = attempt(type, code, lic, o, { level: level || 1, buf });
    const text = cStringAt(buf);
    if (r.rc >= 0) {
      const fd = admitFd("prog_load", r.rc);
      return level ? { fd, log: text } : { fd };
    }
    // ENOSPC with a full buffer is the log outgrowing it (on success and failure alike), unless a
    // 6.4+ kernel says the whole log fits: then it is the program's own error.
    const cut = r.rc === -Errno.ENOSPC && (r.trueSize > size || (r.trueSize === 0 && text.length >= size - 1));
    if (cut && size < max) {
      size = Math.min(max, r.trueSize > size ? r.trueSize : size * 4);
      continue;
    }
    // A truncated log hides the kernel's verdict behind ENOSPC; the log-less load still had it.
    const errno = cut && firstErrno !== 0 ? firstErrno : -r.rc;
    if (text.trim() === "") throw plainError(errno, code, context);
    throw new VerifierError(errno, text, { code, truncated: cut, context });
  }
}
