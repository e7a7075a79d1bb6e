// XDP links on a veth pair inside a network namespace this file makes: datagrams sent out of xa
// (to an address whose neighbour entry is xb's MAC) arrive on xb, where the program counts them,
// in generic (skb) and native (driver) mode; then the errors, and the FeatureError of kernels
// without XDP links.
import { afterAll, beforeAll, expect } from "vitest";
import {
  ATTACH_VERSIONS, attachXdp, Errno, FeatureError, interfaceIndex, LinkType, ProgType, XDP_FLAGS_SKB_MODE,
} from "../../mod.ts";
import { describePriv, isRoot, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { netCounter, netnsMissing, TestNetns } from "../helpers/netns.ts";
import { countReaching, countsMap, expectCounting } from "./counter.ts";
import { bpfError, thrown } from "../helpers/expect.ts";

const XDP_PASS = 2;
const since = ATTACH_VERSIONS.xdp_link.version;
const tools = netnsMissing();
const NEEDS = { feature: { progType: "xdp" }, skipIf: tools ?? (kernelAtLeast(since) ? null : `XDP links need Linux ${since}+ (the FeatureError test runs instead)`) } as const;

let ns: TestNetns | undefined;
let idx = { a: 0, b: 0 };
const fire = (n: number) => ns!.udp("10.77.0.3", n);

beforeAll(() => {
  if (!isRoot || tools) return;
  ns = TestNetns.create("xdp");
  idx = ns.veth("xa", "xb");
  ns.ip("addr", "add", "10.77.0.1/24", "dev", "xa");
  // No one has 10.77.0.3: its neighbour entry sends the datagrams to xb, which receives them.
  ns.ip("neigh", "add", "10.77.0.3", "lladdr", ns.mac("xb"), "dev", "xa", "nud", "permanent");
});

afterAll(() => ns?.remove());

describePriv("attachXdp", NEEDS, () => {
  for (const mode of ["skb", "driver"] as const) {
    itPriv(`counts what xb receives in ${mode} mode; close() stops it`, NEEDS, () => {
      using counts = countsMap();
      using prog = netCounter(counts, { type: ProgType.xdp }, XDP_PASS);
      const link = ns!.enter(() => attachXdp(prog, "xb", { mode }));
      expect(link.type).toBe(LinkType.xdp);
      expect(link.description).toBe(`xdp link of program "net_counter" (fd ${prog.fd}) on xb (ifindex ${idx.b})`);
      expect(link.info()).toMatchObject({ type: "xdp", ifindex: idx.b, progId: prog.id });
      expectCounting(counts, fire, () => link.close());
    });
  }

  itPriv("by ifindex and mode flags; the interface name resolves in the calling thread's namespace", NEEDS, () => {
    using counts = countsMap();
    using prog = netCounter(counts, { type: ProgType.xdp }, XDP_PASS);
    expect(ns!.enter(() => interfaceIndex("xb"))).toBe(idx.b);
    // The test's own namespace has no xb: ENODEV, saying where it looked.
    expect(() => interfaceIndex("xb")).toThrow(/ENODEV.*no interface "xb" in this thread's network namespace/);
    const link = ns!.enter(() => attachXdp(prog, idx.b, { mode: XDP_FLAGS_SKB_MODE }));
    expect(link.description).toBe(`xdp link of program "net_counter" (fd ${prog.fd}) on ifindex ${idx.b}`);
    expectCounting(counts, fire, () => link.close());
  });

  itPriv("one program per mode: a second link is refused, saying why; after close() one attaches again", NEEDS, () => {
    using counts = countsMap();
    using prog = netCounter(counts, { type: ProgType.xdp }, XDP_PASS);
    using first = ns!.enter(() => attachXdp(prog, "xb", { mode: "skb" }));
    const e = bpfError(() => ns!.enter(() => attachXdp(prog, "xb", { mode: "skb" })).close());
    expect([Errno.EBUSY, Errno.EEXIST]).toContain(e.errno);
    expect(e.message).toMatch(/^attaching program "net_counter" \(fd \d+\) to XDP of xb \(ifindex \d+\) in skb mode: .*runs an XDP program in that mode already/);
    first.close();
    using again = ns!.enter(() => attachXdp(prog, "xb", { mode: "skb" }));
    fire(3);
    expect(countReaching(counts, 3n)).toBeGreaterThanOrEqual(3n);
  });

  itPriv("bad arguments are errors before any syscall; hw mode on a veth says what it needs", NEEDS, () => {
    using counts = countsMap();
    using prog = netCounter(counts, { type: ProgType.xdp }, XDP_PASS);
    expect(() => attachXdp(prog, "xb", { mode: "fast" as never })).toThrow(/XDP mode must be "skb", "driver" or "hw"/);
    expect(() => attachXdp(prog, "xb", { mode: 6 })).toThrow(/XDP mode flags must be one of/);
    expect(() => attachXdp(prog, "no/such")).toThrow(/without "\/"/);
    expect(() => attachXdp(prog, "a-name-too-long-for-ifnamsiz")).toThrow(/longer than 15 bytes/);
    expect(() => attachXdp(prog, 0)).toThrow(/ifindex must be a positive integer/);
    expect(() => ns!.enter(() => attachXdp(prog, "xb", { mode: "hw" }))).toThrow(/in hw mode: .*hw mode needs a NIC that offloads XDP/);
  });
});

describePriv("attachXdp without XDP links", { feature: { progType: "xdp" }, skipIf: tools ?? (kernelAtLeast(since) ? `Linux ${since}+ has XDP links: the tests above ran` : null) }, () => {
  itPriv(`throws a FeatureError naming ${since}`, { feature: { progType: "xdp" } }, () => {
    using counts = countsMap();
    using prog = netCounter(counts, { type: ProgType.xdp }, XDP_PASS);
    const e = thrown(() => ns!.enter(() => attachXdp(prog, "xb")).close(), FeatureError);
    expect(e.needs).toEqual(ATTACH_VERSIONS.xdp_link);
    expect(e.message).toMatch(/^attaching program "net_counter" .* to XDP of xb .*XDP bpf_links .*not supported by the running kernel: needs Linux/);
  });
});
