// Legacy tc (cls_bpf filters on a clsact qdisc, over netlink) on a veth pair inside a network
// namespace this file makes: datagrams sent out of xa (to an address whose neighbour entry is
// xb's MAC) pass xa's egress and xb's ingress, where the filters count them; priorities order a
// dropper before a counter; update() swaps the program; close() deletes the filter (as tc(8)
// shows), from whichever namespace the thread is in by then; attachTcx's fallback to it; errors.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, expect } from "vitest";
import {
  ATTACH_VERSIONS, Attachment, attachTc, attachTcx, FeatureError, LinkType, NetlinkError, ProgType, queryTc, TcAttachment,
} from "../../mod.ts";
import { describePriv, isRoot, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { netCounter, netnsMissing, TestNetns } from "../helpers/netns.ts";
import { toolMissing } from "../helpers/tools.ts";
import { count, countReaching, countsMap, expectCounting, expectNotCounting, expectPinRefused, settledCount } from "./counter.ts";
import { libraryFds } from "../helpers/fds.ts";
import { bpfError, thrown } from "../helpers/expect.ts";

const TC_ACT_OK = 0;
const TC_ACT_SHOT = 2;
const tools = netnsMissing() ?? (isRoot ? toolMissing("tc", ["-V"], "iproute2") ?? null : null);
const NEEDS = { feature: { progType: "sched_cls" }, skipIf: tools } as const;

let ns: TestNetns | undefined;
let idx = { a: 0, b: 0 };
const fire = (n: number) => ns!.udp("10.80.0.3", n);
/** `tc filter show dev <dev> <direction>` in the namespace: the filters' lines. */
const filters = (dev: string, direction: string): string =>
  execFileSync("tc", ["-n", ns!.name, "filter", "show", "dev", dev, direction], { encoding: "utf8" }).trim();
const fds = libraryFds;

beforeAll(() => {
  if (!isRoot || tools) return;
  ns = TestNetns.create("tc");
  idx = ns.veth("xa", "xb");
  ns.ip("addr", "add", "10.80.0.1/24", "dev", "xa");
  ns.ip("neigh", "add", "10.80.0.3", "lladdr", ns.mac("xb"), "dev", "xa", "nud", "permanent");
});

afterAll(() => ns?.remove());

const counter = (counts: ReturnType<typeof countsMap>, ret = TC_ACT_OK) => netCounter(counts, { type: ProgType.sched_cls }, ret);

describePriv("attachTc", NEEDS, () => {
  itPriv("ingress of xb counts what it receives; close() deletes the filter, from outside the namespace too", NEEDS, () => {
    using counts = countsMap();
    using prog = counter(counts);
    const open = fds();
    const f = ns!.enter(() => attachTc(prog, "xb", "ingress"));
    expect(f).toBeInstanceOf(TcAttachment);
    expect(f).toBeInstanceOf(Attachment);
    expect(f.isBpfLink).toBe(false);
    expect(f.via).toBe("netlink");
    expect(f.id).toBe(0);
    expect(f.direction).toBe("ingress");
    expect(f.ifindex).toBe(idx.b);
    // Nothing asked: the kernel picks the priority (below those there) and the handle.
    expect(f.priority).toBeGreaterThan(0);
    expect(f.handle).toBeGreaterThan(0);
    expect(f.description).toBe(
      `tc ingress filter (cls_bpf, prio ${f.priority} handle 0x${f.handle.toString(16)}) of program "net_counter" (fd ${prog.fd}) on xb (ifindex ${idx.b})`,
    );
    expect(f.info()).toEqual({ id: 0, progId: prog.id, linkType: 0, type: "other", typeName: "tc" });
    const shown = filters("xb", "ingress");
    expect(shown).toMatch(new RegExp(`pref ${f.priority} bpf .*handle 0x${f.handle.toString(16)} net_counter:\\[${prog.id}\\] direct-action`));
    expect(shown).toMatch(new RegExp(`id ${prog.id}`));
    // The thread is back in its own namespace: the filter is deleted through the socket opened in xb's.
    expectCounting(counts, fire, () => f.close());
    expect(filters("xb", "ingress")).toBe("");
    expect(fds()).toBe(open);
    expect(() => f.info()).toThrow(/is closed/);
  });

  itPriv("egress of xa by ifindex, at the priority and handle asked for; the same again is EEXIST, saying so", NEEDS, () => {
    using counts = countsMap();
    using prog = counter(counts);
    const f = ns!.enter(() => attachTc(prog, idx.a, "egress", { priority: 7, handle: 0x2a }));
    expect([f.priority, f.handle]).toEqual([7, 0x2a]);
    expect(filters("xa", "egress")).toMatch(/pref 7 bpf .*handle 0x2a /);
    const e = thrown(() => ns!.enter(() => attachTc(prog, idx.a, "egress", { priority: 7, handle: 0x2a })).close(), NetlinkError);
    expect(e.errno).toBe(17); // EEXIST
    expect(e.message).toMatch(
      /^attaching program "net_counter" \(fd \d+\) as a tc egress filter \(cls_bpf, prio 7 handle 0x2a\) on ifindex \d+: netlink RTM_NEWTFILTER: EEXIST: .*a filter of that priority and handle is there already/,
    );
    expectCounting(counts, fire, () => f.close());
    expect(filters("xa", "egress")).toBe("");
  });

  itPriv("priorities order the filters: a dropper at 1 starves a counter at 2 until it is closed", NEEDS, () => {
    using counts = countsMap();
    using drops = countsMap();
    using count1 = counter(counts);
    using dropper = counter(drops, TC_ACT_SHOT);
    using _c = ns!.enter(() => attachTc(count1, "xb", "ingress", { priority: 2 }));
    const d = ns!.enter(() => attachTc(dropper, "xb", "ingress", { priority: 1 }));
    const passed = count(counts);
    fire(10);
    expect(countReaching(drops, 10n)).toBeGreaterThanOrEqual(10n);
    expect(settledCount(counts)).toBe(passed);
    d.close();
    expectCounting(counts, fire, () => _c.close());
  });

  itPriv("queryTc lists a hook's filters in run order as tc -j filter show does: priority, handle, program id, tag, name, direct action", NEEDS, () => {
    using counts = countsMap();
    using a = counter(counts), b = counter(counts);
    expect(ns!.enter(() => queryTc("xb", "egress"))).toEqual([]);
    using _a = ns!.enter(() => attachTc(a, "xb", "egress", { priority: 9 }));
    using _b = ns!.enter(() => attachTc(b, "xb", "egress", { priority: 4, handle: 0x77, directAction: false }));
    const mine = ns!.enter(() => queryTc(idx.b, "egress"));
    expect(mine.map((f) => [f.priority, f.kind, f.protocol, f.chain, f.bpf?.id, f.bpf?.directAction])).toEqual([[4, "bpf", 3, 0, b.id, false], [9, "bpf", 3, 0, a.id, true]]);
    expect(mine[0].handle).toBe(0x77);
    expect(mine[1].handle).toBe(_a.handle);
    type TcJson = { pref: number; kind: string; options?: { handle: string; bpf_name: string; "direct-action"?: boolean; prog: { id: number; tag: string } } };
    const theirs = (JSON.parse(execFileSync("tc", ["-n", ns!.name, "-j", "filter", "show", "dev", "xb", "egress"], { encoding: "utf8" })) as TcJson[])
      .filter((f) => f.options !== undefined)
      .map((f) => ({ priority: f.pref, handle: Number(f.options!.handle), kind: f.kind, id: f.options!.prog.id, tag: f.options!.prog.tag, name: f.options!.bpf_name, direct: f.options!["direct-action"] === true }));
    expect(mine.map((f) => ({ priority: f.priority, handle: f.handle, kind: f.kind, id: f.bpf!.id, tag: f.bpf!.tag, name: f.bpf!.name, direct: f.bpf!.directAction }))).toEqual(theirs);
    expect(mine[0].bpf!.tag).toBe(b.info().tag);
    expect(ns!.enter(() => queryTc("xb", "ingress"))).toEqual([]);
    expect(() => queryTc("xb", "sideways" as never)).toThrow(TypeError);
  });

  itPriv("update() swaps the program in place (NLM_F_REPLACE); detach() deletes the filter while the object stays open", NEEDS, () => {
    using counts = countsMap();
    using other = countsMap();
    using a = counter(counts);
    using b = counter(other);
    using f = ns!.enter(() => attachTc(a, "xb", "ingress", { priority: 3, handle: 1 }));
    const e = bpfError(() => f.update(b, { oldProgram: b }));
    expect(e.message).toMatch(/^updating tc ingress filter .*EPERM/);
    f.update(b, { oldProgram: a });
    expect(filters("xb", "ingress")).toMatch(new RegExp(`pref 3 bpf .*handle 0x1 .*id ${b.id} `));
    expect(f.info().progId).toBe(b.id);
    expectNotCounting(counts, fire);
    expectCounting(other, fire, () => f.detach());
    expect(filters("xb", "ingress")).toBe("");
    expect(f.closed).toBe(false);
    expect(f.attached).toBe(false);
    expect(f.info().progId).toBe(0);
    expect(() => f.update(a)).toThrow(/it was detached/);
  });

  itPriv("a filter is no link: no pin", NEEDS, () => {
    using counts = countsMap();
    using prog = counter(counts);
    using f = ns!.enter(() => attachTc(prog, "xb", "ingress"));
    const e = expectPinRefused(f);
    expect(e.needs).toEqual(ATTACH_VERSIONS.tcx);
    expect(e.message).toMatch(/pinning tc ingress filter .*made with netlink, not a bpf_link/);
  });

  itPriv("bad arguments are errors before any syscall; a program of another type is refused, saying what it needs", NEEDS, () => {
    using counts = countsMap();
    using prog = counter(counts);
    using xdp = netCounter(counts, { type: ProgType.xdp }, 2);
    expect(() => attachTc(prog, "xb", "sideways" as never)).toThrow(/"ingress" or "egress"/);
    expect(() => attachTc(prog, "xb", "ingress", { priority: 0x10000 })).toThrow(/priority must be an integer in \[1, 65535\]/);
    expect(() => attachTc(prog, "xb", "ingress", { handle: 0 })).toThrow(/handle must be an integer in \[1, 2\^32-1\]/);
    expect(() => attachTc(prog, "xb", "ingress", { directAction: "yes" as never })).toThrow(/directAction must be a boolean/);
    expect(() => attachTc(prog, "xb", "ingress")).toThrow(/no interface "xb" in this thread's network namespace/);
    const e = thrown(() => ns!.enter(() => attachTc(xdp, "xb", "ingress")).close(), NetlinkError);
    expect(e.message).toMatch(/^attaching program "net_counter" \(fd \d+\) as a tc ingress filter \(cls_bpf\) on xb .*netlink RTM_NEWTFILTER: EINVAL.*is the program of type sched_cls/);
    expect(filters("xb", "ingress")).toBe("");
  });
});

describePriv("attachTcx falling back to tc", NEEDS, () => {
  itPriv("via \"tc\": a cls_bpf filter that counts and goes on close()", NEEDS, () => {
    using counts = countsMap();
    using prog = counter(counts);
    const f = ns!.enter(() => attachTcx(prog, "xb", "ingress", { via: "tc" }));
    expect(f).toBeInstanceOf(TcAttachment);
    expect(filters("xb", "ingress")).toMatch(/direct-action/);
    expectCounting(counts, fire, () => f.close());
    expect(filters("xb", "ingress")).toBe("");
  });

  itPriv(`"auto" makes a tcx link on ${ATTACH_VERSIONS.tcx.version}+, a tc filter below`, NEEDS, () => {
    using counts = countsMap();
    using prog = counter(counts);
    using l = ns!.enter(() => attachTcx(prog, "xb", "ingress"));
    if (kernelAtLeast(ATTACH_VERSIONS.tcx.version)) {
      expect(l.type).toBe(LinkType.tcx);
      expect(l).not.toBeInstanceOf(Attachment);
    } else {
      expect(l).toBeInstanceOf(TcAttachment);
    }
    fire(3);
    expect(countReaching(counts, 3n)).toBeGreaterThanOrEqual(3n);
  });

  itPriv("an order (before/after/expectedRevision) is tcx's: with via \"tc\" a TypeError; below 6.6 a FeatureError saying so", NEEDS, () => {
    using counts = countsMap();
    using prog = counter(counts);
    expect(() => attachTcx(prog, "xb", "ingress", { via: "tc", after: "all" })).toThrow(/a tc filter \(via "tc"\) has none of them/);
    expect(() => attachTcx(prog, "xb", "ingress", { via: "netlink" as never })).toThrow(/via must be "auto", "link" or "tc"/);
    if (kernelAtLeast(ATTACH_VERSIONS.tcx.version)) return;
    const e = thrown(() => ns!.enter(() => attachTcx(prog, "xb", "ingress", { after: "all" })).close(), FeatureError);
    expect(e.message).toMatch(/tcx links \(before\/after\/expectedRevision need them; without those attachTcx falls back/);
  });
});
