// BtfHandle against the running kernel: builder BTF loaded and read back by id; the clang fixture
// loaded sanitized by the probes (on 5.10 that takes the DECL_TAG/TYPE_TAG/ENUM64/FLOAT rewrites)
// and unsanitized failing exactly where a probe says a feature it uses is missing; bad BTF carrying
// the kernel's log line; the kernel's own BTF read back; the probes against their version table.
import { Buffer } from "node:buffer";
import { existsSync, readFileSync } from "node:fs";
import { expect, it } from "vitest";
import {
  Btf, BTF_FEATURE_VERSIONS, BtfBuilder, BtfError, type BtfFeature, btfFeaturesUsed, btfGetFdById, BtfHandle, BtfLoadError, BpfError,
  Errno, fdTarget, haveBtfFeature, mapCreate, MapType, missingBtfFeatures, sanitizeBtf,
} from "../../mod.ts";
import { describePriv, inVm, itPriv, kernelAtLeast, kernelRelease } from "../helpers/env.ts";
import { own } from "../helpers/fds.ts";
import { assemble, fixture, Writer } from "./blob.ts";

const HOST_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function small(): BtfBuilder {
  const b = new BtfBuilder();
  const int = b.addInt("int", 4, { signed: true });
  const node = b.addStruct("node", 16, [{ name: "value", type: int, bitOffset: 0 }, { name: "next", type: b.count + 1, bitOffset: 64 }]);
  b.addPtr(node);
  b.addEnum("colour", [{ name: "RED", value: 0 }, { name: "BLUE", value: 2 }]);
  b.addTypedef("node_t", node);
  return b;
}

/**
 * The clang fixture as an ELF loader hands it on (libbpf's bpf_object_fixup_btf and extern
 * handling, not the sanitizer's job): DATASEC sizes from their variables, the extern VAR allocated.
 */
function loaderReady(): Btf {
  const b = new BtfBuilder();
  for (const t of Btf.parse(fixture("kinds.el.btf")).types()) {
    if (t.kind === "var" && t.linkage === 2) b.addType({ ...t, linkage: 1 });
    else if (t.kind === "datasec" && t.size === 0) b.addType({ ...t, size: Math.max(...t.vars.map((v) => v.offset + v.size)) });
    else b.addType(t);
  }
  return b.build();
}

// A FUNC whose type is an INT: the parser takes it, the kernel's BTF verifier does not.
function funcOfInt(): Uint8Array {
  const w = new Writer();
  w.type(w.str("int"), 1, 0, false, 4, (1 << 24) | 32);
  w.type(w.str("f"), 12, 0, false, 1);
  return assemble(w.sections());
}

