// BpfLink itself, on links this host makes: raw tracepoint links (pin, unpin, fromPin, fromId,
// fromFd, list, info, detach, update refused), a perf event link of a tracepoint (info,
// detach by disabling), and a cgroup link, whose program update() swaps.
import { closeSync, existsSync, openSync } from "node:fs";
import { afterAll, beforeAll, expect } from "vitest";
import {
  AttachType, attachRawTracepoint, attachTracepoint, BpfError, BpfLink, BpfProgram, Insn, linkCreate, LinkType, PerfEventLink,
  ProgType, progQuery, rawTracepointOpen,
} from "../../mod.ts";
import { describePriv, isRoot, itPriv } from "../helpers/env.ts";
import { tempMount } from "../helpers/fs.ts";
import { count, countsMap, expectCounting, expectStopsCounting, getpids, loadCounter } from "./counter.ts";

const RAW = { feature: [{ progType: "raw_tracepoint" }, "link_create"] } as const;

describePriv("BpfLink on a raw tracepoint", () => {
  let bpffs: { dir: string; unmount: () => void } | undefined;
  beforeAll(() => {
    if (isRoot) bpffs = tempMount("bpf");
  });
  afterAll(() => bpffs?.unmount());

  itPriv("counts while attached; close() detaches", RAW, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.raw_tracepoint }, 8);
    const link = attachRawTracepoint(prog, "sys_enter");
    expect(link).toBeInstanceOf(BpfLink);
    expect(link.type).toBe(LinkType.raw_tracepoint);
    expectCounting(counts, getpids, () => link.close());
    expect(link.closed).toBe(true);
    link.close(); // idempotent
  });

  itPriv("info() decodes the raw_tracepoint member only", RAW, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.raw_tracepoint }, 8);
    using link = attachRawTracepoint(prog, "sys_enter");
    const info = link.info();
    expect(info.type).toBe("raw_tracepoint");
    if (info.type !== "raw_tracepoint") return;
    expect(info.tpName).toBe("sys_enter");
    expect(info.progId).toBe(prog.id);
    expect(info.id).toBe(link.id);
    expect(info.linkType).toBe(LinkType.raw_tracepoint);
    expect(Object.keys(info).sort()).toEqual(["cookie", "id", "linkType", "progId", "tpName", "type"]);
  });

  itPriv("pin, close, fromPin, unpin: a pinned link stays attached without an fd", RAW, async () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.raw_tracepoint }, 8);
    const path = `${bpffs!.dir}/counter`;
    const link = attachRawTracepoint(prog, "sys_enter");
    const id = link.id;
    link.pin(path);
    expect(link.pinnedPath).toBe(path);
    link.close();
    // Pinned: still counting with no fd of ours open.
    const before = count(counts);
    getpids(10);
    expect(count(counts) - before).toBeGreaterThanOrEqual(10n);
    const again = BpfLink.fromPin(path);
    expect(again.id).toBe(id);
    expect(again.type).toBe(LinkType.raw_tracepoint);
    expect(again.pinnedPath).toBe(path);
    again.unpin();
    expect(existsSync(path)).toBe(false);
    expect(again.pinnedPath).toBeUndefined();
    // Unpinned, still held by our fd: counting.
    const held = count(counts);
    getpids(10);
    expect(count(counts) - held).toBeGreaterThanOrEqual(10n);
    again.close();
    await expectStopsCounting(counts, getpids);
    expect(() => again.unpin()).toThrow(TypeError);
  });

  itPriv("fromId and fromFd open the same link; list() and ids() include it", RAW, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.raw_tracepoint }, 8);
    using link = attachRawTracepoint(prog, "sys_enter");
    using byId = BpfLink.fromId(link.id);
    expect(byId.id).toBe(link.id);
    expect(byId.info().progId).toBe(prog.id);
    expect(BpfLink.ids()).toContain(link.id);
    const mine = BpfLink.list().find((l) => l.id === link.id);
    expect(mine?.type).toBe("raw_tracepoint");
    expect(mine?.progId).toBe(prog.id);
    // fromFd takes over an fd; a non-link fd is refused and left open.
    expect(() => BpfLink.fromFd(prog.fd)).toThrow(/fd \d+ is bpf-prog, not a BPF link/);
    expect(prog.info().id).toBe(prog.id);
    // A bare link fd, as the cmd layer makes them (of another program: 5.10 refuses one program twice on a tracepoint).
    using other = loadCounter(counts, { type: ProgType.raw_tracepoint }, 8);
    const fd = rawTracepointOpen("sys_enter", other.fd);
    using adopted = BpfLink.fromFd(fd);
    expect(adopted.fd).toBe(fd);
    expect(adopted.type).toBe(LinkType.raw_tracepoint);
  });

  itPriv("detach() where raw_tp links have none says to close; update() is refused and says why", { feature: [...RAW.feature, "link_detach"] }, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.raw_tracepoint }, 8);
    using other = loadCounter(counts, { type: ProgType.raw_tracepoint }, 8);
    using link = attachRawTracepoint(prog, "sys_enter");
    const e = catchIt(() => link.update(other));
    expect(e).toBeInstanceOf(BpfError);
    expect(e.message).toMatch(/^updating raw_tracepoint link of program "counter" \(fd \d+\) on sys_enter to program "counter"/);
    let detached = true;
    expectCounting(counts, getpids, () => {
      try {
        link.detach();
      } catch (err) {
        // Kernels whose raw_tp links have no detach op say so; closing is the way there.
        expect((err as BpfError).code).toBe("EOPNOTSUPP");
        expect((err as Error).message).toMatch(/have no BPF_LINK_DETACH: close it instead/);
        detached = false;
        link.close();
      }
    });
    if (detached) expect(link.closed).toBe(false);
  });

  itPriv("a failure names the program, the target and the attach kind", RAW, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.raw_tracepoint }, 8);
    const e = catchIt(() => attachRawTracepoint(prog, "no_such_tracepoint_xyz"));
    expect(e).toBeInstanceOf(BpfError);
    expect((e as BpfError).kind).toBe("NotFound");
    expect(e.message).toMatch(/^attaching program "counter" \(fd \d+\) to raw tracepoint no_such_tracepoint_xyz: bpf\(raw_tracepoint_open\): ENOENT/);
    expect(() => attachRawTracepoint(prog, "")).toThrow(TypeError);
    expect(() => attachRawTracepoint({ fd: -1 } as never, "sys_enter")).toThrow(RangeError);
  });
});

