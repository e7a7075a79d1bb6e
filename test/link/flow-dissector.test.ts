// A flow dissector through BPF_PROG_ATTACH, attachNetns's path on kernels before netns links
// (5.8), forced with via "attach", in a network namespace this file makes: it counts the packets
// the kernel hashes there (sent through an unconnected socket over a multi-queue veth); the
// kernel acts on the calling thread's namespace, so the target must be that one and detaching
// happens from inside it - both checked and said; links and attachments refuse each other; the errors.
import { closeSync, openSync, statSync } from "node:fs";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import {
  ATTACH_VERSIONS, Attachment, AttachType, attachNetns, BpfError, LinkType, progDetach, progGetFdById, ProgType, progQuery,
} from "../../mod.ts";
import { describePriv, isRoot, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { bpfError } from "../helpers/expect.ts";
import { netCounter, netnsMissing, TestNetns } from "../helpers/netns.ts";
import { countsMap, expectCounting, expectNotCounting, expectPinRefused } from "./counter.ts";

const BPF_OK = 0;
const FD = AttachType.flow_dissector;
const tools = netnsMissing();
const NEEDS = { feature: { progType: "flow_dissector" }, skipIf: tools } as const;
// Which namespace an fd opened through /run/netns is, the kernel tells in its fdinfo from 5.14.
const BY_PATH = { ...NEEDS, skipIf: tools ?? (kernelAtLeast("5.14") ? null : "an fd's namespace inode shows in fdinfo from Linux 5.14") } as const;
const HERE = "/proc/thread-self/ns/net";

let ns: TestNetns | undefined;
let nsFd = -1;
const overVeth = (n: number) => ns!.udpFromHere("10.82.0.3", n);
const attached = () => progQuery(nsFd, FD).progIds;

beforeAll(() => {
  if (!isRoot || tools) return;
  ns = TestNetns.create("fd");
  ns.veth("xa", "xb", ["numtxqueues", "4"]);
  ns.ip("addr", "add", "10.82.0.1/24", "dev", "xa");
  ns.ip("neigh", "add", "10.82.0.3", "lladdr", ns.mac("xb"), "dev", "xa", "nud", "permanent");
  nsFd = openSync(ns.path, "r");
});

// One namespace serves every test: a test that failed while attached must not leave its
// dissector behind for the next one to find as EEXIST.
afterEach(() => {
  if (nsFd < 0) return;
  for (const id of attached()) {
    const fd = progGetFdById(id);
    try {
      ns!.enter(() => progDetach(0, fd, FD));
    } finally {
      closeSync(fd);
    }
  }
});

afterAll(() => {
  if (nsFd >= 0) closeSync(nsFd);
  ns?.remove();
});

const dissector = (counts: ReturnType<typeof countsMap>) => netCounter(counts, { type: ProgType.flow_dissector, attachType: FD }, BPF_OK);

describePriv("attachNetns: flow dissector through BPF_PROG_ATTACH", NEEDS, () => {
  itPriv("from a thread inside the namespace: counts what the kernel dissects there; close() there detaches it", NEEDS, () => {
    using counts = countsMap();
    using prog = dissector(counts);
    const a = ns!.enter(() => attachNetns(prog, HERE, FD, { via: "attach" }));
    expect(a).toBeInstanceOf(Attachment);
    expect((a as Attachment).via).toBe("prog_attach");
    expect(a.id).toBe(0);
    expect(a.type).toBe(LinkType.netns);
    expect(a.description).toBe(`netns flow_dissector attachment (BPF_PROG_ATTACH) of program "net_counter" (fd ${prog.fd}) on network namespace ${HERE}`);
    expect(a.info()).toEqual({ id: 0, progId: prog.id, linkType: LinkType.netns, type: "netns", netnsIno: statSync(ns!.path).ino, attachType: FD });
    expect(attached()).toEqual([prog.id]);
    expectCounting(counts, overVeth, () => ns!.enter(() => a.close()));
    expect(attached()).toEqual([]);
  });

  itPriv("by the namespace's path, from inside it", BY_PATH, () => {
    using counts = countsMap();
    using prog = dissector(counts);
    const a = ns!.enter(() => attachNetns(prog, ns!.path, FD, { via: "attach" }));
    expect(attached()).toEqual([prog.id]);
    expectCounting(counts, overVeth, () => ns!.enter(() => a.close()));
    expect(attached()).toEqual([]);
  });

  itPriv("another namespace than the calling thread's is refused, saying why; so is detaching from outside", BY_PATH, () => {
    using counts = countsMap();
    using prog = dissector(counts);
    expect(() => attachNetns(prog, ns!.path, FD, { via: "attach" })).toThrow(
      /^attaching program "net_counter" \(fd \d+\) as flow_dissector to network namespace \/run\/netns\/\S+: BPF_PROG_ATTACH puts a flow dissector on the calling thread's own network namespace \(net:\[\d+\]\), not on network namespace \/run\/netns\/\S+ \(net:\[\d+\]\): call it from a thread inside that namespace/,
    );
    expect(attached()).toEqual([]);
    const a = ns!.enter(() => attachNetns(prog, nsFd, FD, { via: "attach" }));
    expect(() => a.detach()).toThrow(/^detaching netns flow_dissector attachment .*: the calling thread is in network namespace net:\[\d+\], not net:\[\d+\] where it was attached/);
    expect(attached()).toEqual([prog.id]);
    ns!.enter(() => a.detach());
    expect(attached()).toEqual([]);
    expect(a.closed).toBe(false);
    a.close();
  });

  itPriv("update() puts another program in its place, from inside the namespace", NEEDS, () => {
    using counts = countsMap();
    using other = countsMap();
    using a = dissector(counts);
    using b = dissector(other);
    using att = ns!.enter(() => attachNetns(a, HERE, FD, { via: "attach" }));
    ns!.enter(() => att.update(b));
    expect(attached()).toEqual([b.id]);
    expectNotCounting(counts, overVeth);
    expectCounting(other, overVeth, () => ns!.enter(() => att.detach()));
    expect(attached()).toEqual([]);
  });

  itPriv("one flow dissector per namespace: a link beside an attachment, or an attachment beside a link, is EEXIST", NEEDS, () => {
    using counts = countsMap();
    using prog = dissector(counts);
    const err = (f: () => unknown): BpfError => bpfError(() => ns!.enter(f));
    {
      using _a = ns!.enter(() => attachNetns(prog, HERE, FD, { via: "attach" }));
      const e = err(() => attachNetns(prog, HERE, FD, { via: "attach" }));
      expect(e).toBeInstanceOf(BpfError);
      expect(e.errno).toBe(17);
      expect(e.message).toMatch(/that namespace has a flow dissector already \(one per namespace\)$/);
      if (kernelAtLeast(ATTACH_VERSIONS.netns_link.version)) {
        expect(err(() => attachNetns(prog, HERE, FD, { via: "link" })).errno).toBe(17);
      }
      ns!.enter(() => _a.close());
    }
    if (!kernelAtLeast(ATTACH_VERSIONS.netns_link.version)) return;
    using _l = attachNetns(prog, ns!.path, FD, { via: "link" });
    expect(err(() => attachNetns(prog, HERE, FD, { via: "attach" })).message).toMatch(/flow dissector already/);
  });

  itPriv("bad arguments are TypeErrors; an attachment cannot be pinned", NEEDS, () => {
    using counts = countsMap();
    using prog = dissector(counts);
    expect(() => attachNetns(prog, HERE, AttachType.sk_lookup, { via: "attach" })).toThrow(/sk_lookup programs attach through links only/);
    expect(() => attachNetns(prog, HERE, FD, { via: "tc" as never })).toThrow(/via must be "auto", "link" or "attach"/);
    using a = ns!.enter(() => attachNetns(prog, HERE, FD, { via: "attach" }));
    const e = expectPinRefused(a);
    expect(e.needs).toEqual(ATTACH_VERSIONS.netns_link);
    ns!.enter(() => a.close());
  });
});