describePriv("BtfHandle.load and reading back", { feature: "btf_load" }, () => {
  it("loads builder BTF; fromId + info + bytes give it back", () => {
    const b = small();
    using h = BtfHandle.load(b.build());
    expect(h.id).toBeGreaterThan(0);
    using again = BtfHandle.fromId(h.id);
    expect(again.fd).not.toBe(h.fd);
    const info = again.info();
    const bytes = again.bytes();
    expect(info).toEqual({ id: h.id, name: "", kernel: false, size: bytes.length });
    // Nothing to rewrite: the kernel holds exactly the marshalled bytes.
    expect(bytes).toEqual(b.marshal({ littleEndian: HOST_LITTLE }));
    expect(Btf.parse(bytes).format("raw")).toBe(b.build().format("raw"));
    expect(again.btf().format("raw")).toBe(b.build().format("raw"));
  });

  it("loads bytes in either byte order (the other order re-marshalled native)", () => {
    const built = small().build();
    for (const littleEndian of [true, false]) {
      using h = BtfHandle.load(built.marshal({ littleEndian }));
      expect(h.btf().little).toBe(HOST_LITTLE);
      expect(h.btf().format("raw")).toBe(built.format("raw"));
    }
  });

  it("loads the clang fixture sanitized by the probes; the kernel holds the sanitized BTF", () => {
    const btf = loaderReady();
    const missing = missingBtfFeatures();
    using h = BtfHandle.load(btf);
    expect(h.btf().format("raw")).toBe(sanitizeBtf(btf, missing).format("raw"));
    expect(h.btf().count).toBe(btf.count + (missing.includes("enum64") ? 1 : 0));
    // btf.load() from the "tsbpf" entry goes the same way.
    using l = btf.load();
    expect(l.bytes()).toEqual(h.bytes());
    expect(l.info().kernel).toBe(false);
  });

  it("unsanitized, the fixture fails where the probes say a feature it uses is missing, and loads where none is", () => {
    const btf = loaderReady();
    const lacking = btfFeaturesUsed(btf).filter((f) => !haveBtfFeature(f));
    if (lacking.length) {
      let err: unknown;
      try {
        BtfHandle.load(btf, { sanitize: false }).close();
      } catch (e) {
        err = e;
      }
      expect(err, `kernel ${kernelRelease} lacks ${lacking.join(", ")}`).toBeInstanceOf(BtfLoadError);
      expect((err as BtfLoadError).errno).toBe(Errno.EINVAL);
      expect((err as BtfLoadError).typeId).toBeGreaterThan(0);
    } else {
      using h = BtfHandle.load(btf, { sanitize: false });
      expect(h.bytes()).toEqual(btf.marshal({ littleEndian: HOST_LITTLE }));
    }
    // The raw clang output lacks what the ELF loader adds: every kernel refuses its extern VAR.
    expect(() => BtfHandle.load(fixture("kinds.el.btf"), { sanitize: false })).toThrow(/Linkage not supported|Invalid/);
  });

  it("a bad BTF is a BpfError whose message has the kernel's log line", () => {
    let err: unknown;
    try {
      BtfHandle.load(funcOfInt());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BpfError);
    const e = err as BtfLoadError;
    expect([e.name, e.errno, e.cmd, e.typeId]).toEqual(["BtfLoadError", Errno.EINVAL, "btf_load", 2]);
    expect(e.reason).toBe("[2] FUNC f type_id=1 Invalid type_id");
    expect(e.message).toContain("[2] FUNC f type_id=1 Invalid type_id");
    expect(e.log).toMatch(/^magic: 0xeb9f\n/);
    // A log buffer too small for it grows until the failing line fits.
    const small = (() => {
      try {
        BtfHandle.load(funcOfInt(), { logSize: 128 });
      } catch (x) {
        return x as BtfLoadError;
      }
    })();
    expect(small?.reason).toBe(e.reason);
    // log: false asks for none: a plain BpfError.
    expect(() => BtfHandle.load(funcOfInt(), { log: false })).toThrow(expect.objectContaining({ name: "BpfError", errno: Errno.EINVAL, log: undefined }));
  });

  it("log: true keeps the BTF verifier log of a successful load", () => {
    using h = BtfHandle.load(small().build(), { log: true });
    expect(h.log).toMatch(/^magic: 0xeb9f\n/);
    expect(h.log).toContain("[2] STRUCT node size=16 vlen=2");
    using quiet = BtfHandle.load(small().build());
    expect(quiet.log).toBeUndefined();
  });

  it("fromFd takes ownership; close is idempotent; using closes; pin is refused", () => {
    using h = BtfHandle.load(small().build());
    const taken = BtfHandle.fromFd(btfGetFdById(h.id));
    expect(taken.id).toBe(h.id);
    expect(fdTarget(taken.fd)).toBe("anon_inode:btf");
    const fd = taken.fd;
    taken.close();
    taken.close();
    expect(taken.closed).toBe(true);
    expect(() => taken.fd).toThrow(TypeError);
    expect(fdTarget(fd)).not.toBe("anon_inode:btf");
    expect(() => h.pin("/sys/fs/bpf/nope")).toThrow(/cannot be pinned/);
    let scopedFd: number;
    {
      using scoped = BtfHandle.load(small().build());
      scopedFd = scoped.fd;
      expect(fdTarget(scopedFd)).toBe("anon_inode:btf");
    }
    expect(fdTarget(scopedFd)).not.toBe("anon_inode:btf");
  });

  it("fromFd refuses what is not a BTF object and leaves the fd to the caller; fromId of no object is NotFound", () => {
    const map = own(mapCreate(MapType.array, 4, 4, 1));
    expect(() => BtfHandle.fromFd(map)).toThrow(/is a BPF map, not a BTF object/);
    expect(() => BtfHandle.fromFd(-1)).toThrow(RangeError);
    expect(() => BtfHandle.fromId(0x7fffffff)).toThrow(expect.objectContaining({ errno: Errno.ENOENT }));
  });
});

