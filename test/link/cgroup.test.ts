// cgroup_skb egress programs on a cgroup v2 directory this file makes, counting the datagrams a
// process in that cgroup sends (inside a network namespace this file makes, to its loopback):
// as a cgroup link and, forced with via "attach", as the BPF_PROG_ATTACH of kernels before 5.7,
// whose object still detaches on close(); override mode, update, detach, pinning; the errors.
import { closeSync, openSync, readFileSync, statSync } from "node:fs";
import { afterAll, beforeAll, expect } from "vitest";
import {
  ATTACH_VERSIONS, AttachFlags, AttachType, attachCgroup, BpfLink, Errno, LinkType, ProgType, progQuery,
} from "../../mod.ts";
import { describePriv, isRoot, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { cgroup2Root, netCounter, netnsMissing, TestCgroup, TestNetns } from "../helpers/netns.ts";
import { count, countReaching, countsMap, expectCounting, expectPinRefused, settledCount } from "./counter.ts";
import { bpfError } from "../helpers/expect.ts";

const ALLOW = 1; // cgroup_skb: let the packet go
const EGRESS = AttachType.cgroup_inet_egress;
const skip = netnsMissing() ?? (isRoot && cgroup2Root() === null ? "needs a cgroup2 mount (none in /proc/mounts)" : null);
const SKB = { feature: { progType: "cgroup_skb" }, skipIf: skip } as const;
const LINKS = { feature: [{ progType: "cgroup_skb" }, "link_create"], skipIf: skip } as const;

let ns: TestNetns | undefined;
let cg: TestCgroup | undefined;
let cgFd = -1;
const fire = (n: number) => ns!.udp("127.0.0.1", n, { cgroup: cg!.path });
const attached = (): number[] => progQuery(cgFd, EGRESS).progIds;

beforeAll(() => {
  if (!isRoot || skip) return;
  ns = TestNetns.create("cg");
  cg = TestCgroup.create("cg");
  cgFd = openSync(cg.path, "r");
});

afterAll(() => {
  if (cgFd >= 0) closeSync(cgFd);
  ns?.remove();
  cg?.remove();
});

const load = (counts: ReturnType<typeof countsMap>) => netCounter(counts, { type: ProgType.cgroup_skb, attachType: EGRESS }, ALLOW);

describePriv("attachCgroup", SKB, () => {
  itPriv("as a cgroup link: counts what the cgroup's processes send; close() stops it", LINKS, () => {
    using counts = countsMap();
    using prog = load(counts);
    const link = attachCgroup(prog, cg!.path, EGRESS, { via: "link" });
    expect(link).toBeInstanceOf(BpfLink);
    expect(link.isBpfLink).toBe(true);
    expect(link.id).toBeGreaterThan(0);
    expect(link.type).toBe(LinkType.cgroup);
    expect(link.description).toBe(`cgroup cgroup_inet_egress link of program "net_counter" (fd ${prog.fd}) on cgroup ${cg!.path}`);
    expect(link.info()).toMatchObject({ type: "cgroup", attachType: EGRESS, progId: prog.id });
    expect(attached()).toEqual([prog.id]);
    expectCounting(counts, fire, () => link.close());
    expect(attached()).toEqual([]);
  });

  itPriv("\"auto\" makes a link where the kernel has cgroup links", LINKS, () => {
    using counts = countsMap();
    using prog = load(counts);
    using link = attachCgroup(prog, cg!.path, EGRESS);
    expect(link.isBpfLink).toBe(kernelAtLeast(ATTACH_VERSIONS.cgroup_link.version));
  });

  itPriv("through BPF_PROG_ATTACH (allow_multi): counts; close() detaches it (BPF_PROG_DETACH); no id, no pin", SKB, () => {
    using counts = countsMap();
    using prog = load(counts);
    const link = attachCgroup(prog, cg!.path, EGRESS, { via: "attach" });
    expect(link.isBpfLink).toBe(false);
    expect(link.id).toBe(0);
    expect(link.attachFlags).toBe(AttachFlags.allow_multi);
    expect(link.description).toBe(`cgroup cgroup_inet_egress attachment (BPF_PROG_ATTACH, multi) of program "net_counter" (fd ${prog.fd}) on cgroup ${cg!.path}`);
    expect(progQuery(cgFd, EGRESS)).toMatchObject({ progIds: [prog.id], attachFlags: AttachFlags.allow_multi });
    const info = link.info();
    expect(info).toMatchObject({ id: 0, type: "cgroup", attachType: EGRESS, progId: prog.id, linkType: LinkType.cgroup });
    // The cgroup id is the directory's inode, which the fallback reads from its fdinfo where the
    // kernel shows one there (0n where not), and which a link's info() says.
    const shown = /^ino:/m.test(readFileSync(`/proc/self/fdinfo/${cgFd}`, "utf8"));
    const cgroupId = BigInt(statSync(cg!.path).ino);
    expect(info.type === "cgroup" && info.cgroupId).toBe(shown ? cgroupId : 0n);
    if (kernelAtLeast(ATTACH_VERSIONS.cgroup_link.version)) {
      using real = attachCgroup(prog, cg!.path, AttachType.cgroup_inet_ingress, { via: "link" });
      const linkInfo = real.info();
      expect(linkInfo.type === "cgroup" && linkInfo.cgroupId).toBe(cgroupId);
    }
    const e = expectPinRefused(link);
    expect(e.message).toMatch(/pinning a cgroup attachment .*made with BPF_PROG_ATTACH, not a bpf_link/);
    expectCounting(counts, fire, () => link.close());
    expect(attached()).toEqual([]);
    expect(() => link.info()).toThrow(/is closed/);
  });

  itPriv("by fd, the caller's fd closed at once: the attachment keeps its own and still detaches on close()", SKB, () => {
    using counts = countsMap();
    using prog = load(counts);
    for (const via of ["attach", ...(kernelAtLeast(ATTACH_VERSIONS.cgroup_link.version) ? ["link" as const] : [])] as const) {
      const fd = openSync(cg!.path, "r");
      const link = attachCgroup(prog, fd, EGRESS, { via });
      closeSync(fd);
      expect(link.description).toMatch(/on cgroup fd \d+$/);
      expectCounting(counts, fire, () => link.close());
      expect(attached()).toEqual([]);
    }
  });

  itPriv("override mode: BPF_F_ALLOW_OVERRIDE, whatever via \"auto\" would do", SKB, () => {
    using counts = countsMap();
    using prog = load(counts);
    const link = attachCgroup(prog, cg!.path, EGRESS, { override: true });
    expect(link.isBpfLink).toBe(false);
    expect(progQuery(cgFd, EGRESS)).toMatchObject({ progIds: [prog.id], attachFlags: AttachFlags.allow_override });
    expectCounting(counts, fire, () => link.close());
    expect(attached()).toEqual([]);
  });

  itPriv("a BPF_PROG_ATTACH attachment: update() swaps the program (BPF_F_REPLACE), detach() stops it while open", SKB, () => {
    using counts = countsMap();
    using other = countsMap();
    using a = load(counts);
    using b = load(other);
    using link = attachCgroup(a, cg!.path, EGRESS, { via: "attach" });
    const e = bpfError(() => link.update(b, { oldProgram: b }));
    expect(e.errno).toBe(Errno.EPERM);
    link.update(b, { oldProgram: a });
    expect(attached()).toEqual([b.id]);
    expect(link.info().progId).toBe(b.id);
    fire(5);
    expect(countReaching(other, 5n)).toBeGreaterThanOrEqual(5n);
    expect(settledCount(counts)).toBe(0n);
    expectCounting(other, fire, () => link.detach());
    expect(attached()).toEqual([]);
    expect(link.closed).toBe(false);
    expect(link.info().progId).toBe(0);
  });

  itPriv("what a process outside the cgroup sends is not counted", SKB, () => {
    using counts = countsMap();
    using prog = load(counts);
    using _link = attachCgroup(prog, cg!.path, EGRESS);
    ns!.udp("127.0.0.1", 10);
    expect(count(counts)).toBe(0n);
    fire(10);
    expect(countReaching(counts, 10n)).toBeGreaterThanOrEqual(10n);
  });

  itPriv("bad arguments are errors that say why", SKB, () => {
    using counts = countsMap();
    using prog = load(counts);
    expect(() => attachCgroup(prog, cg!.path, AttachType.xdp)).toThrow(/xdp \(37\) is not a cgroup attach type/);
    expect(() => attachCgroup(prog, cg!.path, EGRESS, { override: true, via: "link" })).toThrow(/override is a BPF_PROG_ATTACH mode that links do not have/);
    expect(() => attachCgroup(prog, cg!.path, EGRESS, { flags: AttachFlags.allow_multi })).toThrow(/allow_multi\/allow_override are chosen by `override`/);
    expect(() => attachCgroup(prog, cg!.path, EGRESS, { via: "ioctl" as never })).toThrow(/via must be "auto", "link" or "attach"/);
    const file = `${cg!.path}/cgroup.procs`;
    expect(() => attachCgroup(prog, file, EGRESS)).toThrow(/^attaching program "net_counter" \(fd \d+\) as cgroup_inet_egress to cgroup .*cgroup\.procs: open: ENOTDIR/);
  });
});
