/**
 * Walking a map: BPF_MAP_LOOKUP_BATCH where the kernel has it for the map type (5.6+: hash, lru,
 * per-CPU and array maps), else BPF_MAP_GET_NEXT_KEY + BPF_MAP_LOOKUP_ELEM. Which one works is
 * learnt once per map type (a refusal is EINVAL before 5.6, ENOTSUPP/EOPNOTSUPP for types
 * without batch ops), so the fallback costs one extra syscall per process and type.
 *
 * Concurrent deletes: a batch walk of a hash map resumes from a bucket index, so deletes neither
 * repeat nor skip the other keys. The get_next_key walk resumes from the last key; when that key
 * was deleted the kernel starts over from the first key, so keys may be seen again. The walk
 * fetches the next key before it hands out an entry, so deleting the entry just handed out (the
 * usual "drain" loop) is safe; it gives up with an error after 2 x max_entries + 16 steps.
 * @module
 */
import { mapLookupBatch } from "../cmd/batch.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { BpfError, ENOTSUPP } from "../errors.ts";
import type { MapCore } from "./core.ts";
import { lookupRaw, nextKeyRaw } from "../cmd/elem.ts";

/** How a walk reads the map. */
export interface IterOptions {
  /**
   * true (the default): BPF_MAP_LOOKUP_BATCH when the kernel supports it for this map type;
   * false: BPF_MAP_GET_NEXT_KEY + lookup; a number: batch, with this many entries per call.
   */
  batch?: boolean | number;
}

/** What a walk yields: keys, values, or [key, value] pairs. */
export type Walk = "keys" | "values" | "entries";

// Per map type and command: does the batch command work on this kernel? Absent: not tried yet.
const support = new Map<string, boolean>();

/** Whether batch command `cmd` works for map `type` on this kernel: true, false, or undefined (not tried yet). */
export function batchSupport(cmd: string, type: number): boolean | undefined {
  return support.get(`${cmd}/${type}`);
}

/** Records whether batch command `cmd` works for map `type`. */
export function setBatchSupport(cmd: string, type: number, ok: boolean): void {
  support.set(`${cmd}/${type}`, ok);
}

/** Forgets what was learnt about batch support (tests use it to exercise both paths). */
export function resetBatchSupport(): void {
  support.clear();
}

/** True when `e` says "this kernel or map type has no such batch command" rather than a real failure. */
export function isUnsupported(e: unknown): boolean {
  return e instanceof BpfError && (e.errno === Errno.EINVAL || e.errno === ENOTSUPP || e.errno === Errno.EOPNOTSUPP);
}

/** Entries per batch call: up to 8192, about 2 MiB of keys and values, never more than max_entries. */
export function chunkSize(c: MapCore, want?: number): number {
  if (want !== undefined) {
    if (!Number.isInteger(want) || want < 1 || want > 0xffffffff) throw new RangeError(`${c.what}: batch size must be a positive integer, got ${want}`);
    return want;
  }
  return Math.max(1, Math.min(c.maxEntries, 8192, Math.floor((1 << 21) / (c.keySize + c.valueBytes))));
}

function emit(c: MapCore, mode: Walk, keys: Uint8Array, koff: number, vals: Uint8Array, voff: number): unknown {
  if (mode === "keys") return c.key.decode(keys, koff);
  if (mode === "values") return c.value.decode(vals, voff);
  return [c.key.decode(keys, koff), c.value.decode(vals, voff)];
}

/** Walks map `c`, yielding keys, values or [key, value] pairs as `mode` says. */
export function* walk(c: MapCore, mode: Walk, opts: IterOptions = {}): Generator<unknown, void, undefined> {
  c.needKeys(mode);
  const want = opts.batch ?? true;
  if (want !== false && batchSupport("map_lookup_batch", c.type) !== false) {
    const done = yield* walkBatch(c, mode, typeof want === "number" ? want : undefined);
    if (done) return;
  }
  yield* walkNextKey(c, mode);
}

/** The batch walk; returns false (having yielded nothing) when the kernel refuses batch lookups for this type. */
function* walkBatch(c: MapCore, mode: Walk, want: number | undefined): Generator<unknown, boolean, undefined> {
  let count = chunkSize(c, want);
  let keys = new Uint8Array(new ArrayBuffer(count * c.keySize));
  let vals = new Uint8Array(new ArrayBuffer(count * c.valueBytes));
  // The resume token: a bucket index (u32) for hash maps, a key for the generic walk of arrays.
  const token = new Uint8Array(new ArrayBuffer(Math.max(4, c.keySize)));
  let started = false;
  for (;;) {
    let r;
    try {
      r = mapLookupBatch(c.fd, started ? token : null, token, keys, vals, count);
    } catch (e) {
      if (!started && batchSupport("map_lookup_batch", c.type) === undefined && isUnsupported(e)) {
        setBatchSupport("map_lookup_batch", c.type, false);
        return false;
      }
      // A hash bucket holds more entries than fit: the kernel copies nothing, so ask for more.
      if (e instanceof BpfError && e.errno === Errno.ENOSPC && count < 0x7fffffff / 2) {
        count *= 2;
        keys = new Uint8Array(new ArrayBuffer(count * c.keySize));
        vals = new Uint8Array(new ArrayBuffer(count * c.valueBytes));
        continue;
      }
      throw e;
    }
    if (!started) setBatchSupport("map_lookup_batch", c.type, true);
    started = true;
    for (let i = 0; i < r.count; i++) yield emit(c, mode, keys, i * c.keySize, vals, i * c.valueBytes);
    if (r.done) return true;
  }
}

/** The get_next_key walk (see the module comment for what concurrent deletes do to it). */
function* walkNextKey(c: MapCore, mode: Walk): Generator<unknown, void, undefined> {
  let cur = new Uint8Array(new ArrayBuffer(c.keySize));
  let next = new Uint8Array(new ArrayBuffer(c.keySize));
  const val = new Uint8Array(new ArrayBuffer(c.valueBytes));
  let rc = nextKeyRaw(c.fd, null, cur);
  if (rc === -Errno.ENOENT) return;
  if (rc < 0) throw c.fail("map_get_next_key", rc);
  const limit = 2 * c.maxEntries + 16;
  for (let steps = 1; ; steps++) {
    if (steps > limit) {
      throw new Error(`${c.what}: iteration aborted after ${limit} steps: keys are being deleted while it runs (get_next_key restarts from the first key when the current one is gone); iterate again, or use the batch walk (kernel 5.6+)`);
    }
    let found = true;
    if (mode !== "keys") {
      rc = lookupRaw(c.fd, cur, val, 0);
      if (rc === -Errno.ENOENT) found = false; // deleted since get_next_key returned it: skip
      else if (rc < 0) throw c.fail("map_lookup_elem", rc);
    }
    // Fetch the next key before handing this entry out, so the caller may delete it.
    const more = nextKeyRaw(c.fd, cur, next);
    if (more < 0 && more !== -Errno.ENOENT) throw c.fail("map_get_next_key", more);
    if (found) yield emit(c, mode, cur, 0, val, 0);
    if (more === -Errno.ENOENT) return;
    const t = cur;
    cur = next;
    next = t;
  }
}
