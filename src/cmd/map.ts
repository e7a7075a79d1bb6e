/**
 * Map commands: BPF_MAP_CREATE, the element commands, BPF_MAP_FREEZE and the four batch commands,
 * with Zig's semantics (lookup of a missing key throws NotFound; get-next-key returns false at
 * the end). Key and value sizes are checked against the map before the syscall.
 * @module
 */
import { Cmd, MapType } from "../constants/enums.gen.ts";
import { Errno } from "../constants/errno.gen.ts";
import { BpfError } from "../errors.ts";
import { Attr } from "../sys/attr.ts";
import { bpfCall, bpfRaw } from "../sys/bpf.ts";
import { MapBatchAttr, MapCreateAttr } from "../sys/layout.gen.ts";
import { deleteRaw, fdOnlyCall, lookupAndDeleteRaw, lookupRaw, nextKeyRaw, updateRaw } from "./elem.ts";
import { type MapMeta, mapMeta, rememberMap, valueBytesFor } from "./mapmeta.ts";
import { checkFd, checkName, u32Arg } from "./args.ts";

/** Optional attributes of BPF_MAP_CREATE. */
export interface MapCreateOptions {
  /** map_flags: MapCreateFlags values or'ed together. */
  flags?: number;
  /** Object name, up to 15 characters of [A-Za-z0-9_.]. */
  name?: string;
  /** Inner map fd, for array-of-maps and hash-of-maps. */
  innerMapFd?: number;
  /** NUMA node (with MapCreateFlags.numa_node). */
  numaNode?: number;
  /** Network device to offload to. */
  ifindex?: number;
  /** BTF object fd describing key and value. */
  btfFd?: number;
  /** BTF type id of the key. */
  btfKeyTypeId?: number;
  /** BTF type id of the value. */
  btfValueTypeId?: number;
  /** BTF type id of a kernel struct stored as the value (struct_ops). */
  btfVmlinuxValueTypeId?: number;
  /** map_extra: bloom filter hash count, arena address, ... */
  mapExtra?: number | bigint;
  /** BPF token fd (with MapCreateFlags.token_fd). */
  tokenFd?: number;
}

const create = new Attr(MapCreateAttr.size);

/** BPF_MAP_CREATE: a new map's fd. Throws MapTypeOrAttrInvalid, SystemResources, AccessDenied. */
export function mapCreate(type: number, keySize: number, valueSize: number, maxEntries: number, opts: MapCreateOptions = {}): number {
  const F = MapCreateAttr.fields;
  const a = create.zero(MapCreateAttr.size)
    .u32(F.map_type.off, u32Arg(type, "map type"))
    .u32(F.key_size.off, u32Arg(keySize, "key size"))
    .u32(F.value_size.off, u32Arg(valueSize, "value size"))
    .u32(F.max_entries.off, u32Arg(maxEntries, "max entries"))
    .u32(F.map_flags.off, u32Arg(opts.flags ?? 0, "map flags"));
  if (opts.innerMapFd !== undefined) a.u32(F.inner_map_fd.off, checkFd(opts.innerMapFd, "inner map fd"));
  if (opts.numaNode !== undefined) a.u32(F.numa_node.off, u32Arg(opts.numaNode, "numa node"));
  if (opts.name !== undefined) a.chars(F.map_name.off, F.map_name.count, checkName(opts.name));
  if (opts.ifindex !== undefined) a.u32(F.map_ifindex.off, u32Arg(opts.ifindex, "ifindex"));
  if (opts.btfFd !== undefined) a.u32(F.btf_fd.off, checkFd(opts.btfFd, "BTF fd"));
  if (opts.btfKeyTypeId !== undefined) a.u32(F.btf_key_type_id.off, u32Arg(opts.btfKeyTypeId, "BTF key type id"));
  if (opts.btfValueTypeId !== undefined) a.u32(F.btf_value_type_id.off, u32Arg(opts.btfValueTypeId, "BTF value type id"));
  if (opts.btfVmlinuxValueTypeId !== undefined) a.u32(F.btf_vmlinux_value_type_id.off, u32Arg(opts.btfVmlinuxValueTypeId, "BTF vmlinux value type id"));
  if (opts.mapExtra !== undefined) a.u64(F.map_extra.off, opts.mapExtra);
  if (opts.tokenFd !== undefined) a.s32(F.map_token_fd.off, checkFd(opts.tokenFd, "token fd"));
  const fd = bpfCall(Cmd.map_create, a, MapCreateAttr.size);
  rememberMap(fd, type, keySize, valueSize, maxEntries, opts.flags ?? 0);
  return fd;
}

