/**
 * Map commands: BPF_MAP_CREATE, the element commands, BPF_MAP_FREEZE and the four batch commands,
 * with Zig's semantics (lookup of a missing key throws NotFound; get-next-key returns false at
 * the end). Key and value sizes are checked against the map before the syscall. The batch
 * commands are in batch.ts.
 * @module
 */
import { Cmd } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { BpfError } from "../errors.ts";
import { Attr } from "../sys/attr.ts";
import { bpfCall } from "../sys/bpf.ts";
import { MapCreateAttr } from "../uapi/layout.gen.ts";
import { deleteRaw, fdOnlyCall, lookupAndDeleteRaw, lookupRaw, nextKeyRaw, updateRaw } from "./elem.ts";
import { forgetFd, type MapMeta, mapMeta, rememberMap, valueBytesFor } from "./mapmeta.ts";
import { checkBytes, checkFd, checkName, flagsArg, isDetached, u32Arg, u64Arg } from "./args.ts";
import { sizeError } from "./size-error.ts";
import { admitFd } from "../sys/fd-reserve.ts";
import { fdMismatch } from "../sys/fd-kind.ts";

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
  /** value_type_btf_obj_fd: the module BTF that btfVmlinuxValueTypeId is in (with MapCreateFlags.vtype_btf_obj_fd, 6.9+). */
  valueTypeBtfObjFd?: number;
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
  if (opts.valueTypeBtfObjFd !== undefined) a.s32(F.value_type_btf_obj_fd.off, checkFd(opts.valueTypeBtfObjFd, "value type BTF object fd"));
  if (opts.mapExtra !== undefined) a.u64(F.map_extra.off, u64Arg(opts.mapExtra, "map_extra"));
  if (opts.tokenFd !== undefined) a.s32(F.map_token_fd.off, checkFd(opts.tokenFd, "token fd"));
  const fd = admitFd("map_create", bpfCall(Cmd.map_create, a, MapCreateAttr.size));
  rememberMap(fd, type, keySize, valueSize, maxEntries, opts.flags ?? 0);
  return fd;
}

/**
 * Checks the fd, the argument types and the sizes against the map before the syscall. Sizes are
 * skipped when `fd` is not a map (the kernel refuses it before touching memory); either way the
 * kernel only ever copies through guarded scratch (elem.ts). The messages are built apart.
 */
function check(cmd: string, fd: number, key: Uint8Array | null, value: Uint8Array | null, valueUsed: boolean, flags: number): MapMeta | null {
  if ((fd | 0) !== fd || fd < 0) checkFd(fd, `${cmd}: map fd`);
  if ((key !== null && !(key instanceof Uint8Array)) || (valueUsed && !(value instanceof Uint8Array))) badTypes(cmd, key, value, valueUsed);
  if (flags !== 0) flagsArg(flags, `${cmd}: flags`);
  const m = mapMeta(fd);
  if (m === null || fits(m, key, value, valueUsed, flags)) return m;
  return recheck(cmd, fd, key, value, valueUsed, flags);
}

/** True when key and value have the sizes map `m` takes. */
function fits(m: MapMeta, key: Uint8Array | null, value: Uint8Array | null, valueUsed: boolean, flags: number): boolean {
  return (key === null ? 0 : key.length) === m.keySize && (!valueUsed || value!.length === valueBytesFor(m, flags));
}

/**
 * Sizes that do not match what the library knows of `fd`: the number may name another map now
 * (closed and reused by another thread), so the kernel is asked again before refusing.
 */
function recheck(cmd: string, fd: number, key: Uint8Array | null, value: Uint8Array | null, valueUsed: boolean, flags: number): MapMeta | null {
  forgetFd(fd);
  const m = mapMeta(fd);
  if (m === null || fits(m, key, value, valueUsed, flags)) return m;
  throw badSizes(cmd, fd, m, key, value, valueUsed ? valueBytesFor(m, flags) : 0);
}

function badTypes(cmd: string, key: unknown, value: unknown, valueUsed: boolean): never {
  if (key !== null) checkBytes(key, `${cmd}: key`);
  if (valueUsed) checkBytes(value, `${cmd}: value`);
  throw new Error("unreachable");
}

function badSizes(cmd: string, fd: number, m: MapMeta, key: Uint8Array | null, value: Uint8Array | null, want: number): Error {
  const klen = key === null ? 0 : key.length;
  if (klen !== m.keySize) {
    if (key !== null && isDetached(key)) return new TypeError(`${cmd}: key is a view of a detached ArrayBuffer`);
    return sizeError(cmd, fd, "key", klen, m.keySize, m);
  }
  if (isDetached(value!)) return new TypeError(`${cmd}: value is a view of a detached ArrayBuffer`);
  return sizeError(cmd, fd, "value", value!.length, want, m);
}

