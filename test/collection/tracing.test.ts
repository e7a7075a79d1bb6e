// A tracing program from C (test/fixtures/collection/tracing.bpf.c) through Collection.load: its
// fentry target comes from SEC(), changed in the spec to the getpid function this kernel's BTF
// has (the name moved between releases), and resolves through that BTF at load; attachTracing
// attaches it, and a typed per-CPU ksym is read through BPF_PSEUDO_BTF_ID. The host refuses
// trampoline programs to root (lockdown), so this runs in the VM matrix.
import { expect } from "vitest";
import { attachTracing, BpfError, Collection, CollectionSpec, Errno } from "../../mod.ts";
import { describePriv, isRoot, itPriv } from "../helpers/env.ts";
import { getpids, getpidTarget } from "../link/counter.ts";

const OBJ = new URL("../fixtures/collection/tracing.o", import.meta.url).pathname;

/** The fixture's spec, its fentry pointed at this kernel's getpid function. */
function spec(): CollectionSpec {
  const s = CollectionSpec.fromFile(OBJ);
  s.programs.on_getpid.attachTo = getpidTarget();
  return s;
}

// Why this system will not load it, or null: lockdown's EPERM for trampolines, or no
// CONFIG_KALLSYMS_ALL for the typed per-CPU ksym (its VAR is then missing from vmlinux's BTF).
function refusal(): string | null {
  if (!isRoot) return null;
  try {
    Collection.load(spec()).close();
    return null;
  } catch (e) {
    if (e instanceof BpfError && e.errno === Errno.EPERM) return "this system refuses fentry programs to root (EPERM: lockdown)";
    if (/bpf_prog_active.*not found in the kernel's BTF/.test(String(e))) return "no bpf_prog_active VAR in vmlinux's BTF (CONFIG_KALLSYMS_ALL off)";
    return null;
  }
}

describePriv("Collection.load of an fentry program", { feature: { progType: "tracing" }, skipIf: refusal() }, () => {
  itPriv("counts this process's getpid calls; a typed per-CPU ksym reads", { feature: { progType: "tracing" } }, () => {
    expect(CollectionSpec.fromFile(OBJ).programs.on_getpid.attachTo).toBe("__x64_sys_getpid");
    const target = getpidTarget();
    using obj = Collection.load(spec(), { constants: { target_tgid: process.pid } });
    expect(obj.programs.on_getpid.attachTo).toBe(target);
    {
      using link = attachTracing(obj.programs.on_getpid);
      getpids(5);
      expect(link.info().type).toBe("tracing");
    }
    expect(obj.variables.calls.get()).toBeGreaterThanOrEqual(5n);
    // The ksym was read: bpf_prog_active's value replaced the -1 the variable started at.
    expect(obj.variables.active_seen.get()).toBeGreaterThanOrEqual(0n);
    const after = obj.variables.calls.get() as bigint;
    getpids(5);
    expect(obj.variables.calls.get()).toBe(after);
  });
});
