// struct_ops from C (test/fixtures/collection/struct-ops.bpf.c): a TCP congestion control in BPF.
// The spec (maps from .struct_ops, .struct_ops.link and ?.struct_ops.link, their bytes and
// programs) is pure; the kernel layout is checked against this machine's vmlinux BTF without
// bpf(); then, as root, the maps are registered through a link (6.4+) and by their value (5.6+),
// checked in net.ipv4.tcp_available_congestion_control and by bpftool, and a TCP connection in
// a network namespace the test makes runs the BPF ops (counted in .bss) until the map is
// unregistered. Congestion controls are global: each process names its own ("tsbpf<pid>").
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import {
  ATTACH_VERSIONS, attachStructOps, BpfError, Btf, type BtfCompositeType, Collection, CollectionSpec, ElfError, Errno, FeatureError,
  getBackend, kernStructOps, MapCreateFlags, MapType, ProgType, StructOpsLink, StructOpsRegistration, syscallNumbers,
} from "../../mod.ts";
import { StructOpsLoad, structOpsAutoload } from "../../src/collection/struct-ops.ts";
import { keepAlive } from "../../src/sys/backend.ts";
import { closeQuietly } from "../../src/sys/file.ts";
import { bind, getsockname, setsockopt, Sock, sockaddrIn, sockaddrPort, socket } from "../../src/sys/socket.ts";
import { describePriv, isRoot, itPriv, kernelAtLeast } from "../helpers/env.ts";
import { netnsMissing, TestNetns } from "../helpers/netns.ts";
import { bpftoolMissing } from "../helpers/tools.ts";

const OBJ = new URL("../fixtures/collection/struct-ops.o", import.meta.url).pathname;
const BYTES = new Uint8Array(readFileSync(OBJ));
const LINK = MapCreateFlags.link;
const fresh = () => CollectionSpec.parse(BYTES, { objectName: "struct-ops" });

// The local struct of a struct_ops map spec, and where its members lie.
function local(spec: CollectionSpec, map: string): { t: BtfCompositeType; off: (m: string) => number } {
  const t = spec.btf!.typeById(spec.maps[map].structOps!.typeId) as BtfCompositeType;
  return { t, off: (m) => t.members.find((x) => x.name === m)!.bitOffset / 8 };
}

const cstr = (b: Uint8Array) => new TextDecoder().decode(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)));

/** Writes `name` into the `name` member of struct_ops map `map`'s initial bytes. */
function rename(spec: CollectionSpec, map: string, name: string): void {
  const so = spec.maps[map].structOps!;
  const at = local(spec, map).off("name");
  so.data.fill(0, at, at + 16);
  so.data.set(new TextEncoder().encode(name), at);
}

