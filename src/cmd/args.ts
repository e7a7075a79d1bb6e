/**
 * Argument checks shared by the command wrappers: a bad value is a TypeError or RangeError that
 * names it, raised before any syscall.
 * @module
 */

/** `v` as a u32 argument. */
export function u32Arg(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${what} must be an integer in [0, 2^32), got ${v}`);
  return v;
}

/** `fd` as a file descriptor argument (a non-negative int). */
export function checkFd(fd: number, what = "fd"): number {
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) throw new RangeError(`${what} must be a non-negative integer, got ${fd}`);
  return fd;
}

/** An object name as the kernel accepts it: up to 15 bytes of [A-Za-z0-9_.]. */
export function checkName(name: string): string {
  if (typeof name !== "string" || name.length > 15 || !/^[A-Za-z0-9_.]*$/.test(name)) {
    throw new TypeError(`object name must be at most 15 characters of [A-Za-z0-9_.], got ${JSON.stringify(name)}`);
  }
  return name;
}
