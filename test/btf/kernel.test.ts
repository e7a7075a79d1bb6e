// The running kernel's BTF: Btf.kernel() (mapped where the kernel allows it, read elsewhere),
// module BTF, and format("raw") of both against bpftool, on every kernel of the VM matrix; then
// KernelBtf over a directory written here: good, broken, empty and missing module files.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import {
  Btf, BtfError, type BtfCompositeType, forgetKernelBtf, KernelBtf, kernelBtf, kernelModuleNames, kernelModulesBtf,
} from "../../mod.ts";
import { describePriv, itPriv, kernelAtLeast, kernelRelease } from "../helpers/env.ts";
import { thrown } from "../helpers/expect.ts";
import { assemble, fixture, Writer } from "./blob.ts";
import { bpftoolMissing } from "../helpers/tools.ts";

const SYSFS = "/sys/kernel/btf";

// bpftool 7.1 takes a split BTF's base as -B, not as a "base" keyword.
const bpftool = (file: string, base?: string) =>
  execFileSync("bpftool", [...(base ? ["-B", base] : []), "btf", "dump", "file", file], { encoding: "utf8", maxBuffer: 1 << 28 });

// Line by line, so that a mismatch names its line rather than diffing 20 MB.
function sameLines(mine: string, theirs: string): number {
  const a = mine.split("\n"), b = theirs.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) expect(`line ${i + 1}: ${a[i]}`).toBe(`line ${i + 1}: ${b[i]}`);
  }
  return a.length - 1;
}

// The whole blob a Btf was parsed from: its buffer, up to the end of the string section.
const blobBytes = (btf: Btf) => new Uint8Array(btf.strings.bytes.buffer, 0, btf.header.strStart + btf.header.strLen);

describePriv("Btf.kernel() on the running kernel", () => {
  it("parses vmlinux once and caches it; struct task_struct has a pid", () => {
    const btf = Btf.kernel();
    expect(Btf.kernel()).toBe(btf);
    expect(btf.firstId).toBe(1);
    expect(btf.count).toBeGreaterThan(10_000);
    const task = btf.find("task_struct", "struct") as BtfCompositeType;
    const pid = task.members.find((m) => m.name === "pid")!;
    expect(pid).toBeDefined();
    expect(btf.resolve(pid.type)).toMatchObject({ kind: "int", size: 4 });
    expect(btf.offsetOf(task, "pid").bitOffset).toBe(pid.bitOffset);
  });

  it("maps vmlinux read-only where the kernel allows it (6.16+), reads it before, and both hold the file's bytes", () => {
    const auto = Btf.kernel();
    const mapped = kernelBtf().vmlinuxMapped;
    console.log(`${kernelRelease}: vmlinux BTF ${mapped ? "mapped" : "read (the kernel refuses to map it)"}, ${auto.count - 1} types`);
    if (kernelAtLeast("6.16")) expect(mapped).toBe(true);
    if (!kernelAtLeast("6.15")) expect(mapped).toBe(false);
    const reader = new KernelBtf({ access: "read" });
    const read = reader.vmlinux();
    expect(reader.vmlinuxMapped).toBe(false);
    // Not expect().not.toBe(): on objects that are not the same, vitest compares them deeply for its message.
    expect(read === auto).toBe(false);
    expect(read.count).toBe(auto.count);
    const a = blobBytes(auto), b = blobBytes(read);
    expect(a.length).toBe(b.length);
    expect(Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length))).toBe(0);
    expect(read.find("task_struct", "struct")!.id).toBe(auto.find("task_struct", "struct")!.id);
  });

  it('access "mmap" maps where the kernel allows it and fails naming the file where it does not', () => {
    const k = new KernelBtf({ access: "mmap" });
    if (kernelBtf().vmlinuxMapped) {
      expect(k.vmlinux().count).toBe(Btf.kernel().count);
      expect(k.vmlinuxMapped).toBe(true);
    } else {
      expect(() => k.vmlinux()).toThrow(/cannot get \/sys\/kernel\/btf\/vmlinux: mmap: /);
    }
  });

  itPriv("format('raw') equals `bpftool btf dump file /sys/kernel/btf/vmlinux`", { kernelScenario: true, skipIf: bpftoolMissing() }, () => {
    const t0 = performance.now();
    const mine = Btf.kernel().format("raw");
    const ms = performance.now() - t0;
    const n = sameLines(mine, bpftool(`${SYSFS}/vmlinux`));
    console.log(`vmlinux: ${n} lines equal to bpftool's (format ${ms.toFixed(0)} ms)`);
    expect(n).toBeGreaterThan(100_000);
  });

  it("lists and parses every module BTF, split over vmlinux", () => {
    const names = kernelModuleNames();
    expect(names).toEqual(readdirSync(SYSFS).filter((n) => n !== "vmlinux").sort());
    const mods = [...kernelModulesBtf()];
    expect(mods.map((m) => m.name)).toEqual(names);
    const base = Btf.kernel();
    for (const { name, btf } of mods) {
      expect(btf.base).toBe(base);
      expect(btf.firstId).toBe(base.count);
      expect(Btf.kernelModule(name)).toBe(btf);
    }
  });

  const noModules = existsSync(SYSFS) && readdirSync(SYSFS).some((n) => n !== "vmlinux") ? undefined : `${kernelRelease} has no module BTF in ${SYSFS}`;
  itPriv("prints every module BTF as `bpftool -B vmlinux btf dump file` does", { kernelScenario: true, skipIf: noModules ?? bpftoolMissing() }, () => {
    const mods = [...kernelModulesBtf()], names = mods.map((m) => m.name);
    let lines = 0;
    for (const { name, btf } of mods) lines += sameLines(btf.format("raw"), bpftool(`${SYSFS}/${name}`, `${SYSFS}/vmlinux`));
    console.log(`${mods.length} module BTFs (${names.join(", ")}): ${lines} lines equal to bpftool's`);
  });

  it("Btf.kernelModule of a missing module is an Error naming its file; bad names are TypeErrors", () => {
    expect(() => Btf.kernelModule("tsbpf_no_such_module")).toThrow(`kernel module BTF ${SYSFS}/tsbpf_no_such_module: no such module BTF`);
    for (const bad of ["", ".", "..", "../etc/passwd", "a/b", "a\0b"]) expect(() => Btf.kernelModule(bad), JSON.stringify(bad)).toThrow(TypeError);
    expect(() => Btf.kernelModule("vmlinux")).toThrow(/use Btf.kernel\(\)/);
  });

  it("forgetKernelBtf() makes the next Btf.kernel() read again, and the old Btf stays readable", () => {
    const before = Btf.kernel();
    forgetKernelBtf();
    const after = Btf.kernel();
    expect(after === before).toBe(false);
    expect(before.find("task_struct", "struct")!.id).toBe(after.find("task_struct", "struct")!.id);
    expect(before.typeById(before.count - 1)).toEqual(after.typeById(after.count - 1));
  });
});

