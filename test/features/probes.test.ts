// How the probes behave, whatever the kernel: answers cached per process, names and numbers
// alike, unknown ids answered no, bad input refused, errors that are not an answer reported.
import { beforeEach, expect } from "vitest";
import {
  BpfError, clearFeatureCache, Cmd, ensureMemlock, Errno, FeatureError, haveHelper, haveIsa, haveMapType, haveProgType, Helper,
  kernelAtLeast as libKernelAtLeast, kernelRelease as libKernelRelease, kernelVersion, linuxVersionCode, MapType, parseVersion,
  ProgType,
} from "../../mod.ts";
import { describePriv, itPriv, kernelRelease } from "../helpers/env.ts";
import { countCalls, withHook } from "../program/spy.ts";

describePriv("feature probes", () => {
  beforeEach(() => clearFeatureCache());

  itPriv("an answer is cached: the second call makes no bpf() call", () => {
    ensureMemlock();
    const first = countCalls(() => haveMapType("lru_hash"));
    expect(first.result).toBe(true);
    expect(first.calls.get(Cmd.map_create)).toBe(1);
    const again = countCalls(() => haveMapType(MapType.lru_hash));
    expect(again.result).toBe(true);
    expect(again.calls.size).toBe(0);
    const prog = countCalls(() => [haveProgType("xdp"), haveProgType(ProgType.xdp)]);
    expect(prog.result).toEqual([true, true]);
    expect(prog.calls.get(Cmd.prog_load)).toBe(1);
  });

  itPriv("the maps and programs a probe makes are closed again", () => {
    // local storage (a BTF object and the map), maps of maps (two maps), a program type
    expect(haveMapType("sk_storage")).toBe(true);
    expect(haveMapType("hash_of_maps")).toBe(true);
    expect(haveProgType("sched_cls")).toBe(true);
    // the fd-leak check of this file fails otherwise
  });

  itPriv("types and helpers no kernel has are answered no", () => {
    expect(haveMapType(10_000)).toBe(false);
    expect(haveProgType(10_000)).toBe(false);
    expect(haveHelper("socket_filter", 100_000)).toBe(false);
  });

  itPriv("a helper the program type may not call is answered no", () => {
    expect(haveHelper("xdp", "xdp_adjust_head")).toBe(true);
    expect(haveHelper("socket_filter", "xdp_adjust_head")).toBe(false);
    expect(haveHelper(ProgType.socket_filter, Helper.map_lookup_elem)).toBe(true);
  });

  itPriv("helpers of types that need an attach target cannot be probed", () => {
    expect(() => haveHelper("tracing", "ktime_get_ns")).toThrow(FeatureError);
    expect(() => haveHelper("tracing", "ktime_get_ns")).toThrow(/needs an attach target/);
  });

  itPriv("bad input is a TypeError or RangeError", () => {
    expect(() => haveMapType("nope" as "hash")).toThrow(TypeError);
    expect(() => haveMapType(-1)).toThrow(RangeError);
    expect(() => haveMapType("unspec" as "hash")).toThrow(TypeError);
    expect(() => haveProgType("nope" as "xdp")).toThrow(TypeError);
    expect(() => haveHelper("xdp", "nope" as "loop")).toThrow(TypeError);
    expect(() => haveIsa("v9" as "v4")).toThrow(TypeError);
  });

  itPriv("an error that is no answer is a FeatureError, and nothing is cached", () => {
    ensureMemlock();
    const e = withHook((cmd) => (cmd === Cmd.map_create ? -Errno.EPERM : undefined), () => {
      try {
        haveMapType("percpu_hash");
      } catch (e) {
        return e;
      }
    });
    expect(e).toBeInstanceOf(FeatureError);
    expect((e as FeatureError).feature).toBe("map type percpu_hash (5)");
    expect((e as FeatureError).cause).toBeInstanceOf(BpfError);
    expect((e as FeatureError).message).toMatch(/EPERM: the process lacks CAP_BPF/);
    const odd = withHook((cmd) => (cmd === Cmd.map_create ? -Errno.ENOMEM : undefined), () => {
      try {
        haveMapType("percpu_hash");
      } catch (e) {
        return e;
      }
    });
    expect((odd as FeatureError).message).toMatch(/ENOMEM is not a yes or no/);
    expect(haveMapType("percpu_hash")).toBe(true); // the real kernel, asked again
  });

  itPriv("the running kernel's version", () => {
    expect(libKernelRelease()).toBe(kernelRelease);
    const [maj, min] = kernelVersion();
    expect(`${maj}.${min}`).toBe(kernelRelease.split(".").slice(0, 2).join("."));
    expect(libKernelAtLeast("3.19")).toBe(true);
    expect(libKernelAtLeast(`${maj}.${min + 1}`)).toBe(false);
    expect(libKernelAtLeast(`${maj}.${min}`)).toBe(true);
    expect(linuxVersionCode() >> 16).toBe(maj);
    expect((linuxVersionCode() >> 8) & 0xff).toBe(min);
    expect(parseVersion("5.10.0-46-amd64")).toEqual([5, 10, 0]);
    expect(() => parseVersion("x")).toThrow(RangeError);
  });
});
