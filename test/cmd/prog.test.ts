// Program commands against the real kernel: load, run with data and context, verifier logs,
// programs that use maps, info.
import { expect } from "vitest";
import {
  close, Insn, mapCreate, mapLookupElem, MapType, progInfoByFd, progLoad, ProgType, progRun, progTestRun, SkBuff, XdpAction,
} from "../../mod.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { bpfError } from "../helpers/expect.ts";
import { own } from "../helpers/fds.ts";

/** A program that adds 1 to the u64 at index 0 of array map `fd` and returns 0. */
function counter(fd: number): Insn[] {
  return [
    Insn.st("word", "r10", -4, 0), // key = 0 on the stack
    Insn.mov("r2", "r10"),
    Insn.add("r2", -4),
    Insn.ldMapFd1("r1", fd),
    Insn.ldMapFd2(fd),
    Insn.call("map_lookup_elem"),
    Insn.jeq("r0", 0, 2),
    Insn.mov("r1", 1),
    Insn.xadd("r0", "r1"),
    Insn.mov("r0", 0),
    Insn.exit(),
  ];
}

describePriv("programs", () => {
  itPriv("prog_test_run returns the program's r0", () => {
    const fd = own(progLoad(ProgType.socket_filter, [Insn.mov("r0", 42), Insn.exit()]));
    const r = progTestRun(fd, { data: new Uint8Array(64) });
    expect(r.retval).toBe(42);
    expect(r.dataSizeOut).toBe(64);
    // BPF_PROG_RUN is the same command under its newer name.
    expect(progRun(fd, { data: new Uint8Array(64) }).retval).toBe(42);
  });

  itPriv("the program sees the test data (legacy packet load)", () => {
    const fd = own(progLoad(ProgType.socket_filter, [Insn.mov("r6", "r1"), Insn.ldAbs("byte", "r0", "r0", 2), Insn.exit()]));
    // test_run treats the data as an Ethernet frame: LD_ABS offsets start after its 14-byte header.
    const data = new Uint8Array(64);
    data[14 + 2] = 0x5a;
    expect(progTestRun(fd, { data, repeat: 10 }).retval).toBe(0x5a);
  });

  itPriv("the program sees the context (__sk_buff.mark)", { feature: "test_run_skb_mark" }, () => {
    const mark = SkBuff.fields.mark;
    const fd = own(progLoad(ProgType.socket_filter, [Insn.ldx("word", "r0", "r1", mark.off), Insn.exit()]));
    const ctx = new Uint8Array(SkBuff.size);
    new DataView(ctx.buffer).setUint32(mark.off, 0x1234, true);
    expect(progTestRun(fd, { data: new Uint8Array(64), ctx }).retval).toBe(0x1234);
  });

  itPriv("xdp: verdict and data out", () => {
    const fd = own(progLoad(ProgType.xdp, [Insn.mov("r0", XdpAction.pass), Insn.exit()]));
    const data = new Uint8Array(64).map((_, i) => i);
    const dataOut = new Uint8Array(128);
    const r = progTestRun(fd, { data, dataOut, repeat: 100 });
    expect(r.retval).toBe(XdpAction.pass);
    expect(r.dataSizeOut).toBe(64);
    expect(dataOut.subarray(0, 64)).toEqual(data);
    expect(r.duration).toBeGreaterThanOrEqual(0);
  });

  itPriv("a program updates a map; user space reads it", () => {
    const map = own(mapCreate(MapType.array, 4, 8, 1));
    const fd = own(progLoad(ProgType.socket_filter, counter(map), { name: "counter" }));
    progTestRun(fd, { data: new Uint8Array(64), repeat: 25 });
    const v = new Uint8Array(8);
    mapLookupElem(map, new Uint8Array(4), v);
    expect(new DataView(v.buffer).getBigUint64(0, true)).toBe(25n);
    const info = progInfoByFd(fd);
    expect(info.type).toBe(ProgType.socket_filter);
    expect(info.name).toBe("counter");
    expect(info.nr_map_ids).toBe(1);
    expect((info.tag as Uint8Array).some((b) => b !== 0)).toBe(true);
  });

  itPriv("a log buffer is filled on success too", () => {
    const buf = new Uint8Array(65536);
    const fd = own(progLoad(ProgType.socket_filter, [Insn.mov("r0", 0), Insn.exit()], { log: { level: 2, buf } }));
    expect(fd).toBeGreaterThan(0);
    expect(new TextDecoder().decode(buf.subarray(0, buf.indexOf(0)))).toMatch(/processed 2 insns/);
  });

  itPriv("the verifier's complaint is in the error's log", () => {
    const e = bpfError(() => progLoad(ProgType.socket_filter, [Insn.ldx("word", "r0", "r2", 0), Insn.exit()], {
      log: { level: 1, buf: new Uint8Array(4096) },
    }));
    expect(e.kind).toBe("UnsafeProgram");
    expect(e.log).toMatch(/R2 !read_ok/);
  });

  itPriv("programs load from raw bytes too", () => {
    const bytes = Insn.encode([Insn.mov("r0", 7), Insn.exit()]);
    const fd = progLoad(ProgType.socket_filter, bytes);
    try {
      expect(progTestRun(fd, { data: new Uint8Array(64) }).retval).toBe(7);
    } finally {
      close(fd);
    }
  });
});
