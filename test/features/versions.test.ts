// Every entry of the version table against the running kernel: a probe that says "no" on a kernel
// at least as new as the entry's version FAILS (unless the entry's config option is off in this
// kernel's build), and one that says "yes" on an older kernel fails too. Runs on the host and on
// every kernel of the VM matrix. Then the same rule as test/helpers/env.ts applies it to tests
// that need a feature, on fake kernels.
import { describe, expect, it } from "vitest";
import {
  BpfError, Errno, FeatureError, type FeatureVersion, featureVersions, haveFeature, haveHelper, haveMapType, haveProgType,
  HELPER_VERSIONS, type HelperName, Helper, Insn, MAP_TYPE_VERSIONS, MapType, type MapTypeName, MISC_VERSIONS, type MiscFeature,
  PROG_TYPE_VERSIONS, ProgType, type ProgTypeName,
} from "../../mod.ts";
import { describePriv, featureVerdict, type Host, inVm, itPriv, kernelAtLeast, kernelRelease } from "../helpers/env.ts";
import { configState } from "../helpers/kconfig.ts";
import { tryLoad } from "../../src/features/probe.ts";

/**
 * One test: the probe's answer must be "the kernel is at least every version in `since`".
 * `refused`, given, says why this kernel's build refuses the feature outright (checked only on a "no").
 */
function check(what: string, since: FeatureVersion[], probe: () => boolean, refused?: () => string | undefined): void {
  const versions = since.map((s) => s.version).join(" and ");
  const configs = since.flatMap((s) => (s.config ? [s.config] : []));
  it(`${what}: Linux ${versions}${configs.length ? `, ${configs.join(", ")}` : ""}`, (ctx) => {
    const newer = since.every((s) => kernelAtLeast(s.version));
    let yes: boolean;
    try {
      yes = probe();
    } catch (e) {
      // Not a "no": the kernel knows the feature but this system's policy refuses it to root.
      if (newer && e instanceof FeatureError && e.cause instanceof BpfError && e.cause.errno === Errno.EPERM) {
        ctx.skip(`${what}: refused by this system's policy (EPERM), the probe could not tell`);
      }
      throw e;
    }
    if (newer && !yes) {
      const off = configs.filter((c) => configState(c) === "off");
      const unknown = configs.filter((c) => configState(c) === "unknown");
      if (off.length) return; // built without it: "no" is right
      if (unknown.length) ctx.skip(`${what} is missing, and whether ${unknown.join(", ")} is set is unknown (no kernel config found)`);
      // Off the matrix, a kernel whose verifier names the helper refused for the type was built or
      // patched without it: the library's "no" is right there. The matrix's Debian kernels stay strict.
      const why = inVm ? undefined : refused?.();
      if (why) ctx.skip(`${what}: ${kernelRelease} refuses it (${why}); the probe's "no" is right for this build`);
      expect.fail(`${what} came with Linux ${versions}; kernel ${kernelRelease} is newer, yet the probe says no`);
    }
    if (!newer && yes) expect.fail(`${what} came with Linux ${versions}; kernel ${kernelRelease} is older, yet the probe says yes`);
    expect(yes).toBe(newer);
  });
}

/** The verifier's words when it refuses `helper` to `progType` as such (not for its arguments), else undefined. */
function helperRefusal(progType: ProgTypeName, helper: HelperName): string | undefined {
  const r = tryLoad(ProgType[progType], Insn.encode([Insn.call(Helper[helper]), Insn.mov("r0", 0), Insn.exit()]), { log: true });
  return /program of this type cannot use helper \S+/.exec(r.log)?.[0];
}

describePriv(`feature probes against their versions on ${kernelRelease}`, () => {
  describe("map types", () => {
    for (const [name, v] of Object.entries(MAP_TYPE_VERSIONS) as [MapTypeName, FeatureVersion][]) {
      check(`map type ${name}`, [v], () => haveMapType(name));
    }
  });
  describe("program types", () => {
    for (const [name, v] of Object.entries(PROG_TYPE_VERSIONS) as [ProgTypeName, FeatureVersion][]) {
      check(`program type ${name}`, [v], () => haveProgType(name));
    }
  });
  describe("helpers", () => {
    for (const [name, v] of Object.entries(HELPER_VERSIONS) as [HelperName, NonNullable<(typeof HELPER_VERSIONS)[HelperName]>][]) {
      check(`helper ${name} in ${v.progType}`, [v, PROG_TYPE_VERSIONS[v.progType]], () => haveHelper(v.progType, name), () => helperRefusal(v.progType, name));
    }
  });
  describe("misc", () => {
    for (const [name, v] of Object.entries(MISC_VERSIONS) as [MiscFeature, FeatureVersion][]) check(name, [v], () => haveFeature(name));
  });
});

describe("the version table", () => {
  it("every map and program type of the UAPI has a version", () => {
    const aliases = ["unspec", "cgroup_storage_deprecated", "percpu_cgroup_storage_deprecated"];
    expect(Object.keys(MAP_TYPE_VERSIONS).sort()).toEqual(Object.keys(MapType).filter((k) => !aliases.includes(k)).sort());
    expect(Object.keys(PROG_TYPE_VERSIONS).sort()).toEqual(Object.keys(ProgType).filter((k) => k !== "unspec").sort());
    expect(Object.keys(HELPER_VERSIONS).length).toBeGreaterThanOrEqual(60);
    for (const k of Object.keys(HELPER_VERSIONS)) expect(Helper).toHaveProperty(k);
  });
});

