// Attaching for real: cgroup programs through prog_attach and through links, link update and
// detach, raw tracepoints, task_fd_query, enable_stats, prog_bind_map.
import { closeSync, openSync } from "node:fs";
import { afterAll, beforeAll, expect } from "vitest";
import {
  AttachFlags, AttachType, close, enableStats, Insn, linkCreate, linkDetach, linkInfoByFd, LinkType, linkUpdate, mapCreate,
  MapType, progAttach, progBindMap, progDetach, progInfoByFd, progLoad, progQuery, ProgType, progTestRun,
  rawTracepointOpen, StatsType, taskFdQuery, TaskFdType,
} from "../../mod.ts";
import { describePriv, isRoot, itPriv } from "../helpers/env.ts";
import { bpfError } from "../helpers/expect.ts";
import { own } from "../helpers/fds.ts";
import { tempMount } from "../helpers/fs.ts";

const skbProg = (verdict: number) => own(progLoad(ProgType.cgroup_skb, [Insn.mov("r0", verdict), Insn.exit()], {
  expectedAttachType: AttachType.cgroup_inet_ingress,
}));
const idOf = (fd: number) => progInfoByFd(fd).id as number;

describePriv("cgroup attach", () => {
  let cg: { dir: string; unmount: () => void };
  let cgFd = -1;
  beforeAll(() => {
    if (!isRoot) return;
    cg = tempMount("cgroup2");
    cgFd = openSync(cg.dir, "r");
  });
  afterAll(() => {
    if (cgFd >= 0) closeSync(cgFd);
    cg?.unmount();
  });

  itPriv("prog_attach, prog_query, prog_detach", () => {
    const a = skbProg(1);
    const b = skbProg(1);
    progAttach(cgFd, a, AttachType.cgroup_inet_ingress, { flags: AttachFlags.allow_multi });
    progAttach(cgFd, b, AttachType.cgroup_inet_ingress, { flags: AttachFlags.allow_multi });
    const q = progQuery(cgFd, AttachType.cgroup_inet_ingress);
    expect(q.count).toBe(2);
    expect(q.progIds).toEqual([idOf(a), idOf(b)]);
    expect(q.attachFlags).toBe(AttachFlags.allow_multi);
    progDetach(cgFd, a, AttachType.cgroup_inet_ingress);
    progDetach(cgFd, b, AttachType.cgroup_inet_ingress);
    expect(progQuery(cgFd, AttachType.cgroup_inet_ingress).count).toBe(0);
  });

  itPriv("link_create, link_update, link_detach", { feature: ["link_create", "link_detach"] }, () => {
    const a = skbProg(1);
    const b = skbProg(0);
    const link = own(linkCreate(a, cgFd, AttachType.cgroup_inet_ingress));
    const info = linkInfoByFd(link);
    expect(info.type).toBe(LinkType.cgroup);
    expect(info.prog_id).toBe(idOf(a));
    expect(progQuery(cgFd, AttachType.cgroup_inet_ingress).progIds).toEqual([idOf(a)]);
    linkUpdate(link, b);
    expect(progQuery(cgFd, AttachType.cgroup_inet_ingress).progIds).toEqual([idOf(b)]);
    // With replace, the old program must match.
    expect(bpfError(() => linkUpdate(link, a, { flags: AttachFlags.replace, oldProgFd: a })).code).toBe("EPERM");
    linkUpdate(link, a, { flags: AttachFlags.replace, oldProgFd: b });
    expect(progQuery(cgFd, AttachType.cgroup_inet_ingress).progIds).toEqual([idOf(a)]);
    linkDetach(link);
    expect(progQuery(cgFd, AttachType.cgroup_inet_ingress).count).toBe(0);
  });
});

describePriv("tracing attach", () => {
  itPriv("raw tracepoint: open, task_fd_query", { feature: [{ progType: "raw_tracepoint" }, "task_fd_query"] }, () => {
    const p = own(progLoad(ProgType.raw_tracepoint, [Insn.mov("r0", 0), Insn.exit()]));
    const link = own(rawTracepointOpen("sys_enter", p));
    const q = taskFdQuery(process.pid, link);
    expect(q.fdType).toBe(TaskFdType.raw_tracepoint);
    expect(q.name).toBe("sys_enter");
    expect(q.progId).toBe(idOf(p));
    expect(bpfError(() => rawTracepointOpen("no_such_tracepoint_xyz", p)).kind).toBe("NotFound");
  });

  itPriv("enable_stats counts runs while its fd is open", { feature: "enable_stats" }, () => {
    const p = own(progLoad(ProgType.socket_filter, [Insn.mov("r0", 0), Insn.exit()]));
    const stats = enableStats(StatsType.run_time);
    try {
      progTestRun(p, { data: new Uint8Array(64), repeat: 5 });
    } finally {
      close(stats);
    }
    expect(progInfoByFd(p).run_cnt).toBe(5n);
    expect(progInfoByFd(p).run_time_ns as bigint).toBeGreaterThan(0n);
    progTestRun(p, { data: new Uint8Array(64), repeat: 5 }); // not counted: the stats fd is closed
    expect(progInfoByFd(p).run_cnt).toBe(5n);
  });

  itPriv("prog_bind_map adds a map to a program", { feature: "prog_bind_map" }, () => {
    const p = own(progLoad(ProgType.socket_filter, [Insn.mov("r0", 0), Insn.exit()]));
    const m = own(mapCreate(MapType.array, 4, 4, 1));
    expect(progInfoByFd(p).nr_map_ids).toBe(0);
    progBindMap(p, m);
    expect(progInfoByFd(p).nr_map_ids).toBe(1);
  });
});
