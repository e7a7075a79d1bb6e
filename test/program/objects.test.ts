// BpfProgram as an object: id, info, listing, pinning and opening by pin, id and fd, closing and
// disposing, and what a closed program says.
import { existsSync, unlinkSync } from "node:fs";
import { afterAll, beforeAll, expect } from "vitest";
import {
  BpfError, BpfMap, BpfProgram, fdTarget, Insn, mapCreate, MapType, progGetFdById, progLoad, ProgType, u32,
} from "../../mod.ts";
import { describePriv, isRoot, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { bpfError } from "../helpers/expect.ts";
import { own } from "../helpers/fds.ts";
import { tempMount } from "../helpers/fs.ts";

const ret = (n: number): Insn[] => [Insn.mov("r0", n), Insn.exit()];
const load = (name = "obj_test", n = 0): BpfProgram => BpfProgram.load({ type: ProgType.socket_filter, insns: ret(n), name });

describePriv("BpfProgram objects", () => {
  let fs: { dir: string; unmount: () => void };
  beforeAll(() => {
    if (isRoot) fs = tempMount("bpf");
  });
  afterAll(() => fs?.unmount());

  itPriv("id and info describe the program", () => {
    using m = BpfMap.create({ type: MapType.array, key: u32, value: u32, maxEntries: 1 });
    using p = BpfProgram.load({
      type: ProgType.socket_filter, name: "with_map",
      insns: [Insn.ldMapFd1("r1", m.fd), Insn.ldMapFd2(m.fd), Insn.mov("r0", 0), Insn.exit()],
    });
    const info = p.info();
    expect(p.id).toBe(info.id);
    expect(info.id).toBeGreaterThan(0);
    expect(info.name).toBe("with_map");
    expect(info.type).toBe(ProgType.socket_filter);
    expect(info.typeName).toBe("socket_filter");
    expect(info.tag).toMatch(/^[0-9a-f]{16}$/);
    expect(info.mapIds).toEqual([m.id]);
    expect(info.createdByUid).toBe(0);
    expect(info.loadTime).toBeGreaterThan(0n);
    expect(info.xlatedLen).toBeGreaterThan(0);
    expect(info.gplCompatible).toBe(true);
  });

  itPriv("the tag is a hash of the instructions: same code, same tag", () => {
    using a = load("a", 1);
    using b = load("b", 1);
    using c = load("c", 2);
    expect(a.info().tag).toBe(b.info().tag);
    expect(a.info().tag).not.toBe(c.info().tag);
    expect(a.id).not.toBe(b.id);
  });

  itPriv("list() and ids() include every loaded program and open nothing for good", () => {
    using p = load("listed");
    const ids = BpfProgram.ids();
    expect(ids).toContain(p.id);
    expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    const mine = BpfProgram.list().find((i) => i.id === p.id);
    expect(mine?.name).toBe("listed");
    expect(mine?.tag).toBe(p.info().tag);
  });

  itPriv("fromId opens the same program", () => {
    using p = load("by_id", 5);
    using q = BpfProgram.fromId(p.id);
    expect(q.fd).not.toBe(p.fd);
    expect(q.id).toBe(p.id);
    expect(q.name).toBe("by_id");
    expect(q.type).toBe(ProgType.socket_filter);
    expect(q.testRun({ data: new Uint8Array(64) }).retval).toBe(5);
    expect(bpfError(() => BpfProgram.fromId(0x7ffffff0)).kind).toBe("NotFound");
  });

  itPriv("pin, then fromPin gets the program back after the original is closed", () => {
    const path = `${fs.dir}/prog`;
    const p = load("pinned", 9);
    const id = p.id;
    p.pin(path);
    p.close();
    expect(existsSync(path)).toBe(true);
    using q = BpfProgram.fromPin(path);
    expect(q.id).toBe(id);
    expect(q.testRun({ data: new Uint8Array(64) }).retval).toBe(9);
    unlinkSync(path);
  });

  itPriv("an unknown pin path: NotFound, saying a bpffs must be mounted there", () => {
    const e = bpfError(() => BpfProgram.fromPin(`${fs.dir}/nothing-here`));
    expect(e.kind).toBe("NotFound");
    expect(e.message).toContain(`nothing-here`);
    expect(e.message).toMatch(/is a bpffs mounted at .* \(mount -t bpf bpf /);
    expect(() => BpfProgram.fromPin("")).toThrow(TypeError);
  });

  itPriv("fromPin of a pinned map is a TypeError, and the fd it opened is closed again", () => {
    const path = `${fs.dir}/a-map`;
    using m = BpfMap.create({ type: MapType.array, key: u32, value: u32, maxEntries: 1 });
    m.pin(path);
    expect(() => BpfProgram.fromPin(path)).toThrow(/pinned at .*a-map is a BPF map, not a BPF program/);
    unlinkSync(path);
    // the fd-leak check of this file would fail had the map fd been left open
  });

  itPriv("fromFd takes ownership of a program fd, and refuses other fds without closing them", () => {
    const fd = progLoad(ProgType.socket_filter, ret(3));
    const p = BpfProgram.fromFd(fd);
    expect(p.fd).toBe(fd);
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(3);
    p.close();
    expect(fdTarget(fd)).toBeNull();
    const map = own(mapCreate(MapType.array, 4, 4, 1));
    expect(() => BpfProgram.fromFd(map)).toThrow(/is a BPF map, not a BPF program/);
    expect(fdTarget(map)).toBe("anon_inode:bpf-map");
    expect(() => BpfProgram.fromFd(-1)).toThrow(RangeError);
  });

  itPriv("close() closes the fd once; `using` closes at the end of the block", () => {
    const p = load();
    const fd = p.fd;
    expect(p.closed).toBe(false);
    p.close();
    expect(p.closed).toBe(true);
    expect(fdTarget(fd)).toBeNull();
    p.close(); // idempotent
    let inner = -1;
    {
      using q = load();
      inner = q.fd;
      expect(fdTarget(inner)).toBe("anon_inode:bpf-prog");
    }
    expect(fdTarget(inner)).toBeNull();
    const r = load();
    r[Symbol.dispose]();
    expect(r.closed).toBe(true);
  });

  itPriv("a closed program refuses everything before any syscall, naming itself", () => {
    const p = load("closed_one");
    const id = p.id;
    p.close();
    for (const use of [() => p.fd, () => p.info(), () => p.testRun({ data: new Uint8Array(64) }), () => p.pin(`${fs.dir}/x`)]) {
      expect(use).toThrow(TypeError);
      expect(use).toThrow('program "closed_one" is closed');
    }
    expect(p.id).toBe(id); // known from before: no fd needed
    // the kernel dropped it with its last fd
    expect(bpfError(() => own(progGetFdById(id))).kind).toBe("NotFound");
  });

  itPriv("pinning where no bpffs is mounted says what to do", () => {
    using p = load();
    const e = bpfError(() => p.pin("/tmp/not-a-bpffs-dir/prog"));
    expect(e).toBeInstanceOf(BpfError);
    expect(e.message).toMatch(/is a bpffs mounted at \/tmp\/not-a-bpffs-dir/);
  });

  itPriv("two handles on one program close independently", () => {
    using p = load("shared", 4);
    const q = BpfProgram.fromId(p.id);
    q.close();
    expect(q.closed).toBe(true);
    expect(p.closed).toBe(false);
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(4);
  });
});

describePriv("testRun of a syscall program", { feature: { progType: "syscall" } }, () => {
  // The kernel refuses a repeat count for syscall (and raw tracepoint) programs: testRun sends none
  // unless asked, and every type runs once for none.
  itPriv("runs it once, with no context or with one given back", {}, () => {
    using p = BpfProgram.load({ type: ProgType.syscall, name: "sys_run", flags: 16 /* BPF_F_SLEEPABLE */, insns: ret(7) });
    expect(p.testRun().retval).toBe(7);
    const ctx = new Uint8Array([9, 0, 0, 0]);
    const out = p.testRun({ ctx });
    expect([out.retval, [...out.ctx!]]).toEqual([7, [9, 0, 0, 0]]);
    expect(bpfError(() => p.testRun({ ctx, repeat: 2 })).code).toBe("EINVAL");
  });
});

describePriv("testRun of a raw tracepoint program", { feature: { progType: "raw_tracepoint" }, skipIf: kernelAtLeast("5.10") ? null : "BPF_PROG_TEST_RUN of raw tracepoint programs is 5.10+" }, () => {
  itPriv("runs it once on the arguments given as its context", {}, () => {
    using p = BpfProgram.load({ type: ProgType.raw_tracepoint, name: "rawtp_run", insns: [Insn.ldx("double_word", "r0", "r1", 8), Insn.exit()] });
    const ctx = new Uint8Array(16);
    ctx[8] = 42;
    expect(p.testRun({ ctx }).retval).toBe(42);
    expect(bpfError(() => p.testRun({ ctx, repeat: 2 })).code).toBe("EINVAL");
  });
});
