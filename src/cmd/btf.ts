/**
 * BPF_BTF_LOAD: hands raw BTF (header, types, strings) to the kernel.
 * @module
 */
import { Cmd } from "../uapi/enums.gen.ts";
import { BpfError } from "../errors.ts";
import { Attr } from "../sys/attr.ts";
import { BtfLoadAttr } from "../uapi/layout.gen.ts";
import { bpfNoSignals } from "../sys/nosig.ts";
import { retryInterrupted } from "../sys/retry.ts";
import { cStringAt } from "../util/text.ts";
import { checkBytes, checkFd, u32Arg } from "./args.ts";
import type { LogOptions } from "./prog.ts";
import { admitFd } from "../sys/fd-reserve.ts";

const attr = new Attr(BtfLoadAttr.size);

/**
 * BPF_BTF_LOAD: loads the BTF blob `btf`; its fd. With `log`, a failure carries the BTF verifier's
 * log. Signals are blocked around the call, and an EAGAIN one caused anyway is retried.
 */
export function btfLoad(btf: Uint8Array, opts: { log?: LogOptions; flags?: number; tokenFd?: number } = {}): number {
  const F = BtfLoadAttr.fields;
  if (checkBytes(btf, "btf").length === 0) throw new TypeError("btf must be a non-empty Uint8Array");
  const flags = u32Arg(opts.flags ?? 0, "flags");
  const log = opts.log;
  if (log !== undefined) {
    checkBytes(log.buf, "log.buf");
    u32Arg(log.level, "log level");
  }
  if (opts.tokenFd !== undefined) checkFd(opts.tokenFd, "token fd");
  const fill = (): Attr => {
    const a = attr.zero(BtfLoadAttr.size).ptr(F.btf.off, btf).u32(F.btf_size.off, btf.length).u32(F.btf_flags.off, flags);
    if (log) a.ptr(F.btf_log_buf.off, log.buf).u32(F.btf_log_size.off, log.buf.length).u32(F.btf_log_level.off, log.level);
    if (opts.tokenFd !== undefined) a.s32(F.btf_token_fd.off, opts.tokenFd);
    return a;
  };
  const rc = retryInterrupted(() => bpfNoSignals(Cmd.btf_load, fill(), BtfLoadAttr.size));
  if (rc >= 0) return admitFd("btf_load", rc);
  const text = log && log.level !== 0 ? cStringAt(log.buf) : undefined;
  throw new BpfError("btf_load", -rc, { log: text, context: `${btf.length} bytes` });
}
