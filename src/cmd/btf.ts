/**
 * BPF_BTF_LOAD: hands raw BTF (header, types, strings) to the kernel.
 * @module
 */
import { Cmd } from "../constants/enums.gen.ts";
import { Errno } from "../constants/errno.gen.ts";
import { BpfError } from "../errors.ts";
import { Attr } from "../sys/attr.ts";
import { bpfRaw } from "../sys/bpf.ts";
import { BtfLoadAttr } from "../sys/layout.gen.ts";
import { cStringAt } from "../util/text.ts";
import { checkFd, u32Arg } from "./args.ts";
import type { LogOptions } from "./prog.ts";

const attr = new Attr(BtfLoadAttr.size);

/** BPF_BTF_LOAD: loads the BTF blob `btf`; its fd. With `log`, a failure carries the BTF verifier's log. */
export function btfLoad(btf: Uint8Array, opts: { log?: LogOptions; flags?: number; tokenFd?: number } = {}): number {
  const F = BtfLoadAttr.fields;
  if (!(btf instanceof Uint8Array) || btf.length === 0) throw new TypeError("btf must be a non-empty Uint8Array");
  const a = attr.zero(BtfLoadAttr.size)
    .ptr(F.btf.off, btf)
    .u32(F.btf_size.off, btf.length)
    .u32(F.btf_flags.off, u32Arg(opts.flags ?? 0, "flags"));
  if (opts.log) a.ptr(F.btf_log_buf.off, opts.log.buf).u32(F.btf_log_size.off, opts.log.buf.length).u32(F.btf_log_level.off, u32Arg(opts.log.level, "log level"));
  if (opts.tokenFd !== undefined) a.s32(F.btf_token_fd.off, checkFd(opts.tokenFd, "token fd"));
  let rc = 0;
  for (let attempt = 0; attempt < 5; attempt++) {
    rc = bpfRaw(Cmd.btf_load, a, BtfLoadAttr.size);
    if (rc !== -Errno.EAGAIN) break;
  }
  if (rc >= 0) return rc;
  const log = opts.log && opts.log.level !== 0 ? cStringAt(opts.log.buf) : undefined;
  throw new BpfError("btf_load", -rc, { log, context: `${btf.length} bytes` });
}