function sizeError(cmd: string, fd: number, what: string, got: number, want: number, m: MapMeta): RangeError {
  const type = Object.entries(MapType).find(([, v]) => v === m.type)?.[0] ?? `type ${m.type}`;
  return new RangeError(`${cmd}: ${what} is ${got} bytes; map fd ${fd} (${type}) needs ${want}`);
}

/**
 * Checks key and value against the map's sizes; skipped when `fd` is not a map (the kernel
 * refuses it before touching memory). The message is built apart, off the hot path.
 */
function check(cmd: string, fd: number, m: MapMeta | null, key: Uint8Array | null, value: Uint8Array | null, flags: number): void {
  if (m === null) return;
  const want = valueBytesFor(m, flags);
  if ((key === null ? 0 : key.length) !== m.keySize || (value !== null && value.length !== want)) {
    throw badSizes(cmd, fd, m, key, value, want);
  }
}

function badSizes(cmd: string, fd: number, m: MapMeta, key: Uint8Array | null, value: Uint8Array | null, want: number): RangeError {
  const klen = key === null ? 0 : key.length;
  if (klen !== m.keySize) return sizeError(cmd, fd, "key", klen, m.keySize, m);
  return sizeError(cmd, fd, "value", value!.length, want, m);
}

function fail(cmd: string, rc: number, fd: number): never {
  throw new BpfError(cmd, -rc, { context: `map fd ${fd}` });
}

/** BPF_MAP_LOOKUP_ELEM: copies the value of `key` into `value`. Throws NotFound for a missing key. */
export function mapLookupElem(fd: number, key: Uint8Array | null, value: Uint8Array, flags = 0): void {
  const m = mapMeta(fd);
  check("map_lookup_elem", fd, m, key, value, flags);
  const rc = lookupRaw(fd, key, value, flags);
  if (rc < 0) fail("map_lookup_elem", rc, fd);
}

/** BPF_MAP_UPDATE_ELEM: sets `key` to `value`; flags are UpdateFlags (any, noexist, exist, lock). */
export function mapUpdateElem(fd: number, key: Uint8Array | null, value: Uint8Array, flags = 0): void {
  const m = mapMeta(fd);
  check("map_update_elem", fd, m, key, value, flags);
  const rc = updateRaw(fd, key, value, flags);
  if (rc < 0) fail("map_update_elem", rc, fd);
}

/** BPF_MAP_DELETE_ELEM: removes `key`. Throws NotFound for a missing key. */
export function mapDeleteElem(fd: number, key: Uint8Array): void {
  const m = mapMeta(fd);
  check("map_delete_elem", fd, m, key, null, 0);
  const rc = deleteRaw(fd, key);
  if (rc < 0) fail("map_delete_elem", rc, fd);
}

/**
 * BPF_MAP_GET_NEXT_KEY: writes the key after `key` (the first key for null or a missing key) into
 * `nextKey`; false when `key` was the last.
 */
export function mapGetNextKey(fd: number, key: Uint8Array | null, nextKey: Uint8Array): boolean {
  const m = mapMeta(fd);
  // A null key asks for the first key, whatever the key size.
  if (m !== null) {
    if (key !== null) check("map_get_next_key", fd, m, key, null, 0);
    if (nextKey.length !== m.keySize) throw sizeError("map_get_next_key", fd, "next key", nextKey.length, m.keySize, m);
  }
  const rc = nextKeyRaw(fd, key, nextKey);
  if (rc === -Errno.ENOENT) return false;
  if (rc < 0) fail("map_get_next_key", rc, fd);
  return true;
}

/**
 * BPF_MAP_LOOKUP_AND_DELETE_ELEM: copies the value of `key` into `value` and removes it; with a
 * null key on a queue or stack, pops. Throws NotFound when there is nothing.
 */
export function mapLookupAndDeleteElem(fd: number, key: Uint8Array | null, value: Uint8Array, flags = 0): void {
  const m = mapMeta(fd);
  check("map_lookup_and_delete_elem", fd, m, key, value, flags);
  const rc = lookupAndDeleteRaw(fd, key, value, flags);
  if (rc < 0) fail("map_lookup_and_delete_elem", rc, fd);
}

/** BPF_MAP_FREEZE: makes the map read-only from user space from now on. */
export function mapFreeze(fd: number): void {
  const rc = fdOnlyCall(Cmd.map_freeze, checkFd(fd));
  if (rc < 0) fail("map_freeze", rc, fd);
}

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

