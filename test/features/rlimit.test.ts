// RLIMIT_MEMLOCK: reading and setting it through prlimit64, telling memlock-charging kernels
// (before memcg_accounting's release) from memcg-accounting ones, raising it where needed, and the EPERM hint.
import { expect } from "vitest";
import {
  BpfError, BpfProgram, ensureMemlock, Errno, getMemlock, haveMemcgAccounting, Insn, memlockCharged, memlockHint, MISC_VERSIONS,
  ProgType, RLIM_INFINITY, setMemlock, SyscallError,
} from "../../mod.ts";
import { describePriv, itPriv, kernelAtLeast } from "../helpers/env.ts";

/** Runs fn with the soft limit at `soft`, restoring the old limit afterwards. */
function withSoftLimit<T>(soft: bigint, fn: () => T): T {
  const old = getMemlock();
  setMemlock({ soft, hard: old.hard });
  try {
    return fn();
  } finally {
    setMemlock(old);
  }
}

describePriv("RLIMIT_MEMLOCK", () => {
  itPriv("getMemlock and setMemlock round-trip", () => {
    const old = getMemlock();
    expect(typeof old.soft).toBe("bigint");
    expect(old.soft <= old.hard).toBe(true);
    const soft = old.hard < 1_048_576n ? old.hard / 2n : 1_048_576n;
    withSoftLimit(soft, () => expect(getMemlock()).toEqual({ soft, hard: old.hard }));
    expect(getMemlock()).toEqual(old);
    expect(() => setMemlock({ soft: 2n, hard: 1n })).toThrow(RangeError);
  });

  const memcg = MISC_VERSIONS.memcg_accounting.version;
  itPriv(`memlockCharged() is true exactly on kernels before ${memcg}`, () => {
    expect(memlockCharged()).toBe(!kernelAtLeast(memcg));
    expect(haveMemcgAccounting()).toBe(kernelAtLeast(memcg));
  });

  itPriv("ensureMemlock() leaves an unlimited limit where the kernel charges memlock", () => {
    ensureMemlock();
    if (memlockCharged()) expect(getMemlock().soft).toBe(RLIM_INFINITY);
    // Programs load afterwards either way.
    using p = BpfProgram.load({ type: ProgType.socket_filter, insns: [Insn.mov("r0", 0), Insn.exit()] });
    expect(p.fd).toBeGreaterThan(0);
  });

  itPriv("memlockHint names RLIMIT_MEMLOCK only where it can be the cause", () => {
    const hinted = withSoftLimit(65536n, () => memlockHint(new BpfError("map_create", Errno.EPERM)) as BpfError);
    expect(hinted.message.includes("charges BPF memory to RLIMIT_MEMLOCK")).toBe(memlockCharged());
    const other = memlockHint(new BpfError("map_create", Errno.EINVAL)) as BpfError;
    expect(other.message).not.toContain("charges BPF memory");
    const notBpf = new Error("x");
    expect(memlockHint(notBpf)).toBe(notBpf);
  });

  itPriv("a memlock-charging kernel with a zero limit: the load's EPERM says memlock is the cause", () => {
    const e = withSoftLimit(0n, () => {
      try {
        BpfProgram.load({ type: ProgType.socket_filter, insns: [Insn.mov("r0", 0), Insn.exit()] }).close();
        return null;
      } catch (e) {
        return e as BpfError;
      }
    });
    if (memlockCharged()) {
      expect(e?.kind).toBe("AccessDenied");
      expect(e?.message).toMatch(/charges BPF memory to RLIMIT_MEMLOCK, which is 0 bytes.*raiseMemlock/);
    } else {
      expect(e).toBeNull(); // memory cgroup accounting: the rlimit does not matter
    }
  });

  itPriv("raiseMemlock needs CAP_SYS_RESOURCE to go past the hard limit", async () => {
    const { raiseMemlock } = await import("../../mod.ts");
    const old = getMemlock();
    try {
      raiseMemlock();
      expect(getMemlock()).toEqual({ soft: RLIM_INFINITY, hard: RLIM_INFINITY });
    } catch (e) {
      // Without CAP_SYS_RESOURCE (some sandboxes drop it even for root): EPERM, soft raised to hard.
      expect(e).toBeInstanceOf(SyscallError);
      expect((e as SyscallError).code).toBe("EPERM");
      expect(old.hard).not.toBe(RLIM_INFINITY);
      expect(getMemlock().soft).toBe(old.hard);
    }
  });
});
