/**
 * The program every attach test runs: it adds 1 to counts[0] when the current process is this
 * one (and, for syscall hooks given `syscallArg`, when the syscall is getpid), so that what other
 * processes do never counts. Built with the library's ProgramBuilder.
 */
import { expect } from "vitest";
import {
  type BpfLink, BpfMap, Btf, BtfKind, type BuiltProgram, BpfProgram, currentPid, FeatureError, Insn, linuxArch, MapType, program, type ProgramSpec, syscallNumbers, u32, u64,
} from "../../mod.ts";
import { thrown } from "../helpers/expect.ts";
import { openFds } from "../helpers/fds.ts";

/** getpid's number here: the syscall the tests make to fire their hooks. */
export const GETPID: number = syscallNumbers(linuxArch(process.arch)).getpid;

/** The kernel's getpid entry point (the pt_regs wrapper since 4.17): kprobes and fentry attach there. */
export const GETPID_SYMBOL: string = process.arch === "arm64" ? "__arm64_sys_getpid" : "__x64_sys_getpid";

/** getpid's function in the kernel's BTF: the syscall's entry, or its body where only that has BTF. */
export function getpidTarget(): string {
  const btf = Btf.kernel();
  const isFunc = (n: string) => btf.findIds(n).some((id) => btf.kindNumberOf(id) === BtfKind.func);
  return [GETPID_SYMBOL, "__do_sys_getpid"].find(isFunc) ?? GETPID_SYMBOL;
}

/** A one-element u64 array map of counts. */
export type Counts = BpfMap<number, bigint, number, number | bigint>;

/** A new counts map; close it (or `using`). */
export function countsMap(): Counts {
  return BpfMap.create({ type: MapType.array, key: u32, value: u64, maxEntries: 1 });
}

/**
 * The counter's instructions. `syscallArg`: the ctx offset of the syscall id (raw_tp and tp_btf
 * sys_enter: args[1], at 8), counted only when it is getpid.
 */
export function counterInsns(syscallArg?: number): BuiltProgram {
  const b = program().emit(Insn.mov("r6", "r1"), Insn.call("get_current_pid_tgid"), Insn.rsh("r0", 32));
  b.jmp("jne", "r0", currentPid(), "out");
  if (syscallArg !== undefined) b.emit(Insn.ldx("double_word", "r1", "r6", syscallArg)).jmp("jne", "r1", GETPID, "out");
  return b
    .emit(Insn.st("word", "r10", -4, 0), Insn.mov("r2", "r10"), Insn.add("r2", -4))
    .ldMap("r1", "counts")
    .emit(Insn.call("map_lookup_elem"))
    .jmp("jeq", "r0", 0, "out")
    .emit(Insn.mov("r1", 1), Insn.xadd("r0", "r1"))
    .label("out")
    .emit(Insn.mov("r0", 0), Insn.exit())
    .finish();
}

/** Loads the counter as `spec` says (type, attach type, target), counting into `counts`. */
export function loadCounter(counts: Counts, spec: Omit<ProgramSpec, "insns" | "maps">, syscallArg?: number): BpfProgram {
  return BpfProgram.load({ name: "counter", ...spec, insns: counterInsns(syscallArg), maps: { counts } });
}

/** Calls getpid(2) `n` times through the backend (libc and runtimes may cache the pid). */
export function getpids(n: number): void {
  for (let i = 0; i < n; i++) currentPid();
}

/** counts[0]. */
export function count(counts: Counts): bigint {
  return counts.get(0) ?? 0n;
}

/**
 * A program that is no longer (or not yet) in the path does not count `fire`'s hits. The count
 * is taken first, not assumed 0: a namespace's own traffic (IPv6 neighbour discovery when a veth
 * comes up) may have been counted while the program was attached.
 */
export function expectNotCounting(counts: Counts, fire: (n: number) => void, n = 5): void {
  const before = settledCount(counts);
  fire(n);
  expect(settledCount(counts)).toBe(before);
}

const pause = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread for `ms` (no event loop turn: the attach tests are synchronous). */
function sleepMs(ms: number): void {
  Atomics.wait(pause, 0, 0, ms);
}

/**
 * counts[0] once it has held still for 10 ms (at most `ms`): a packet a veth hands to its peer is
 * received in a softirq that a loaded machine defers to ksoftirqd, after the sender has returned.
 */
export function settledCount(counts: Counts, ms = 2000): bigint {
  const end = Date.now() + ms;
  let c = count(counts);
  for (;;) {
    sleepMs(10);
    const now = count(counts);
    if (now === c || Date.now() > end) return now;
    c = now;
  }
}

/** Waits (at most `ms`) until counts[0] reaches `atLeast`; returns the count then. */
export function countReaching(counts: Counts, atLeast: bigint, ms = 5000): bigint {
  const end = Date.now() + ms;
  for (;;) {
    const c = count(counts);
    if (c >= atLeast || Date.now() > end) return c;
    sleepMs(2);
  }
}

/**
 * The check every attach test ends with: 20 hits while attached count at least 20 (our own other
 * threads may add some); once `stop()` detached or closed the link, more hits leave it unchanged.
 */
export function expectCounting(counts: Counts, fire: (n: number) => void, stop: () => void): void {
  const before = count(counts);
  fire(20);
  expect(countReaching(counts, before + 20n) - before).toBeGreaterThanOrEqual(20n);
  stop();
  const frozen = settledCount(counts);
  fire(20);
  expect(settledCount(counts)).toBe(frozen);
}

/** A program that stores bpf_get_attach_cookie(ctx) in counts[0] when this process hits the hook. */
export function cookieInsns(): BuiltProgram {
  return program()
    .emit(Insn.mov("r6", "r1"), Insn.call("get_current_pid_tgid"), Insn.rsh("r0", 32))
    .jmp("jne", "r0", currentPid(), "out")
    .emit(Insn.mov("r1", "r6"), Insn.call("get_attach_cookie"), Insn.mov("r7", "r0"))
    .emit(Insn.st("word", "r10", -4, 0), Insn.mov("r2", "r10"), Insn.add("r2", -4))
    .ldMap("r1", "counts")
    .emit(Insn.call("map_lookup_elem"))
    .jmp("jeq", "r0", 0, "out")
    .emit(Insn.stx("double_word", "r0", 0, "r7"))
    .label("out")
    .emit(Insn.mov("r0", 0), Insn.exit())
    .finish();
}

/** Perf event fds open in this process (anon_inode:[perf_event]): a failed attach must leave none behind. */
export function perfFds(): number {
  return openFds().filter(([, target]) => target === "anon_inode:[perf_event]").length;
}

/**
 * Waits until `fire` no longer counts (a link whose last reference went with a pin is freed after
 * an RCU grace period on older kernels, slow under emulation), then checks that it stays so.
 */
export async function expectStopsCounting(counts: Counts, fire: (n: number) => void, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const c = count(counts);
    fire(5);
    if (count(counts) === c || Date.now() > end) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const frozen = count(counts);
  fire(20);
  expect(count(counts)).toBe(frozen);
}

/** An attachment without a bpf_link refuses pin() with a FeatureError; returns it for more checks. */
export function expectPinRefused(a: BpfLink): FeatureError {
  return thrown(() => a.pin("/sys/fs/bpf/tsbpf-never"), FeatureError);
}
