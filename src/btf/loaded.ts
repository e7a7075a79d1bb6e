/**
 * The shape of a loaded BTF object (the live class is BtfHandle in src/btf/handle.ts): declared
 * here so that the pure Btf can name what its load() returns.
 * @module
 */
import type { Btf } from "./btf.ts";

/** Options of {@link Btf.load}. */
export interface BtfLoadOptions {
  /** Rewrite kinds and flags the running kernel lacks (by probes), as libbpf does; default true. */
  sanitize?: boolean;
}

/** What bpf_btf_info says of a loaded BTF object. */
export interface BtfHandleInfo {
  /** bpf_btf_info.id. */
  id: number;
  /** bpf_btf_info.name: "vmlinux", a module's name, or "" for program BTF. */
  name: string;
  /** bpf_btf_info.kernel_btf: the kernel's own BTF (vmlinux or a module). */
  kernel: boolean;
  /** bpf_btf_info.btf_size in bytes. */
  size: number;
}

/** A BTF object in the kernel, owning its fd. */
export interface LoadedBtf extends Disposable {
  /** The BTF object's fd. */
  readonly fd: number;
  /** The kernel's id of the BTF object. */
  readonly id: number;
  /** bpf_btf_info of the object. */
  info(): BtfHandleInfo;
  /** Closes the fd; idempotent. */
  close(): void;
}
