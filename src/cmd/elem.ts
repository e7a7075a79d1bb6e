/**
 * The hot path of BPF_MAP_*_ELEM: one reused buffer holds the 32-byte attr, a key slot and a
 * value slot. Keys are copied in and values copied out, so a call needs no address lookups, no
 * allocation and no BigInt, and the kernel only ever touches memory this module owns.
 *
 * The *Raw calls return -errno instead of throwing: a missing key is an everyday answer for
 * `get`, `has` and `delete`, and an Error with its stack costs more than the syscall. They trust
 * their caller for sizes; the public wrappers in map.ts check them first.
 * @module
 */
import { Cmd } from "../constants/enums.gen.ts";
import { MapElemAttr } from "../sys/layout.gen.ts";
import { type Backend, getBackend } from "../sys/backend.ts";

const F = MapElemAttr.fields;
const ATTR = MapElemAttr.size; // 32
const FD = F.map_fd.off >> 2;
const KEY_LO = F.key.off >> 2;
const VAL_LO = F.value.off >> 2;
const FLAGS_LO = F.flags.off >> 2;
const TWO32 = 4294967296;

let buf = new Uint8Array(new ArrayBuffer(ATTR + 64 + 256));
let a32 = new Uint32Array(buf.buffer, 0, ATTR / 4);
let keyCap = 64;
let valOff = ATTR + keyCap;
let backend: Backend | undefined;
let base = 0;
// Address halves of the key and value slots, computed when the buffer or the backend changes.
let keyLo = 0, keyHi = 0, valLo = 0, valHi = 0;


/** Makes room for a key of `k` and a value of `v` bytes. */
export function reserve(k: number, v: number): void {
  if (k <= keyCap && valOff + v <= buf.length) return;
  keyCap = Math.max(keyCap, Math.ceil(k / 8) * 8);
  const size = ATTR + keyCap + Math.max(v, buf.length - valOff);
  buf = new Uint8Array(new ArrayBuffer(size));
  a32 = new Uint32Array(buf.buffer, 0, ATTR / 4);
  valOff = ATTR + keyCap;
  backend = undefined;
}

/** Copies `src` into the key slot (a loop beats set() for the small keys maps use). */
export function stageKey(src: Uint8Array): void {
  const n = src.length;
  if (n > 32) buf.set(src, ATTR);
  else for (let i = 0; i < n; i++) buf[ATTR + i] = src[i];
}

/** Copies `src` into the value slot. */
export function stageValue(src: Uint8Array): void {
  const n = src.length;
  if (n > 32) buf.set(src, valOff);
  else for (let i = 0; i < n; i++) buf[valOff + i] = src[i];
}

/** Copies `dst.length` bytes out of the value slot into `dst`. */
export function unstageValue(dst: Uint8Array): void {
  const n = dst.length;
  if (n > 32) dst.set(buf.subarray(valOff, valOff + n));
  else for (let i = 0; i < n; i++) dst[i] = buf[valOff + i];
}

/**
 * Runs an element command on `fd` with the key slot (or NULL) and the value slot (or NULL):
 * the result, or -errno.
 */
export function elemCall(cmd: number, fd: number, withKey: boolean, withValue: boolean, flags: number): number {
  const b = getBackend();
  if (backend !== b) {
    base = b.address(buf);
    backend = b;
    const k = base + ATTR;
    const v = base + valOff;
    keyLo = k % TWO32;
    keyHi = (k - keyLo) / TWO32;
    valLo = v % TWO32;
    valHi = (v - valLo) / TWO32;
  }
  const w = a32;
  w[FD] = fd;
  w[FD + 1] = 0;
  if (withKey) {
    w[KEY_LO] = keyLo;
    w[KEY_LO + 1] = keyHi;
  } else w[KEY_LO] = w[KEY_LO + 1] = 0;
  if (withValue) {
    w[VAL_LO] = valLo;
    w[VAL_LO + 1] = valHi;
  } else w[VAL_LO] = w[VAL_LO + 1] = 0;
  if (flags < TWO32) {
    w[FLAGS_LO] = flags;
    w[FLAGS_LO + 1] = 0;
  } else {
    w[FLAGS_LO] = flags % TWO32;
    w[FLAGS_LO + 1] = flags / TWO32;
  }
  return b.bpf(cmd, buf, base, ATTR);
}

/** BPF_MAP_LOOKUP_ELEM into `value` (key null: queue/stack peek, bloom filter test): 0 or -errno. */
export function lookupRaw(fd: number, key: Uint8Array | null, value: Uint8Array, flags: number): number {
  reserve(key === null ? 0 : key.length, value.length);
  if (key !== null) stageKey(key);
  const rc = elemCall(Cmd.map_lookup_elem, fd, key !== null, true, flags);
  if (rc >= 0) unstageValue(value);
  return rc;
}

/** BPF_MAP_LOOKUP_ELEM with the value as input (bloom filter membership test): 0 or -errno. */
export function lookupInRaw(fd: number, value: Uint8Array): number {
  reserve(0, value.length);
  stageValue(value);
  return elemCall(Cmd.map_lookup_elem, fd, false, true, 0);
}

/** BPF_MAP_UPDATE_ELEM (key null: queue/stack push, bloom filter add): 0 or -errno. */
export function updateRaw(fd: number, key: Uint8Array | null, value: Uint8Array, flags: number): number {
  reserve(key === null ? 0 : key.length, value.length);
  if (key !== null) stageKey(key);
  stageValue(value);
  return elemCall(Cmd.map_update_elem, fd, key !== null, true, flags);
}

/** BPF_MAP_DELETE_ELEM: 0 or -errno. */
export function deleteRaw(fd: number, key: Uint8Array): number {
  reserve(key.length, 0);
  stageKey(key);
  return elemCall(Cmd.map_delete_elem, fd, true, false, 0);
}

/** BPF_MAP_LOOKUP_AND_DELETE_ELEM into `value` (key null: queue/stack pop): 0 or -errno. */
export function lookupAndDeleteRaw(fd: number, key: Uint8Array | null, value: Uint8Array, flags: number): number {
  reserve(key === null ? 0 : key.length, value.length);
  if (key !== null) stageKey(key);
  const rc = elemCall(Cmd.map_lookup_and_delete_elem, fd, key !== null, true, flags);
  if (rc >= 0) unstageValue(value);
  return rc;
}

/** BPF_MAP_GET_NEXT_KEY into `next` (key null: the first key): 0, or -ENOENT after the last. */
export function nextKeyRaw(fd: number, key: Uint8Array | null, next: Uint8Array): number {
  reserve(key === null ? 0 : key.length, next.length);
  if (key !== null) stageKey(key);
  const rc = elemCall(Cmd.map_get_next_key, fd, key !== null, true, 0);
  if (rc >= 0) unstageValue(next);
  return rc;
}
