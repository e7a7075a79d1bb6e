// BpfProgram.load(): instructions in every form, map symbols, attributes, test runs, and the input
// checks made before any syscall.
import { expect } from "vitest";
import {
  BpfMap, BpfProgram, Cmd, Insn, MapType, MAX_INSNS, ProgramBuilder, ProgType, SkBuff, u32, u64, XdpAction,
} from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { countCalls } from "./spy.ts";

const ret = (n: number): Insn[] => [Insn.mov("r0", n), Insn.exit()];

describePriv("BpfProgram.load", () => {
  itPriv("loads Insn objects, runs them, reports type and name", () => {
    using p = BpfProgram.load({ type: ProgType.socket_filter, insns: ret(7), name: "seven" });
    expect(p.type).toBe(ProgType.socket_filter);
    expect(p.name).toBe("seven");
    expect(p.verifierLog).toBeUndefined();
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(7);
  });

  itPriv("takes the type by name and instructions as bytes", () => {
    using p = BpfProgram.load({ type: "xdp", insns: Insn.encode(ret(XdpAction.pass)) });
    expect(p.type).toBe(ProgType.xdp);
    expect(p.info().typeName).toBe("xdp");
  });

  itPriv("resolves a ProgramBuilder program's map symbols from BpfMaps and fds", () => {
    using a = BpfMap.create({ type: MapType.array, key: u32, value: u64, maxEntries: 1 });
    using b = BpfMap.create({ type: MapType.array, key: u32, value: u64, maxEntries: 1 });
    const bump = (sym: string) => (pb: ProgramBuilder) =>
      pb.emit(Insn.st("word", "r10", -4, 0), Insn.mov("r2", "r10"), Insn.add("r2", -4)).ldMap("r1", sym)
        .emit(Insn.call("map_lookup_elem")).jmp("jeq", "r0", 0, `skip_${sym}`)
        .emit(Insn.mov("r1", 1), Insn.xadd("r0", "r1")).label(`skip_${sym}`);
    const built = bump("b")(bump("a")(new ProgramBuilder())).emit(...ret(0)).finish();
    using p = BpfProgram.load({ type: ProgType.socket_filter, insns: built, maps: { a, b: b.fd } });
    p.testRun({ data: new Uint8Array(64), repeat: 3 });
    expect(a.get(0)).toBe(3n);
    expect(b.get(0)).toBe(3n);
    expect(p.info().mapIds.sort()).toEqual([a.id, b.id].sort());
  });

  itPriv("a missing map symbol is a ReferenceError before any syscall", () => {
    const built = new ProgramBuilder().ldMap("r1", "counts").emit(...ret(0)).finish();
    const { calls } = countCalls(() => expect(() => BpfProgram.load({ type: ProgType.socket_filter, insns: built })).toThrow(ReferenceError));
    expect(calls.get(Cmd.prog_load)).toBeUndefined();
  });

  itPriv("passes license, attach type and flags through", () => {
    using gpl = BpfProgram.load({ type: ProgType.socket_filter, insns: ret(0) });
    expect(gpl.info().gplCompatible).toBe(true);
    using mit = BpfProgram.load({ type: ProgType.socket_filter, insns: ret(0), license: "MIT" });
    expect(mit.info().gplCompatible).toBe(false);
    // cgroup_sock_addr refuses a load without its expected attach type.
    expect(() => BpfProgram.load({ type: ProgType.cgroup_sock_addr, insns: ret(1) })).toThrow(/InvalidProgram/);
    using addr = BpfProgram.load({ type: ProgType.cgroup_sock_addr, insns: ret(1), attachType: 10 /* cgroup_inet4_connect */ });
    expect(addr.type).toBe(ProgType.cgroup_sock_addr);
    // An unknown program flag is refused by the kernel.
    expect(() => BpfProgram.load({ type: ProgType.socket_filter, insns: ret(0), flags: 1 << 30, logDisabled: true })).toThrow(/EINVAL/);
  });

  itPriv("logLevel keeps the log of a successful load", () => {
    using p = BpfProgram.load({ type: ProgType.socket_filter, insns: ret(0), logLevel: 2 });
    expect(p.verifierLog).toMatch(/processed 2 insns/);
  });

  itPriv("testRun returns the output data trimmed and the context", () => {
    using x = BpfProgram.load({ type: ProgType.xdp, insns: ret(XdpAction.pass) });
    const data = new Uint8Array(60).map((_, i) => i);
    const r = x.testRun({ data, repeat: 5 });
    expect(r.retval).toBe(XdpAction.pass);
    expect(r.data).toEqual(data);
    expect(r.duration).toBeGreaterThanOrEqual(0);
    // __sk_buff.mark goes in through ctx, the program returns it, and the context comes back out.
    using s = BpfProgram.load({ type: ProgType.socket_filter, insns: [Insn.ldx("word", "r0", "r1", SkBuff.fields.mark.off), Insn.exit()] });
    const ctx = new Uint8Array(SkBuff.size);
    new DataView(ctx.buffer).setUint32(SkBuff.fields.mark.off, 0x4242, true);
    const out = s.testRun({ data: new Uint8Array(64), ctx });
    expect(out.retval).toBe(0x4242);
    // The kernel returns its own sizeof(struct __sk_buff), which grew over time (184 bytes on 5.10).
    expect(out.ctx!.length).toBeGreaterThan(SkBuff.fields.mark.off);
    expect(out.ctx!.length).toBeLessThanOrEqual(SkBuff.size);
    expect(new DataView(out.ctx!.buffer).getUint32(SkBuff.fields.mark.off, true)).toBe(0x4242);
  });

  itPriv("a dataOut too small for the output says what to change", () => {
    using x = BpfProgram.load({ type: ProgType.xdp, insns: ret(XdpAction.pass) });
    expect(() => x.testRun({ data: new Uint8Array(64), dataOut: 16 })).toThrow(/dataOut/);
  });
});

describePriv("bad input is refused before the syscall", () => {
  const noLoad = (fn: () => unknown, err: RegExp | (new (...a: never[]) => Error)) => {
    const { calls } = countCalls(() => expect(fn).toThrow(err));
    expect(calls.get(Cmd.prog_load)).toBeUndefined();
  };

  itPriv("a program over the kernel's instruction limit", () => {
    const huge = Array.from({ length: MAX_INSNS + 1 }, () => Insn.mov("r0", 0));
    noLoad(() => BpfProgram.load({ type: ProgType.socket_filter, insns: huge }), /1,000,001 instructions; the kernel accepts at most 1,000,000/);
    noLoad(() => BpfProgram.load({ type: ProgType.socket_filter, insns: new Uint8Array((MAX_INSNS + 1) * 8) }), RangeError);
  });

  itPriv("empty programs, odd byte counts, unknown types, bad names", () => {
    noLoad(() => BpfProgram.load({ type: ProgType.socket_filter, insns: [] }), /at least one instruction/);
    noLoad(() => BpfProgram.load({ type: ProgType.socket_filter, insns: new Uint8Array(12) }), /multiple of 8/);
    noLoad(() => BpfProgram.load({ type: "nope" as "xdp", insns: ret(0) }), /unknown program type "nope"/);
    noLoad(() => BpfProgram.load({ type: ProgType.socket_filter, insns: ret(0), name: "a-name-that-is-far-too-long" }), /object name/);
    noLoad(() => BpfProgram.load({ type: ProgType.socket_filter, insns: ret(0), maps: { m: 3 } }), /only for ProgramBuilder/);
    noLoad(() => BpfProgram.load({ type: ProgType.socket_filter, insns: ret(0), logSize: 16 }), /logSize/);
  });
});
