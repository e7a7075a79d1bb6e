/**
 * haveKprobeMulti(): a kprobe_multi link on vprintk, which every kernel has, made and at once
 * closed. Kernels before 5.18 do not know the attach type (EINVAL); ones built without
 * CONFIG_FPROBE know it but say EOPNOTSUPP.
 * @module
 */
import { AttachType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { multiLinkProbe } from "./multi-link.ts";
import { verdict } from "./probe.ts";

/** Whether kprobe_multi links (BPF_TRACE_KPROBE_MULTI) work on the running kernel (5.18, CONFIG_FPROBE). Cached. */
export function haveKprobeMulti(): boolean {
  const what = "kprobe_multi links";
  return multiLinkProbe(what, AttachType.trace_kprobe_multi, { kprobeMulti: { syms: ["vprintk"] } }, (errno) => errno !== Errno.EOPNOTSUPP && verdict(errno, what, "link_create"));
}