// ---- A directory standing in for /sys/kernel/btf: the clang fixture as vmlinux ----

const tmp = mkdtempSync(join(tmpdir(), "tsbpf-kbtf-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A split BTF over `base`: one struct naming a base type, and a pointer to it. */
function goodModule(base: Btf, name: string): Uint8Array {
  const w = new Writer(base.strings.end);
  const int = base.find("int")!.id;
  w.type(w.str(name), 4, 1, false, 4, w.str("x"), int, 0);
  w.type(0, 2, 0, false, base.count);
  return assemble(w.sections());
}

/** The 24-byte header with empty sections that cilium/ebpf#1902 and #1818 met. */
function headerOnly(): Uint8Array {
  return assemble({ types: new Uint8Array(0), strings: new Uint8Array(0) });
}

function sysDir(name: string, files: Record<string, Uint8Array>): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const [f, bytes] of Object.entries(files)) writeFileSync(join(dir, f), bytes);
  return dir;
}

describe("KernelBtf over a directory", () => {
  const vmlinux = fixture("kinds.el.btf");
  const base = Btf.parse(vmlinux);
  const badMagic = goodModule(base, "bad_magic");
  badMagic[0] = 0;
  const truncated = goodModule(base, "truncated").subarray(0, 30);
  const dir = sysDir("mixed", {
    vmlinux, good_a: goodModule(base, "good_a"), good_b: goodModule(base, "good_b"), bad_magic: badMagic,
    truncated, empty_file: new Uint8Array(0), header_only: headerOnly(),
  });

  it("reads vmlinux and each module under the directory, split over it", () => {
    const k = new KernelBtf({ dir: `${dir}/` });
    expect(k.dir).toBe(dir);
    const v = k.vmlinux();
    expect(v.count).toBe(base.count);
    expect(k.vmlinuxMapped).toBe(true); // a tmpfs file maps everywhere
    const a = k.module("good_a");
    expect(a.base).toBe(v);
    expect(a.find("good_a", "struct")).toMatchObject({ id: base.count, members: [{ name: "x", type: base.find("int")!.id }] });
    expect(k.module("good_a")).toBe(a);
    expect(new KernelBtf({ dir, access: "read" }).vmlinux().format("raw")).toBe(base.format("raw"));
  });

  it("skips broken module files with one warning each, and never a valid empty one", () => {
    const k = new KernelBtf({ dir });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      expect(k.moduleNames()).toEqual(["bad_magic", "empty_file", "good_a", "good_b", "header_only", "truncated"]);
      const first = [...k.modules()];
      expect(first.map((m) => m.name)).toEqual(["good_a", "good_b", "header_only"]);
      expect(first[2].btf.count).toBe(base.count); // a header and nothing else: no types, and valid
      const said = warn.mock.calls.map((c) => String(c[0]));
      expect(said).toHaveLength(3);
      for (const f of ["bad_magic", "empty_file", "truncated"]) {
        expect(said.filter((s) => s.includes(`${dir}/${f} is broken: BTF: `) && s.endsWith("; skipped it"))).toHaveLength(1);
      }
      expect([...k.modules()].map((m) => m.name)).toEqual(["good_a", "good_b", "header_only"]);
      expect(warn).toHaveBeenCalledTimes(3); // not again
      expect(k.vmlinux().find("holder", "struct")).toBeDefined(); // vmlinux unharmed
    } finally {
      warn.mockRestore();
    }
  });

  it("module() of a broken file throws an Error naming it, with the BtfError as its cause", () => {
    const k = new KernelBtf({ dir });
    const err = thrown(() => k.module("bad_magic"), Error);
    expect(err.message).toContain(`kernel module BTF ${dir}/bad_magic is broken`);
    expect(err.cause).toBeInstanceOf(BtfError);
    expect(() => k.module("bad_magic")).toThrow(err); // remembered
    expect(() => k.module("truncated")).toThrow(/truncated is broken: BTF: /);
    expect(() => k.module("absent")).toThrow(`kernel module BTF ${dir}/absent: no such module BTF (is the module loaded?)`);
  });

  it("says which files it looked for when vmlinux is missing or broken", () => {
    const noVmlinux = sysDir("no-vmlinux", { good: goodModule(base, "good") });
    const k = new KernelBtf({ dir: noVmlinux });
    expect(k.moduleNames()).toEqual(["good"]);
    expect(() => k.vmlinux()).toThrow(`kernel BTF: ${noVmlinux}/vmlinux does not exist`);
    // Debian's releases have a "+" (6.12.95+deb12-amd64): escape every regex character.
    const rel = kernelRelease.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    expect(() => k.vmlinux()).toThrow(new RegExp(`/boot/vmlinux-${rel}, .*/usr/lib/debug/lib/modules/${rel}/vmlinux: ELF images`));
    expect(() => k.module("good")).toThrow(/vmlinux does not exist/);
    expect(() => [...k.modules()]).toThrow(/vmlinux does not exist/);
    const broken = sysDir("broken-vmlinux", { vmlinux: headerOnly() });
    expect(() => new KernelBtf({ dir: broken }).vmlinux()).toThrow(`kernel BTF: ${broken}/vmlinux does not parse: BTF: empty string section`);
  });

  it("says so when the directory is empty or absent", () => {
    const empty = sysDir("empty", {});
    expect(new KernelBtf({ dir: empty }).moduleNames()).toEqual([]);
    expect(() => new KernelBtf({ dir: empty }).vmlinux()).toThrow(/vmlinux does not exist/);
    const absent = join(tmp, "absent");
    expect(() => new KernelBtf({ dir: absent }).moduleNames()).toThrow(`kernel BTF: ${absent} does not exist`);
    expect(() => [...new KernelBtf({ dir: absent }).modules()]).toThrow(/does not exist/);
    expect(() => new KernelBtf({ dir: absent }).vmlinux()).toThrow(`kernel BTF: ${absent}/vmlinux does not exist`);
  });

  const attr = "/sys/kernel/uevent_seqnum"; // 4096 bytes by stat, no mmap: kernfs says ENODEV
  itPriv("reads a file the kernel will not map (a sysfs attribute, as vmlinux before 6.16), unless told to map only", { skipIf: existsSync(attr) ? undefined : `no ${attr}` }, () => {
    const dir = join(tmp, "refuses");
    mkdirSync(dir);
    symlinkSync(attr, join(dir, "vmlinux"));
    // Read, then refused as BTF: the mapping's failure did not end it.
    expect(() => new KernelBtf({ dir }).vmlinux()).toThrow(/vmlinux does not parse: BTF: /);
    expect(() => new KernelBtf({ dir, access: "mmap" }).vmlinux()).toThrow(/cannot get .*vmlinux: mmap: ENODEV/);
  });

  it("rejects bad options and module names before touching the files", () => {
    expect(() => new KernelBtf({ dir: "" })).toThrow(TypeError);
    expect(() => new KernelBtf({ access: "copy" as "read" })).toThrow(/access must be/);
    const k = new KernelBtf({ dir: join(tmp, "absent") });
    expect(() => k.module("../x")).toThrow(TypeError);
  });
});
