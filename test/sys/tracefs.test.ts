// tracefs: found through /proc/self/mountinfo (mounted at /sys/kernel/tracing by the library
// where nothing has), event ids, control-file writes, and the names it takes.
import { readFileSync, statfsSync } from "node:fs";
import { expect, it } from "vitest";
import { appendTracefs, checkEventName, mountPoints, readTracefs, sanitizeEventName, tracefsHas, tracefsRoot, tracepointId } from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";

it("event names: one path component of letters, digits, _ . -", () => {
  expect(checkEventName("sys_enter_openat", "x")).toBe("sys_enter_openat");
  for (const bad of ["", "..", ".", "a/b", "a b", 3]) expect(() => checkEventName(bad, "tracepoint name")).toThrow(TypeError);
  expect(sanitizeEventName("__x64_sys_getpid.isra.0")).toBe("__x64_sys_getpid_isra_0");
  expect(() => tracepointId("../..", "x")).toThrow(/tracepoint group must be a tracefs event name/);
});

describePriv("tracefs", () => {
  itPriv("tracefsRoot() is a tracefs that mountinfo lists", () => {
    const root = tracefsRoot();
    expect(statfsSync(root).type).toBe(0x74726163); // TRACEFS_MAGIC
    expect(mountPoints("tracefs")).toContain(root);
    expect(tracefsRoot()).toBe(root);
    expect(tracefsHas("events")).toBe(true);
    expect(tracefsHas("no/such/file")).toBe(false);
  });

  itPriv("tracepointId() reads events/<group>/<name>/id", () => {
    const root = tracefsRoot();
    const id = tracepointId("syscalls", "sys_enter_getpid");
    expect(id).toBe(Number(readFileSync(`${root}/events/syscalls/sys_enter_getpid/id`, "utf8")));
    expect(readTracefs("events/syscalls/sys_enter_getpid/id").trim()).toBe(String(id));
    expect(() => tracepointId("syscalls", "sys_enter_nope")).toThrow(/no tracepoint syscalls:sys_enter_nope: group syscalls has no event sys_enter_nope/);
  });

  itPriv("appendTracefs() writes one command; a bad one is a SyscallError naming file and line", () => {
    tracefsRoot();
    // A probe that cannot exist: the kernel refuses the line (ENOENT without kprobes, EINVAL or ENOENT with).
    expect(() => appendTracefs("kprobe_events", "p:tsbpf_test/x no_such_symbol_xyz")).toThrow(/(open|write): E\w+: .*kprobe_events/);
  });
});
