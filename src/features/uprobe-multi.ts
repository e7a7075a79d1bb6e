/**
 * haveUprobeMulti(): whether uprobe_multi links work, asked as libbpf asks it (its
 * FEAT_UPROBE_MULTI_LINK probe): a program loaded for BPF_TRACE_UPROBE_MULTI, then a link on "/",
 * which a kernel with the links refuses for not being a regular file (EBADF). Kernels before 6.6
 * do not know the attach type (EINVAL); ones built without CONFIG_UPROBES say EOPNOTSUPP.
 * @module
 */
import { AttachType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { multiLinkProbe } from "./multi-link.ts";
import { verdict } from "./probe.ts";

/** Whether uprobe_multi links (BPF_TRACE_UPROBE_MULTI) work on the running kernel (6.6, CONFIG_UPROBES). Cached. */
export function haveUprobeMulti(): boolean {
  const what = "uprobe_multi links";
  // No probe is made: the kernel resolves the path before it reads an offset.
  return multiLinkProbe(what, AttachType.trace_uprobe_multi, { uprobeMulti: { path: "/", offsets: [0] } }, (errno) => {
    if (errno === 0) throw new Error("tsbpf: a uprobe_multi link on \"/\" was made; the kernel should have refused a directory");
    return errno === Errno.EBADF || (errno !== Errno.EOPNOTSUPP && verdict(errno, what, "link_create"));
  });
}
