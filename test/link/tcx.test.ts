// tcx links on a veth pair inside a network namespace this file makes: datagrams sent out of xa
// (to an address whose neighbour entry is xb's MAC) pass xa's egress and xb's ingress, where the
// programs count them; the order of several programs by before/after anchors (program, link, id,
// "all"), seen in BPF_PROG_QUERY and in traffic (a dropper first starves the counter after it);
// the errors; and the FeatureError of kernels without tcx.
import { afterAll, beforeAll, expect } from "vitest";
import {
  ATTACH_VERSIONS, AttachType, attachTcx, BpfError, type BpfLink, type BpfProgram, Errno, FeatureError, LinkType, ProgType, progQuery, queryPrograms,
} from "../../mod.ts";
import { describePriv, isRoot, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { netCounter, netnsMissing, TestNetns } from "../helpers/netns.ts";
import { count, countReaching, countsMap, expectCounting, settledCount } from "./counter.ts";
import { thrown } from "../helpers/expect.ts";

const TCX_NEXT = -1;
const TCX_DROP = 2;
const since = ATTACH_VERSIONS.tcx.version;
const tools = netnsMissing();
const CLS = { progType: "sched_cls" } as const;
const NEEDS = { feature: CLS, skipIf: tools ?? (kernelAtLeast(since) ? null : `tcx needs Linux ${since}+ (the FeatureError test runs instead)`) } as const;

let ns: TestNetns | undefined;
let idx = { a: 0, b: 0 };
const fire = (n: number) => ns!.udp("10.78.0.3", n);

beforeAll(() => {
  if (!isRoot || tools) return;
  ns = TestNetns.create("tcx");
  idx = ns.veth("xa", "xb");
  ns.ip("addr", "add", "10.78.0.1/24", "dev", "xa");
  ns.ip("neigh", "add", "10.78.0.3", "lladdr", ns.mac("xb"), "dev", "xa", "nud", "permanent");
});

afterAll(() => ns?.remove());

const ingressIds = (): number[] => ns!.enter(() => progQuery(idx.b, AttachType.tcx_ingress).progIds);

describePriv("attachTcx", NEEDS, () => {
  itPriv("ingress of xb counts what it receives; close() stops it; the link says where it is", NEEDS, () => {
    using counts = countsMap();
    using prog = netCounter(counts, { type: ProgType.sched_cls }, TCX_NEXT);
    const link = ns!.enter(() => attachTcx(prog, "xb", "ingress"));
    expect(link.type).toBe(LinkType.tcx);
    expect(link.description).toBe(`tcx ingress link of program "net_counter" (fd ${prog.fd}) on xb (ifindex ${idx.b})`);
    expect(link.info()).toMatchObject({ type: "tcx", ifindex: idx.b, attachType: AttachType.tcx_ingress, progId: prog.id });
    expect(ingressIds()).toEqual([prog.id]);
    expectCounting(counts, fire, () => link.close());
    expect(ingressIds()).toEqual([]);
  });

  itPriv("egress of xa (by ifindex) counts what it sends", NEEDS, () => {
    using counts = countsMap();
    using prog = netCounter(counts, { type: ProgType.sched_cls }, TCX_NEXT);
    const link = ns!.enter(() => attachTcx(prog, idx.a, "egress"));
    expect(link.info()).toMatchObject({ type: "tcx", ifindex: idx.a, attachType: AttachType.tcx_egress });
    expectCounting(counts, fire, () => link.close());
  });

  itPriv("before/after a link, a program, an id, or all: the kernel's order is as asked", NEEDS, () => {
    using counts = countsMap();
    const progs: BpfProgram[] = [];
    const links: BpfLink[] = [];
    try {
      const load = () => {
        const p = netCounter(counts, { type: ProgType.sched_cls }, TCX_NEXT);
        progs.push(p);
        return p;
      };
      const [a, b, c, d, e, f] = [load(), load(), load(), load(), load(), load()];
      ns!.enter(() => {
        const la = attachTcx(a, "xb", "ingress");
        links.push(la);
        links.push(attachTcx(b, "xb", "ingress", { before: la })); // b a
        links.push(attachTcx(c, "xb", "ingress", { after: "all" })); // b a c
        links.push(attachTcx(d, "xb", "ingress", { before: "all" })); // d b a c
        links.push(attachTcx(e, "xb", "ingress", { after: b })); // d b e a c
        links.push(attachTcx(f, "xb", "ingress", { before: { linkId: la.id } })); // d b e f a c
      });
      expect(ingressIds()).toEqual([d.id, b.id, e.id, f.id, a.id, c.id]);
      // queryPrograms gives each program's link, in run order, and the revision to expect.
      const q = ns!.enter(() => queryPrograms({ interface: "xb" }, AttachType.tcx_ingress));
      const linkOf = new Map(links.map((l) => [l.info().progId, l.id]));
      expect(q.programs.map((p) => [p.id, p.linkId])).toEqual([d, b, e, f, a, c].map((p) => [p.id, linkOf.get(p.id)]));
      const g = load();
      const rev = ns!.enter(() => progQuery(idx.b, AttachType.tcx_ingress).revision);
      expect(q.revision).toBe(rev);
      ns!.enter(() => links.push(attachTcx(g, "xb", "ingress", { after: { programId: c.id }, expectedRevision: rev })));
      expect(ingressIds().at(-1)).toBe(g.id);
      // Each program counts each datagram once.
      const before = count(counts);
      fire(5);
      expect(countReaching(counts, before + 35n) - before).toBeGreaterThanOrEqual(35n);
    } finally {
      for (const l of links) l.close();
      for (const p of progs) p.close();
    }
    expect(ingressIds()).toEqual([]);
  });

  itPriv("a dropper placed before the counter starves it; closing the dropper lets traffic through", NEEDS, () => {
    using counts = countsMap();
    using drops = countsMap();
    using counter = netCounter(counts, { type: ProgType.sched_cls }, TCX_NEXT);
    using dropper = netCounter(drops, { type: ProgType.sched_cls }, TCX_DROP);
    using cl = ns!.enter(() => attachTcx(counter, "xb", "ingress"));
    const dl = ns!.enter(() => attachTcx(dropper, "xb", "ingress", { before: counter }));
    const passed = count(counts);
    fire(10);
    expect(countReaching(drops, 10n)).toBeGreaterThanOrEqual(10n);
    expect(settledCount(counts)).toBe(passed);
    dl.close();
    expectCounting(counts, fire, () => cl.close());
  });

  itPriv("errors say why: a stale revision, an anchor not attached, both anchors, a bad direction", NEEDS, () => {
    using counts = countsMap();
    using a = netCounter(counts, { type: ProgType.sched_cls }, TCX_NEXT);
    using b = netCounter(counts, { type: ProgType.sched_cls }, TCX_NEXT);
    const rev = ns!.enter(() => progQuery(idx.b, AttachType.tcx_ingress).revision);
    using _la = ns!.enter(() => attachTcx(a, "xb", "ingress"));
    const err = (f: () => unknown): BpfError => {
      try {
        ns!.enter(f);
      } catch (e) {
        return e as BpfError;
      }
      throw new Error("expected a throw");
    };
    const stale = err(() => attachTcx(b, "xb", "ingress", { expectedRevision: rev }));
    expect(stale.errno).toBe(Errno.ESTALE);
    expect(stale.message).toMatch(/^attaching program "net_counter" \(fd \d+\) to tcx ingress of xb \(ifindex \d+\): .*the list changed since expectedRevision was read/);
    const absent = err(() => attachTcx(b, "xb", "ingress", { before: b }));
    expect(absent.errno).toBe(Errno.ENOENT);
    expect(absent.message).toMatch(/before program "net_counter" \(fd \d+\): .*the anchor \(before\/after\) is not attached there$/);
    expect(err(() => attachTcx(b, "xb", "ingress", { after: { programId: 0x7ffffff0 } })).message).toMatch(/after program id 2147483632: .*ENOENT/);
    const twice = err(() => attachTcx(a, "xb", "ingress"));
    expect(twice.errno).toBe(Errno.EEXIST);
    expect(twice.message).toMatch(/that program is attached there already$/);
    expect(() => attachTcx(b, "xb", "ingress", { before: a, after: a })).toThrow(/give before or after, not both/);
    expect(() => attachTcx(b, "xb", "sideways" as never)).toThrow(/"ingress" or "egress"/);
  });
});

describePriv("attachTcx without tcx", { feature: CLS, skipIf: tools ?? (kernelAtLeast(since) ? `Linux ${since}+ has tcx: the tests above ran` : null) }, () => {
  itPriv(`via: "link" throws a FeatureError saying tcx needs ${since}`, { feature: CLS }, () => {
    using counts = countsMap();
    using prog = netCounter(counts, { type: ProgType.sched_cls }, TCX_NEXT);
    const e = thrown(() => ns!.enter(() => attachTcx(prog, "xb", "ingress", { via: "link" })).close(), FeatureError);
    expect(e.needs).toEqual(ATTACH_VERSIONS.tcx);
    expect(e.message).toMatch(/^attaching program "net_counter" .* to tcx ingress of xb .*tcx links .*not supported by the running kernel: needs Linux/);
  });
});
