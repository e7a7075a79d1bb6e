/**
 * Maps without keys: queue (FIFO) and stack (LIFO) since 4.20, bloom filter since 5.16. Their
 * element calls take a NULL key: update pushes (or adds), lookup peeks (or tests membership),
 * lookup-and-delete pops.
 * @module
 */
import { MapType } from "../uapi/enums.gen.ts";
import { Errno } from "../uapi/errno.gen.ts";
import type { MapCore } from "./core.ts";
import { isQueue, mapTypeName } from "./types.ts";
import { lookupAndDeleteRaw, lookupInRaw, lookupRaw, updateRaw } from "../cmd/elem.ts";

function need(c: MapCore, op: string, bloomToo: boolean): void {
  if (isQueue(c.type) || (bloomToo && c.type === MapType.bloom_filter)) return;
  const which = bloomToo ? "a queue, stack or bloom_filter map" : "a queue or stack map";
  throw new TypeError(`${c.what}: ${op}() needs ${which}, not ${mapTypeName(c.type)}${c.keyed ? " (use set/get/delete)" : ""}`);
}

/** Pushes `value` onto a queue or stack (flags: UpdateFlags.exist overwrites the oldest when full), or adds it to a bloom filter. */
export function push(c: MapCore, value: unknown, flags: number): void {
  need(c, "push", true);
  const fd = c.fd;
  c.encodeValue(value);
  const rc = updateRaw(fd, null, c.v, c.checkFlags(flags, "push"));
  if (rc < 0) throw c.fail("map_update_elem", rc);
}

/** Removes and returns the front of a queue (the top of a stack), or undefined when it is empty. */
export function pop(c: MapCore): unknown {
  need(c, "pop", false);
  const rc = lookupAndDeleteRaw(c.fd, null, c.v, 0);
  if (rc === -Errno.ENOENT) return undefined;
  if (rc < 0) throw c.fail("map_lookup_and_delete_elem", rc);
  return c.value.decode(c.v, 0);
}

/** Returns the front of a queue (the top of a stack) without removing it, or undefined when empty. */
export function peek(c: MapCore): unknown {
  need(c, "peek", false);
  const rc = lookupRaw(c.fd, null, c.v, 0);
  if (rc === -Errno.ENOENT) return undefined;
  if (rc < 0) throw c.fail("map_lookup_elem", rc);
  return c.value.decode(c.v, 0);
}

/** Bloom filter test: false means `value` was never added; true means it probably was. */
export function mayContain(c: MapCore, value: unknown): boolean {
  if (c.type !== MapType.bloom_filter) throw new TypeError(`${c.what}: mayContain() needs a bloom_filter map, not ${mapTypeName(c.type)}`);
  const fd = c.fd;
  c.encodeValue(value);
  const rc = lookupInRaw(fd, c.v);
  if (rc === -Errno.ENOENT) return false;
  if (rc < 0) throw c.fail("map_lookup_elem", rc);
  return true;
}