describe("features by table name", () => {
  it("featureVersions gives the entry of each table, and a helper's program type too", () => {
    expect(featureVersions("batch_ops")).toEqual([MISC_VERSIONS.batch_ops]);
    expect(featureVersions({ mapType: "ringbuf" })).toEqual([MAP_TYPE_VERSIONS.ringbuf]);
    expect(featureVersions({ progType: "struct_ops" })).toEqual([PROG_TYPE_VERSIONS.struct_ops]);
    expect(featureVersions({ helper: "loop" })).toEqual([HELPER_VERSIONS.loop, PROG_TYPE_VERSIONS.socket_filter]);
  });

  it("a name no table has is a TypeError, before any probe", () => {
    expect(() => featureVersions("nope" as MiscFeature)).toThrow(/unknown misc feature "nope"/);
    expect(() => haveFeature({ mapType: "toString" as MapTypeName })).toThrow(TypeError);
    expect(() => haveFeature({ helper: "override_return" })).toThrow(/no entry in HELPER_VERSIONS/);
  });
});

/** A kernel of release `v` ("maj.min"), its config options `on` (others off, or all unknown with null). */
function host(v: string, vm: boolean, on: string[] | null = []): Host {
  const [a, b] = v.split(".").map(Number);
  return {
    release: `${v}.0-test`,
    atLeast: (w) => {
      const [x, y] = w.split(".").map(Number);
      return a !== x ? a > x : b >= y;
    },
    config: (o) => (on === null ? "unknown" : on.includes(o) ? "on" : "off"),
    vm,
  };
}

const batch: FeatureVersion[] = [{ version: "5.6" }];
const fprobe: FeatureVersion[] = [{ version: "5.18", config: "CONFIG_FPROBE" }];
const helper: FeatureVersion[] = [{ version: "5.17" }, { version: "3.19" }]; // a helper and its program type

describe("the same rule for tests that need a feature (featureVerdict, test/helpers/env.ts)", () => {
  it("a yes runs the test, wherever", () => {
    expect(featureVerdict("batch_ops", batch, true, host("5.4", true))).toBeNull();
    expect(featureVerdict("batch_ops", batch, true, host("6.1", false))).toBeNull();
  });

  it("a no skips, naming the feature, its release and the kernel", () => {
    expect(featureVerdict("batch_ops", batch, false, host("5.4", false))).toEqual({
      why: "needs batch_ops (Linux 5.6+): the library's probe says no on 5.4.0-test",
      fail: false,
    });
    // On the host a newer kernel may lack it too (a distribution's choice): still a skip.
    expect(featureVerdict("batch_ops", batch, false, host("6.1", false))?.fail).toBe(false);
  });

  it("in the VM matrix, a no from a kernel older than the release skips", () => {
    expect(featureVerdict("batch_ops", batch, false, host("5.4", true))?.fail).toBe(false);
  });

  it("in the VM matrix, a no from a kernel at least the release fails", () => {
    const v = featureVerdict("batch_ops", batch, false, host("5.6", true));
    expect(v?.fail).toBe(true);
    expect(v?.why).toMatch(/^needs batch_ops \(Linux 5\.6\+\): the library's probe says no on 5\.6\.0-test, yet it is at least 5\.6/);
  });

  it("a config option off in the build makes the no right: a skip, in the VM matrix too", () => {
    const v = featureVerdict("kprobe_multi", fprobe, false, host("6.1", true));
    expect(v).toEqual({ why: "needs kprobe_multi (Linux 5.18+, CONFIG_FPROBE): the library's probe says no on 6.1.0-test; CONFIG_FPROBE off in its build", fail: false });
    expect(featureVerdict("kprobe_multi", fprobe, false, host("6.12", true, ["CONFIG_FPROBE"]))?.fail).toBe(true);
    // No config found: it cannot tell, so it does not fail.
    expect(featureVerdict("kprobe_multi", fprobe, false, host("6.12", true, null))?.why).toMatch(/whether CONFIG_FPROBE is set is unknown/);
    expect(featureVerdict("kprobe_multi", fprobe, false, host("6.12", true, null))?.fail).toBe(false);
  });

  it("several entries: the newest release counts", () => {
    expect(featureVerdict("helper loop", helper, false, host("5.16", true))).toEqual({
      why: "needs helper loop (Linux 5.17+): the library's probe says no on 5.16.0-test",
      fail: false,
    });
    expect(featureVerdict("helper loop", helper, false, host("5.17", true))?.fail).toBe(true);
  });

  it("versions are compared as numbers: 5.10 is newer than 5.9", () => {
    expect(featureVerdict("x", [{ version: "5.9" }, { version: "5.10" }], false, host("5.9", false))?.why).toMatch(/Linux 5\.10\+/);
  });
});

describe("Needs", () => {
  it("a version written in a test is refused: it comes from the library's tables", () => {
    expect(() => itPriv("x", { kernel: "5.6" } as never, () => {})).toThrow(/Needs\.kernel is gone/);
  });
});
