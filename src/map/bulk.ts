/**
 * Bulk writes: BPF_MAP_UPDATE_BATCH and BPF_MAP_DELETE_BATCH where the kernel has them for the
 * map type (5.6+), one element call per entry where it does not (and for updates with
 * noexist/exist, which the batch command refuses); which works is learnt once per map type, as
 * for reads (iter.ts).
 * @module
 */
import { mapUpdateBatch } from "../cmd/batch.ts";
import { Errno } from "../uapi/errno.gen.ts";
import { UpdateFlags } from "../uapi/flags.gen.ts";
import { type BpfError, ENOTSUPP } from "../errors.ts";
import type { MapCore } from "./core.ts";
import { batchSupport, chunkSize, isUnsupported, setBatchSupport } from "./iter.ts";
import { deleteRaw, updateRaw } from "../cmd/elem.ts";
import { batchRaw } from "../cmd/batch.ts";
import { Cmd } from "../uapi/enums.gen.ts";

/** Sets every [key, value] of `entries` with `flags` (UpdateFlags); returns how many were set. */
export function setMany(c: MapCore, entries: Iterable<readonly [unknown, unknown]>, flags: number): number {
  c.needKeys("setMany");
  const n = chunkSize(c);
  const keys = new Uint8Array(new ArrayBuffer(n * c.keySize));
  const vals = new Uint8Array(new ArrayBuffer(n * c.valueBytes));
  let done = 0;
  let fill = 0;
  const flush = (): void => {
    if (fill === 0) return;
    done += writeChunk(c, keys, vals, fill, flags);
    fill = 0;
  };
  for (const e of entries) {
    if (!Array.isArray(e) || e.length < 2) throw new TypeError(`${c.what}: setMany() expects [key, value] pairs, got ${e === null ? "null" : typeof e}`);
    c.encodeKey(e[0], keys, fill * c.keySize);
    c.encodeValue(e[1], vals, fill * c.valueBytes);
    if (++fill === n) flush();
  }
  flush();
  return done;
}

function writeChunk(c: MapCore, keys: Uint8Array, vals: Uint8Array, count: number, flags: number): number {
  // The batch command takes no elem flags but BPF_F_LOCK (noexist/exist are EINVAL there).
  if ((flags & ~UpdateFlags.lock) === 0 && batchSupport("map_update_batch", c.type) !== false) {
    try {
      const r = mapUpdateBatch(c.fd, keys, vals, count, { elemFlags: flags });
      setBatchSupport("map_update_batch", c.type, true);
      return r;
    } catch (e) {
      // With elem flags, EINVAL may be about the flags (BPF_F_LOCK without a spin lock): not a verdict on the command.
      if (batchSupport("map_update_batch", c.type) !== undefined || !isUnsupported(e) || (flags !== 0 && (e as BpfError).errno === Errno.EINVAL)) throw e;
      setBatchSupport("map_update_batch", c.type, false);
    }
  }
  const fd = c.fd;
  for (let i = 0; i < count; i++) {
    const rc = updateRaw(fd, keys.subarray(i * c.keySize, (i + 1) * c.keySize), vals.subarray(i * c.valueBytes, (i + 1) * c.valueBytes), flags);
    if (rc < 0) throw c.fail("map_update_elem", rc);
  }
  return count;
}

/** Deletes every key of `keys` that exists; returns how many were deleted (missing keys are skipped). */
export function deleteMany(c: MapCore, keys: Iterable<unknown>): number {
  c.needKeys("deleteMany");
  const n = chunkSize(c);
  const buf = new Uint8Array(new ArrayBuffer(n * c.keySize));
  let done = 0;
  let fill = 0;
  for (const k of keys) {
    c.encodeKey(k, buf, fill * c.keySize);
    if (++fill === n) {
      done += deleteChunk(c, buf, fill);
      fill = 0;
    }
  }
  if (fill) done += deleteChunk(c, buf, fill);
  return done;
}

function deleteChunk(c: MapCore, keys: Uint8Array, count: number): number {
  const ks = c.keySize;
  let deleted = 0;
  let at = 0;
  if (batchSupport("map_delete_batch", c.type) !== false) {
    while (at < count) {
      const r = batchRaw(Cmd.map_delete_batch, c.fd, null, null, keys.subarray(at * ks), null, count - at, {});
      if (r.rc >= 0) {
        setBatchSupport("map_delete_batch", c.type, true);
        return deleted + r.count;
      }
      if (-r.rc === Errno.ENOENT) {
        // Key number at + r.count is missing: the ones before it are gone, skip it and go on.
        setBatchSupport("map_delete_batch", c.type, true);
        deleted += r.count;
        at += r.count + 1;
        continue;
      }
      const unsupported = -r.rc === Errno.EINVAL || -r.rc === ENOTSUPP || -r.rc === Errno.EOPNOTSUPP;
      if (!(unsupported && r.count === 0 && batchSupport("map_delete_batch", c.type) === undefined)) throw c.fail("map_delete_batch", r.rc);
      setBatchSupport("map_delete_batch", c.type, false);
      break;
    }
  }
  const fd = c.fd;
  for (; at < count; at++) {
    const rc = deleteRaw(fd, keys.subarray(at * ks, (at + 1) * ks));
    if (rc >= 0) deleted++;
    else if (rc !== -Errno.ENOENT) throw c.fail("map_delete_elem", rc);
  }
  return deleted;
}
