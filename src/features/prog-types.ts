/**
 * haveProgType(): loads "r0 = 0; exit" as the type, with the expected attach type or flags the
 * type insists on. Types that need an attach target (tracing, LSM, extension, struct_ops) are told
 * apart by how the kernel refuses a target that cannot be right: a kernel without the type says
 * EINVAL before it looks at the target, one with it complains about the target itself.
 * @module
 */
import { AttachType, ProgType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { ProgLoadFlags } from "../uapi/flags.gen.ts";
import { Insn } from "../asm/insn.ts";
import type { ProgLoadOptions } from "../cmd/prog.ts";
import { ENOTSUPP } from "../errors.ts";
import { linuxVersionCode } from "./kernel.ts";
import { progTypeName } from "../uapi/names.gen.ts";
import type { ProgTypeLike } from "../program/program.ts";
import { cached, tryLoad, verdict } from "./probe.ts";

/** How the probe of a type is loaded, and what answer means "the type exists" when loading cannot succeed. */
export interface TypeLoad {
  /** BPF_PROG_LOAD attributes the type needs. */
  opts: Omit<ProgLoadOptions, "log">;
  /** The errno (and log text) of a known type refusing the probe's impossible target. */
  known?: { errno: number; message?: string };
}

/** How to load a probe program of `type`: attach types and flags the kernel checks at load time. */
export function typeLoad(type: number): TypeLoad {
  switch (type) {
    case ProgType.kprobe: return { opts: { kernVersion: linuxVersionCode() } }; // checked before 5.0
    case ProgType.cgroup_sock_addr: return { opts: { expectedAttachType: AttachType.cgroup_inet4_connect } };
    case ProgType.cgroup_sockopt: return { opts: { expectedAttachType: AttachType.cgroup_getsockopt } };
    case ProgType.sk_lookup: return { opts: { expectedAttachType: AttachType.sk_lookup } };
    case ProgType.lirc_mode2: return { opts: { expectedAttachType: AttachType.lirc_mode2 } };
    case ProgType.netfilter: return { opts: { expectedAttachType: AttachType.netfilter } };
    case ProgType.syscall: return { opts: { flags: ProgLoadFlags.sleepable } };
    // BTF type 1 of vmlinux is an integer type, never a typedef or a function: a kernel with the
    // type says so. raw_tp rather than fentry: some systems forbid trampolines (EPERM) outright.
    case ProgType.tracing:
      return { opts: { expectedAttachType: AttachType.trace_raw_tp, attachBtfId: 1 }, known: { errno: Errno.EINVAL, message: "attach_btf_id 1 is not a" } };
    case ProgType.lsm:
      return { opts: { expectedAttachType: AttachType.lsm_mac, attachBtfId: 1 }, known: { errno: Errno.EINVAL, message: "is not a function" } };
    case ProgType.ext:
      return { opts: { attachBtfId: 1 }, known: { errno: Errno.EINVAL, message: "Cannot replace kernel functions" } };
    // No struct_ops type has BTF id 0: the kernel that knows the type says ENOTSUPP.
    case ProgType.struct_ops: return { opts: {}, known: { errno: ENOTSUPP } };
    default: return { opts: {} };
  }
}

/** Program types whose probes cannot load a helper call (they need a real attach target). */
export function needsTarget(type: number): boolean {
  return typeLoad(type).known !== undefined;
}

let retZero: Uint8Array | undefined;

function probe(type: number): boolean {
  const how = typeLoad(type);
  const r = tryLoad(type, (retZero ??= Insn.encode([Insn.mov("r0", 0), Insn.exit()])), { ...how.opts, log: how.known?.message !== undefined });
  if (how.known && r.errno === how.known.errno) return how.known.message === undefined || r.log.includes(how.known.message);
  return verdict(r.errno, `program type ${progTypeName(type)} (${type})`, "prog_load");
}

/** The ProgType value of `t`; a TypeError for an unknown name. */
export function progTypeValue(t: ProgTypeLike): number {
  if (typeof t === "number") {
    if (!Number.isInteger(t) || t <= 0) throw new RangeError(`program type must be a positive ProgType value, got ${t}`);
    return t;
  }
  const n = (ProgType as Record<string, number>)[t];
  if (n === undefined || n === 0) throw new TypeError(`unknown program type ${JSON.stringify(t)}`);
  return n;
}

/** Whether the running kernel has program type `type` (BPF_PROG_TYPE_*), by loading the smallest one. Cached. */
export function haveProgType(type: ProgTypeLike): boolean {
  const n = progTypeValue(type);
  return cached(`program type ${progTypeName(n)} (${n})`, () => probe(n));
}
