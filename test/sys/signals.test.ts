// Long bpf() commands survive signals: a verification of ~30 ms and a test run with a large
// repeat, under 1000 signals/s from a child process and under this runtime's own CPU profiler.
// Blocking signals around the call (src/sys/nosig.ts) must leave nothing to retry; the same storm
// without the mask shows it does interrupt the kernel, so these tests can fail.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BpfError, BpfProgram, Insn, ProgType } from "../../mod.ts";
import { masksSignals } from "../../src/sys/nosig.ts";
import { retryCount, setRetryWindow } from "../../src/sys/retry.ts";
import { describePriv, itPriv, missing, runtime } from "../helpers/env.ts";
import { calibrate, slowLoop } from "../helpers/slow-prog.ts";
import { buildStorm, caught, catchSignal, SIGNALS, startStorm, stormMissing } from "../helpers/storm.ts";
import { withoutMask } from "../helpers/unmasked.ts";

const root = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "..");
// The VMs emulate the CPU (~10x slower): fewer rounds there, each still ~30 ms of verifier.
const VM = process.env.TSBPF_VM === "1";
const LOADS = VM ? 10 : 100;
const RUNS = VM ? 5 : 20;
const HZ = 1000;
const TARGET_MS = 30;
// Without the mask every attempt fails under the storm: a short window keeps that part quick.
const UNMASKED_WINDOW_MS = 500;
// A profiled child under emulation takes minutes to start when the host is busy (seen: over 240 s).
const CHILD_TIMEOUT = VM ? 480_000 : 60_000;

/** Runs `fn` while the storm child kill()s this process HZ times a second. */
async function underStorm<T>(exe: string, fn: () => T): Promise<{ result: T; sent: number; rate: number }> {
  const storm = await startStorm(exe, process.pid, SIGNALS.SIGURG, HZ);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    await storm.stop();
    throw e;
  }
  const { sent, seconds } = await storm.stop();
  return { result, sent, rate: sent / seconds };
}

/** Runs `n` loads of slowLoop(iterations): how many failed, and the first error. */
function loads(iterations: number, n: number): { failures: number; error?: string } {
  const insns = slowLoop(iterations);
  let failures = 0;
  let error: string | undefined;
  for (let i = 0; i < n; i++) {
    try {
      BpfProgram.load({ type: ProgType.socket_filter, insns, logDisabled: true }).close();
    } catch (e) {
      failures++;
      error ??= (e as Error).message;
    }
  }
  return { failures, error };
}

const noStorm = stormMissing();
if (noStorm) console.warn(`skip: signals: a signal storm: ${noStorm}`);
(noStorm ? describe.skip : describePriv)(`signals: a signal storm from a child process${noStorm ? ` [skipped: ${noStorm}]` : ""}`, () => {
  let exe = "";
  let removeExe = (): void => {};
  let uncatch = (): void => {};
  let iterations = 0;
  beforeAll(() => {
    if (missing() || noStorm) return;
    ({ exe, remove: removeExe } = buildStorm());
    ({ iterations } = calibrate(TARGET_MS));
    uncatch = catchSignal("SIGURG");
  }, 240_000);
  afterAll(() => {
    uncatch();
    removeExe();
  });

  itPriv(`${LOADS} loads of a ~${TARGET_MS}-ms program: no failure, nothing to retry (${runtime})`, {}, async () => {
    expect(masksSignals()).toBe(true);
    expect(caught(SIGNALS.SIGURG), "the storm's signal has a handler here").toBe(true);
    const before = retryCount();
    const t = performance.now();
    const { result, sent, rate } = await underStorm(exe, () => loads(iterations, LOADS));
    const ms = (performance.now() - t) / LOADS;
    console.log(`signals: ${LOADS} masked loads of ${iterations} iterations (${ms.toFixed(1)} ms each) under ${sent} signals (${rate.toFixed(0)}/s): ${result.failures} failed, ${retryCount() - before} retries`);
    expect(result).toEqual({ failures: 0, error: undefined });
    expect(ms, "each load holds the verifier long enough for many signals").toBeGreaterThan(10);
    expect(retryCount() - before).toBe(0);
    expect(rate).toBeGreaterThan(VM ? 50 : 300);
  }, CHILD_TIMEOUT);

  itPriv(`without the mask the same storm interrupts the verifier: EAGAIN, retried (${runtime})`, {}, async () => {
    const before = retryCount();
    const old = setRetryWindow(UNMASKED_WINDOW_MS);
    try {
      const { result, sent } = await underStorm(exe, () => withoutMask(() => loads(iterations, 3)));
      console.log(`signals: 3 unmasked loads under ${sent} signals: ${result.failures} failed, ${retryCount() - before} retries; ${result.error ?? ""}`);
      expect(retryCount() - before).toBeGreaterThan(0);
      if (result.error !== undefined) expect(result.error).toMatch(/EAGAIN/);
    } finally {
      setRetryWindow(old);
    }
  }, CHILD_TIMEOUT);

  describePriv("progTestRun with a large repeat", () => {
    let prog: BpfProgram | undefined;
    let repeat = 0;
    const data = new Uint8Array(64);
    beforeAll(() => {
      if (missing()) return;
      prog = BpfProgram.load({ type: ProgType.socket_filter, insns: [Insn.mov("r0", 0), Insn.exit()] });
      // About 50 ms of repetitions: a signal every millisecond lands inside almost every run.
      const d = Math.max(1, prog.testRun({ data, repeat: 10_000 }).duration);
      repeat = Math.min(50_000_000, Math.round(50e6 / d));
    });
    afterAll(() => prog?.close());

    itPriv(`${RUNS} runs under the storm: no EINTR surfaces, nothing to retry (${runtime})`, {}, async () => {
        const before = retryCount();
      const { sent } = await underStorm(exe, () => {
        for (let i = 0; i < RUNS; i++) expect(prog!.testRun({ data, repeat }).retval).toBe(0);
      });
      console.log(`signals: ${RUNS} masked test runs of repeat ${repeat} under ${sent} signals: ${retryCount() - before} retries`);
      expect(retryCount() - before).toBe(0);
    }, CHILD_TIMEOUT);

    itPriv(`without the mask the storm interrupts test runs: EINTR, retried (${runtime})`, {}, async () => {
        const before = retryCount();
      const old = setRetryWindow(UNMASKED_WINDOW_MS);
      try {
        await underStorm(exe, () => withoutMask(() => {
          for (let i = 0; i < 3; i++) {
            try {
              prog!.testRun({ data, repeat });
            } catch (e) {
              expect(e).toBeInstanceOf(BpfError);
              expect((e as BpfError).code).toBe("EINTR");
            }
          }
        }));
        console.log(`signals: 3 unmasked test runs: ${retryCount() - before} retries`);
        expect(retryCount() - before).toBeGreaterThan(0);
      } finally {
        setRetryWindow(old);
      }
    }, CHILD_TIMEOUT);
  });
});

