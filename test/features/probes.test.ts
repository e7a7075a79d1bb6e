// How the probes behave, whatever the kernel: answers cached per process, names and numbers
// alike, unknown ids answered no, bad input refused, errors that are not an answer reported.
import { beforeEach, expect } from "vitest";
import {
  BpfError, clearFeatureCache, Cmd, cmdName, ENOTSUPP, ensureMemlock, Errno, FeatureError, haveFeature, haveHelper, haveIsa, haveLdimm64FullRange, haveMapType,
  haveProgType, Helper, kernelAtLeast as libKernelAtLeast, kernelRelease as libKernelRelease, kernelVersion, linuxVersionCode,
  errnoName, MAP_TYPE_VERSIONS, MapCreateAttr, MapType, type MiscFeature, parseVersion, ProgLoadAttr, ProgType,
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

  itPriv("the ld_imm64 range probe gets one of the two refusals it knows, from one map and one load", () => {
    ensureMemlock();
    const r = countCalls(() => haveLdimm64FullRange());
    expect(typeof r.result).toBe("boolean");
    expect(r.calls.get(Cmd.map_create)).toBe(1);
    expect(r.calls.get(Cmd.prog_load)).toBe(1);
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

  // What a kernel without the feature answers, faked: the misc probes must read it as no.
  const without: [MiscFeature, number, number][] = [
    ["map_freeze", Cmd.map_freeze, Errno.EINVAL],
    ["task_fd_query", Cmd.task_fd_query, Errno.EINVAL],
    ["link_create", Cmd.link_create, Errno.EINVAL],
    ["iter_create", Cmd.iter_create, Errno.EINVAL],
    ["link_detach", Cmd.link_detach, Errno.EINVAL],
    ["prog_bind_map", Cmd.prog_bind_map, Errno.EINVAL],
    ["token_create", Cmd.token_create, Errno.EINVAL],
    ["prog_stream_read_by_fd", Cmd.prog_stream_read_by_fd, Errno.EINVAL],
    ["enable_stats", Cmd.enable_stats, Errno.EINVAL],
    ["hash_lookup_and_delete", Cmd.map_lookup_and_delete_elem, ENOTSUPP], // 4.20 to 5.13: queues and stacks only
    ["hash_lookup_and_delete", Cmd.map_lookup_and_delete_elem, Errno.EINVAL],
    ["btf_load", Cmd.btf_load, Errno.EINVAL],
    ["map_btf", Cmd.btf_load, Errno.EINVAL],
    ["map_btf", Cmd.map_create, ENOTSUPP],
    ["kernel_btf", Cmd.btf_get_next_id, Errno.EINVAL],
    ["test_run_skb_mark", Cmd.prog_test_run, Errno.EINVAL],
    ["kprobe_multi", Cmd.link_create, Errno.EINVAL],
    ["kprobe_multi", Cmd.link_create, Errno.EOPNOTSUPP], // built without CONFIG_FPROBE
  ];
  for (const [feature, cmd, errno] of without) {
    itPriv(`${feature}: no, where the kernel says ${errnoName(errno)} to ${cmdName(cmd)}`, () => {
      // map_btf's fake refuses only the map with BTF types, not the maps other code makes.
      const key = MapCreateAttr.fields.btf_key_type_id.off;
      const hook = (c: number, attr: Uint8Array): number | undefined =>
        c === cmd && (cmd !== Cmd.map_create || new DataView(attr.buffer, attr.byteOffset).getUint32(key, true) !== 0) ? -errno : undefined;
      expect(withHook(hook, () => haveFeature(feature))).toBe(false);
      clearFeatureCache();
    });
  }

  itPriv("log_true_size: a kernel that leaves the field as it was has none", () => {
    const F = ProgLoadAttr.fields;
    const old = withHook((cmd, attr, _size, real) => {
      if (cmd !== Cmd.prog_load) return undefined;
      const rc = real();
      attr.fill(0, F.log_true_size.off, F.log_true_size.off + 4);
      return rc;
    }, () => haveFeature("log_true_size"));
    expect(old).toBe(false);
  });

  itPriv("a probe's answer that is no answer (EPERM) is a FeatureError", () => {
    const e = withHook((cmd) => (cmd === Cmd.map_freeze ? -Errno.EPERM : undefined), () => {
      try {
        haveFeature("map_freeze");
      } catch (e) {
        return e;
      }
    });
    expect(e).toBeInstanceOf(FeatureError);
    expect((e as FeatureError).feature).toBe("BPF_MAP_FREEZE");
  });

  itPriv("the running kernel's version", () => {
    expect(libKernelRelease()).toBe(kernelRelease);
    const [maj, min] = kernelVersion();
    expect(`${maj}.${min}`).toBe(kernelRelease.split(".").slice(0, 2).join("."));
    expect(libKernelAtLeast(MAP_TYPE_VERSIONS.hash.version)).toBe(true); // bpf() itself
    expect(libKernelAtLeast(`${maj}.${min + 1}`)).toBe(false);
    expect(libKernelAtLeast(`${maj}.${min}`)).toBe(true);
    expect(linuxVersionCode() >> 16).toBe(maj);
    expect((linuxVersionCode() >> 8) & 0xff).toBe(min);
    expect(parseVersion("5.10.0-46-amd64")).toEqual([5, 10, 0]);
    expect(() => parseVersion("x")).toThrow(RangeError);
  });
});
