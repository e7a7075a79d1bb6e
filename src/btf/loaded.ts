/**
 * The shape of a loaded BTF object (the live class is BtfHandle in src/btf/handle.ts): declared
 * here so that the pure Btf can name what its load() returns.
 * @module
 */
import type { Btf } from "./btf.ts";

/** Options of {@link Btf.load} and BtfHandle.load (BPF_BTF_LOAD). */
export interface BtfLoadOptions {
  /**
   * Rewrite the kinds and features the running kernel lacks (by the BTF probes) as libbpf's
   * bpf_object__sanitize_btf does; default true. False hands the BTF over as it is.
   */
  sanitize?: boolean;
  /**
   * The BTF verifier log (btf_log_level 1): true asks for it on success too (kept as `log`);
   * false never asks, so a failure carries no log; by default only a failed load is repeated
   * with one, which the error then carries.
   */
  log?: boolean;
  /** First log buffer size in bytes (default 64 KiB, at least 128); grown x4 while the kernel fills it. */
  logSize?: number;
  /** Largest log buffer to grow to (default 16 MiB - 1, what every kernel since 4.18 accepts). */
  logSizeMax?: number;
}

/** What bpf_btf_info says of a loaded BTF object. */
export interface BtfHandleInfo {
  /** bpf_btf_info.id. */
  id: number;
  /** bpf_btf_info.name: "vmlinux", a module's name, or "" for program BTF (and before 5.11). */
  name: string;
  /** bpf_btf_info.kernel_btf: the kernel's own BTF, vmlinux or a module's (false before 5.11). */
  kernel: boolean;
  /** bpf_btf_info.btf_size: bytes of the BTF as the kernel holds it. */
  size: number;
}

/** A BTF object in the kernel, owning its fd. */
export interface LoadedBtf extends Disposable {
  /** The BTF object's fd. */
  readonly fd: number;
  /** The kernel's id of the BTF object. */
  readonly id: number;
  /** The BTF verifier log of the load, when it was asked for with `log: true`. */
  readonly log: string | undefined;
  /** bpf_btf_info of the object. */
  info(): BtfHandleInfo;
  /** The kernel's copy of the BTF (bpf_btf_info.btf): what was loaded, after sanitizing. */
  bytes(): Uint8Array;
  /** The kernel's copy, parsed (a module's split BTF over vmlinux). */
  btf(): Btf;
  /** Closes the fd; idempotent. */
  close(): void;
}