// The flags that turn on each runtime's own sampling profiler, writing into `dir`.
const profiler: Record<typeof runtime, (dir: string, child: string) => string[]> = {
  node: (dir, child) => ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--import", "tsx", child],
  bun: (dir, child) => ["--cpu-prof", `--cpu-prof-dir=${dir}`, child],
  deno: (dir, child) => ["run", "-A", `--v8-flags=--prof,--logfile=${join(dir, "v8.log")},--no-logfile-per-isolate`, child],
};

interface ChildReport { loads: number; failures: number; retries: number; masked: boolean; ms: number; error?: string }

describePriv("signals: under the runtime's own CPU profiler", { runtimeScenario: true }, () => {
  let iterations = 0;
  let dir = "";
  beforeAll(() => {
    if (missing()) return;
    ({ iterations } = calibrate(TARGET_MS));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the child under the profiler; its report, and the profile files it left in `dir`. */
  function profiled(env: Record<string, string>): { report: ChildReport; status: number | null; files: string[]; how: string } {
    dir = mkdtempSync(join(tmpdir(), "tsbpf-prof-"));
    const child = join(root, "test", "fixtures", "signals-child.ts");
    const r = spawnSync(process.execPath, profiler[runtime](dir, child), {
      cwd: root,
      encoding: "utf8",
      timeout: CHILD_TIMEOUT,
      env: { ...process.env, NO_COLOR: "1", TSBPF_SLOW_ITERATIONS: String(iterations), ...env },
    });
    const how = `exit ${r.status}, signal ${r.signal}, error ${r.error?.message}; stdout: ${r.stdout.slice(-1000)}; stderr: ${r.stderr.slice(-2000)}`;
    const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
    expect(line, how).toBeDefined();
    const files = readdirSync(dir);
    rmSync(dir, { recursive: true, force: true });
    dir = "";
    return { report: JSON.parse(line!) as ChildReport, status: r.status, files, how };
  }

  itPriv(`${LOADS} loads of a ~${TARGET_MS}-ms program: exits 0, no failure, no hang (${runtime})`, {}, () => {
    const { report, status, files, how } = profiled({ TSBPF_SLOW_LOADS: String(LOADS) });
    console.log(`signals: ${runtime} profiler: ${JSON.stringify(report)}; wrote ${files.join(", ")}`);
    expect(status, how).toBe(0); // not killed at the timeout: no hang
    expect(report, how).toMatchObject({ loads: LOADS, failures: 0, retries: 0, masked: true });
    expect(files.length, "the profiler ran and wrote its output").toBeGreaterThan(0);
  }, CHILD_TIMEOUT + 10_000);

  const unmasked = `without the mask the profiler's signals interrupt the verifier (${runtime})`;
  // A second child costs many seconds of start-up in the emulated VMs; the host run shows it.
  if (VM) {
    console.warn(`skip: ${unmasked}: in the VMs one profiled child is enough (the host run shows the unmasked case)`);
    it.skip(`${unmasked} [skipped: TSBPF_VM, one profiled child is enough there]`, () => {});
  }
  else itPriv(unmasked, {}, () => {
    const { report, how } = profiled({ TSBPF_SLOW_LOADS: "2", TSBPF_UNMASKED: "1", TSBPF_RETRY_WINDOW_MS: String(UNMASKED_WINDOW_MS) });
    console.log(`signals: ${runtime} profiler, unmasked: ${JSON.stringify(report)}`);
    expect(report.masked, how).toBe(false);
    expect(report.retries, how).toBeGreaterThan(0);
  }, CHILD_TIMEOUT + 10_000);
});