describe("CollectionSpec of struct-ops.o (pure)", () => {
  const spec = fresh();

  it("makes one struct_ops map per variable, after global data, typed by its section", () => {
    expect(Object.keys(spec.maps)).toEqual(["struct_o.bss", "tsbpf_ca", "tsbpf_ca_nl", "tsbpf_ca_v2"]);
    const row = (n: string) => {
      const m = spec.maps[n];
      return [m.source, m.section, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.structOps!.typeName, m.structOps!.autocreate];
    };
    expect(row("tsbpf_ca")).toEqual(["struct_ops", ".struct_ops.link", MapType.struct_ops, 4, 56, 1, LINK, "tcp_congestion_ops", true]);
    expect(row("tsbpf_ca_nl")).toEqual(["struct_ops", ".struct_ops", MapType.struct_ops, 4, 56, 1, 0, "tcp_congestion_ops", true]);
    expect(row("tsbpf_ca_v2")).toEqual(["struct_ops", "?.struct_ops.link", MapType.struct_ops, 4, 56, 1, LINK, "tcp_congestion_ops___v2", false]);
    for (const n of ["tsbpf_ca", "tsbpf_ca_nl", "tsbpf_ca_v2"]) {
      const m = spec.maps[n];
      expect(m.valueTypeId).toBe(m.structOps!.typeId);
      expect(spec.btf!.typeById(m.valueTypeId).name).toBe(m.structOps!.typeName);
    }
  });

  it("says from the relocations which program each function pointer holds, in member order", () => {
    const ops = { ssthresh: "tsbpf_ssthresh", cong_avoid: "tsbpf_cong_avoid", undo_cwnd: "tsbpf_undo_cwnd", init: "tsbpf_init" };
    expect(Object.entries(spec.maps.tsbpf_ca.structOps!.programs)).toEqual(Object.entries(ops));
    expect(Object.entries(spec.maps.tsbpf_ca_nl.structOps!.programs)).toEqual(Object.entries(ops));
    expect(Object.entries(spec.maps.tsbpf_ca_v2.structOps!.programs)).toEqual([
      ["init", "tsbpf_init_v2"], ["ssthresh", "tsbpf_ssthresh"], ["cong_avoid", "tsbpf_cong_avoid"], ["undo_cwnd", "tsbpf_undo_cwnd"],
    ]);
    for (const p of Object.values(spec.programs)) expect([p.name, p.type, p.autoload]).toEqual([p.name, ProgType.struct_ops, true]);
  });

  it("keeps each variable's bytes: the name set, the function pointers zero", () => {
    for (const [n, name] of [["tsbpf_ca", "tsbpf_ca"], ["tsbpf_ca_nl", "tsbpf_ca_nl"], ["tsbpf_ca_v2", "tsbpf_ca"]]) {
      const so = spec.maps[n].structOps!, { t, off } = local(spec, n);
      expect(so.data.length).toBe(t.size);
      expect(cstr(so.data.subarray(off("name"), off("name") + 16))).toBe(name);
      for (const m of Object.keys(so.programs)) expect(so.data.subarray(off(m), off(m) + 8)).toEqual(new Uint8Array(8));
    }
  });

  it("loads a struct_ops program exactly when a created map uses it (libbpf's adjust_struct_ops_autoload)", () => {
    const s = fresh(), all = s.object.programs;
    const names = (explicit?: string[]) =>
      structOpsAutoload(s.object, explicit ? all.filter((p) => explicit.includes(p.name)) : all.filter((p) => p.autoload), explicit !== undefined).map((p) => p.name);
    expect(names()).toEqual(["tsbpf_init", "tsbpf_ssthresh", "tsbpf_cong_avoid", "tsbpf_undo_cwnd"]);
    s.maps.tsbpf_ca_v2.structOps!.autocreate = true;
    expect(names()).toEqual(["tsbpf_init", "tsbpf_init_v2", "tsbpf_ssthresh", "tsbpf_cong_avoid", "tsbpf_undo_cwnd"]);
    s.maps.tsbpf_ca.structOps!.autocreate = false;
    s.maps.tsbpf_ca_nl.structOps!.autocreate = false;
    s.maps.tsbpf_ca_v2.structOps!.autocreate = false;
    expect(names()).toEqual([]);
    expect(names(["tsbpf_init"])).toEqual(["tsbpf_init"]); // a list the caller gave is kept
  });

  // Relocation i of `section` rewritten: its r_offset and/or its symbol.
  function patched(section: string, i: number, to: { offset?: number; symbol?: string }): Uint8Array {
    const b = BYTES.slice(), dv = new DataView(b.buffer);
    const elf = fresh().object.elf, rel = elf.section(section)!;
    const at = rel.offset + i * 16;
    if (to.offset !== undefined) dv.setBigUint64(at, BigInt(to.offset), true);
    if (to.symbol !== undefined) dv.setUint32(at + 12, elf.symbols().findIndex((s) => s.name === to.symbol), true);
    return b;
  }

  it("refuses relocations that do not point a function pointer at a struct_ops program, naming what", () => {
    const name = local(spec, "tsbpf_ca").off("name");
    expect(() => CollectionSpec.parse(patched(".rel.struct_ops.link", 0, { offset: name }))).toThrow(/member name is not a function pointer/);
    expect(() => CollectionSpec.parse(patched(".rel.struct_ops.link", 0, { offset: 4 }))).toThrow(/no member of struct tcp_congestion_ops at byte 4/);
    expect(() => CollectionSpec.parse(patched(".rel.struct_ops.link", 0, { offset: 4096 }))).toThrow(/lies in no struct_ops variable/);
    expect(() => CollectionSpec.parse(patched(".rel.struct_ops", 1, { symbol: "init_calls" }))).toThrow(/points to "init_calls", which is not code/);
    expect(() => CollectionSpec.parse(patched(".rel.struct_ops", 1, { offset: 4 }))).toThrow(ElfError);
  });
});

