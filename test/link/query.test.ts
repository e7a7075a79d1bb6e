// queryPrograms: what is attached to a cgroup this file makes (its own and, effective, its
// parent's), in run order, as Debian's bpftool lists it (`bpftool cgroup show -j`); links and
// BPF_PROG_ATTACH alike; the errors, before any syscall where the input shows them.
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AttachFlags, AttachType, attachCgroup, BpfError, Errno, ProgType, queryPrograms } from "../../mod.ts";
import { describePriv, isRoot, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { cgroup2Root, netCounter, TestCgroup } from "../helpers/netns.ts";
import { bpftoolMissing } from "../helpers/tools.ts";
import { countsMap } from "./counter.ts";

const EGRESS = AttachType.cgroup_inet_egress;
const skip = isRoot && cgroup2Root() === null ? "needs a cgroup2 mount (none in /proc/mounts)" : null;
const SKB = { feature: { progType: "cgroup_skb" }, skipIf: skip } as const;
const LINKS = { feature: [{ progType: "cgroup_skb" }, "link_create"], skipIf: skip ?? bpftoolMissing() ?? null } as const;

let cg: TestCgroup | undefined;
let child = "";
beforeAll(() => {
  if (!isRoot || skip) return;
  cg = TestCgroup.create("query");
  child = join(cg.path, "child");
  mkdirSync(child, { recursive: true });
});
afterAll(() => {
  if (child) rmdirSync(child);
  cg?.remove();
});

/** `bpftool cgroup show PATH [effective] -j`: id, attach type and flags of each program. */
function bpftool(path: string, effective = false): { id: number; attach_type: string; attach_flags?: string }[] {
  const out = execFileSync("bpftool", ["cgroup", "show", path, ...(effective ? ["effective"] : []), "-j"], { encoding: "utf8" }).trim();
  return out === "" ? [] : JSON.parse(out);
}

it("queryPrograms: a target of none or two kinds, a bad type or option is a TypeError or RangeError before any syscall", () => {
  expect(() => queryPrograms({} as never, EGRESS)).toThrow(/exactly one of cgroup, interface, netns, fd; got none/);
  expect(() => queryPrograms({ cgroup: "/x", fd: 3 } as never, EGRESS)).toThrow(/got cgroup, fd/);
  expect(() => queryPrograms(null as never, EGRESS)).toThrow(TypeError);
  expect(() => queryPrograms({ cgroup: "" }, EGRESS)).toThrow(TypeError);
  expect(() => queryPrograms({ fd: -1 }, EGRESS)).toThrow(RangeError);
  expect(() => queryPrograms({ interface: 0 }, AttachType.tcx_ingress)).toThrow(RangeError);
  expect(() => queryPrograms({ fd: 0 }, -1)).toThrow(RangeError);
  expect(() => queryPrograms({ fd: 0 }, EGRESS, { effective: 1 as never })).toThrow(TypeError);
});

describePriv("queryPrograms", SKB, () => {
  itPriv("a cgroup's programs in run order, as bpftool cgroup show lists them; effective adds its parent's", LINKS, () => {
    using counts = countsMap();
    const spec = { type: ProgType.cgroup_skb, attachType: EGRESS };
    using a = netCounter(counts, spec, 1), b = netCounter(counts, spec, 1), c = netCounter(counts, spec, 1);
    expect(queryPrograms({ cgroup: cg!.path }, EGRESS).programs).toEqual([]);
    expect(bpftool(cg!.path)).toEqual([]);
    using la = attachCgroup(a, cg!.path, EGRESS, { via: "link" });
    using lb = attachCgroup(b, cg!.path, EGRESS, { via: "attach" });
    using lc = attachCgroup(c, child, EGRESS);
    const q = queryPrograms({ cgroup: cg!.path }, EGRESS);
    expect(q.programs.map((p) => p.id)).toEqual([a.id, b.id]);
    expect(q.attachFlags).toBe(AttachFlags.allow_multi);
    if (kernelAtLeast("6.0")) {
      const theirs = bpftool(cg!.path);
      expect(theirs.map((p) => [p.id, p.attach_type, p.attach_flags])).toEqual([[a.id, "cgroup_inet_egress", "multi"], [b.id, "cgroup_inet_egress", "multi"]]);
    } else {
      // Debian's bpftool 7.1 asks for prog_attach_flags, which kernels before 6.0 refuse (EINVAL);
      // queryPrograms asks again without them. Its effective listing, below, asks for none.
      expect(() => bpftool(cg!.path)).toThrow(/Command failed/);
    }
    expect(typeof q.revision).toBe("bigint");
    // Each program's own flags where the kernel reports them (6.0+); cgroups name no links.
    for (const p of q.programs) {
      expect(p.attachFlags ?? (kernelAtLeast("6.0") ? "missing" : AttachFlags.allow_multi)).toBe(AttachFlags.allow_multi);
      expect(p.linkId).toBeUndefined();
    }
    // The child's own, then its effective list: its own first, then its parent's, as they run.
    expect(queryPrograms({ cgroup: child }, EGRESS).programs.map((p) => p.id)).toEqual([c.id]);
    const eff = queryPrograms({ cgroup: child }, EGRESS, { effective: true });
    expect(eff.programs.map((p) => p.id)).toEqual(bpftool(child, true).map((p) => p.id));
    expect(eff.programs.map((p) => p.id)).toEqual([c.id, a.id, b.id]);
    // An fd of the cgroup stays the caller's.
    const fd = openSync(cg!.path, "r");
    try {
      expect(queryPrograms({ cgroup: fd }, EGRESS).programs.map((p) => p.id)).toEqual([a.id, b.id]);
      expect(queryPrograms({ fd }, EGRESS).programs.map((p) => p.id)).toEqual([a.id, b.id]);
    } finally {
      closeSync(fd);
    }
    la.close();
    expect(queryPrograms({ cgroup: cg!.path }, EGRESS).programs.map((p) => p.id)).toEqual([b.id]);
    void lb, lc;
  });

  itPriv("errors name the attach point and type: a missing cgroup is ENOENT, a file is ENOTDIR", SKB, () => {
    const e = (() => {
      try {
        queryPrograms({ cgroup: join(cg!.path, "nope") }, EGRESS);
      } catch (x) {
        return x as Error;
      }
    })();
    expect(e?.message).toMatch(/^querying the cgroup_inet_egress programs of cgroup .*\/nope: .*ENOENT/);
    expect(() => queryPrograms({ cgroup: "/proc/self/status" }, EGRESS)).toThrow(/ENOTDIR/);
    const notCg = openSync("/proc/self/status", "r");
    try {
      const x = (() => {
        try {
          queryPrograms({ fd: notCg }, EGRESS);
        } catch (y) {
          return y;
        }
      })();
      expect(x).toBeInstanceOf(BpfError);
      expect((x as BpfError).errno).toBe(Errno.EBADF);
      expect((x as Error).message).toMatch(/EBADF.*the target is not where that attach type attaches \(a cgroup v2 directory/);
    } finally {
      closeSync(notCg);
    }
  });
});
