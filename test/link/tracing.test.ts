// BTF-based tracing programs, their target named at load (BpfProgram.load's attachTo) and
// attached with attachTracing: tp_btf on sys_enter (here and in the VMs), fentry, fexit and
// fmod_ret (where the system lets root load trampoline programs: not on this host, whose lockdown
// says EPERM, but in the VM matrix), LSM (where "bpf" is in the boot's lsm= list), and the errors
// of a target that does not resolve.
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { expect, it } from "vitest";
import {
  ATTACH_VERSIONS, AttachType, attachTracing, BpfError, BpfLink, BpfProgram, Btf, BtfKind, Errno, FeatureError, Insn, LinkType,
  ProgType,
} from "../../mod.ts";
import { describePriv, isRoot, itPriv, kernelAtLeast, type Needs } from "../helpers/env.ts";
import { cookieInsns, count, countsMap, expectCounting, getpids, getpidTarget, loadCounter } from "./counter.ts";
import { thrown } from "../helpers/expect.ts";

const TRACING = { feature: { progType: "tracing" } } as const;

/** Why this system refuses trampoline programs (fentry, fexit, fmod_ret, LSM) to root, or null. */
function trampolineRefusal(): string | null {
  if (!isRoot || !existsSync("/sys/kernel/btf/vmlinux")) return null; // itPriv says why
  try {
    BpfProgram.load({ type: ProgType.tracing, attachType: AttachType.trace_fentry, attachTo: getpidTarget(), insns: [Insn.mov("r0", 0), Insn.exit()] }).close();
    return null;
  } catch (e) {
    if (e instanceof BpfError && e.errno === Errno.EPERM) return "this system refuses fentry/fexit/fmod_ret/LSM programs to root (EPERM: lockdown)";
    return null; // another failure: let the test show it
  }
}

const refused = trampolineRefusal();

/** itPriv for trampoline programs: skipped, saying why, where the system refuses them. */
function itTrampoline(name: string, needs: Needs, fn: () => void): void {
  if (refused === null) return itPriv(name, needs, fn);
  console.warn(`skip: ${name}: ${refused}`);
  it.skip(`${name} [skipped: ${refused}]`, fn);
}

describePriv("attachTracing: tp_btf", TRACING, () => {
  itPriv("counts getpid() on sys_enter; the link is a raw_tracepoint link", TRACING, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.tracing, attachType: AttachType.trace_raw_tp, attachTo: "sys_enter" }, 8);
    expect(prog.attachTo).toBe("btf_trace_sys_enter");
    expect(prog.attachType).toBe(AttachType.trace_raw_tp);
    const link = attachTracing(prog);
    expect(link.type).toBe(LinkType.raw_tracepoint);
    expect(link.description).toBe(`tp_btf link of program "counter" (fd ${prog.fd}) on btf_trace_sys_enter`);
    expect(link.info()).toMatchObject({ type: "raw_tracepoint", tpName: "sys_enter", progId: prog.id });
    expectCounting(counts, getpids, () => link.close());
  });

  itPriv("a program opened by id attaches through RAW_TRACEPOINT_OPEN, which needs no attach type", TRACING, () => {
    using counts = countsMap();
    using loaded = loadCounter(counts, { type: ProgType.tracing, attachType: AttachType.trace_raw_tp, attachTo: "sys_enter" }, 8);
    using prog = BpfProgram.fromId(loaded.id);
    expect(prog.attachType).toBeUndefined();
    const link = attachTracing(prog);
    expect(link).toBeInstanceOf(BpfLink);
    expect(link.type).toBe(LinkType.raw_tracepoint);
    expectCounting(counts, getpids, () => link.close());
  });
});

