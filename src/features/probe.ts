/**
 * What every feature probe shares: the per-process answer cache, the FeatureError for answers a
 * probe cannot give, and the one-line "load this and see" helpers over bpf().
 * @module
 */
import { Errno } from "../uapi/errno.gen.ts";
import { progLoad, type ProgLoadOptions } from "../cmd/prog.ts";
import { close } from "../cmd/fd.ts";
import { BpfError, errnoName, FeatureError } from "../errors.ts";
import { ensureMemlock } from "../sys/rlimit.ts";

// FeatureError lives with the other errors (src/errors.ts), so that live objects can throw it too.
export { FeatureError };

const answers = new Map<string, boolean>();

/** The cached answer for `key`, or runs `probe` once (memlock raised first where needed) and caches it. */
export function cached(key: string, probe: () => boolean): boolean {
  const hit = answers.get(key);
  if (hit !== undefined) return hit;
  ensureMemlock();
  let yes: boolean;
  try {
    yes = probe();
  } catch (e) {
    throw e instanceof FeatureError || e instanceof TypeError || e instanceof RangeError ? e : new FeatureError(key, e);
  }
  answers.set(key, yes);
  return yes;
}

/** Forgets every cached answer (for tests that swap the backend). */
export function clearFeatureCache(): void {
  answers.clear();
}

/** The errno a BpfError carries; any other error is rethrown. */
export function errnoOf(e: unknown): number {
  if (e instanceof BpfError) return e.errno;
  throw e;
}

/** The outcome of loading a probe program: success, or the errno and verifier log. */
export interface ProbeLoad {
  /** 0 when the program loaded, else the errno. */
  errno: number;
  /** The verifier log (with `log: true`). */
  log: string;
}

/** Loads (and at once closes) a probe program; never throws a BpfError. */
export function tryLoad(type: number, insns: Uint8Array, opts: Omit<ProgLoadOptions, "log"> & { log?: boolean } = {}): ProbeLoad {
  const { log, ...rest } = opts;
  const buf = log ? new Uint8Array(new ArrayBuffer(16 * 1024)) : undefined;
  try {
    close(progLoad(type, insns, { ...rest, license: rest.license ?? "GPL", log: buf ? { level: 1, buf } : undefined }));
    return { errno: 0, log: "" };
  } catch (e) {
    return { errno: errnoOf(e), log: (e as BpfError).log ?? "" };
  }
}

/**
 * Yes on success; no for EINVAL (unknown type, command or opcode) and E2BIG (attr bytes the
 * kernel does not know); anything else is not an answer.
 */
export function verdict(errno: number, what: string, cmd: string): boolean {
  if (errno === 0) return true;
  if (errno === Errno.EINVAL || errno === Errno.E2BIG) return false;
  throw new FeatureError(what, new BpfError(cmd, errno, { context: `${errnoName(errno)} is not a yes or no` }));
}
