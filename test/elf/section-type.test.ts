// The SEC() table (src/uapi/sec.gen.ts) and its matcher (src/elf/section-type.ts): the table's size,
// order and values; libbpf's matching rules (exact, "x+", "x/", '?', first match wins); and an
// oracle run of the system's libbpf (test/elf/sec-oracle.c, built here with gcc) over every name the
// table implies plus near misses, through libbpf_prog_type_by_name and libbpf_attach_type_by_name.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findSecDef, secDefMatches, sectionProgramType } from "../../src/elf/section-type.ts";
import { AttachType, ProgType } from "../../src/uapi/enums.gen.ts";
import { Errno } from "../../src/uapi/errno.gen.ts";
import { type SecDef, SEC_DEFS, SecFlag } from "../../src/uapi/sec.gen.ts";
import { buildLibbpfTool, itIf, libbpfMissing } from "../helpers/tools.ts";

const here = import.meta.dirname ?? new URL(".", import.meta.url).pathname;
const patterns = SEC_DEFS.map((d) => d.pattern);
const at = (p: string) => patterns.indexOf(p);

/** Names that select entry `d` of the table: its exact name, or x and x/<target> for "x+", x/<extras> for "x/". */
function namesOf(d: SecDef): string[] {
  const p = d.pattern;
  if (p.endsWith("+")) return [p.slice(0, -1), `${p.slice(0, -1)}/x`];
  if (p.endsWith("/")) return [`${p}extra`];
  return [p];
}

describe("SEC() table", () => {
  it("holds libbpf's 116 entries once each, in libbpf's order from socket to netfilter", () => {
    expect(SEC_DEFS.length).toBe(116);
    expect(new Set(patterns).size).toBe(116);
    expect([patterns[0], patterns[1], patterns[2], patterns[3], patterns[115]]).toEqual(["socket", "sk_reuseport/migrate", "sk_reuseport", "kprobe+", "netfilter"]);
    // Forms: 53 "x+" patterns, 63 exact ones; no entry uses the "x/" form today.
    expect([patterns.filter((p) => p.endsWith("+")).length, patterns.filter((p) => p.endsWith("/")).length]).toEqual([53, 0]);
    // The orderings that decide a match (the more specific entry first).
    expect(at("sk_reuseport/migrate")).toBeLessThan(at("sk_reuseport"));
    expect(at("xdp.frags/devmap")).toBeLessThan(at("xdp/devmap"));
    expect(at("xdp/devmap")).toBeLessThan(at("xdp.frags"));
    expect(at("xdp.frags")).toBeLessThan(at("xdp"));
    expect(at("tc/ingress")).toBeLessThan(at("tc"));
    expect(at("sk_skb/verdict")).toBeLessThan(at("sk_skb"));
  });

  it("every entry is reachable: the names it stands for select it, not an earlier entry", () => {
    const shadowed = SEC_DEFS.flatMap((d) => namesOf(d).filter((n) => findSecDef(n) !== d).map((n) => `${n} -> ${findSecDef(n)?.pattern}, not ${d.pattern}`));
    expect(shadowed).toEqual([]);
  });

  it("uses the generated ProgType and AttachType, and libbpf's flag bits", () => {
    expect(SecFlag).toEqual({ expAttachOpt: 1, attachable: 2, attachBtf: 4, sleepable: 8, xdpFrags: 16, usdt: 32 });
    const xdp = SEC_DEFS[at("xdp")];
    expect([xdp.type, xdp.expectedAttachType, xdp.flags]).toEqual([ProgType.xdp, AttachType.xdp, 3]);
    // BPF_CGROUP_INET_INGRESS is 0, yet written: distinct from the unset (undefined) of "socket".
    expect(SEC_DEFS[at("cgroup_skb/ingress")].expectedAttachType).toBe(0);
    expect(SEC_DEFS[at("socket")].expectedAttachType).toBeUndefined();
    expect(SEC_DEFS[at("usdt.s+")].flags).toBe(SecFlag.usdt | SecFlag.sleepable);
    const progTypes = new Set<number>(Object.values(ProgType));
    const attachTypes = new Set<number>(Object.values(AttachType));
    expect(SEC_DEFS.filter((d) => !progTypes.has(d.type) || (d.expectedAttachType !== undefined && !attachTypes.has(d.expectedAttachType)))).toEqual([]);
    // Counts of sleepable, attach_btf, xdp_frags, attachable (29 plain + 12 _OPT), exp_attach_opt, usdt in libbpf.c.
    const count = (f: number) => SEC_DEFS.filter((d) => (d.flags & f) !== 0).length;
    expect([count(SecFlag.sleepable), count(SecFlag.attachBtf), count(SecFlag.xdpFrags), count(SecFlag.attachable), count(SecFlag.expAttachOpt), count(SecFlag.usdt)])
      .toEqual([22, 16, 3, 41, 12, 2]);
    // Every XDP_FRAGS entry is XDP: libbpf sets BPF_F_XDP_HAS_FRAGS only for that type.
    expect(SEC_DEFS.filter((d) => (d.flags & SecFlag.xdpFrags) !== 0 && d.type !== ProgType.xdp)).toEqual([]);
    expect(SEC_DEFS.filter((d) => d.autoAttach !== undefined).length).toBe(50);
  });
});

