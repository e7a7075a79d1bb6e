/**
 * haveKprobeMulti(): a kprobe_multi link on vprintk, which every kernel has, made and at once
 * closed. Kernels before 5.18 do not know the attach type (EINVAL); ones built without
 * CONFIG_FPROBE know it but say EOPNOTSUPP.
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

/** Whether kprobe_multi links (BPF_TRACE_KPROBE_MULTI) work on the running kernel (5.18, CONFIG_FPROBE). Cached. */
export function haveKprobeMulti(): boolean {
  const what = "kprobe_multi links";
  return cached(what, () => {
    if (!haveProgType(ProgType.kprobe)) return false;
    let prog: number;
    try {
      const opts = { ...typeLoad(ProgType.kprobe).opts, expectedAttachType: AttachType.trace_kprobe_multi };
      prog = progLoad(ProgType.kprobe, Insn.encode([Insn.mov("r0", 0), Insn.exit()]), opts);
    } catch (e) {
      return verdict(errnoOf(e), what, "prog_load"); // E2BIG: no expected_attach_type at all (before 4.17)
    }
    try {
      close(linkCreate(prog, 0, AttachType.trace_kprobe_multi, { kprobeMulti: { syms: ["vprintk"] } }));
      return true;
    } catch (e) {
      const errno = errnoOf(e);
      return errno !== Errno.EOPNOTSUPP && verdict(errno, what, "link_create");
    } finally {
      close(prog);
    }
  });
}