describePriv("attachTo", TRACING, () => {
  itPriv("a target that does not resolve is a TypeError before any load", TRACING, () => {
    using counts = countsMap();
    expect(() => loadCounter(counts, { type: ProgType.tracing, attachType: AttachType.trace_fentry, attachTo: "no_such_function_xyz" }))
      .toThrow(/attachTo "no_such_function_xyz": no function no_such_function_xyz in vmlinux's or any loaded module's BTF \(attach type trace_fentry\)/);
    expect(() => loadCounter(counts, { type: ProgType.tracing, attachType: AttachType.trace_raw_tp, attachTo: "no_such_tp" }))
      .toThrow(/no typedef btf_trace_no_such_tp/);
    expect(() => loadCounter(counts, { type: ProgType.tracing, attachTo: "do_unlinkat" })).toThrow(/needs attachType/);
    expect(() => loadCounter(counts, { type: ProgType.ext, attachTo: "do_unlinkat" })).toThrow(/attachTo: \{ program, func \}/);
    expect(() => loadCounter(counts, { type: ProgType.tracing, attachType: AttachType.trace_fentry, attachTo: "no_such_module_xyz:f" }))
      .toThrow(/in module no_such_module_xyz's BTF/);
  });

  itPriv("an LSM hook is named without its bpf_lsm_ prefix", TRACING, () => {
    using counts = countsMap();
    let prog: BpfProgram | undefined;
    try {
      prog = loadCounter(counts, { type: ProgType.lsm, attachTo: "file_open" });
      expect(prog.attachTo).toBe("bpf_lsm_file_open");
      expect(prog.attachType).toBe(AttachType.lsm_mac);
    } catch (e) {
      // Refused (lockdown, or no CONFIG_BPF_LSM): the load's message still names the resolved target.
      expect((e as Error).message).toMatch(/attached to bpf_lsm_file_open/);
    } finally {
      prog?.close();
    }
  });
});

describePriv("attachTracing: trampolines", TRACING, () => {
  itTrampoline("fentry counts getpid(); info() names the target's BTF id", TRACING, () => {
    using counts = countsMap();
    const target = getpidTarget();
    using prog = loadCounter(counts, { type: ProgType.tracing, attachType: AttachType.trace_fentry, attachTo: target });
    const link = attachTracing(prog);
    expect(link.type).toBe(LinkType.tracing);
    const info = link.info();
    expect(info).toMatchObject({ type: "tracing", attachType: AttachType.trace_fentry, progId: prog.id });
    // Kernels that report the target (5.13+) give vmlinux's BTF id of the function.
    if (info.type === "tracing" && info.targetBtfId !== 0) expect(info.targetBtfId).toBe(Btf.kernel().findIds(target).find((id) => Btf.kernel().kindNumberOf(id) === BtfKind.func));
    expectCounting(counts, getpids, () => link.close());
  });

  itTrampoline("fexit counts getpid()'s returns", TRACING, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.tracing, attachType: AttachType.trace_fexit, attachTo: getpidTarget() });
    const link = attachTracing(prog);
    expectCounting(counts, getpids, () => link.close());
  });

  itTrampoline("fmod_ret on a security_ function counts opens and leaves them alone", TRACING, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.tracing, attachType: AttachType.modify_return, attachTo: "security_file_open" });
    const link = attachTracing(prog);
    const opens = (n: number) => {
      for (let i = 0; i < n; i++) closeSync(openSync("/dev/null", "r"));
    };
    expectCounting(counts, opens, () => link.close());
  });

  itTrampoline("a cookie on fentry reaches bpf_get_attach_cookie(), or a FeatureError names the kernel", TRACING, () => {
    using counts = countsMap();
    const since = ATTACH_VERSIONS.tracing_cookie.version;
    if (!kernelAtLeast(since)) {
      // Before 5.19 tracing programs may not call bpf_get_attach_cookie() either: the plain counter.
      using prog = loadCounter(counts, { type: ProgType.tracing, attachType: AttachType.trace_fentry, attachTo: getpidTarget() });
      const e = thrown(() => attachTracing(prog, { cookie: 5 }).close(), FeatureError);
      expect(e.message).toMatch(new RegExp(`needs Linux ${since.replace(".", "\\.")}\\+`));
      return;
    }
    using prog = BpfProgram.load({ type: ProgType.tracing, attachType: AttachType.trace_fentry, attachTo: getpidTarget(), insns: cookieInsns(), maps: { counts } });
    using _link = attachTracing(prog, { cookie: 0xc0ffeen });
    getpids(2);
    expect(count(counts)).toBe(0xc0ffeen);
  });
});

/** Why LSM programs cannot run here though they load: "bpf" is no active LSM (securityfs mounted first where it is not). */
function lsmInactive(): string | null {
  if (!isRoot) return null; // itPriv says why
  try {
    if (!existsSync("/sys/kernel/security/lsm")) execFileSync("mount", ["-t", "securityfs", "securityfs", "/sys/kernel/security"]);
    const lsms = readFileSync("/sys/kernel/security/lsm", "utf8").trim();
    return lsms.split(",").includes("bpf") ? null : `"bpf" is not an active LSM (${lsms}): boot with lsm=${lsms},bpf (TSBPF_VM_APPEND in the VM matrix)`;
  } catch (e) {
    return `the active LSMs cannot be read: ${(e as Error).message}`;
  }
}

const LSM = { feature: { progType: "lsm" } } as const;
const lsmOff = refused ?? lsmInactive();

describePriv("attachTracing: LSM", LSM, () => {
  const name = "an LSM program on file_open counts this process's opens";
  const fn = () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.lsm, attachTo: "file_open" });
    const link = attachTracing(prog);
    expect(link.info()).toMatchObject({ type: "tracing", attachType: AttachType.lsm_mac });
    const opens = (n: number) => {
      for (let i = 0; i < n; i++) closeSync(openSync("/dev/null", "r"));
    };
    expectCounting(counts, opens, () => link.close());
  };
  if (lsmOff === null) {
    itPriv(name, LSM, fn);
  } else {
    console.warn(`skip: ${name}: ${lsmOff}`);
    it.skip(`${name} [skipped: ${lsmOff}]`, fn);
  }
});