describe("section name matching", () => {
  it("an exact pattern matches only itself", () => {
    expect(["socket", "socket/x", "socketx", "socke", "Socket", " socket"].map((n) => secDefMatches("socket", n))).toEqual([true, false, false, false, false, false]);
    expect(findSecDef("tc")?.pattern).toBe("tc");
    expect(findSecDef("tc/x")).toBeUndefined();
    expect(findSecDef("tcx")).toBeUndefined();
  });

  it('"x+" matches x and x/<anything>, never x<more>', () => {
    expect(["kprobe", "kprobe/", "kprobe/do_sys_open", "kprobe/a/b", "kprobex", "kprobe.", "kprob"].map((n) => secDefMatches("kprobe+", n)))
      .toEqual([true, true, true, true, false, false, false]);
    expect(findSecDef("kprobe.multi/vfs_*")?.pattern).toBe("kprobe.multi+");
    expect(findSecDef("kprobex")).toBeUndefined();
  });

  it('"x/" needs the x/<extras> form (the rule of libbpf no current entry uses)', () => {
    expect(["foo/bar", "foo/", "foo/bar/baz", "foo", "foobar"].map((n) => secDefMatches("foo/", n))).toEqual([true, true, true, false, false]);
    const table: SecDef[] = [{ pattern: "foo/", type: ProgType.xdp, expectedAttachType: undefined, flags: 0, autoAttach: undefined }];
    expect([findSecDef("foo/x", table)?.pattern, findSecDef("foo", table)]).toEqual(["foo/", undefined]);
  });

  it("the first match in table order wins", () => {
    expect(sectionProgramType("sk_reuseport/migrate")?.expectedAttachType).toBe(AttachType.sk_reuseport_select_or_migrate);
    expect(sectionProgramType("sk_reuseport")?.expectedAttachType).toBe(AttachType.sk_reuseport_select);
    const xdp = (n: string) => {
      const r = sectionProgramType(n);
      return [r?.pattern, r?.expectedAttachType, r?.xdpFrags];
    };
    expect(xdp("xdp.frags/devmap")).toEqual(["xdp.frags/devmap", AttachType.xdp_devmap, true]);
    expect(xdp("xdp/devmap")).toEqual(["xdp/devmap", AttachType.xdp_devmap, false]);
    expect(xdp("xdp.frags/cpumap")).toEqual(["xdp.frags/cpumap", AttachType.xdp_cpumap, true]);
    expect(xdp("xdp.frags")).toEqual(["xdp.frags", AttachType.xdp, true]);
    expect(xdp("xdp")).toEqual(["xdp", AttachType.xdp, false]);
    expect(xdp("xdp/other")).toEqual([undefined, undefined, undefined]);
    // The same names against a table in the other order: the general entry takes them.
    const def = (pattern: string): SecDef => ({ pattern, type: ProgType.xdp, expectedAttachType: undefined, flags: 0, autoAttach: undefined });
    expect(findSecDef("a/b", [def("a+"), def("a/b")])?.pattern).toBe("a+");
    expect(findSecDef("a/b", [def("a/b"), def("a+")])?.pattern).toBe("a/b");
  });

  it("a leading '?' is dropped once and turns autoload off; the raw lookup does not strip it", () => {
    expect(sectionProgramType("?xdp")).toMatchObject({ pattern: "xdp", type: ProgType.xdp, autoload: false });
    expect(sectionProgramType("xdp")?.autoload).toBe(true);
    expect(sectionProgramType("?kprobe/do_exit")).toMatchObject({ pattern: "kprobe+", autoload: false, attachTarget: "do_exit" });
    expect([sectionProgramType("??xdp"), sectionProgramType("?"), findSecDef("?xdp")]).toEqual([undefined, undefined, undefined]);
  });

  it("returns the entry's facts, flags spelled out, and the attach target after the prefix", () => {
    expect(sectionProgramType("fentry.s/do_unlinkat")).toEqual({
      pattern: "fentry.s+",
      type: ProgType.tracing,
      expectedAttachType: AttachType.trace_fentry,
      flags: SecFlag.attachBtf | SecFlag.sleepable,
      sleepable: true,
      xdpFrags: false,
      attachBtf: true,
      expAttachOptional: false,
      usdt: false,
      autoload: true,
      attachTarget: "do_unlinkat",
      autoAttach: "trace",
    });
    expect(sectionProgramType("cgroup/dev")).toMatchObject({ type: ProgType.cgroup_device, expAttachOptional: true, attachTarget: undefined, autoAttach: undefined });
    const target = (n: string) => sectionProgramType(n)?.attachTarget;
    expect([target("fentry"), target("kprobe/"), target("uprobe//usr/lib/libc.so.6:malloc"), target("usdt/libc.so.6:libc:setjmp"), target("tracepoint/syscalls/sys_enter_openat"), target("struct_ops/init")])
      .toEqual([undefined, "", "/usr/lib/libc.so.6:malloc", "libc.so.6:libc:setjmp", "syscalls/sys_enter_openat", "init"]);
    expect(sectionProgramType("usdt.s/a:b:c")).toMatchObject({ usdt: true, sleepable: true, autoAttach: "usdt" });
    expect(sectionProgramType("syscall")).toMatchObject({ type: ProgType.syscall, sleepable: true });
    expect(sectionProgramType("tc")).toMatchObject({ type: ProgType.sched_cls, expectedAttachType: undefined });
    expect(sectionProgramType("tc/ingress")?.expectedAttachType).toBe(AttachType.tcx_ingress);
    expect(sectionProgramType("lsm_cgroup/socket_bind")).toMatchObject({ pattern: "lsm_cgroup+", autoAttach: undefined });
    expect(sectionProgramType("raw_tp.w/bpf_test_finish")?.type).toBe(ProgType.raw_tracepoint_writable);
  });

  it("is undefined for names outside the table (data sections, typos, other cases)", () => {
    expect(["", ".text", "license", "maps", ".maps", ".struct_ops", "Xdp", "kprobex", "tcx", "cgroup", "cgroup/", "xdp.frags/", "fentry.multi.s.x"].map(sectionProgramType))
      .toEqual(new Array(13).fill(undefined));
  });
});

