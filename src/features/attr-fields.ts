/**
 * Probes of what newer kernels read or write in old commands' attrs: the __sk_buff context of
 * BPF_PROG_TEST_RUN, and log_true_size of BPF_PROG_LOAD. Older kernels refuse a non-zero field
 * they do not know with EINVAL, and leave an output field they do not know untouched.
 * @module
 */
import { Cmd, ProgType } from "../uapi/enums.gen.ts";
import { ProgLoadAttr, SkBuff } from "../uapi/layout.gen.ts";
import { Insn } from "../asm/insn.ts";
import { close } from "../cmd/fd.ts";
import { fillProgLoad, progLoad, progTestRun } from "../cmd/prog.ts";
import { BpfError } from "../errors.ts";
import { Attr, cString } from "../sys/attr.ts";
import { bpfRaw } from "../sys/bpf.ts";
import { retryInterrupted } from "../sys/retry.ts";
import { cached, errnoOf, verdict } from "./probe.ts";

const retZero = (): Uint8Array => Insn.encode([Insn.mov("r0", 0), Insn.exit()]);

/**
 * Whether BPF_PROG_TEST_RUN takes an __sk_buff context with `mark` set (5.6; ctx_in came with 5.2,
 * taking only priority and cb), by a socket filter run with mark 1. Cached.
 */
export function haveTestRunSkbMark(): boolean {
  const what = "test_run context __sk_buff.mark";
  return cached(what, () => {
    const fd = progLoad(ProgType.socket_filter, retZero());
    try {
      const ctx = new Uint8Array(new ArrayBuffer(SkBuff.size));
      new DataView(ctx.buffer).setUint32(SkBuff.fields.mark.off, 1, true);
      progTestRun(fd, { data: new Uint8Array(new ArrayBuffer(64)), ctx });
      return true;
    } catch (e) {
      return verdict(errnoOf(e), what, "prog_test_run");
    } finally {
      close(fd);
    }
  });
}

const load = new Attr(ProgLoadAttr.size);

/**
 * Whether BPF_PROG_LOAD reports log_true_size, the log buffer size a load needs (6.4), by a load
 * with a log. The same series made the log rotate: an overflowing log keeps its end. Cached.
 */
export function haveLogTrueSize(): boolean {
  return cached("log_true_size", () => {
    const code = retZero();
    const log = { level: 1, buf: new Uint8Array(new ArrayBuffer(4096)) };
    const license = cString("GPL");
    const rc = retryInterrupted(() => bpfRaw(Cmd.prog_load, fillProgLoad(load, ProgType.socket_filter, code, license, { log }), ProgLoadAttr.size));
    if (rc < 0) throw new BpfError("prog_load", -rc, { context: "a 2-instruction socket filter with a log" });
    close(rc);
    return load.getU32(ProgLoadAttr.fields.log_true_size.off) > 0;
  });
}
