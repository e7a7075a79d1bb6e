// Netfilter links in a network namespace this file makes (attached with this thread moved into
// it, as a netfilter link takes the caller's namespace): counting the datagrams sent to its
// loopback at local_out, dropping them at local_in so that a bound socket receives none until
// the link is closed; IP defrag; the errors; and the FeatureError of kernels before 6.4.
import { afterAll, beforeAll, expect } from "vitest";
import {
  ATTACH_VERSIONS, AttachType, attachNetfilter, BpfError, Errno, FeatureError, LinkType, NETFILTER_IP_DEFRAG, NfInetHook, NfProto, ProgType,
} from "../../mod.ts";
import { closeQuietly } from "../../src/sys/file.ts";
import { bind, getsockname, recvfrom, setReceiveTimeout, Sock, sockaddrIn, sockaddrPort, socket } from "../../src/sys/socket.ts";
import { describePriv, isRoot, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { netCounter, netnsMissing, TestNetns } from "../helpers/netns.ts";
import { count, countReaching, countsMap, expectCounting } from "./counter.ts";
import { thrown } from "../helpers/expect.ts";

const NF_DROP = 0;
const NF_ACCEPT = 1;
const since = ATTACH_VERSIONS.netfilter.version;
const tools = netnsMissing();
const NF = { feature: { progType: "netfilter" }, skipIf: tools } as const;

let ns: TestNetns | undefined;
const fire = (n: number) => ns!.udpFromHere("127.0.0.1", n);
const load = (counts: ReturnType<typeof countsMap>, ret = NF_ACCEPT) =>
  netCounter(counts, { type: ProgType.netfilter, attachType: AttachType.netfilter }, ret);
const v4 = (hooknum: number, priority = -128, flags = 0) => ({ pf: NfProto.ipv4, hooknum, priority, flags });

beforeAll(() => {
  if (!isRoot || tools) return;
  ns = TestNetns.create("nf");
});

afterAll(() => ns?.remove());

describePriv("attachNetfilter", NF, () => {
  itPriv("local_out counts what is sent in the namespace; close() stops it; info() says the hook", NF, () => {
    using counts = countsMap();
    using prog = load(counts);
    const link = ns!.enter(() => attachNetfilter(prog, v4(NfInetHook.local_out)));
    expect(link.type).toBe(LinkType.netfilter);
    expect(link.description).toBe(`netfilter link of program "net_counter" (fd ${prog.fd}) on netfilter ipv4 local_out at priority -128`);
    expect(link.info()).toMatchObject({ type: "netfilter", pf: NfProto.ipv4, hooknum: NfInetHook.local_out, priority: -128, flags: 0, progId: prog.id });
    expectCounting(counts, fire, () => link.close());
  });

  itPriv("the test's own namespace is not hooked: traffic there is not counted", NF, () => {
    using counts = countsMap();
    using prog = load(counts);
    using _link = ns!.enter(() => attachNetfilter(prog, v4(NfInetHook.local_in)));
    const other = TestNetns.create("nf2");
    try {
      other.udpFromHere("127.0.0.1", 10);
      expect(count(counts)).toBe(0n);
      fire(10);
      expect(countReaching(counts, 10n)).toBeGreaterThanOrEqual(10n);
    } finally {
      other.remove();
    }
  });

  itPriv("NF_DROP at local_in: a bound socket receives nothing until the link is closed", NF, () => {
    using drops = countsMap();
    using prog = load(drops, NF_DROP);
    const sock = ns!.enter(() => socket(Sock.AF_INET, Sock.SOCK_DGRAM));
    try {
      bind(sock, sockaddrIn("127.0.0.1", 0));
      const port = sockaddrPort(getsockname(sock));
      setReceiveTimeout(sock, 100);
      const buf = new Uint8Array(16);
      const link = ns!.enter(() => attachNetfilter(prog, v4(NfInetHook.local_in)));
      ns!.udpFromHere("127.0.0.1", 3, port);
      expect(countReaching(drops, 3n)).toBeGreaterThanOrEqual(3n);
      expect(recvfrom(sock, buf)).toBeNull();
      link.close();
      ns!.udpFromHere("127.0.0.1", 1, port);
      expect(recvfrom(sock, buf)).toBe(1);
    } finally {
      closeQuietly(sock);
    }
  });

  itPriv("IP defrag (6.6): taken at a priority after defrag's, refused before it", { ...NF, skipIf: NF.skipIf ?? (kernelAtLeast(ATTACH_VERSIONS.netfilter_defrag.version) ? null : "netfilter IP defrag needs 6.6") }, () => {
    using counts = countsMap();
    using prog = load(counts);
    const link = ns!.enter(() => attachNetfilter(prog, v4(NfInetHook.pre_routing, -128, NETFILTER_IP_DEFRAG)));
    expect(link.info()).toMatchObject({ type: "netfilter", flags: NETFILTER_IP_DEFRAG });
    expectCounting(counts, fire, () => link.close());
    expect(() => ns!.enter(() => attachNetfilter(prog, v4(NfInetHook.pre_routing, -500, NETFILTER_IP_DEFRAG)))).toThrow(/ERANGE.*with IP defrag must be above -400/);
  });

  itPriv("bad hooks and priorities are errors that say why", NF, () => {
    using counts = countsMap();
    using prog = load(counts);
    const err = (opts: Parameters<typeof attachNetfilter>[1]): BpfError => {
      try {
        ns!.enter(() => attachNetfilter(prog, opts)).close();
      } catch (e) {
        return e as BpfError;
      }
      throw new Error("expected a throw");
    };
    const first = err(v4(NfInetHook.local_in, -0x80000000));
    expect(first.errno).toBe(Errno.ERANGE);
    expect(first.message).toMatch(/^attaching program "net_counter" \(fd \d+\) to netfilter ipv4 local_in at priority -2147483648: .*may not be INT_MIN or INT_MAX/);
    expect(err({ pf: 99, hooknum: 1, priority: 0 }).message).toMatch(/netfilter pf 99 hook 1 .*EAFNOSUPPORT.*take NfProto.ipv4 and NfProto.ipv6/);
    expect(err(v4(9)).message).toMatch(/netfilter ipv4 hook 9 .*EPROTO.*no such hook/);
    expect(() => attachNetfilter(prog, v4(NfInetHook.local_in, 2 ** 31))).toThrow(/priority must be an int32/);
  });
});

describePriv("attachNetfilter without netfilter links", {
  feature: { progType: "xdp" },
  skipIf: tools ?? (kernelAtLeast(since) ? `Linux ${since}+ has netfilter links: the tests above ran` : null),
}, () => {
  itPriv(`throws a FeatureError naming ${since}`, { feature: { progType: "xdp" } }, () => {
    // No netfilter program loads on such a kernel: an XDP program's fd gets as far as the attach type check.
    using counts = countsMap();
    using prog = netCounter(counts, { type: ProgType.xdp }, 2);
    const e = thrown(() => ns!.enter(() => attachNetfilter(prog, v4(NfInetHook.local_in))).close(), FeatureError);
    expect(e.needs).toEqual(ATTACH_VERSIONS.netfilter);
  });
});