// ---------- oracle: the system's libbpf ----------

/**
 * The entries libbpf 1.1 (Debian 12's 1.1.2) does not know, by the libbpf release that added them
 * ("1.8": after v1.7.0, not released at the commit the table was read from). The oracle must answer
 * "no such section" for the names of entries added after its own version, and agree on all others.
 */
const ADDED_AFTER_LIBBPF_1_1: Readonly<Record<string, readonly string[]>> = {
  "1.2": ["struct_ops.s+"],
  "1.3": [
    "uprobe.multi+", "uretprobe.multi+", "uprobe.multi.s+", "uretprobe.multi.s+", "usdt.s+", "tc/ingress", "tc/egress", "tcx/ingress", "tcx/egress",
    "netkit/primary", "netkit/peer", "cgroup/connect_unix", "cgroup/sendmsg_unix", "cgroup/recvmsg_unix", "cgroup/getpeername_unix",
    "cgroup/getsockname_unix", "netfilter",
  ],
  "1.4": ["sk_skb/verdict"],
  "1.5": ["kprobe.session+"],
  "1.6": ["uprobe.session+", "uprobe.session.s+"],
  "1.7": ["fsession+", "fsession.s+"],
  "1.8": [
    "tracepoint.s+", "tp.s+", "raw_tracepoint.s+", "raw_tp.s+", "tp_btf.s+", "fsession.multi+", "fsession.multi.s+", "fentry.multi+", "fexit.multi+",
    "fentry.multi.s+", "fexit.multi.s+",
  ],
};
const addedAfter11 = Object.values(ADDED_AFTER_LIBBPF_1_1).flat();

/** Entries added after libbpf major.minor (which must be 1.1 or newer: older ones lack more). */
function addedAfter(major: number, minor: number): Set<string> {
  const later = Object.entries(ADDED_AFTER_LIBBPF_1_1).filter(([v]) => {
    const [a, b] = v.split(".").map(Number);
    return a !== major ? a > major : b > minor;
  });
  return new Set(later.flatMap(([, ps]) => ps));
}

