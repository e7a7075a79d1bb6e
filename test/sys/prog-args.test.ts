// Arguments of the program and BTF commands are checked before any syscall: every fd is a
// non-negative int32 (RangeError), every buffer the kernel gets a pointer to is a Uint8Array
// (TypeError), and every size the kernel reads or writes through a pointer comes from that
// buffer's own length. A fake backend counts the bpf() calls that got through.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type Backend, btfLoad, getBackend, Insn, progAttach, progBindMap, progDetach, progLoad, progQuery, ProgType, progTestRun, setBackend,
  TestRunAttr,
} from "../../mod.ts";

interface Call { cmd: number; bytes: Uint8Array }

function fake(): Backend & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    name: "fake",
    arch: "x86_64",
    calls,
    bpf(cmd, attr, _addr, size) {
      calls.push({ cmd, bytes: attr.slice(0, size) });
      return 0;
    },
    syscall: () => 0,
    address: () => 0x7f0000001000,
  };
}

let real: Backend;
let f: ReturnType<typeof fake>;
beforeEach(() => {
  real = getBackend();
  setBackend((f = fake()));
});
afterEach(() => setBackend(real));

const ret0 = [Insn.mov("r0", 0), Insn.exit()];
const BAD_FDS = [-1, 2 ** 31, 1.5, Number.NaN];
const u32At = (b: Uint8Array, off: number): number => new DataView(b.buffer, b.byteOffset).getUint32(off, true);
const detached = (): Uint8Array => {
  const view = new Uint8Array(new ArrayBuffer(8));
  structuredClone(view.buffer, { transfer: [view.buffer] });
  return view;
};

describe("fd arguments", () => {
  it("every fd of every program and BTF command is a RangeError unless a non-negative int32", () => {
    for (const fd of BAD_FDS) {
      expect(() => progTestRun(fd)).toThrow(RangeError);
      expect(() => progAttach(fd, 3, 0)).toThrow(RangeError);
      expect(() => progAttach(3, fd, 0)).toThrow(RangeError);
      expect(() => progAttach(3, 4, 0, { replaceFd: fd })).toThrow(RangeError);
      expect(() => progAttach(3, 4, 0, { relativeFd: fd })).toThrow(RangeError);
      expect(() => progDetach(fd, 3, 0)).toThrow(RangeError);
      expect(() => progDetach(3, fd, 0)).toThrow(RangeError);
      expect(() => progQuery(fd, 0)).toThrow(RangeError);
      expect(() => progBindMap(fd, 3)).toThrow(RangeError);
      expect(() => progBindMap(3, fd)).toThrow(RangeError);
      for (const key of ["progBtfFd", "attachBtfObjFd", "attachProgFd", "tokenFd"] as const) {
        expect(() => progLoad(ProgType.socket_filter, ret0, { [key]: fd })).toThrow(RangeError);
      }
      expect(() => progLoad(ProgType.socket_filter, ret0, { fdArray: [3, fd] })).toThrow(RangeError);
      expect(() => btfLoad(new Uint8Array(24), { tokenFd: fd })).toThrow(RangeError);
    }
    expect(f.calls).toEqual([]);
  });
});

describe("buffer arguments", () => {
  it("progTestRun takes only Uint8Arrays for data, dataOut, ctx and ctxOut", () => {
    for (const key of ["data", "dataOut", "ctx", "ctxOut"] as const) {
      for (const bad of [new ArrayBuffer(8), new Uint16Array(4), new DataView(new ArrayBuffer(8)), [1, 2, 3], "abc", detached()]) {
        expect(() => progTestRun(3, { [key]: bad as unknown as Uint8Array })).toThrow(TypeError);
      }
    }
    expect(f.calls).toEqual([]);
  });

  it("progTestRun passes each size from its own buffer, data_size_out and ctx_size_out included", () => {
    progTestRun(3, { data: new Uint8Array(64), dataOut: new Uint8Array(100), ctx: new Uint8Array(20), ctxOut: new Uint8Array(24) });
    const F = TestRunAttr.fields;
    const b = f.calls[0].bytes;
    expect([F.data_size_in, F.data_size_out, F.ctx_size_in, F.ctx_size_out].map((x) => u32At(b, x.off))).toEqual([64, 100, 20, 24]);
    progTestRun(3, { data: new Uint8Array(64) });
    const c = f.calls[1].bytes;
    // No output buffer: no pointer and no size, so the kernel writes nothing back.
    expect([u32At(c, F.data_size_out.off), u32At(c, F.data_out.off), u32At(c, F.data_out.off + 4)]).toEqual([0, 0, 0]);
  });

  it("progLoad takes only Uint8Arrays for the program bytes, the log and the BTF ext records", () => {
    const info = { recSize: 8, count: 1, data: new Uint8Array(8) };
    for (const bad of [new ArrayBuffer(16), new Uint32Array(4), "xx", detached()]) {
      expect(() => progLoad(ProgType.socket_filter, bad as unknown as Uint8Array)).toThrow(TypeError);
      expect(() => progLoad(ProgType.socket_filter, ret0, { log: { level: 1, buf: bad as unknown as Uint8Array } })).toThrow(TypeError);
      for (const key of ["funcInfo", "lineInfo", "coreRelos"] as const) {
        expect(() => progLoad(ProgType.socket_filter, ret0, { [key]: { ...info, data: bad as unknown as Uint8Array } })).toThrow(TypeError);
      }
    }
    expect(() => btfLoad(new ArrayBuffer(24) as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => btfLoad(new Uint8Array(24), { log: { level: 1, buf: new ArrayBuffer(256) as unknown as Uint8Array } })).toThrow(TypeError);
    expect(f.calls).toEqual([]);
  });

  it("BTF ext records must fit their buffer: count * recSize <= data.length", () => {
    for (const key of ["funcInfo", "lineInfo", "coreRelos"] as const) {
      expect(() => progLoad(ProgType.socket_filter, ret0, { [key]: { recSize: 8, count: 3, data: new Uint8Array(16) } })).toThrow(RangeError);
      expect(() => progLoad(ProgType.socket_filter, ret0, { [key]: { recSize: -8, count: 1, data: new Uint8Array(16) } })).toThrow(RangeError);
    }
    expect(f.calls).toEqual([]);
    expect(progLoad(ProgType.socket_filter, ret0, { funcInfo: { recSize: 8, count: 2, data: new Uint8Array(16) } })).toBe(0);
    expect(f.calls.length).toBe(1);
  });
});
