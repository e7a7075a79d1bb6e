/**
 * The one shape of the kprobe_multi and uprobe_multi probes: a kprobe program loaded for the
 * attach type, then a link_create whose errno is the answer; the program is closed either way.
 * @module
 */
import { ProgType } from "../uapi/enums.gen.ts";
import { Insn } from "../asm/insn.ts";
import { close } from "../cmd/fd.ts";
import { linkCreate, type LinkCreateOptions } from "../cmd/link.ts";
import { progLoad } from "../cmd/prog.ts";
import { haveProgType, typeLoad } from "./prog-types.ts";
import { cached, errnoOf, verdict } from "./probe.ts";

/**
 * Whether links of `attachType` work, cached as `what`: `answer` maps link_create's errno (0 when
 * a link was made, and closed at once) to yes or no. Kernels before 4.17 know no expected_attach_type (E2BIG).
 */
export function multiLinkProbe(what: string, attachType: number, link: LinkCreateOptions, answer: (errno: number) => boolean): boolean {
  return cached(what, () => {
    if (!haveProgType(ProgType.kprobe)) return false;
    let prog: number;
    try {
      prog = progLoad(ProgType.kprobe, Insn.encode([Insn.mov("r0", 0), Insn.exit()]), { ...typeLoad(ProgType.kprobe).opts, expectedAttachType: attachType });
    } catch (e) {
      return verdict(errnoOf(e), what, "prog_load");
    }
    try {
      close(linkCreate(prog, 0, attachType, link));
      return answer(0);
    } catch (e) {
      return answer(errnoOf(e));
    } finally {
      close(prog);
    }
  });
}