describePriv("BpfLink of a tracepoint perf event", () => {
  itPriv("info() names the tracepoint; detach() says to close it; close() stops it", { feature: [{ progType: "tracepoint" }] }, () => {
    using counts = countsMap();
    using prog = loadCounter(counts, { type: ProgType.tracepoint });
    using link = attachTracepoint(prog, "syscalls", "sys_enter_getpid");
    expect(link).toBeInstanceOf(PerfEventLink);
    const info = link.info();
    expect(info.type).toBe("perf_event");
    if (info.type === "perf_event") expect(info.event).toMatchObject({ kind: "tracepoint", tpName: "sys_enter_getpid" });
    expect(info.progId).toBe(prog.id);
    if (link.isBpfLink) {
      using byId = BpfLink.fromId(link.id);
      expect(byId.type).toBe(LinkType.perf_event);
    } else {
      expect(link.id).toBe(0);
    }
    // The kernel has no detach for perf event links (nor for the ioctl): the error says to close.
    expect(() => link.detach()).toThrow(/no BPF_LINK_DETACH: close it instead|has no detach: close\(\) it/);
    expect(link.closed).toBe(false);
    expectCounting(counts, getpids, () => link.close());
  });
});

describePriv("BpfLink.update on a cgroup link", () => {
  let cg: { dir: string; unmount: () => void } | undefined;
  let cgFd = -1;
  beforeAll(() => {
    if (!isRoot) return;
    cg = tempMount("cgroup2");
    cgFd = openSync(cg.dir, "r");
  });
  afterAll(() => {
    if (cgFd >= 0) closeSync(cgFd);
    cg?.unmount();
  });

  itPriv("swaps the program in place, and with oldProgram only if it matches", { feature: "link_create" }, () => {
    const load = (v: number) => BpfProgram.load({ type: ProgType.cgroup_skb, attachType: AttachType.cgroup_inet_ingress, insns: [Insn.mov("r0", v), Insn.exit()] });
    using a = load(1);
    using b = load(0);
    using link = BpfLink.fromFd(linkCreate(a.fd, cgFd, AttachType.cgroup_inet_ingress));
    const info = link.info();
    expect(info.type).toBe("cgroup");
    if (info.type === "cgroup") expect(info.attachType).toBe(AttachType.cgroup_inet_ingress);
    link.update(b);
    expect(progQuery(cgFd, AttachType.cgroup_inet_ingress).progIds).toEqual([b.id]);
    expect(catchIt(() => link.update(a, { oldProgram: a })).message).toMatch(/EPERM/);
    link.update(a, { oldProgram: b });
    expect(link.info().progId).toBe(a.id);
  });

  itPriv("detach() detaches a cgroup link while its fd stays open", { feature: ["link_create", "link_detach"] }, () => {
    using a = BpfProgram.load({ type: ProgType.cgroup_skb, attachType: AttachType.cgroup_inet_ingress, insns: [Insn.mov("r0", 1), Insn.exit()] });
    using link = BpfLink.fromFd(linkCreate(a.fd, cgFd, AttachType.cgroup_inet_ingress));
    expect(progQuery(cgFd, AttachType.cgroup_inet_ingress).count).toBe(1);
    link.detach();
    expect(progQuery(cgFd, AttachType.cgroup_inet_ingress).count).toBe(0);
    expect(link.closed).toBe(false);
    expect(link.info().id).toBe(link.id);
  });
});

function catchIt(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw");
}
