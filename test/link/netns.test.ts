// Network namespace links on a namespace this file makes: sk_lookup counting the datagrams
// delivered to its loopback, and a flow dissector counting the packets the kernel hashes (sent
// through an unconnected socket over a multi-queue veth, which hashes each to pick a queue);
// then the errors, and the FeatureError of kernels without the link.
import { closeSync, openSync, statSync } from "node:fs";
import { afterAll, beforeAll, expect } from "vitest";
import {
  ATTACH_VERSIONS, AttachType, attachNetns, Errno, FeatureError, LinkType, ProgType, queryPrograms,
} from "../../mod.ts";
import { describePriv, isRoot, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { netCounter, netnsMissing, TestNetns } from "../helpers/netns.ts";
import { count, countReaching, countsMap, expectCounting } from "./counter.ts";
import { bpfError, thrown } from "../helpers/expect.ts";

const SK_PASS = 1;
const BPF_OK = 0;
const tools = netnsMissing();
const SK = { feature: { progType: "sk_lookup" }, skipIf: tools } as const;
const dissectorSince = ATTACH_VERSIONS.netns_link.version;
const FD = {
  feature: { progType: "flow_dissector" },
  skipIf: tools ?? (kernelAtLeast(dissectorSince) ? null : `flow dissector links need Linux ${dissectorSince}+ (the FeatureError test runs instead)`),
} as const;

let ns: TestNetns | undefined;
const toLoopback = (n: number) => ns!.udpFromHere("127.0.0.1", n);
const overVeth = (n: number) => ns!.udpFromHere("10.79.0.3", n);

beforeAll(() => {
  if (!isRoot || tools) return;
  ns = TestNetns.create("netns");
  ns.veth("xa", "xb", ["numtxqueues", "4"]);
  ns.ip("addr", "add", "10.79.0.1/24", "dev", "xa");
  ns.ip("neigh", "add", "10.79.0.3", "lladdr", ns.mac("xb"), "dev", "xa", "nud", "permanent");
});

afterAll(() => ns?.remove());

const skLookup = (counts: ReturnType<typeof countsMap>) => netCounter(counts, { type: ProgType.sk_lookup, attachType: AttachType.sk_lookup }, SK_PASS);
const dissector = (counts: ReturnType<typeof countsMap>) => netCounter(counts, { type: ProgType.flow_dissector, attachType: AttachType.flow_dissector }, BPF_OK);

describePriv("attachNetns: sk_lookup", SK, () => {
  itPriv("by path: counts the datagrams delivered in the namespace; close() stops it; info() names the namespace", SK, () => {
    using counts = countsMap();
    using prog = skLookup(counts);
    const link = attachNetns(prog, ns!.path, AttachType.sk_lookup);
    expect(link.type).toBe(LinkType.netns);
    expect(link.description).toBe(`netns sk_lookup link of program "net_counter" (fd ${prog.fd}) on network namespace ${ns!.path}`);
    expect(link.info()).toMatchObject({ type: "netns", attachType: AttachType.sk_lookup, progId: prog.id, netnsIno: statSync(ns!.path).ino });
    expectCounting(counts, toLoopback, () => link.close());
  });

  itPriv("by fd, closed by the caller at once: the link holds the namespace; two links both run", SK, () => {
    using counts = countsMap();
    using a = skLookup(counts);
    using b = skLookup(counts);
    const fd = openSync(ns!.path, "r");
    const la = attachNetns(a, fd, AttachType.sk_lookup);
    const lb = attachNetns(b, fd, AttachType.sk_lookup);
    // What the namespace runs, by fd and by path, in attach order.
    expect(queryPrograms({ netns: fd }, AttachType.sk_lookup).programs.map((p) => p.id)).toEqual([a.id, b.id]);
    closeSync(fd);
    expect(queryPrograms({ netns: ns!.path }, AttachType.sk_lookup).programs.map((p) => p.id)).toEqual([a.id, b.id]);
    expect(la.description).toMatch(/on network namespace fd \d+$/);
    const before = count(counts);
    toLoopback(10);
    expect(countReaching(counts, before + 20n) - before).toBeGreaterThanOrEqual(20n);
    la.close();
    expectCounting(counts, toLoopback, () => lb.close());
  });

  itPriv("the wrong attach type or target is an error saying so", SK, () => {
    using counts = countsMap();
    using prog = skLookup(counts);
    expect(() => attachNetns(prog, ns!.path, AttachType.xdp as never)).toThrow(/takes AttachType.sk_lookup or AttachType.flow_dissector, got xdp \(37\)/);
    expect(() => attachNetns(prog, counts.fd, AttachType.sk_lookup)).toThrow(/network namespace fd \d+ is anon_inode:bpf-map, not a network namespace|is anon_inode:bpf_map/);
    const e = bpfError(() => attachNetns(prog, "/proc/self/stat", AttachType.sk_lookup).close());
    expect(e.errno).toBe(Errno.EINVAL);
    expect(e.message).toMatch(/^attaching program "net_counter" \(fd \d+\) as sk_lookup to network namespace \/proc\/self\/stat: .*is the target a network namespace/);
    expect(() => attachNetns(prog, "/no/such/netns", AttachType.sk_lookup)).toThrow(/to network namespace \/no\/such\/netns: open: ENOENT/);
  });
});

describePriv("attachNetns: flow dissector", FD, () => {
  itPriv("counts the packets the kernel dissects in the namespace; close() stops it; one per namespace", FD, () => {
    using counts = countsMap();
    using prog = dissector(counts);
    const link = attachNetns(prog, ns!.path, AttachType.flow_dissector);
    expect(link.info()).toMatchObject({ type: "netns", attachType: AttachType.flow_dissector, progId: prog.id });
    const e = thrown(() => attachNetns(prog, ns!.path, AttachType.flow_dissector).close(), Error);
    expect(e.message).toMatch(/as flow_dissector to network namespace .*that namespace has a flow dissector already/);
    expectCounting(counts, overVeth, () => link.close());
  });
});

describePriv("attachNetns without flow dissector links", {
  feature: { progType: "flow_dissector" },
  skipIf: tools ?? (kernelAtLeast(dissectorSince) ? `Linux ${dissectorSince}+ has flow dissector links: the test above ran` : null),
}, () => {
  itPriv(`throws a FeatureError naming ${dissectorSince}`, { feature: { progType: "flow_dissector" } }, () => {
    using counts = countsMap();
    using prog = dissector(counts);
    const e = thrown(() => attachNetns(prog, ns!.path, AttachType.flow_dissector).close(), FeatureError);
    expect(e.needs).toEqual(ATTACH_VERSIONS.netns_link);
  });
});