describePriv("BtfHandle and the kernel's own BTF", { feature: "kernel_btf" }, () => {
  it("vmlinux by id: kernel_btf, its name, and the bytes of /sys/kernel/btf/vmlinux", () => {
    let found = false;
    for (const id of BtfHandle.ids()) {
      using h = BtfHandle.fromId(id);
      const info = h.info();
      if (!info.kernel || info.name !== "vmlinux") continue;
      found = true;
      const bytes = h.bytes();
      expect(bytes.length).toBe(info.size);
      // Compared as a Buffer: a deep equality over 5 MB of elements takes the test's whole budget.
      if (existsSync("/sys/kernel/btf/vmlinux")) expect(Buffer.from(bytes).equals(readFileSync("/sys/kernel/btf/vmlinux"))).toBe(true);
      const btf = h.btf();
      expect(btf.find("task_struct", "struct")).toBeDefined();
      break;
    }
    expect(found).toBe(true);
  }, 120_000);
});

describePriv("bad input to BtfHandle.load, before any syscall", () => {
  it("TypeErrors, and a BtfError for malformed bytes", () => {
    expect(() => BtfHandle.load({} as Btf)).toThrow(TypeError);
    expect(() => BtfHandle.load(new Uint8Array(0))).toThrow(TypeError);
    expect(() => BtfHandle.load(small().build(), { sanitize: "yes" as never })).toThrow(TypeError);
    expect(() => BtfHandle.load(small().build(), { logSize: 12 })).toThrow(RangeError);
    expect(() => BtfHandle.load(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(BtfError);
    const base = small().build();
    const s = new BtfBuilder({ base });
    s.addPtr(1);
    expect(() => BtfHandle.load(s.build())).toThrow(/split BTF cannot be loaded/);
    expect(() => haveBtfFeature("enum128" as BtfFeature)).toThrow(TypeError);
  });
});

// The same rule as test/features/versions.test.ts: a probe that says no on a kernel at least as
// new as the table's release fails, and one that says yes on an older kernel fails too.
describePriv(`BTF feature probes against BTF_FEATURE_VERSIONS on ${kernelRelease}`, { feature: "btf_load" }, () => {
  for (const [f, v] of Object.entries(BTF_FEATURE_VERSIONS) as [BtfFeature, { version: string }][]) {
    it(`${f}: Linux ${v.version}`, () => {
      const newer = kernelAtLeast(v.version), yes = haveBtfFeature(f);
      if (newer && !yes) expect.fail(`${f} came with Linux ${v.version}; kernel ${kernelRelease} is newer, yet the probe says no${inVm ? " (TSBPF_VM)" : ""}`);
      if (!newer && yes) expect.fail(`${f} came with Linux ${v.version}; kernel ${kernelRelease} is older, yet the probe says yes`);
      expect(yes).toBe(newer);
    });
  }
  itPriv("missingBtfFeatures() is every feature a probe says no to, oldest first", () => {
    expect(missingBtfFeatures()).toEqual((Object.keys(BTF_FEATURE_VERSIONS) as BtfFeature[]).filter((f) => !haveBtfFeature(f)));
  });
});
