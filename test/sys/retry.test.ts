// The one retry policy for EAGAIN/EINTR (src/sys/retry.ts), through fake backends: what is
// retried and what is not, the time bound, and that the loads and test runs all use it. Fakes
// have no view/nativeFn4, so these calls also exercise the unmasked fallback of bpfNoSignals.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Backend, BpfError, BpfProgram, btfLoad, Cmd, Errno, getBackend, Insn, progLoad, ProgType, progTestRun, setBackend } from "../../mod.ts";
import { masksSignals } from "../../src/sys/nosig.ts";
import { interrupted, RETRY_WINDOW_MS, retryCount, retryInterrupted, setRetryWindow } from "../../src/sys/retry.ts";

/**
 * A backend answering bpf() from `results` (then `rest`), recording the commands. Other commands
 * than `only` (feature probes the wrappers make first) succeed without using a result.
 */
function fake(results: number[], rest = 0, arch = "x86_64", only?: number): Backend & { cmds: number[] } {
  const cmds: number[] = [];
  return {
    name: "fake",
    arch,
    cmds,
    bpf(cmd) {
      if (only !== undefined && cmd !== only) return 0;
      cmds.push(cmd);
      return results.length ? results.shift()! : rest;
    },
    syscall: () => 0,
    address: () => 0x7f0000001000,
  };
}

const ret0 = [Insn.mov("r0", 0), Insn.exit()];

let real: Backend;
beforeEach(() => {
  real = getBackend();
});
afterEach(() => setBackend(real));

describe("retryInterrupted", () => {
  it("retries -EAGAIN and -EINTR, counting each retry, and returns the first other result", () => {
    const rcs = [-Errno.EAGAIN, -Errno.EINTR, -Errno.EAGAIN, 5];
    const before = retryCount();
    expect(retryInterrupted(() => rcs.shift()!)).toBe(5);
    expect(rcs).toEqual([]);
    expect(retryCount() - before).toBe(3);
  });

  it("does not retry success or any other errno", () => {
    for (const rc of [0, 7, -Errno.EINVAL, -Errno.EPERM, -Errno.ENOSPC, -Errno.EACCES, -Errno.E2BIG]) {
      let calls = 0;
      expect(retryInterrupted(() => (calls++, rc))).toBe(rc);
      expect(calls).toBe(1);
    }
    expect([interrupted(-Errno.EAGAIN), interrupted(-Errno.EINTR), interrupted(-Errno.EBUSY)]).toEqual([true, true, false]);
  });

  it("gives up after the window of wall time, pausing between attempts instead of spinning", () => {
    let calls = 0;
    const t = performance.now();
    expect(retryInterrupted(() => (calls++, -Errno.EAGAIN), 200)).toBe(-Errno.EAGAIN);
    const ms = performance.now() - t;
    expect(ms).toBeGreaterThanOrEqual(195);
    expect(ms).toBeLessThan(1500);
    // 1, 2, 4, 8 then 16-ms pauses: about 15 attempts in 200 ms, not a hot loop of thousands.
    expect(calls).toBeGreaterThan(5);
    expect(calls).toBeLessThan(40);
  });

  it("a window of 0 never retries; the default is RETRY_WINDOW_MS, seconds, not a count", () => {
    let calls = 0;
    expect(retryInterrupted(() => (calls++, -Errno.EINTR), 0)).toBe(-Errno.EINTR);
    expect(calls).toBe(1);
    expect(RETRY_WINDOW_MS).toBeGreaterThanOrEqual(1000);
    expect(() => setRetryWindow(-1)).toThrow(RangeError);
    expect(() => setRetryWindow(Number.NaN)).toThrow(RangeError);
  });
});

describe("the commands a signal interrupts use the policy", () => {
  it("a fake backend has no trampoline: calls reach its bpf() unmasked", () => {
    expect(masksSignals(fake([]))).toBe(false);
    expect(masksSignals(fake([], 0, "riscv64"))).toBe(false);
  });

  it("progLoad retries EAGAIN and EINTR far past the old 5 tries", () => {
    const f = fake([...Array(20).fill(-Errno.EAGAIN), -Errno.EINTR, 9]);
    setBackend(f);
    expect(progLoad(ProgType.socket_filter, ret0)).toBe(9);
    expect(f.cmds).toEqual(Array(22).fill(Cmd.prog_load));
  });

  it("progLoad reports an EAGAIN that outlasts the window, and never retries EINVAL", () => {
    const old = setRetryWindow(100);
    try {
      const f = fake([], -Errno.EAGAIN);
      setBackend(f);
      expect(() => progLoad(ProgType.socket_filter, ret0)).toThrow(expect.objectContaining({ code: "EAGAIN", kind: "WouldBlock" }));
      expect(f.cmds.length).toBeGreaterThan(2);
    } finally {
      setRetryWindow(old);
    }
    const g = fake([-Errno.EINVAL]);
    setBackend(g);
    expect(() => progLoad(ProgType.socket_filter, ret0)).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(g.cmds.length).toBe(1);
  });

  it("BpfProgram.load's loads retry under the same policy (the old 11-try loop is gone)", () => {
    const f = fake([...Array(15).fill(-Errno.EAGAIN), -Errno.EPERM], 0, "x86_64", Cmd.prog_load);
    setBackend(f);
    expect(() => BpfProgram.load({ type: ProgType.socket_filter, insns: ret0 })).toThrow(expect.objectContaining({ code: "EPERM" }));
    expect(f.cmds).toEqual(Array(16).fill(Cmd.prog_load));
  });

  it("progTestRun retries EINTR (a large repeat cut short) and reports others at once", () => {
    const f = fake([-Errno.EINTR, -Errno.EINTR, 0]);
    setBackend(f);
    expect(progTestRun(3, { data: new Uint8Array(64), repeat: 1_000_000 }).retval).toBe(0);
    expect(f.cmds).toEqual([Cmd.prog_test_run, Cmd.prog_test_run, Cmd.prog_test_run]);
    const g = fake([-Errno.ENOSPC]);
    setBackend(g);
    expect(() => progTestRun(3, { data: new Uint8Array(64) })).toThrow(BpfError);
    expect(g.cmds.length).toBe(1);
  });

  it("btfLoad retries EAGAIN", () => {
    const f = fake([-Errno.EAGAIN, 4]);
    setBackend(f);
    expect(btfLoad(new Uint8Array(24))).toBe(4);
    expect(f.cmds).toEqual([Cmd.btf_load, Cmd.btf_load]);
  });
});