function batchShape(cmd: string, fd: number, keys: Uint8Array | null, values: Uint8Array | null, count: number, elemFlags: number): MapMeta | null {
  if (!Number.isInteger(count) || count < 0 || count > 0xffffffff) throw new RangeError(`${cmd}: count ${count} is not a u32`);
  const m = mapMeta(fd);
  if (m === null) return null;
  if (keys !== null && keys.length < count * m.keySize) {
    throw sizeError(cmd, fd, `keys buffer for ${count} keys`, keys.length, count * m.keySize, m);
  }
  const vb = valueBytesFor(m, elemFlags);
  if (values !== null && values.length < count * vb) {
    throw sizeError(cmd, fd, `values buffer for ${count} values`, values.length, count * vb, m);
  }
  return m;
}

/**
 * One batch command, returning -errno (or 0) and the kernel's count of elements done either way:
 * a bulk caller may go on after a partial failure.
 */
export function batchRaw(
  cmd: number, fd: number, inBatch: Uint8Array | null, outBatch: Uint8Array | null,
  keys: Uint8Array | null, values: Uint8Array | null, count: number, opts: BatchOptions,
): { rc: number; count: number } {
  const F = MapBatchAttr.fields;
  const a = batch.zero(MapBatchAttr.size)
    .ptr(F.in_batch.off, inBatch)
    .ptr(F.out_batch.off, outBatch)
    .ptr(F.keys.off, keys)
    .ptr(F.values.off, values)
    .u32(F.count.off, count)
    .u32(F.map_fd.off, fd)
    .u64(F.elem_flags.off, opts.elemFlags ?? 0)
    .u64(F.flags.off, opts.flags ?? 0);
  const rc = bpfRaw(cmd, a, MapBatchAttr.size);
  return { rc, count: batch.getU32(F.count.off) };
}

function checkToken(cmd: string, fd: number, m: MapMeta | null, tok: Uint8Array | null, what: string): void {
  // The batch token is a u32 bucket for hash maps and a key for the generic walk.
  const need = m === null ? 0 : Math.max(4, m.keySize);
  if (tok !== null && tok.length < need) throw new RangeError(`${cmd}: ${what} is ${tok.length} bytes; map fd ${fd} needs at least ${need}`);
}

function lookupBatch(
  cmd: number, name: string, fd: number, inBatch: Uint8Array | null, outBatch: Uint8Array,
  keys: Uint8Array, values: Uint8Array, count: number, opts: BatchOptions,
): BatchResult {
  const m = batchShape(name, fd, keys, values, count, opts.elemFlags ?? 0);
  checkToken(name, fd, m, inBatch, "in_batch");
  checkToken(name, fd, m, outBatch, "out_batch");
  const r = batchRaw(cmd, fd, inBatch, outBatch, keys, values, count, opts);
  // The end of the map is ENOENT, with the last elements copied all the same.
  if (r.rc === -Errno.ENOENT) return { count: r.count, done: true };
  if (r.rc < 0) throw new BpfError(name, -r.rc, { context: `map fd ${fd}` });
  return { count: r.count, done: false };
}

/**
 * BPF_MAP_LOOKUP_BATCH: copies up to `count` keys and values, resuming after `inBatch` (null to
 * start) and writing the resume token to `outBatch`.
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

/** BPF_MAP_UPDATE_BATCH: sets `count` keys to values; returns how many were set. */
export function mapUpdateBatch(fd: number, keys: Uint8Array, values: Uint8Array, count: number, opts: BatchOptions = {}): number {
  batchShape("map_update_batch", fd, keys, values, count, opts.elemFlags ?? 0);
  const r = batchRaw(Cmd.map_update_batch, fd, null, null, keys, values, count, opts);
  if (r.rc < 0) throw new BpfError("map_update_batch", -r.rc, { context: `map fd ${fd}, ${r.count} of ${count} done` });
  return r.count;
}

/** BPF_MAP_DELETE_BATCH: removes `count` keys; returns how many were removed. */
export function mapDeleteBatch(fd: number, keys: Uint8Array, count: number, opts: BatchOptions = {}): number {
  batchShape("map_delete_batch", fd, keys, null, count, opts.elemFlags ?? 0);
  const r = batchRaw(Cmd.map_delete_batch, fd, null, null, keys, null, count, opts);
  if (r.rc < 0) throw new BpfError("map_delete_batch", -r.rc, { context: `map fd ${fd}, ${r.count} of ${count} done` });
  return r.count;
}
