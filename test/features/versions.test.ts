// Every entry of the version table against the running kernel: a probe that says "no" on a kernel
// at least as new as the entry's version FAILS (unless the entry's config option is off in this
// kernel's build), and one that says "yes" on an older kernel fails too. Runs on the host and on
// every kernel of the VM matrix.
import { describe, expect, it } from "vitest";
import {
  BpfError, Errno, FeatureError, type FeatureVersion, haveBatchOps, haveBoundedLoops, haveBpfToBpfCalls, haveHelper, haveIsa,
  haveLargeInstructions, haveLinkCreate, haveMapType, haveMemcgAccounting, haveProgType, HELPER_VERSIONS, type HelperName,
  Helper, MAP_TYPE_VERSIONS, MapType, type MapTypeName, MISC_VERSIONS, type MiscFeature, PROG_TYPE_VERSIONS, ProgType, type ProgTypeName,
} from "../../mod.ts";
import { describePriv, kernelAtLeast, kernelRelease } from "../helpers/env.ts";
import { configState } from "../helpers/kconfig.ts";

const MISC: Readonly<Record<MiscFeature, () => boolean>> = {
  isa_v2: () => haveIsa("v2"),
  isa_v3: () => haveIsa("v3"),
  isa_v4: () => haveIsa("v4"),
  bpf_to_bpf_calls: haveBpfToBpfCalls,
  large_insns: haveLargeInstructions,
  bounded_loops: haveBoundedLoops,
  batch_ops: haveBatchOps,
  link_create: haveLinkCreate,
  memcg_accounting: haveMemcgAccounting,
};

/** One test: the probe's answer must be "the kernel is at least every version in `since`". */
function check(what: string, since: FeatureVersion[], probe: () => boolean): void {
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
      expect.fail(`${what} came with Linux ${versions}; kernel ${kernelRelease} is newer, yet the probe says no`);
    }
    if (!newer && yes) expect.fail(`${what} came with Linux ${versions}; kernel ${kernelRelease} is older, yet the probe says yes`);
    expect(yes).toBe(newer);
  });
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
      check(`helper ${name} in ${v.progType}`, [v, PROG_TYPE_VERSIONS[v.progType]], () => haveHelper(v.progType, name));
    }
  });
  describe("misc", () => {
    for (const [name, v] of Object.entries(MISC_VERSIONS) as [MiscFeature, FeatureVersion][]) check(name, [v], MISC[name]);
  });
});

describe("the version table", () => {
  it("every map and program type of the UAPI has a version", () => {
    const aliases = ["unspec", "cgroup_storage_deprecated", "percpu_cgroup_storage_deprecated"];
    expect(Object.keys(MAP_TYPE_VERSIONS).sort()).toEqual(Object.keys(MapType).filter((k) => !aliases.includes(k)).sort());
    expect(Object.keys(PROG_TYPE_VERSIONS).sort()).toEqual(Object.keys(ProgType).filter((k) => k !== "unspec").sort());
    expect(Object.keys(MISC).sort()).toEqual(Object.keys(MISC_VERSIONS).sort());
    expect(Object.keys(HELPER_VERSIONS).length).toBeGreaterThanOrEqual(60);
    for (const k of Object.keys(HELPER_VERSIONS)) expect(Helper).toHaveProperty(k);
  });
});
