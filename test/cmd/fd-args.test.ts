// Every fd argument of the link, pin, info, misc and id wrappers is a non-negative int32 (else a
// RangeError), and every buffer that becomes a pointer is a Uint8Array whose own length is the
// size the kernel is told (else a TypeError), all before any syscall.
import { describe, expect, it } from "vitest";
import {
  AttachType, btfInfoByFd, enableStats, iterCreate, linkCreate, linkDetach, linkInfoByFd, linkUpdate, mapInfoByFd,
  objGet, objGetInfoByFd, objPin, progAssocStructOps, progInfoByFd, progStreamReadByFd, rawTracepointOpen, taskFdQuery,
  tokenCreate,
} from "../../mod.ts";

const BAD_FDS = [-1, 2 ** 31, 2 ** 32 + 3, 1.5, Number.NaN, Infinity];
const buf = () => new Uint8Array(64);

// Each wrapper with one fd argument replaced by `fd`.
const calls: [string, (fd: number) => unknown][] = [
  ["linkCreate prog", (fd) => linkCreate(fd, 0, AttachType.cgroup_inet_ingress)],
  ["linkCreate target", (fd) => linkCreate(3, fd, AttachType.cgroup_inet_ingress)],
  ["linkCreate relative", (fd) => linkCreate(3, 4, AttachType.tcx_ingress, { relative: { fd } })],
  ["linkUpdate link", (fd) => linkUpdate(fd, 3)],
  ["linkUpdate prog", (fd) => linkUpdate(3, fd)],
  ["linkUpdate old prog", (fd) => linkUpdate(3, 4, { oldProgFd: fd })],
  ["linkDetach", (fd) => linkDetach(fd)],
  ["iterCreate", (fd) => iterCreate(fd)],
  ["rawTracepointOpen", (fd) => rawTracepointOpen("sched_switch", fd)],
  ["objPin", (fd) => objPin(fd, "/sys/fs/bpf/x")],
  ["objPin pathFd", (fd) => objPin(3, "x", { pathFd: fd })],
  ["objGet pathFd", (fd) => objGet("x", { pathFd: fd })],
  ["objGetInfoByFd", (fd) => objGetInfoByFd(fd, buf())],
  ["progInfoByFd", (fd) => progInfoByFd(fd)],
  ["mapInfoByFd", (fd) => mapInfoByFd(fd)],
  ["btfInfoByFd", (fd) => btfInfoByFd(fd)],
  ["linkInfoByFd", (fd) => linkInfoByFd(fd)],
  ["taskFdQuery", (fd) => taskFdQuery(1, fd)],
  ["tokenCreate", (fd) => tokenCreate(fd)],
  ["progStreamReadByFd", (fd) => progStreamReadByFd(fd, 1, buf())],
  ["progAssocStructOps prog", (fd) => progAssocStructOps(fd, 3)],
  ["progAssocStructOps map", (fd) => progAssocStructOps(3, fd)],
];

describe("fd arguments", () => {
  for (const [name, call] of calls) {
    it(`${name}: a RangeError for an fd that is not a non-negative int32`, () => {
      for (const fd of BAD_FDS) expect(() => call(fd), `${name}(${fd})`).toThrow(RangeError);
    });
  }
});

describe("buffers that become pointers", () => {
  const notBytes: unknown[] = [new DataView(new ArrayBuffer(64)), new ArrayBuffer(64), new Uint16Array(32), [0, 0, 0, 0], "abcd", { length: 64 }];
  it("objGetInfoByFd, progStreamReadByFd and iterInfo take only a Uint8Array", () => {
    for (const b of notBytes) {
      expect(() => objGetInfoByFd(3, b as Uint8Array)).toThrow(TypeError);
      expect(() => progStreamReadByFd(3, 1, b as Uint8Array)).toThrow(TypeError);
      expect(() => linkCreate(3, 0, AttachType.trace_iter, { iterInfo: b as Uint8Array })).toThrow(TypeError);
    }
  });

  it("kprobe_multi and uprobe_multi arrays must each hold cnt entries", () => {
    const km = (kprobeMulti: object) => () => linkCreate(3, 0, AttachType.trace_kprobe_multi, { kprobeMulti });
    expect(km({ syms: ["a", "b"], cookies: [1] })).toThrow(/kprobe_multi cookies: 1 entries for 2 probes/);
    expect(km({ syms: ["a"], addrs: [1] })).toThrow(/syms or addrs, not both/);
    expect(km({ syms: ["a", 7] })).toThrow(/kprobe_multi syms\[1\] must be a string/);
    const um = (uprobeMulti: object) => () => linkCreate(3, 0, AttachType.trace_uprobe_multi, { uprobeMulti: uprobeMulti as never });
    // The kernel reads cnt u64s from each array: a shorter one would be read past its end.
    expect(um({ path: "/bin/true", offsets: [1, 2, 3], cookies: [1] })).toThrow(/uprobe_multi cookies: 1 entries for 3 probes/);
    expect(um({ path: "/bin/true", offsets: [1, 2], refCtrOffsets: [1, 2, 3] })).toThrow(/refCtrOffsets: 3 entries for 2 probes/);
    expect(um({ path: 7, offsets: [1] })).toThrow(/uprobe_multi path must be a string/);
  });

  it("names and paths must be strings", () => {
    expect(() => rawTracepointOpen(7 as unknown as string, 3)).toThrow(/tracepoint name must be a string/);
    expect(() => objGet(7 as unknown as string)).toThrow(TypeError);
  });

  it("enableStats checks its type", () => {
    expect(() => enableStats(-1)).toThrow(RangeError);
  });
});
