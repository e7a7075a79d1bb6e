/**
 * bpf() with the maskable signals blocked, for the commands a pending signal aborts
 * (BPF_PROG_LOAD, BPF_BTF_LOAD, BPF_PROG_TEST_RUN): a profiler's sampling signal or a signal storm
 * would otherwise fail a long verification with EAGAIN every time. Block, bpf(), restore happen in
 * ONE native call - a few bytes of machine code (nosig.<arch>.s) in memory mapped executable -
 * because a JS gap between two FFI calls with signals blocked deadlocks JSC's sampler, which
 * suspends the thread with a signal and waits. A process-directed signal goes to another of the
 * runtime's threads meanwhile, or stays pending until the mask is back: none is lost.
 * @module
 */
import type { Attr } from "./attr.ts";
import { type Backend, getBackend } from "./backend.ts";
import { bpfRaw, checkAttrSize } from "./bpf.ts";
import { syscallNumbers } from "./nr.ts";

// nosig.x86_64.s and nosig.aarch64.s assembled; test/sys/signals.test.ts checks they still match.
const CODE: Record<string, string> = {
  x86_64: "53 41 54 41 55 41 56 49 89 fc 49 89 f5 49 89 d6 48 89 cb b8 0e 00 00 00 31 ff 48 89 de 48 8d 53 08 " +
    "41 ba 08 00 00 00 0f 05 b8 41 01 00 00 4c 89 e7 4c 89 ee 4c 89 f2 0f 05 49 89 c4 b8 0e 00 00 00 bf 02 00 " +
    "00 00 48 8d 73 08 31 d2 41 ba 08 00 00 00 0f 05 4c 89 e0 41 5e 41 5d 41 5c 5b c3",
  aarch64: "e9 03 00 aa ea 03 01 aa eb 03 02 aa ec 03 03 aa e8 10 80 d2 00 00 80 d2 e1 03 0c aa 82 21 00 91 " +
    "03 01 80 d2 01 00 00 d4 08 23 80 d2 e0 03 09 aa e1 03 0a aa e2 03 0b aa 01 00 00 d4 ed 03 00 aa e8 10 80 d2 " +
    "40 00 80 d2 81 21 00 91 02 00 80 d2 03 01 80 d2 01 00 00 d4 e0 03 0d aa c0 03 5f d6",
};

/** The trampoline's machine code for `arch` ("x86_64", "aarch64"), or null for another. */
export function nosigCode(arch: string): Uint8Array | null {
  const hex = CODE[arch];
  return hex === undefined ? null : new Uint8Array(hex.split(" ").map((h) => parseInt(h, 16)));
}

// Left unblocked: SIGKILL and SIGSTOP cannot be blocked; a blocked fault signal (SIGILL, SIGTRAP,
// SIGBUS, SIGFPE, SIGSEGV, SIGSYS) raised by the thread itself kills the process; glibc's 32 and
// 33 (thread cancellation, setxid) must reach every thread or another thread's setuid() waits.
const UNBLOCKED = [4, 5, 7, 8, 9, 11, 19, 31, 32, 33];

/** The signal set (bit n-1 for signal n, as rt_sigprocmask takes it) blocked around the call. */
export const BLOCKED_SIGNALS: bigint = UNBLOCKED.reduce((set, sig) => set & ~(1n << BigInt(sig - 1)), (1n << 64n) - 1n);

// One unit for both mappings: mprotect works on whole pages, and 64 KiB is a multiple of every
// page size aarch64 kernels use (4K, 16K, 64K).
const GRANULE = 65536;
const PROT_READ = 1;
const PROT_WRITE = 2;
const PROT_EXEC = 4;
const MAP_PRIVATE = 2;
const MAP_ANONYMOUS = 0x20;

interface Trampoline {
  fn: (cmd: number, attr: number, size: number, masks: number) => number;
  masks: number;
}

// Per backend, null where it cannot be built (a fake without view/nativeFn4, another
// architecture, a system that forbids executable mappings): those calls go unmasked.
const built = new WeakMap<Backend, Trampoline | null>();

/**
 * Maps the code (written while RW, then made RX: never writable and executable at once) and a
 * separate RW granule for the masks. Never unmapped: 128 KiB once per backend. On aarch64 no
 * cache maintenance is needed: the kernel syncs the I-cache when a page first becomes
 * executable (__sync_icache_dcache in set_pte_at).
 */
function build(b: Backend): Trampoline | null {
  const code = nosigCode(b.arch);
  if (code === null || b.view === undefined || b.nativeFn4 === undefined) return null;
  const nr = syscallNumbers(b.arch);
  const base = b.syscall(nr.mmap, 0, 2 * GRANULE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base < 0) return null;
  new Uint8Array(b.view(base, code.length)).set(code);
  if (b.syscall(nr.mprotect, base, GRANULE, PROT_READ | PROT_EXEC) < 0) {
    b.syscall(nr.munmap, base, 2 * GRANULE);
    return null;
  }
  const masks = base + GRANULE;
  new DataView(b.view(masks, 16)).setBigUint64(0, BLOCKED_SIGNALS, true);
  return { fn: b.nativeFn4(base), masks };
}

function trampoline(b: Backend): Trampoline | null {
  let t = built.get(b);
  if (t === undefined) built.set(b, (t = build(b)));
  return t;
}

/** True when bpfNoSignals() blocks signals on backend `b` (the current one by default). */
export function masksSignals(b: Backend = getBackend()): boolean {
  return trampoline(b) !== null;
}

/**
 * bpf(cmd, attr, size) with every maskable signal blocked for the call's duration: the result,
 * or -errno. The plain bpfRaw() where the backend cannot run the trampoline.
 */
export function bpfNoSignals(cmd: number, attr: Attr, size: number): number {
  const b = getBackend();
  const t = trampoline(b);
  if (t === null) return bpfRaw(cmd, attr, size);
  checkAttrSize(cmd, attr, size);
  const rc = t.fn(cmd, attr.addr(b), size, t.masks);
  attr.release();
  return rc;
}