describe("kernStructOps: the kernel's layout (pure, on BTF)", () => {
  const spec = fresh();
  const progs = new Map(Object.entries(spec.programs));

  it("names the struct the kernel lacks", () => {
    // The object's own BTF has tcp_congestion_ops but no bpf_struct_ops_tcp_congestion_ops.
    expect(() => kernStructOps(spec.maps.tsbpf_ca, spec.btf!, { vmlinux: spec.btf! }, progs)).toThrow(/no struct bpf_struct_ops_tcp_congestion_ops in the kernel's BTF/);
  });

  let vmlinux: Btf | undefined;
  try {
    vmlinux = Btf.kernel();
  } catch {
    // no kernel BTF here: the tests below say so
  }
  const vtype = vmlinux?.find("bpf_struct_ops_tcp_congestion_ops", "struct") as BtfCompositeType | undefined;
  const why = vmlinux === undefined ? "no vmlinux BTF on this machine" : vtype === undefined ? "this kernel's BTF has no bpf_struct_ops_tcp_congestion_ops (no bpf_tcp_ca)" : undefined;
  const itK = (name: string, fn: () => void) => {
    if (why) {
      console.warn(`skip: ${name}: ${why}`);
      it.skip(`${name} (skipped: ${why})`, fn);
    } else it(name, fn);
  };

  itK("lays each member out where this kernel's struct has it, by name", () => {
    const kt = vmlinux!.find("tcp_congestion_ops", "struct") as BtfCompositeType;
    const dataOff = vtype!.members.find((m) => m.type === kt.id)!.bitOffset / 8;
    const at = (m: string) => dataOff + kt.members.find((x) => x.name === m)!.bitOffset / 8;
    for (const n of ["tsbpf_ca", "tsbpf_ca_v2"]) {
      const k = kernStructOps(spec.maps[n], spec.btf!, { vmlinux: vmlinux! }, progs);
      expect([k.typeId, k.valueTypeId, k.value.length, k.module]).toEqual([kt.id, vtype!.id, vtype!.size, undefined]);
      expect(cstr(k.value.subarray(at("name"), at("name") + 16))).toBe("tsbpf_ca");
      const want = Object.entries(spec.maps[n].structOps!.programs).map(([member, program]) => ({ member, program, offset: at(member) }));
      expect(k.slots).toEqual(want);
      for (const s of k.slots) expect(k.targets.get(s.program)).toEqual({ attachBtfId: kt.id, memberIndex: kt.members.findIndex((x) => x.name === s.member) });
      // Nothing but the name is set yet: the program fds come after the programs load.
      const rest = k.value.slice();
      rest.fill(0, at("name"), at("name") + 16);
      expect(rest.every((x) => x === 0)).toBe(true);
    }
  });

  itK("refuses a set member the kernel lacks, and programs on members that cannot hold them", () => {
    const s = fresh(), v2 = s.maps.tsbpf_ca_v2;
    const k = () => kernStructOps(v2, s.btf!, { vmlinux: vmlinux! }, new Map(Object.entries(s.programs)));
    v2.structOps!.data[local(s, "tsbpf_ca_v2").off("not_in_any_kernel")] = 1;
    expect(k).toThrow(/member not_in_any_kernel is not in the kernel's struct tcp_congestion_ops, and is set/);
    v2.structOps!.data.fill(0, local(s, "tsbpf_ca_v2").off("not_in_any_kernel"), local(s, "tsbpf_ca_v2").off("not_in_any_kernel") + 8);
    expect(k().slots.length).toBe(4);
    v2.structOps!.programs.name = "tsbpf_init";
    expect(k).toThrow(/member name is a array, not a function pointer/);
    delete v2.structOps!.programs.name;
    v2.structOps!.programs.init = "nope";
    expect(k).toThrow(/member init names program nope, which the object lacks/);
    v2.structOps!.programs.bogus = "tsbpf_init";
    expect(k).toThrow(/programs names member bogus, which struct tcp_congestion_ops___v2 lacks/);
  });

  itK("refuses one program for two members, in one map or across maps (a struct_ops program implements one)", () => {
    const s = fresh();
    s.maps.tsbpf_ca_nl.structOps!.programs.init = "tsbpf_ssthresh";
    const k = () => kernStructOps(s.maps.tsbpf_ca_nl, s.btf!, { vmlinux: vmlinux! }, new Map(Object.entries(s.programs)));
    expect(k).toThrow(/member init names program tsbpf_ssthresh, which member ssthresh holds too/);
    delete s.maps.tsbpf_ca_nl.structOps!.programs.ssthresh; // the kernel then refuses the map, but the layout is one program per member
    expect(k().targets.get("tsbpf_ssthresh")?.memberIndex).toBe((vmlinux!.find("tcp_congestion_ops", "struct") as BtfCompositeType).members.findIndex((x) => x.name === "init"));
    const load = new StructOpsLoad(s.object, s.btf, () => ({ vmlinux: vmlinux! }));
    expect(() => load.target(s.programs.tsbpf_ssthresh)).toThrow(/program tsbpf_ssthresh is used for another struct or member/);
  });
});

// ---- in the kernel ----

const NAME = `tsbpf${process.pid % 10_000_000}`; // a congestion control's name has 15 characters at most
const available = () => readFileSync("/proc/sys/net/ipv4/tcp_available_congestion_control", "utf8").trim().split(/\s+/);

/** A spec whose maps register under this process's names; `link` false leaves the BPF_F_LINK maps out (5.10 has none). */
function named(link: boolean): CollectionSpec {
  const s = fresh();
  rename(s, "tsbpf_ca", NAME);
  rename(s, "tsbpf_ca_v2", NAME);
  rename(s, "tsbpf_ca_nl", `${NAME}n`);
  if (!link) s.maps.tsbpf_ca.structOps!.autocreate = false;
  return s;
}

// Why this system will not load struct_ops programs, or null (for itPriv's skip).
function refusal(): string | null {
  if (!isRoot) return null;
  try {
    if (!Btf.kernel().find("bpf_struct_ops_tcp_congestion_ops", "struct")) return "this kernel's BTF has no bpf_struct_ops_tcp_congestion_ops (no bpf_tcp_ca)";
  } catch (e) {
    return `no kernel BTF: ${(e as Error).message}`;
  }
  try {
    Collection.load(named(false)).close();
    return null;
  } catch (e) {
    if (e instanceof BpfError && e.errno === Errno.EPERM) return "this system refuses struct_ops programs to root (EPERM: lockdown)";
    return null;
  }
}

const NR: Record<string, { connect: number; listen: number; accept4: number; getsockopt: number }> = {
  x86_64: { connect: 42, listen: 50, accept4: 288, getsockopt: 55 },
  aarch64: { connect: 203, listen: 201, accept4: 242, getsockopt: 209 },
};
const IPPROTO_TCP = 6, TCP_CONGESTION = 13;

function sys(rc: number, call: string): number {
  if (rc < 0) throw new Error(`${call}: errno ${-rc}`);
  return rc;
}

/**
 * A TCP connection over loopback inside `ns`, its client socket set to congestion control `ca`
 * (setsockopt TCP_CONGESTION), `total` bytes sent through it: the congestion control the client
 * reports (getsockopt), once every byte arrived.
 */
function tcpTraffic(ns: TestNetns, ca: string, total: number): string {
  return ns.enter(() => {
    const b = getBackend(), nr = NR[b.arch], sn = syscallNumbers(b.arch);
    const fds: number[] = [];
    try {
      const srv = socket(Sock.AF_INET, Sock.SOCK_STREAM);
      fds.push(srv);
      bind(srv, sockaddrIn("127.0.0.1", 0));
      sys(b.syscall(nr.listen, srv, 4), "listen");
      const to = sockaddrIn("127.0.0.1", sockaddrPort(getsockname(srv)));
      const cli = socket(Sock.AF_INET, Sock.SOCK_STREAM);
      fds.push(cli);
      setsockopt(cli, IPPROTO_TCP, TCP_CONGESTION, new TextEncoder().encode(`${ca}\0`));
      sys(b.syscall(nr.connect, cli, b.address(to), to.length), "connect"); // loopback: established on return
      keepAlive(to);
      fds.push(sys(b.syscall(nr.accept4, srv, 0, 0, Sock.SOCK_CLOEXEC), "accept4"));
      const name = new Uint8Array(16), len = new Uint8Array(4);
      new DataView(len.buffer).setUint32(0, 16, true);
      sys(b.syscall(nr.getsockopt, cli, IPPROTO_TCP, TCP_CONGESTION, b.address(name), b.address(len)), "getsockopt");
      keepAlive(name, len);
      // Both ends non-blocking in one thread: send what fits, read what came, until all arrived.
      const chunk = new Uint8Array(16384), buf = new Uint8Array(65536);
      let sent = 0, got = 0;
      const deadline = Date.now() + 20_000;
      while (got < total) {
        if (Date.now() > deadline) throw new Error(`TCP traffic stalled: ${sent} sent, ${got} received of ${total}`);
        if (sent < total) {
          const rc = b.syscall(sn.sendto, cli, b.address(chunk), Math.min(chunk.length, total - sent), Sock.MSG_DONTWAIT, 0, 0);
          if (rc > 0) sent += rc;
          else if (rc !== -Errno.EAGAIN) sys(rc, "send");
        }
        const rc = b.syscall(sn.recvfrom, fds[2], b.address(buf), buf.length, Sock.MSG_DONTWAIT, 0, 0);
        keepAlive(chunk, buf);
        if (rc > 0) got += rc;
        else if (rc === 0) throw new Error("the server's socket saw end of file early");
        else if (rc !== -Errno.EAGAIN) sys(rc, "recv");
      }
      return cstr(name);
    } finally {
      for (const fd of fds.reverse()) closeQuietly(fd);
    }
  });
}

const calls = (obj: Collection) => Object.fromEntries(["init_calls", "ssthresh_calls", "cong_avoid_calls", "undo_calls", "init_v2_calls"].map((n) => [n, obj.variables[n].get() as bigint]));
const haveLinks = () => kernelAtLeast(ATTACH_VERSIONS.struct_ops_link.version);
const noLinks = `struct_ops links need Linux ${ATTACH_VERSIONS.struct_ops_link.version}+`;

describePriv("struct_ops in the kernel: a TCP congestion control", { feature: { mapType: "struct_ops" }, skipIf: refusal() ?? netnsMissing() }, () => {
  let ns: TestNetns | undefined;
  const netns = () => (ns ??= TestNetns.create("sops"));
  afterAll(() => ns?.remove());

  itPriv("a .struct_ops map: registered by attachStructOps's write, used by a connection, unregistered by close", {}, () => {
    using obj = Collection.load(named(false));
    const name = `${NAME}n`;
    expect(available()).not.toContain(name); // loading registers nothing
    const before = calls(obj);
    {
      using reg = attachStructOps(obj.maps.tsbpf_ca_nl);
      expect(reg).toBeInstanceOf(StructOpsRegistration);
      expect(reg.info()).toMatchObject({ type: "struct_ops", mapId: obj.maps.tsbpf_ca_nl.id });
      expect(available()).toContain(name);
      expect(tcpTraffic(netns(), name, 1 << 20)).toBe(name);
      const after = calls(obj);
      expect(after.init_calls).toBeGreaterThan(before.init_calls);
      expect(after.cong_avoid_calls).toBeGreaterThan(before.cong_avoid_calls);
      expect(() => reg.pin("/sys/fs/bpf/x")).toThrow(FeatureError);
      // A struct_ops map registers once.
      expect(() => attachStructOps(obj.maps.tsbpf_ca_nl, { value: new Uint8Array(obj.maps.tsbpf_ca_nl.valueSize) })).toThrow(/EBUSY.*registered already/);
    }
    expect(available()).not.toContain(name);
    expect(() => tcpTraffic(netns(), name, 1)).toThrow(/setsockopt|ENOENT/);
  });

  itPriv("a .struct_ops.link map: registered while its link lives, used by a connection", { skipIf: haveLinks() ? null : noLinks }, () => {
    using obj = Collection.load(named(true));
    expect(available()).not.toContain(NAME);
    const before = calls(obj);
    {
      using link = attachStructOps(obj.maps.tsbpf_ca);
      expect(link).toBeInstanceOf(StructOpsLink);
      expect(link.info()).toMatchObject({ type: "struct_ops", mapId: obj.maps.tsbpf_ca.id });
      expect(available()).toContain(NAME);
      expect(tcpTraffic(netns(), NAME, 1 << 20)).toBe(NAME);
      const after = calls(obj);
      expect(after.init_calls).toBeGreaterThan(before.init_calls);
      expect(after.cong_avoid_calls).toBeGreaterThan(before.cong_avoid_calls);
    }
    expect(available()).not.toContain(NAME);
  });

  itPriv("update(newMap) swaps the link's map in one step: new connections run the new map's init", { skipIf: haveLinks() ? null : noLinks }, () => {
    const spec = named(true);
    spec.maps.tsbpf_ca_v2.structOps!.autocreate = true;
    using obj = Collection.load(spec);
    expect(Object.keys(obj.maps)).toContain("tsbpf_ca_v2");
    using link = attachStructOps(obj.maps.tsbpf_ca) as StructOpsLink;
    tcpTraffic(netns(), NAME, 4096);
    const a = calls(obj);
    expect(a.init_calls).toBeGreaterThan(0n);
    expect(() => link.update(obj.maps.tsbpf_ca_nl)).toThrow(/without BPF_F_LINK/);
    link.update(obj.maps.tsbpf_ca_v2, { oldMap: obj.maps.tsbpf_ca });
    expect(link.info()).toMatchObject({ mapId: obj.maps.tsbpf_ca_v2.id });
    expect(available()).toContain(NAME);
    tcpTraffic(netns(), NAME, 4096);
    const b = calls(obj);
    expect(b.init_v2_calls).toBeGreaterThan(a.init_v2_calls);
    expect(b.init_calls).toBe(a.init_calls);
    // The old map is no longer the one registered: a replace naming it is refused.
    expect(() => link.update(obj.maps.tsbpf_ca, { oldMap: obj.maps.tsbpf_ca })).toThrow(/EPERM/);
  });

  itPriv("bpftool struct_ops show and dump see the registered map, its name and programs", { skipIf: bpftoolMissing() ?? null }, () => {
    using obj = Collection.load(named(false));
    using _reg = attachStructOps(obj.maps.tsbpf_ca_nl);
    const map = obj.maps.tsbpf_ca_nl;
    const shown = JSON.parse(execFileSync("bpftool", ["struct_ops", "show", "-j"], { encoding: "utf8" })) as { id: number; name: string; kernel_struct_ops: string }[];
    expect(shown.find((m) => m.id === map.id)).toEqual({ id: map.id, name: "tsbpf_ca_nl", kernel_struct_ops: "tcp_congestion_ops" });
    // bpftool prints the map's info and its value as two JSON objects in a row.
    const out = execFileSync("bpftool", ["struct_ops", "dump", "id", String(map.id), "-j"], { encoding: "utf8" }).trim();
    const dump = [JSON.parse(out.startsWith("[") ? out : `[${out}]`)].flat() as Record<string, unknown>[];
    const value = dump.find((d) => "bpf_struct_ops_tcp_congestion_ops" in d)!.bpf_struct_ops_tcp_congestion_ops as { data: Record<string, unknown> };
    expect(value.data.name).toBe(`${NAME}n`);
    for (const [member, prog] of Object.entries(obj.spec.maps.tsbpf_ca_nl.structOps!.programs)) {
      expect(String(value.data[member])).toMatch(new RegExp(`/prog_id:${obj.programs[prog].id}$`));
    }
    expect(String(value.data.set_state)).toMatch(/ 0$/); // not set in the object
  });

  itPriv("before struct_ops links, a .struct_ops.link map is a FeatureError naming the release", { skipIf: haveLinks() ? "this kernel has struct_ops links" : null }, () => {
    let err: unknown;
    try {
      Collection.load(named(true)).close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FeatureError);
    expect(String(err)).toContain(ATTACH_VERSIONS.struct_ops_link.version);
  });
});
