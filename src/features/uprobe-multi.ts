/**
 * haveUprobeMulti(): whether uprobe_multi links work, asked as libbpf asks it (its
 * FEAT_UPROBE_MULTI_LINK probe): a program loaded for BPF_TRACE_UPROBE_MULTI, then a link on "/",
 * which a kernel with the links refuses for not being a regular file (EBADF). Kernels before 6.6
 * do not know the attach type (EINVAL); ones built without CONFIG_UPROBES say EOPNOTSUPP.
 * @module
 */
import { AttachType, ProgType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { Insn } from "../asm/insn.ts";
import { close } from "../cmd/fd.ts";
import { linkCreate } from "../cmd/link.ts";
import { progLoad } from "../cmd/prog.ts";
import { haveProgType, typeLoad } from "./prog-types.ts";
import { cached, errnoOf, verdict } from "./probe.ts";

/** Whether uprobe_multi links (BPF_TRACE_UPROBE_MULTI) work on the running kernel (6.6, CONFIG_UPROBES). Cached. */
export function haveUprobeMulti(): boolean {
  const what = "uprobe_multi links";
  return cached(what, () => {
    if (!haveProgType(ProgType.kprobe)) return false;
    let prog: number;
    try {
      const opts = { ...typeLoad(ProgType.kprobe).opts, expectedAttachType: AttachType.trace_uprobe_multi };
      prog = progLoad(ProgType.kprobe, Insn.encode([Insn.mov("r0", 0), Insn.exit()]), opts);
    } catch (e) {
      return verdict(errnoOf(e), what, "prog_load");
    }
    try {
      // No probe is made: the kernel resolves the path before it looks at the offset.
      close(linkCreate(prog, 0, AttachType.trace_uprobe_multi, { uprobeMulti: { path: "/", offsets: [0] } }));
      throw new Error("tsbpf: a uprobe_multi link on \"/\" was made; the kernel should have refused a directory");
    } catch (e) {
      const errno = errnoOf(e);
      if (errno === Errno.EBADF) return true;
      return errno !== Errno.EOPNOTSUPP && verdict(errno, what, "link_create");
    } finally {
      close(prog);
    }
  });
}
