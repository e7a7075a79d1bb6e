/**
 * The attach target of a tracing, LSM or extension program, named at load time
 * (`attachTo: "do_unlinkat"`) and resolved to the BTF ids BPF_PROG_LOAD takes: a function in
 * vmlinux or a module's BTF (attach_btf_id, attach_btf_obj_fd), or one in another program's BTF
 * (attach_prog_fd). Names follow libbpf's SEC() conventions: tp_btf "sys_enter" is the typedef
 * btf_trace_sys_enter, lsm "file_open" is bpf_lsm_file_open, iter "task" is bpf_iter_task, and
 * "module:func" looks in that module only.
 * @module
 */
import { AttachType, BtfKind, ProgType } from "../uapi/enums.gen.ts";
import { attachTypeName } from "../uapi/names.gen.ts";
import { Btf } from "../btf/btf.ts";
import { BtfHandle } from "../btf/handle.ts";
import { kernelModulesBtf } from "../btf/kernel.ts";
import { checkFd } from "../cmd/args.ts";
import { progInfoByFd } from "../cmd/info.ts";
import type { HasFd } from "./insns.ts";

/** What a program attaches to: a kernel function (or tracepoint, LSM hook, iterator) by name, or a function of a loaded program. */
export type AttachTarget = string | {
  /** The program whose function is replaced (freplace) or traced (fentry/fexit on a BPF program). */
  readonly program: HasFd | number;
  /** The function's name in that program's BTF. */
  readonly func: string;
};

/** The BPF_PROG_LOAD attributes of a resolved target, and the module BTF fd to close after the load. */
export interface ResolvedTarget {
  /** attach_btf_id. */
  attachBtfId: number;
  /** attach_btf_obj_fd: the module's BTF object. */
  attachBtfObjFd?: number;
  /** attach_prog_fd. */
  attachProgFd?: number;
  /** The BTF name looked up ("btf_trace_sys_enter"), for messages. */
  name: string;
  /** Closes the module BTF fd, if one was opened. */
  close(): void;
}

/** The name looked up for `target` of a program of `type` attached as `attachType`, and its BTF kind. */
function btfName(type: number, attachType: number | undefined, target: string): { name: string; kind: number } {
  if (type === ProgType.lsm) return { name: target.startsWith("bpf_lsm_") ? target : `bpf_lsm_${target}`, kind: BtfKind.func };
  if (attachType === AttachType.trace_raw_tp) return { name: target.startsWith("btf_trace_") ? target : `btf_trace_${target}`, kind: BtfKind.typedef };
  if (attachType === AttachType.trace_iter) return { name: target.startsWith("bpf_iter_") ? target : `bpf_iter_${target}`, kind: BtfKind.func };
  return { name: target, kind: BtfKind.func };
}

function idIn(btf: Btf, name: string, kind: number): number | undefined {
  return btf.findIds(name).find((id) => btf.kindNumberOf(id) === kind);
}

function kernelTarget(type: number, attachType: number | undefined, target: string): ResolvedTarget {
  const colon = target.indexOf(":");
  const module = colon > 0 ? target.slice(0, colon) : undefined;
  const { name, kind } = btfName(type, attachType, colon > 0 ? target.slice(colon + 1) : target);
  const kindName = kind === BtfKind.typedef ? "typedef" : "function";
  if (module === undefined) {
    const id = idIn(Btf.kernel(), name, kind);
    if (id !== undefined) return { attachBtfId: id, name, close: () => {} };
  }
  for (const m of kernelModulesBtf()) {
    if (module !== undefined && m.name !== module) continue;
    const id = idIn(m.btf, name, kind);
    if (id === undefined) continue;
    const handles: BtfHandle[] = [];
    const fd = findModuleHandle(m.name, handles);
    return { attachBtfId: id, attachBtfObjFd: fd, name: `${m.name}:${name}`, close: () => handles.forEach((h) => h.close()) };
  }
  const where = module === undefined ? "vmlinux's or any loaded module's BTF" : `module ${module}'s BTF`;
  throw new TypeError(`attachTo ${JSON.stringify(target)}: no ${kindName} ${name} in ${where}${attachType === undefined ? "" : ` (attach type ${attachTypeName(attachType)})`}`);
}

function findModuleHandle(module: string, keep: BtfHandle[]): number {
  const h = BtfHandle.fromModule(module);
  keep.push(h);
  return h.fd;
}

function programTarget(target: { program: HasFd | number; func: string }): ResolvedTarget {
  const progFd = checkFd(typeof target.program === "number" ? target.program : target.program.fd, "attachTo program fd");
  if (typeof target.func !== "string" || target.func === "") throw new TypeError(`attachTo.func must be a function name, got ${JSON.stringify(target.func)}`);
  const btfId = Number(progInfoByFd(progFd).btf_id ?? 0);
  if (btfId === 0) throw new TypeError(`attachTo: the target program (fd ${progFd}) has no BTF, so its functions cannot be named`);
  const h = BtfHandle.fromId(btfId);
  let id: number | undefined;
  try {
    id = idIn(h.btf(), target.func, BtfKind.func);
  } finally {
    h.close();
  }
  if (id === undefined) throw new TypeError(`attachTo: the target program (fd ${progFd}) has no function ${target.func} in its BTF`);
  return { attachBtfId: id, attachProgFd: progFd, name: target.func, close: () => {} };
}

/** Resolves `target` for a program of `type` loaded with `attachType`; close() the result after the load. */
export function resolveAttachTarget(type: number, attachType: number | undefined, target: AttachTarget): ResolvedTarget {
  if (typeof target === "object" && target !== null) return programTarget(target);
  if (typeof target !== "string" || target === "") throw new TypeError(`attachTo must be a function name or { program, func }, got ${JSON.stringify(target)}`);
  if (type === ProgType.ext) throw new TypeError(`an extension (freplace) program replaces a function of another program: attachTo: { program, func }, not ${JSON.stringify(target)}`);
  return kernelTarget(type, attachType, target);
}
