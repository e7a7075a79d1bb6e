/**
 * A C header from BTF, as `bpftool btf dump file F format c` prints it (bpftool 7.1, libbpf 1.1's
 * btf_dump), line for line, except that enums whose BTF size is not 4 bytes get the mode
 * attribute that gives them that size (format-c-enum.ts), as newer libbpf does, and unions C
 * would size otherwise get what gives them their BTF size (below).
 *
 * Alignment BTF does not record (a struct or member `__aligned(64)`) needs no attribute: every
 * member's offset and every struct's size are spelled out with padding members, as libbpf does.
 * Unions are where libbpf (1.1 and the newest alike) gets sizes wrong, and this does not: a
 * union whose BTF size is no multiple of its members' alignment (`__packed`) is marked packed,
 * one wider than its members (`__aligned(8)`, a transparent union whose members BTF dropped)
 * ends with an unnamed bitfield as wide as it (`long: 64;`), or past 8 bytes gets the
 * `aligned(N)` that makes its size; those lines are the other difference from bpftool.
 * Kernels since 6.19 are built with -fms-extensions and have tagged structs as unnamed members
 * (`struct ns_tree;` in ns_common); the header keeps them as bpftool prints them, so it must be
 * compiled with `-fms-extensions` (clang: and `-Wno-microsoft-anon-tag`), as bpftool's own BPF
 * programs are: standard C drops such members and every layout around them.
 * @module
 */
import type { Btf } from "./btf.ts";
import { typeEmitter } from "./format-c-emit.ts";
import { layoutOf } from "./format-c-layout.ts";
import { CNames } from "./format-c-names.ts";
import { COut } from "./format-c-out.ts";
import { referencedTypes, typeOrder } from "./format-c-order.ts";
import type { CDump } from "./format-c-state.ts";
import { typeTable } from "./format-c-table.ts";

const HEAD = "#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
  + "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n";
const TAIL = "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n#endif /* __VMLINUX_H__ */\n";

/**
 * The C header for every type of `btf` (a split BTF's base included, as bpftool prints it), in
 * id order with what each needs first; a BtfError for kinds or type cycles C cannot express.
 * Compile it with `-fms-extensions` when the BTF is of Linux 6.19 or later (see the module doc).
 */
export function formatC(btf: Btf): string {
  const t = typeTable(btf);
  // vmlinux's header is 1.3 bytes per byte of its type section.
  const out = new COut(t.strings, t.words.length * 6);
  const d: CDump = {
    t, names: new CNames(t, out), layout: layoutOf(t), out, stack: [], sp: 0,
    declState: new Uint8Array(t.count), declAt: new Int32Array(4 * t.count), declSep: new Uint8Array(t.count),
    capArmed: false, capA: -1, capB: -1, capC: -1,
  };
  out.s(HEAD);
  const order = typeOrder(t, referencedTypes(t));
  const emit = typeEmitter(d);
  for (let id = 1; id < t.count; id++) {
    const n = order.order(id);
    for (let i = 0; i < n; i++) emit(order.queue[i]);
  }
  d.out.s(TAIL);
  return d.out.text();
}
