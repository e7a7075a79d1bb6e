/**
 * Argument checks of the command wrappers: the shared ones (util/args.ts) and object names.
 * @module
 */
export { checkBytes, checkFd, flagsArg, isDetached, notBytes, u32Arg, u64Arg } from "../util/args.ts";

/** An object name as the kernel accepts it: up to 15 bytes of [A-Za-z0-9_.]. */
export function checkName(name: string): string {
  if (typeof name !== "string" || name.length > 15 || !/^[A-Za-z0-9_.]*$/.test(name)) {
    throw new TypeError(`object name must be at most 15 characters of [A-Za-z0-9_.], got ${JSON.stringify(name)}`);
  }
  return name;
}