/** Names close to the table's that must be unknown, or map exactly as the table says. */
const NEAR_MISSES: readonly string[] = [
  "", "?xdp", "?kprobe/x", "x", ".text", "license", ".maps", "Xdp", " kprobe", "kprobe//", "kprobe/a/b", "uprobe//usr/bin/x:main",
  "usdt/a:b:c", "cgroup", "cgroup/", "cgroup_skb", "xdp.frags/", "xdp.frags/devmapx", "xdp/devmap/x", "struct_ops/foo", "struct_ops.s/foo",
  "tc/ingress/x", "sk_reuseport/migratex", "lsm_cgroupx", "iter.s", "freplace/x",
];

/** Every name the oracle is asked: each entry's names, the entry with "/x" or "x" glued on, and the near misses. */
function oracleNames(): string[] {
  const out = new Set<string>();
  for (const d of SEC_DEFS) {
    for (const n of namesOf(d)) out.add(n);
    const base = d.pattern.replace(/[+/]$/, "");
    out.add(`${base}x`);
    if (!d.pattern.endsWith("+")) out.add(`${base}/x`);
  }
  for (const n of NEAR_MISSES) out.add(n);
  return [...out];
}

/**
 * What sec-oracle prints for `name` if libbpf has this table: "<rc> <type> <expected>\t<rc> <attach>";
 * a miss is -ESRCH from libbpf_prog_type_by_name, -EINVAL from libbpf_attach_type_by_name.
 */
function expectedLine(name: string): string {
  const d = findSecDef(name);
  if (d === undefined) return `-${Errno.ESRCH} -1 -1\t-${Errno.EINVAL} -1`;
  const expected = d.expectedAttachType ?? 0;
  const attach = (d.flags & SecFlag.attachable) !== 0 ? `0 ${expected}` : `-${Errno.EINVAL} -1`;
  return `0 ${d.type} ${expected}\t${attach}`;
}

const noLibbpf = libbpfMissing();

describe("SEC() table against the system's libbpf", () => {
  it("the entries newer than libbpf 1.1 are 35 entries of the table, listed once", () => {
    expect(addedAfter11.length).toBe(35);
    expect(new Set(addedAfter11).size).toBe(35);
    expect(addedAfter11.filter((p) => !patterns.includes(p))).toEqual([]);
    expect([addedAfter(1, 1).size, addedAfter(1, 3).size, addedAfter(1, 7).size, addedAfter(2, 0).size]).toEqual([35, 17, 11, 0]);
  });

  itIf(noLibbpf, "libbpf_prog_type_by_name and libbpf_attach_type_by_name agree on every name, but for entries newer than the libbpf here", () => {
    const oracle = buildLibbpfTool(join(here, "sec-oracle.c"));
    try {
      const exe = oracle.exe;
      const names = oracleNames();
      const out = execFileSync(exe, [], { input: names.map((n) => `${n}\n`).join(""), encoding: "utf8" }).split("\n");
      const v = out[0].match(/^version (\d+)\.(\d+)$/);
      expect(v, out[0]).not.toBeNull();
      const [major, minor] = [Number(v![1]), Number(v![2])];
      expect(major > 1 || (major === 1 && minor >= 1), `libbpf ${major}.${minor}: the list starts at 1.1`).toBe(true);
      const newer = addedAfter(major, minor);
      const lines = out.slice(1).filter((l) => l !== "");
      expect(lines.length).toBe(names.length); // one answer a name: none lost
      const unknown = expectedLine("no such section");
      const wrong: string[] = [];
      const confirmed = new Set<string>();
      let agreed = 0, unknownToIt = 0;
      names.forEach((name, i) => {
        const [gotName, ...rest] = lines[i].split("\t");
        const got = rest.join("\t");
        const d = findSecDef(name);
        // For an entry newer than this libbpf, "no such section" is the right answer (and agreeing is wrong: the list would be stale).
        const want = d !== undefined && newer.has(d.pattern) ? unknown : expectedLine(name);
        if (gotName !== name || got !== want) wrong.push(`${JSON.stringify(name)} (${d?.pattern ?? "no entry"}): libbpf ${major}.${minor} "${got}", want "${want}"`);
        else if (d !== undefined && newer.has(d.pattern)) unknownToIt++;
        else {
          agreed++;
          if (d !== undefined) confirmed.add(d.pattern);
        }
      });
      expect(wrong).toEqual([]);
      // Every entry this libbpf has was confirmed by a name that selects it.
      expect(patterns.filter((p) => !confirmed.has(p) && !newer.has(p))).toEqual([]);
      expect(confirmed.size).toBe(116 - newer.size);
      console.log(`sec oracle: libbpf ${major}.${minor}: ${names.length} names, ${agreed} agree, ${unknownToIt} unknown to it (names of its ${newer.size} missing entries)`);
    } finally {
      oracle.remove();
    }
  });
});
