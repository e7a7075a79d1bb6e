/** Assertion helpers shared by the tests. */
import { BpfError } from "../../mod.ts";

/** Runs fn and returns what it throws, an instance of `type`; fails if it throws something else or nothing. */
export function thrown<E extends Error>(fn: () => unknown, type: abstract new (...args: never[]) => E): E {
  try {
    fn();
  } catch (e) {
    if (e instanceof type) return e;
    throw e;
  }
  throw new Error(`expected a ${type.name}, nothing was thrown`);
}

/** Runs fn and returns the BpfError it throws; fails if it throws something else or nothing. */
export function bpfError(fn: () => unknown): BpfError {
  return thrown(fn, BpfError);
}
