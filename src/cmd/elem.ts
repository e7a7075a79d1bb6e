/**
 * The hot path of BPF_MAP_*_ELEM. One reused 32-byte attr; the key and value are copied through
 * scratch regions that end at a guard page (sys/guarded.ts), each staged flush against its guard.
 * The kernel copies key_size and value_size bytes, sizes this module only believes it knows: if
 * another thread closed the fd number and made a bigger map under it, the kernel's copy runs into
 * the guard and the call fails with EFAULT. The caller's arrays never reach the kernel, so no
 * sequence of calls lets it write past them.
 *
 * The attr's pointers stay written while the staged lengths do not change, and the backend is
 * bound to the attr once: a lookup copies the key, writes the fd and flags, makes one FFI call and
 * copies the value out. Copying costs a few ns next to a syscall of ~1 us.
 *
 * The *Raw calls return -errno instead of throwing: a missing key is an everyday answer for
 * `get`, `has` and `delete`, and an Error with its stack costs more than the syscall. They trust
 * their caller for argument types; the public wrappers in map.ts check them first.
 * @module
 */
import { Cmd } from "../uapi/enums.gen.ts";
import { MapElemAttr } from "../uapi/layout.gen.ts";
import { type Backend, bindBpf, getBackend, onBackendChange } from "../sys/backend.ts";
import { GuardedRegion } from "../sys/guarded.ts";

const F = MapElemAttr.fields;
const ATTR = MapElemAttr.size; // 32
const FD = F.map_fd.off >> 2;
const KEY_LO = F.key.off >> 2;
const VAL_LO = F.value.off >> 2;
const FLAGS_LO = F.flags.off >> 2;
const TWO32 = 4294967296;
// Marks for what an attr pointer holds besides a staged length: NULL, or nothing written yet.
const NULL = -1;
const STALE = -2;

const attr = new Uint8Array(new ArrayBuffer(ATTR));
const a32 = new Uint32Array(attr.buffer);
const keys = new GuardedRegion();
const values = new GuardedRegion();
// The staged length each pointer points at (the last `n` bytes of its region), or NULL / STALE.
let keyAt = STALE;
let valAt = STALE;
// The regions' views and sizes, copied out of the objects for the hot path (0: not prepared).
let ku8 = keys.u8;
let kcap = 0;
let vu8 = values.u8;
let vcap = 0;

// The backend the attr is bound to (undefined: not bound), and its bound bpf(cmd, attr, ATTR).
let backend: Backend | undefined;
let call: (cmd: number) => number = unbound;

function unbound(): number {
  throw new Error("tsbpf: element call before prepare()");
}

onBackendChange(() => {
  backend = undefined;
  call = unbound;
  keyAt = valAt = STALE;
  kcap = vcap = 0;
});

/** Writes address `addr` into the u64 attr field at word `i`. */
function writeAddress(i: number, addr: number): void {
  const lo = addr % TWO32;
  a32[i] = lo;
  a32[i + 1] = (addr - lo) / TWO32;
}

/** Binds the attr to the backend and makes room for a key of `k` and a value of `v` bytes. */
function prepare(k: number, v: number): void {
  // kcap is 0 until bound, so one compare covers both the first call and growth.
  if (k >= kcap || v >= vcap) grow(k, v);
}

// Sizes equal to a capacity also come here: a region always keeps room past the largest staged
// length, so `cap > n` holds on the hot path and the check stays one compare per region.
function grow(k: number, v: number): void {
  if (backend === undefined) {
    const b = getBackend();
    call = bindBpf(b, attr, ATTR);
    backend = b;
  }
  if (keys.ensure(backend, k + 1)) keyAt = STALE;
  if (values.ensure(backend, v + 1)) valAt = STALE;
  ku8 = keys.u8;
  kcap = keys.cap;
  vu8 = values.u8;
  vcap = values.cap;
}

/** Stages `src` flush against the key guard and points the attr's key at it (null: NULL). */
function useKey(src: Uint8Array | null): void {
  if (src === null) {
    if (keyAt !== NULL) {
      writeAddress(KEY_LO, 0);
      keyAt = NULL;
    }
    return;
  }
  const n = src.length;
  const u = ku8;
  const o = kcap - n;
  if (n > 32) u.set(src, o);
  else for (let i = 0; i < n; i++) u[o + i] = src[i];
  if (keyAt !== n) {
    writeAddress(KEY_LO, keys.tail(n));
    keyAt = n;
  }
}

