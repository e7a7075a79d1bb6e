/**
 * The hot path of BPF_MAP_*_ELEM: one reused buffer holds the 32-byte attr, a key slot and a
 * value slot. A key or value seen for the first time is copied through its slot, so a call needs
 * no address lookup, no allocation and no BigInt.
 *
 * The attr's key and value pointers stay written between calls, and the backend is bound to the
 * buffer once: a lookup writes the fd and the flags and makes one FFI call. A caller that passes
 * the same key or value array twice in a row (a loop, a BpfMap's own buffers) has it adopted: the
 * attr points at it directly and the copy is skipped (copying 12 bytes costs V8 ~10 ns a call).
 * The module keeps a reference to each array its pointers hold, so the GC cannot free it.
 *
 * The *Raw calls return -errno instead of throwing: a missing key is an everyday answer for
 * `get`, `has` and `delete`, and an Error with its stack costs more than the syscall. They trust
 * their caller for sizes; the public wrappers in map.ts check them first.
 * @module
 */
import { Cmd } from "../constants/enums.gen.ts";
import { MapElemAttr } from "../sys/layout.gen.ts";
import { type Backend, bindBpf, getBackend, onBackendChange } from "../sys/backend.ts";

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
// Views of the scratch slots: what the pointers hold when a key or value is copied.
let scratchKey = buf.subarray(ATTR, valOff);
let scratchVal = buf.subarray(valOff);

// What the attr's pointers point at now: a scratch view, an adopted caller array, null for NULL,
// undefined when not written for this buffer and backend.
let keyAt: Uint8Array | null | undefined;
let valAt: Uint8Array | null | undefined;
// The last arrays seen: one seen twice in a row is adopted.
let seenKey: Uint8Array | null = null;
let seenVal: Uint8Array | null = null;

// The backend the buffer is bound to (undefined: not bound), and its bound bpf(cmd, buf, ATTR).
let backend: Backend | undefined;
let call: (cmd: number) => number = unbound;

function unbound(): number {
  throw new Error("tsbpf: element call before prepare()");
}

/** Forgets everything derived from the buffer or the backend; the next call binds again. */
function unbind(): void {
  backend = undefined;
  call = unbound;
  keyAt = valAt = undefined;
  seenKey = seenVal = null;
}

onBackendChange(unbind);

/** Writes the address of `at` (0 for null) into the u64 attr field at word `i`. */
function writeAddress(i: number, at: Uint8Array | null): void {
  const addr = at === null ? 0 : backend!.address(at);
  const lo = addr % TWO32;
  a32[i] = lo;
  a32[i + 1] = (addr - lo) / TWO32;
}

function pointKey(at: Uint8Array | null): void {
  writeAddress(KEY_LO, at);
  keyAt = at;
}

function pointValue(at: Uint8Array | null): void {
  writeAddress(VAL_LO, at);
  valAt = at;
}

/**
 * Makes room for a key of `k` and a value of `v` bytes, then binds the backend to the buffer: a
 * new buffer drops the old binding and pointers, so this comes before anything is staged.
 */
function prepare(k: number, v: number): void {
  if (k > keyCap || valOff + v > buf.length) grow(k, v);
  if (backend === undefined) {
    backend = getBackend();
    call = bindBpf(backend, buf, ATTR);
  }
}

function grow(k: number, v: number): void {
  keyCap = Math.max(keyCap, Math.ceil(k / 8) * 8);
  const size = ATTR + keyCap + Math.max(v, buf.length - valOff);
  buf = new Uint8Array(new ArrayBuffer(size));
  a32 = new Uint32Array(buf.buffer, 0, ATTR / 4);
  valOff = ATTR + keyCap;
  scratchKey = buf.subarray(ATTR, valOff);
  scratchVal = buf.subarray(valOff);
  unbind();
}

/** Copies `src` into the key slot (a loop beats set() for the small keys maps use). */
function stageKey(src: Uint8Array): void {
  const n = src.length;
  if (n > 32) buf.set(src, ATTR);
  else for (let i = 0; i < n; i++) buf[ATTR + i] = src[i];
}

/** Copies `src` into the value slot. */
function stageValue(src: Uint8Array): void {
  const n = src.length;
  if (n > 32) buf.set(src, valOff);
  else for (let i = 0; i < n; i++) buf[valOff + i] = src[i];
}

/** Copies `dst.length` bytes out of the value slot into `dst`. */
function unstageValue(dst: Uint8Array): void {
  const n = dst.length;
  if (n > 32) dst.set(buf.subarray(valOff, valOff + n));
  else for (let i = 0; i < n; i++) dst[i] = buf[valOff + i];
}

/** Points the attr's key at `key` (adopted, or copied to the scratch slot), or NULL. */
function useKey(key: Uint8Array | null): void {
  if (key === keyAt) return;
  if (key === null) return pointKey(null);
  if (key === seenKey) return pointKey(key);
  seenKey = key;
  stageKey(key);
  if (keyAt !== scratchKey) pointKey(scratchKey);
}

/**
 * Points the attr's value at `value` (adopted) or the scratch slot, copying it there when the
 * kernel reads it (`input`). True when the kernel's answer must be copied out of the scratch slot.
 */
function useValue(value: Uint8Array, input: boolean): boolean {
  if (value === valAt) return false;
  if (value === seenVal) {
    pointValue(value);
    return false;
  }
  seenVal = value;
  if (input) stageValue(value);
  if (valAt !== scratchVal) pointValue(scratchVal);
  return true;
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

/** A command that takes only a map fd (BPF_MAP_FREEZE): the result, or -errno. */
export function fdOnlyCall(cmd: number, fd: number): number {
  prepare(0, 0);
  if (keyAt !== null) pointKey(null);
  if (valAt !== null) pointValue(null);
  return run(cmd, fd, 0);
}

/** A lookup-like command: `key` (or NULL) in, the value out into `value`. */
function readInto(cmd: number, fd: number, key: Uint8Array | null, value: Uint8Array, flags: number): number {
  prepare(key === null ? 0 : key.length, value.length);
  useKey(key);
  const copy = useValue(value, false);
  const rc = run(cmd, fd, flags);
  if (copy && rc >= 0) unstageValue(value);
  return rc;
}

/** BPF_MAP_LOOKUP_ELEM into `value` (key null: queue/stack peek, bloom filter test): 0 or -errno. */
export function lookupRaw(fd: number, key: Uint8Array | null, value: Uint8Array, flags: number): number {
  return readInto(Cmd.map_lookup_elem, fd, key, value, flags);
}

/** BPF_MAP_LOOKUP_ELEM with the value as input (bloom filter membership test): 0 or -errno. */
export function lookupInRaw(fd: number, value: Uint8Array): number {
  prepare(0, value.length);
  useKey(null);
  useValue(value, true);
  return run(Cmd.map_lookup_elem, fd, 0);
}

/** BPF_MAP_UPDATE_ELEM (key null: queue/stack push, bloom filter add): 0 or -errno. */
export function updateRaw(fd: number, key: Uint8Array | null, value: Uint8Array, flags: number): number {
  prepare(key === null ? 0 : key.length, value.length);
  useKey(key);
  useValue(value, true);
  return run(Cmd.map_update_elem, fd, flags);
}

/** BPF_MAP_DELETE_ELEM: 0 or -errno. */
export function deleteRaw(fd: number, key: Uint8Array): number {
  prepare(key.length, 0);
  useKey(key);
  if (valAt !== null) pointValue(null);
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
