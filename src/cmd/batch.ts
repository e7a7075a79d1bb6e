/**
 * The four batch commands (BPF_MAP_LOOKUP_BATCH, _LOOKUP_AND_DELETE_BATCH, _UPDATE_BATCH,
 * _DELETE_BATCH). As the element calls do, they copy keys, values and resume tokens through
 * scratch regions that end at guard pages: the kernel sizes its copies by the map it finds under
 * the fd number, and a number another thread reused for a bigger map then faults (EFAULT) instead
 * of overrunning the caller's buffers.
 * @module
 */
import { Cmd } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { BpfError } from "../errors.ts";
import { Attr } from "../sys/attr.ts";
import { getBackend } from "../sys/backend.ts";
import { bpfRaw } from "../sys/bpf.ts";
import { GuardedRegion } from "../sys/guarded.ts";
import { MapBatchAttr } from "../uapi/layout.gen.ts";
import { checkBytes, checkFd, flagsArg } from "./args.ts";
import { mapMeta, type MapMeta, valueBytesFor } from "./mapmeta.ts";
import { sizeError } from "./size-error.ts";

/** Result of a lookup batch: how many elements were copied, and whether the map is exhausted. */
export interface BatchResult {
  /** Elements copied into keys/values. */
  count: number;
  /** True when the walk reached the end of the map (the kernel said ENOENT). */
  done: boolean;
}

/** Flags of the batch commands. */
export interface BatchOptions {
  /** elem_flags: UpdateFlags for each element (lock, ...). */
  elemFlags?: number;
  /** flags: must be 0 today. */
  flags?: number;
}

const batch = new Attr(MapBatchAttr.size);
const inTok = new GuardedRegion();
const outTok = new GuardedRegion();
const keyArea = new GuardedRegion();
const valArea = new GuardedRegion();

/** What the kernel reads from `src` (its first `n` bytes) staged flush against `r`'s guard; its address. */
function stage(r: GuardedRegion, src: Uint8Array | null, n: number, input: boolean): number {
  if (src === null) return 0;
  r.ensure(getBackend(), n);
  if (input) r.u8.set(n === src.length ? src : src.subarray(0, n), r.cap - n);
  return r.tail(n);
}

/** Copies `n` bytes the kernel wrote at the tail (staged length `staged`) of `r` out to `dst`. */
function unstage(r: GuardedRegion, dst: Uint8Array | null, staged: number, n: number): void {
  if (dst === null || n <= 0) return;
  const o = r.cap - staged;
  dst.set(r.u8.subarray(o, o + Math.min(n, staged)));
}

/** The bytes of `buf` a batch of `count` elements of `size` bytes uses (all of it when the size is unknown). */
function span(buf: Uint8Array | null, count: number, size: number | undefined): number {
  if (buf === null) return 0;
  return size === undefined ? buf.length : Math.min(buf.length, count * size);
}

const isLookup = (cmd: number) => cmd === Cmd.map_lookup_batch || cmd === Cmd.map_lookup_and_delete_batch;

/**
 * One batch command, returning -errno (or 0) and the kernel's count of elements done either way:
 * a bulk caller may go on after a partial failure. Argument types are the caller's to check.
 */
export function batchRaw(
  cmd: number, fd: number, inBatch: Uint8Array | null, outBatch: Uint8Array | null,
  keys: Uint8Array | null, values: Uint8Array | null, count: number, opts: BatchOptions,
): { rc: number; count: number } {
  const m = mapMeta(fd);
  const lookup = isLookup(cmd);
  const kn = span(keys, count, m?.keySize);
  const vn = span(values, count, m === null ? undefined : valueBytesFor(m, opts.elemFlags ?? 0));
  const F = MapBatchAttr.fields;
  const a = batch.zero(MapBatchAttr.size)
    .u64(F.in_batch.off, stage(inTok, inBatch, inBatch?.length ?? 0, true))
    .u64(F.out_batch.off, stage(outTok, outBatch, outBatch?.length ?? 0, false))
    .u64(F.keys.off, stage(keyArea, keys, kn, !lookup))
    .u64(F.values.off, stage(valArea, values, vn, !lookup))
    .u32(F.count.off, count)
    .u32(F.map_fd.off, fd)
    .u64(F.elem_flags.off, opts.elemFlags ?? 0)
    .u64(F.flags.off, opts.flags ?? 0);
  const rc = bpfRaw(cmd, a, MapBatchAttr.size);
  const done = batch.getU32(F.count.off);
  if (lookup && (rc >= 0 || rc === -Errno.ENOENT)) {
    unstage(outTok, outBatch, outBatch?.length ?? 0, outBatch?.length ?? 0);
    // What was copied: `done` elements; all of the staged span when the shape is unknown.
    unstage(keyArea, keys, kn, m === null ? kn : done * m.keySize);
    unstage(valArea, values, vn, m === null ? vn : done * valueBytesFor(m, opts.elemFlags ?? 0));
  }
  return { rc, count: done };
}

