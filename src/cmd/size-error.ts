/**
 * The RangeError for a key, value or batch buffer whose size does not match the map: one message
 * shape for the element and batch calls.
 * @module
 */
import { mapTypeName } from "../uapi/names.gen.ts";
import type { MapMeta } from "./mapmeta.ts";

/** `cmd: what is got bytes; map fd N (type) needs want`. */
export function sizeError(cmd: string, fd: number, what: string, got: number, want: number, m: MapMeta): RangeError {
  const type = mapTypeName(m.type);
  return new RangeError(`${cmd}: ${what} is ${got} bytes; map fd ${fd} (${type}) needs ${want}`);
}
