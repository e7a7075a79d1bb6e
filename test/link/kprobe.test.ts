// Kprobe programs fire for real: a counter program attached to the kernel's getpid entry point,
// through a perf event (every kernel) and through a kprobe_multi link (5.18+, CONFIG_FPROBE: not
// in Debian's 5.10 and 6.1), counts the calls
// this process makes. Only where kprobes exist (CONFIG_KPROBES, which this project's host lacks):
// the VM matrix runs them on Debian's kernels.
import { expect } from "vitest";
import {
  AttachType, BpfMap, close, Insn, linkCreate, linkInfoByFd, LinkType, linuxVersionCode, MapType, progLoad, ProgType, u32, u64,
} from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { own } from "../helpers/fds.ts";
import { attachPerfEvent, getpid, kprobeEvent } from "../helpers/perf.ts";

// The syscall's entry point on x86_64 since 4.17 (the wrapper that takes pt_regs).
const SYMBOL = process.arch === "arm64" ? "__arm64_sys_getpid" : "__x64_sys_getpid";

/** A kprobe program that adds 1 to counts[0] each time it runs. */
function counter(counts: BpfMap<number, bigint, number, number | bigint>, expectedAttachType?: number): number {
  return own(progLoad(ProgType.kprobe, [
    Insn.st("word", "r10", -4, 0),
    Insn.mov("r2", "r10"),
    Insn.add("r2", -4),
    Insn.ldMapFd1("r1", counts.fd),
    Insn.ldMapFd2(counts.fd),
    Insn.call("map_lookup_elem"),
    Insn.jeq("r0", 0, 2),
    Insn.mov("r1", 1),
    Insn.xadd("r0", "r1"),
    Insn.mov("r0", 0),
    Insn.exit(),
  ], { license: "GPL", kernVersion: linuxVersionCode(), expectedAttachType }));
}

describePriv("kprobes", { kprobes: true }, () => {
  itPriv("a kprobe perf event runs the program on every getpid()", () => {
    using counts = BpfMap.create({ type: MapType.array, key: u32, value: u64, maxEntries: 1 });
    const prog = counter(counts);
    const perf = kprobeEvent(SYMBOL);
    try {
      attachPerfEvent(perf, prog);
      for (let i = 0; i < 50; i++) getpid();
      // Other processes may call getpid() too: at least ours are counted.
      expect(counts.get(0)).toBeGreaterThanOrEqual(50n);
    } finally {
      close(perf);
    }
    // Closing the perf event detaches the program: our calls no longer count.
    const after = counts.get(0)!;
    for (let i = 0; i < 50; i++) getpid();
    expect(counts.get(0)! - after).toBeLessThan(50n);
  });

  itPriv("a kprobe_multi link counts getpid() calls and reports its type", { feature: "kprobe_multi" }, () => {
    using counts = BpfMap.create({ type: MapType.array, key: u32, value: u64, maxEntries: 1 });
    const prog = counter(counts, AttachType.trace_kprobe_multi);
    const link = own(linkCreate(prog, 0, AttachType.trace_kprobe_multi, { kprobeMulti: { syms: [SYMBOL] } }));
    expect(linkInfoByFd(link).type).toBe(LinkType.kprobe_multi);
    for (let i = 0; i < 50; i++) getpid();
    expect(counts.get(0)).toBeGreaterThanOrEqual(50n);
  });
});