/**
 * The error for `cmd` failing with `rc` on map `fd`. EFAULT from a call whose sizes were checked
 * means the kernel's copy ran into a guard page: the fd number now names another map (another
 * thread closed and reused it). The shape is read again so the message says what it needs now.
 */
function fail(cmd: string, rc: number, fd: number, m: MapMeta | null, key: Uint8Array | null, value: Uint8Array | null, flags: number): never {
  if (rc === -Errno.EFAULT && m !== null) {
    forgetFd(fd);
    const now = mapMeta(fd);
    if (now !== null && (now.keySize !== m.keySize || now.valueBytes !== m.valueBytes)) {
      const want = value === null ? 0 : valueBytesFor(now, flags);
      const e = badSizes(cmd, fd, now, key, value, want);
      throw new RangeError(`${e.message} (fd ${fd} was closed and reused for another map since the library last saw it)`);
    }
  }
  // EINVAL and EBADF often mean the fd is not a map (or not open): say so when that is the case.
  const what = rc === -Errno.EINVAL || rc === -Errno.EBADF ? fdMismatch(fd, "map", "map fd") : undefined;
  throw new BpfError(cmd, -rc, { context: `map fd ${fd}`, what });
}

/** BPF_MAP_LOOKUP_ELEM: copies the value of `key` into `value`. Throws NotFound for a missing key. */
export function mapLookupElem(fd: number, key: Uint8Array | null, value: Uint8Array, flags = 0): void {
  const m = check("map_lookup_elem", fd, key, value, true, flags);
  const rc = lookupRaw(fd, key, value, flags);
  if (rc < 0) fail("map_lookup_elem", rc, fd, m, key, value, flags);
}

/** BPF_MAP_UPDATE_ELEM: sets `key` to `value`; flags are UpdateFlags (any, noexist, exist, lock). */
export function mapUpdateElem(fd: number, key: Uint8Array | null, value: Uint8Array, flags = 0): void {
  const m = check("map_update_elem", fd, key, value, true, flags);
  const rc = updateRaw(fd, key, value, flags);
  if (rc < 0) fail("map_update_elem", rc, fd, m, key, value, flags);
}

/** BPF_MAP_DELETE_ELEM: removes `key`. Throws NotFound for a missing key. */
export function mapDeleteElem(fd: number, key: Uint8Array): void {
  const m = check("map_delete_elem", fd, key, null, false, 0);
  const rc = deleteRaw(fd, key);
  if (rc < 0) fail("map_delete_elem", rc, fd, m, key, null, 0);
}

/**
 * BPF_MAP_GET_NEXT_KEY: writes the key after `key` (the first key for null or a missing key) into
 * `nextKey`; false when `key` was the last.
 */
export function mapGetNextKey(fd: number, key: Uint8Array | null, nextKey: Uint8Array): boolean {
  const cmd = "map_get_next_key";
  if ((fd | 0) !== fd || fd < 0) checkFd(fd, `${cmd}: map fd`);
  if (key !== null && !(key instanceof Uint8Array)) checkBytes(key, `${cmd}: key`);
  if (!(nextKey instanceof Uint8Array)) checkBytes(nextKey, `${cmd}: next key`);
  // A null key asks for the first key, whatever the key size.
  const fitsNext = (m: MapMeta) => (key === null || key.length === m.keySize) && nextKey.length === m.keySize;
  let m = mapMeta(fd);
  if (m !== null && !fitsNext(m)) {
    forgetFd(fd); // as recheck(): the number may name another map now
    m = mapMeta(fd);
    if (m !== null && !fitsNext(m)) {
      if (key !== null && key.length !== m.keySize) throw badSizes(cmd, fd, m, key, null, 0);
      if (isDetached(nextKey)) throw new TypeError(`${cmd}: next key is a view of a detached ArrayBuffer`);
      throw sizeError(cmd, fd, "next key", nextKey.length, m.keySize, m);
    }
  }
  const rc = nextKeyRaw(fd, key, nextKey);
  if (rc === -Errno.ENOENT) return false;
  if (rc < 0) fail("map_get_next_key", rc, fd, m, nextKey, null, 0);
  return true;
}

/**
 * BPF_MAP_LOOKUP_AND_DELETE_ELEM: copies the value of `key` into `value` and removes it; with a
 * null key on a queue or stack, pops. Throws NotFound when there is nothing.
 */
export function mapLookupAndDeleteElem(fd: number, key: Uint8Array | null, value: Uint8Array, flags = 0): void {
  const m = check("map_lookup_and_delete_elem", fd, key, value, true, flags);
  const rc = lookupAndDeleteRaw(fd, key, value, flags);
  if (rc < 0) fail("map_lookup_and_delete_elem", rc, fd, m, key, value, flags);
}

/** BPF_MAP_FREEZE: makes the map read-only from user space from now on. */
export function mapFreeze(fd: number): void {
  const rc = fdOnlyCall(Cmd.map_freeze, checkFd(fd));
  if (rc < 0) fail("map_freeze", rc, fd, null, null, null, 0);
}