function checkCount(cmd: string, count: number): void {
  if (!Number.isInteger(count) || count < 0 || count > 0xffffffff) throw new RangeError(`${cmd}: count ${count} is not a u32`);
}

function batchShape(
  cmd: string, fd: number, keys: unknown, values: unknown, count: number, opts: BatchOptions, valuesUsed: boolean,
): MapMeta | null {
  checkFd(fd, `${cmd}: map fd`);
  checkCount(cmd, count);
  checkBytes(keys, `${cmd}: keys`);
  if (valuesUsed) checkBytes(values, `${cmd}: values`);
  const elemFlags = opts.elemFlags ?? 0;
  flagsArg(elemFlags, `${cmd}: elemFlags`);
  if (opts.flags !== undefined) flagsArg(opts.flags, `${cmd}: flags`);
  const m = mapMeta(fd);
  if (m === null) return null;
  const k = keys as Uint8Array;
  if (k.length < count * m.keySize) throw sizeError(cmd, fd, `keys buffer for ${count} keys`, k.length, count * m.keySize, m);
  const vb = valueBytesFor(m, elemFlags);
  const v = values as Uint8Array;
  if (valuesUsed && v.length < count * vb) throw sizeError(cmd, fd, `values buffer for ${count} values`, v.length, count * vb, m);
  return m;
}

function checkToken(cmd: string, fd: number, m: MapMeta | null, tok: unknown, what: string, nullable: boolean): void {
  if (tok === null && nullable) return;
  checkBytes(tok, `${cmd}: ${what}`);
  // The batch token is a u32 bucket for hash maps and a key for the generic walk.
  const need = m === null ? 0 : Math.max(4, m.keySize);
  const t = tok as Uint8Array;
  if (t.length < need) throw new RangeError(`${cmd}: ${what} is ${t.length} bytes; map fd ${fd} needs at least ${need}`);
}

function lookupBatch(
  cmd: number, name: string, fd: number, inBatch: Uint8Array | null, outBatch: Uint8Array,
  keys: Uint8Array, values: Uint8Array, count: number, opts: BatchOptions,
): BatchResult {
  const m = batchShape(name, fd, keys, values, count, opts, true);
  checkToken(name, fd, m, inBatch, "in_batch", true);
  checkToken(name, fd, m, outBatch, "out_batch", false);
  const r = batchRaw(cmd, fd, inBatch, outBatch, keys, values, count, opts);
  // The end of the map is ENOENT, with the last elements copied all the same.
  if (r.rc === -Errno.ENOENT) return { count: r.count, done: true };
  if (r.rc < 0) throw new BpfError(name, -r.rc, { context: `map fd ${fd}` });
  return { count: r.count, done: false };
}

/**
 * BPF_MAP_LOOKUP_BATCH: copies up to `count` keys and values, resuming after `inBatch` (null to
 * start) and writing the resume token to `outBatch`. Every buffer is a Uint8Array.
 */
export function mapLookupBatch(
  fd: number, inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: number,
  opts: BatchOptions = {},
): BatchResult {
  return lookupBatch(Cmd.map_lookup_batch, "map_lookup_batch", fd, inBatch, outBatch, keys, values, count, opts);
}

/** BPF_MAP_LOOKUP_AND_DELETE_BATCH: as mapLookupBatch, removing what it copies. */
export function mapLookupAndDeleteBatch(
  fd: number, inBatch: Uint8Array | null, outBatch: Uint8Array, keys: Uint8Array, values: Uint8Array, count: number,
  opts: BatchOptions = {},
): BatchResult {
  return lookupBatch(Cmd.map_lookup_and_delete_batch, "map_lookup_and_delete_batch", fd, inBatch, outBatch, keys, values, count, opts);
}

/** BPF_MAP_UPDATE_BATCH: sets `count` keys to values (Uint8Arrays); returns how many were set. */
export function mapUpdateBatch(fd: number, keys: Uint8Array, values: Uint8Array, count: number, opts: BatchOptions = {}): number {
  batchShape("map_update_batch", fd, keys, values, count, opts, true);
  const r = batchRaw(Cmd.map_update_batch, fd, null, null, keys, values, count, opts);
  if (r.rc < 0) throw new BpfError("map_update_batch", -r.rc, { context: `map fd ${fd}, ${r.count} of ${count} done` });
  return r.count;
}

/** BPF_MAP_DELETE_BATCH: removes `count` keys (a Uint8Array); returns how many were removed. */
export function mapDeleteBatch(fd: number, keys: Uint8Array, count: number, opts: BatchOptions = {}): number {
  batchShape("map_delete_batch", fd, keys, null, count, opts, false);
  const r = batchRaw(Cmd.map_delete_batch, fd, null, null, keys, null, count, opts);
  if (r.rc < 0) throw new BpfError("map_delete_batch", -r.rc, { context: `map fd ${fd}, ${r.count} of ${count} done` });
  return r.count;
}