/** Points the attr's value at the last `n` bytes before the value guard. */
function pointValue(n: number): void {
  if (valAt !== n) {
    writeAddress(VAL_LO, values.tail(n));
    valAt = n;
  }
}

/** Stages `src` flush against the value guard (a value the kernel reads). */
function stageValue(src: Uint8Array): void {
  const n = src.length;
  const u = vu8;
  const o = vcap - n;
  if (n > 32) u.set(src, o);
  else for (let i = 0; i < n; i++) u[o + i] = src[i];
  pointValue(n);
}

/** Copies what the kernel wrote into the value slot out to `dst`. */
function unstageValue(dst: Uint8Array): void {
  const n = dst.length;
  const u = vu8;
  const o = vcap - n;
  if (n > 32) dst.set(u.subarray(o, o + n));
  else for (let i = 0; i < n; i++) dst[i] = u[o + i];
}

/** Writes fd and flags (a u64: BPF_F_CPU puts the cpu in the upper half) and makes the call. */
function run(cmd: number, fd: number, flags: number): number {
  const w = a32;
  w[FD] = fd;
  if (flags < TWO32) {
    w[FLAGS_LO] = flags;
    w[FLAGS_LO + 1] = 0;
  } else {
    w[FLAGS_LO] = flags % TWO32;
    w[FLAGS_LO + 1] = flags / TWO32;
  }
  return call(cmd);
}

/** Writes NULL as the value pointer: the kernel wants fields past a command's last one zeroed. */
function nullValue(): void {
  if (valAt !== NULL) {
    writeAddress(VAL_LO, 0);
    valAt = NULL;
  }
}

/** A command that takes only a map fd (BPF_MAP_FREEZE): the result, or -errno. */
export function fdOnlyCall(cmd: number, fd: number): number {
  prepare(0, 0);
  useKey(null);
  nullValue();
  return run(cmd, fd, 0);
}

/** A lookup-like command: `key` (or NULL) in, the value out into `value`. */
function readInto(cmd: number, fd: number, key: Uint8Array | null, value: Uint8Array, flags: number): number {
  prepare(key === null ? 0 : key.length, value.length);
  useKey(key);
  pointValue(value.length);
  const rc = run(cmd, fd, flags);
  if (rc >= 0) unstageValue(value);
  return rc;
}

/** BPF_MAP_LOOKUP_ELEM into `value` (key null: queue/stack peek): 0 or -errno. */
export function lookupRaw(fd: number, key: Uint8Array | null, value: Uint8Array, flags: number): number {
  return readInto(Cmd.map_lookup_elem, fd, key, value, flags);
}

/** BPF_MAP_LOOKUP_ELEM with the value as input (bloom filter membership test): 0 or -errno. */
export function lookupInRaw(fd: number, value: Uint8Array): number {
  prepare(0, value.length);
  useKey(null);
  stageValue(value);
  return run(Cmd.map_lookup_elem, fd, 0);
}

/** BPF_MAP_UPDATE_ELEM (key null: queue/stack push, bloom filter add): 0 or -errno. */
export function updateRaw(fd: number, key: Uint8Array | null, value: Uint8Array, flags: number): number {
  prepare(key === null ? 0 : key.length, value.length);
  useKey(key);
  stageValue(value);
  return run(Cmd.map_update_elem, fd, flags);
}

/** BPF_MAP_DELETE_ELEM: 0 or -errno. */
export function deleteRaw(fd: number, key: Uint8Array): number {
  prepare(key.length, 0);
  useKey(key);
  nullValue();
  return run(Cmd.map_delete_elem, fd, 0);
}

/** BPF_MAP_LOOKUP_AND_DELETE_ELEM into `value` (key null: queue/stack pop): 0 or -errno. */
export function lookupAndDeleteRaw(fd: number, key: Uint8Array | null, value: Uint8Array, flags: number): number {
  return readInto(Cmd.map_lookup_and_delete_elem, fd, key, value, flags);
}

/** BPF_MAP_GET_NEXT_KEY into `next` (key null: the first key): 0, or -ENOENT after the last. */
export function nextKeyRaw(fd: number, key: Uint8Array | null, next: Uint8Array): number {
  return readInto(Cmd.map_get_next_key, fd, key, next, 0);
}
