// XDP through netlink (IFLA_XDP), the way of kernels before XDP links (5.9), forced with
// via "netlink" on a veth pair inside a network namespace this file makes: datagrams sent out of
// xa arrive on xb, where the program counts them, in generic and native mode; queryXdp (and
// ip link) say what runs; close() takes it off, only if it is still the one there; one per mode
// unless replace; update(); how links and netlink attachments refuse each other; the errors.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, expect } from "vitest";
import {
  ATTACH_VERSIONS, Attachment, attachXdp, LinkType, NetlinkError, ProgType, queryXdp,
} from "../../mod.ts";
import { describePriv, isRoot, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { netCounter, netnsMissing, TestNetns } from "../helpers/netns.ts";
import { count, countsMap, expectCounting, expectNotCounting, expectPinRefused, settledCount } from "./counter.ts";
import { thrown } from "../helpers/expect.ts";

const XDP_PASS = 2;
const tools = netnsMissing();
const NEEDS = { feature: { progType: "xdp" }, skipIf: tools } as const;
const LINKS = { feature: { progType: "xdp" }, skipIf: tools ?? (kernelAtLeast(ATTACH_VERSIONS.xdp_link.version) ? null : "needs XDP links") } as const;

let ns: TestNetns | undefined;
let idx = { a: 0, b: 0 };
const fire = (n: number) => ns!.udp("10.81.0.3", n);
const query = () => ns!.enter(() => queryXdp("xb"));
const ipLink = () => execFileSync("ip", ["-n", ns!.name, "-d", "link", "show", "dev", "xb"], { encoding: "utf8" });
const NONE = { attached: "none", progId: 0, driverProgId: 0, skbProgId: 0, hwProgId: 0 };

beforeAll(() => {
  if (!isRoot || tools) return;
  ns = TestNetns.create("xdpnl");
  idx = ns.veth("xa", "xb");
  ns.ip("addr", "add", "10.81.0.1/24", "dev", "xa");
  ns.ip("neigh", "add", "10.81.0.3", "lladdr", ns.mac("xb"), "dev", "xa", "nud", "permanent");
});

afterAll(() => ns?.remove());

const load = (counts: ReturnType<typeof countsMap>) => netCounter(counts, { type: ProgType.xdp }, XDP_PASS);

describePriv("attachXdp via netlink", NEEDS, () => {
  for (const [mode, field, shown] of [["skb", "skbProgId", "mtu \\d+ xdpgeneric "], ["driver", "driverProgId", "mtu \\d+ xdp "]] as const) {
    itPriv(`counts what xb receives in ${mode} mode; queryXdp and ip link see it; close() takes it off`, NEEDS, () => {
      using counts = countsMap();
      using prog = load(counts);
      const a = ns!.enter(() => attachXdp(prog, "xb", { mode, via: "netlink" }));
      expect(a).toBeInstanceOf(Attachment);
      expect((a as Attachment).isBpfLink).toBe(false);
      expect((a as Attachment).via).toBe("netlink");
      expect(a.id).toBe(0);
      expect(a.type).toBe(LinkType.xdp);
      expect(a.description).toBe(`xdp attachment (netlink, ${mode} mode) of program "net_counter" (fd ${prog.fd}) on xb (ifindex ${idx.b})`);
      expect(a.info()).toEqual({ id: 0, progId: prog.id, linkType: LinkType.xdp, type: "xdp", ifindex: idx.b });
      expect(query()).toMatchObject({ attached: mode, progId: prog.id, [field]: prog.id });
      expect(ipLink()).toMatch(new RegExp(`${shown}[\\s\\S]*prog/xdp id ${prog.id}`));
      expectCounting(counts, fire, () => a.close());
      expect(query()).toEqual(NONE);
    });
  }

  itPriv("no mode: the kernel's pick (native on a veth), taken off again in that mode", NEEDS, () => {
    using counts = countsMap();
    using prog = load(counts);
    const a = ns!.enter(() => attachXdp(prog, idx.b, { via: "netlink" }));
    expect(a.description).toMatch(/\(netlink, default mode\)/);
    expect(query()).toMatchObject({ attached: "driver", driverProgId: prog.id });
    expectCounting(counts, fire, () => a.close());
    expect(query()).toEqual(NONE);
  });

  itPriv("one per mode (XDP_FLAGS_UPDATE_IF_NOEXIST): a second is EBUSY with the kernel's words; replace: true takes its place", NEEDS, () => {
    using counts = countsMap();
    using other = countsMap();
    using first = load(counts);
    using second = load(other);
    const a = ns!.enter(() => attachXdp(first, "xb", { mode: "skb", via: "netlink" }));
    const e = thrown(() => ns!.enter(() => attachXdp(second, "xb", { mode: "skb", via: "netlink" })).close(), NetlinkError);
    expect(e.kernelMessage).toMatch(/already attached/);
    expect(e.message).toMatch(
      /^attaching program "net_counter" \(fd \d+\) to XDP of xb \(ifindex \d+\) in skb mode through netlink: netlink RTM_SETLINK: EBUSY: .*runs an XDP program in that mode already \(replace: true takes its place/,
    );
    // replace alone goes through netlink under "auto" too.
    const b = ns!.enter(() => attachXdp(second, "xb", { mode: "skb", replace: true }));
    expect(query()).toMatchObject({ attached: "skb", skbProgId: second.id });
    // The first may have seen a packet of the namespace's own (IPv6 neighbour discovery) while it
    // was attached; from here on it sees none.
    const firstSaw = settledCount(counts);
    // The first is no longer the one there: taking it off is refused, and leaves the second.
    expect(() => a.detach()).toThrow(/^detaching xdp attachment .*EEXIST/);
    expect(query()).toMatchObject({ skbProgId: second.id });
    a.close(); // warns, as its program is gone already
    expectCounting(other, fire, () => b.close());
    expect(count(counts)).toBe(firstSaw);
    expect(query()).toEqual(NONE);
  });

  itPriv("update() swaps the program in one request (XDP_FLAGS_REPLACE); detach() takes it off while the object stays open", NEEDS, () => {
    using counts = countsMap();
    using other = countsMap();
    using a = load(counts);
    using b = load(other);
    using att = ns!.enter(() => attachXdp(a, "xb", { mode: "skb", via: "netlink" }));
    att.update(b);
    expect(query()).toMatchObject({ skbProgId: b.id });
    expect(att.info().progId).toBe(b.id);
    expectNotCounting(counts, fire);
    expectCounting(other, fire, () => att.detach());
    expect(query()).toEqual(NONE);
    expect(att.info().progId).toBe(0);
  });

  itPriv("a link and a netlink attachment refuse each other", LINKS, () => {
    using counts = countsMap();
    using prog = load(counts);
    {
      using _link = ns!.enter(() => attachXdp(prog, "xb", { mode: "skb" }));
      expect(_link.type).toBe(LinkType.xdp);
      expect(_link).not.toBeInstanceOf(Attachment);
      // Not even replace: netlink cannot take the place of a link.
      expect(() => ns!.enter(() => attachXdp(prog, "xb", { mode: "skb", replace: true }))).toThrow(/EBUSY.*attached by a bpf_link/);
    }
    using _nl = ns!.enter(() => attachXdp(prog, "xb", { mode: "skb", via: "netlink" }));
    expect(() => ns!.enter(() => attachXdp(prog, "xb", { mode: "skb", via: "link" }))).toThrow(/runs an XDP program in that mode already/);
  });

  itPriv("bad arguments are errors before any syscall; an attachment cannot be pinned", NEEDS, () => {
    using counts = countsMap();
    using prog = load(counts);
    expect(() => attachXdp(prog, "xb", { via: "ioctl" as never })).toThrow(/via must be "auto", "link" or "netlink"/);
    expect(() => attachXdp(prog, "xb", { replace: 1 as never })).toThrow(/replace must be a boolean/);
    expect(() => attachXdp(prog, "xb", { replace: true, via: "link" })).toThrow(/replace is a netlink mode that links do not have/);
    using a = ns!.enter(() => attachXdp(prog, "xb", { mode: "skb", via: "netlink" }));
    const e = expectPinRefused(a);
    expect(e.needs).toEqual(ATTACH_VERSIONS.xdp_link);
  });
});
