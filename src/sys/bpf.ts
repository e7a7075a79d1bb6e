/**
 * The bpf() call itself: every command goes through `bpfRaw`, so one replaceable backend and one
 * place handle buffer lifetimes and errno.
 * @module
 */
import { cmdName } from "../uapi/names.gen.ts";
import { BpfError, type BpfErrorDetail } from "../errors.ts";
import type { Attr } from "./attr.ts";
import { getBackend } from "./backend.ts";

// Errors name commands by the one generated table; exported here too, where callers found it first.
export { cmdName };

/** A RangeError unless `size` is within `attr`'s buffer: the kernel reads that many bytes of it. */
export function checkAttrSize(cmd: number, attr: Attr, size: number): void {
  if (!(size >= 0 && size <= attr.u8.length && (size | 0) === size)) {
    throw new RangeError(`bpf(${cmdName(cmd)}): attr size ${size} is not within the ${attr.u8.length}-byte attr buffer`);
  }
}

/** bpf(cmd, attr, size): the result, or -errno. Releases the buffers `attr` kept alive for the call. */
export function bpfRaw(cmd: number, attr: Attr, size: number): number {
  checkAttrSize(cmd, attr, size);
  const b = getBackend();
  const rc = b.bpf(cmd, attr.u8, attr.addr(b), size);
  attr.release();
  return rc;
}

/** bpf(cmd, attr, size): the result (an fd, an id, 0); throws a BpfError on failure. */
export function bpfCall(cmd: number, attr: Attr, size: number, detail?: BpfErrorDetail): number {
  const rc = bpfRaw(cmd, attr, size);
  if (rc < 0) throw new BpfError(cmdName(cmd), -rc, detail);
  return rc;
}
