// netkit links. Kernels without netkit (before 6.7, or built without CONFIG_NETKIT, as this
// project's host) refuse every netkit attach with EINVAL: a FeatureError naming both, tried on a
// veth inside a namespace this file makes. Where netkit and an ip that makes netkit devices are
// there, a program on the primary device counts what it sends.
import { afterAll, beforeAll, expect } from "vitest";
import { ATTACH_VERSIONS, AttachType, attachNetkit, BpfError, Errno, FeatureError, LinkType, ProgType } from "../../mod.ts";
import { describePriv, isRoot, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { configState } from "../helpers/kconfig.ts";
import { netCounter, netnsMissing, TestNetns } from "../helpers/netns.ts";
import { countsMap, expectCounting } from "./counter.ts";
import { thrown } from "../helpers/expect.ts";

const NETKIT_NEXT = -1;
const tools = netnsMissing();
const CLS = { feature: { progType: "sched_cls" }, skipIf: tools } as const;
const since = ATTACH_VERSIONS.netkit.version;
// Whether the kernel has netkit: its version and build config (null where no config is found).
const hasNetkit = !kernelAtLeast(since) ? false : configState("CONFIG_NETKIT") === "off" ? false : configState("CONFIG_NETKIT") === "on" ? true : null;

/** Why no netkit device can be made here (tried in a namespace made and removed at once), or null. */
function netkitDeviceMissing(): string | null {
  if (!isRoot || tools || hasNetkit === false) return null; // the describe says why
  const probe = TestNetns.create("nkprobe");
  try {
    probe.ip("link", "add", "nk0", "type", "netkit", "peer", "name", "nk1");
    return null;
  } catch (e) {
    return `cannot make a netkit device here (ip may not know netkit): ${String((e as { stderr?: unknown }).stderr ?? e).trim()}`;
  } finally {
    probe.remove();
  }
}

const netkitDevice = netkitDeviceMissing();
let ns: TestNetns | undefined;

beforeAll(() => {
  if (!isRoot || tools) return;
  ns = TestNetns.create("nk");
  ns.veth("xa", "xb");
  if (hasNetkit === false || netkitDevice !== null) return;
  ns.ip("link", "add", "nk0", "type", "netkit", "peer", "name", "nk1");
  ns.ip("link", "set", "nk0", "up");
  ns.ip("link", "set", "nk1", "up");
  ns.ip("addr", "add", "10.81.0.1/24", "dev", "nk0");
});

afterAll(() => ns?.remove());

describePriv("attachNetkit where the kernel has no netkit", { ...CLS, skipIf: tools ?? (hasNetkit === true ? `this kernel has netkit (${since}+, CONFIG_NETKIT)` : null) }, () => {
  itPriv(`a FeatureError naming ${since} and CONFIG_NETKIT (or, where the config is unknown and netkit is there, ENXIO for a veth)`, CLS, () => {
    using counts = countsMap();
    using prog = netCounter(counts, { type: ProgType.sched_cls }, NETKIT_NEXT);
    const e = thrown(() => ns!.enter(() => attachNetkit(prog, "xa", "primary")).close(), Error);
    if (hasNetkit === null && e instanceof BpfError) {
      expect(e.errno).toBe(Errno.ENXIO);
      expect(e.message).toMatch(/xa \(ifindex \d+\) is not a netkit device/);
    } else {
      expect(e).toBeInstanceOf(FeatureError);
      expect((e as FeatureError).needs).toEqual(ATTACH_VERSIONS.netkit);
      expect(e.message).toMatch(
        /^attaching program "net_counter" \(fd \d+\) to netkit primary of xa \(ifindex \d+\): netkit links not supported by the running kernel: needs Linux 6\.7\+ built with CONFIG_NETKIT/,
      );
    }
  });
});

describePriv("attachNetkit", { ...CLS, skipIf: tools ?? (hasNetkit === false ? `the kernel has no netkit (${since}+, CONFIG_NETKIT)` : null) }, () => {
  itPriv("a veth is not a netkit device: ENXIO, saying so", CLS, () => {
    using counts = countsMap();
    using prog = netCounter(counts, { type: ProgType.sched_cls }, NETKIT_NEXT);
    expect(() => ns!.enter(() => attachNetkit(prog, "xa", "primary"))).toThrow(/ENXIO.*xa \(ifindex \d+\) is not a netkit device/);
  });

  itPriv("on the primary: counts what it sends; close() stops it; peer programs attach through the primary too", { ...CLS, skipIf: CLS.skipIf ?? netkitDevice }, () => {
    expect(ns!.ip("-o", "link", "show", "nk0")).toMatch(/netkit|nk0/);
    using counts = countsMap();
    using prog = netCounter(counts, { type: ProgType.sched_cls }, NETKIT_NEXT);
    const link = ns!.enter(() => attachNetkit(prog, "nk0", "primary"));
    expect(link.type).toBe(LinkType.netkit);
    expect(link.info()).toMatchObject({ type: "netkit", attachType: AttachType.netkit_primary, progId: prog.id });
    expectCounting(counts, (n) => ns!.udpFromHere("10.81.0.3", n), () => link.close());
    using peer = ns!.enter(() => attachNetkit(prog, "nk0", "peer"));
    expect(peer.info()).toMatchObject({ type: "netkit", attachType: AttachType.netkit_peer });
    expect(() => ns!.enter(() => attachNetkit(prog, "nk1", "peer"))).toThrow(/EACCES.*give the primary device of the pair/);
  });
});
