// An iterator program end to end: load a tracing program attached to the bpf_map iterator
// (attach BTF id from the kernel's own BTF), link it, create an iterator fd, read it.
import { expect } from "vitest";
import {
  AttachType, BtfKind, Insn, iterCreate, linkCreate, linkInfoByFd, LinkType, mapCreate, MapType, progLoad, ProgType, readAll,
} from "../../mod.ts";
import { vmlinuxTypeId } from "../helpers/btf.ts";
import { describePriv, itPriv } from "../helpers/env.ts";
import { own } from "../helpers/fds.ts";

describePriv("iterators", { feature: [{ progType: "tracing" }, "iter_create"] }, () => {
  itPriv("iter_create gives an fd whose reads run the program once per map", () => {
    const fn = vmlinuxTypeId(BtfKind.func, "bpf_iter_bpf_map");
    expect(fn).not.toBeNull();
    // ctx->meta->seq; bpf_seq_write(seq, "m", 1) for every map, nothing at the end (ctx->map == NULL).
    const prog = own(progLoad(ProgType.tracing, [
      Insn.ldx("double_word", "r2", "r1", 8), //  r2 = ctx->map
      Insn.jeq("r2", 0, 7), //                    the last call has no map: skip to return
      Insn.ldx("double_word", "r1", "r1", 0), //  r1 = ctx->meta
      Insn.ldx("double_word", "r1", "r1", 0), //  r1 = meta->seq
      Insn.st("byte", "r10", -8, 0x6d), //        'm' on the stack
      Insn.mov("r2", "r10"),
      Insn.add("r2", -8),
      Insn.mov("r3", 1),
      Insn.call("seq_write"),
      Insn.mov("r0", 0),
      Insn.exit(),
    ], { expectedAttachType: AttachType.trace_iter, attachBtfId: fn! }));
    const map = own(mapCreate(MapType.array, 4, 4, 1));
    expect(map).toBeGreaterThan(0);
    const link = own(linkCreate(prog, 0, AttachType.trace_iter));
    expect(linkInfoByFd(link).type).toBe(LinkType.iter);
    const it = own(iterCreate(link));
    const text = new TextDecoder().decode(readAll(it));
    expect(text.length).toBeGreaterThanOrEqual(1); // one "m" per map on the system, ours included
    expect(text).toMatch(/^m+$/);
  });
});
