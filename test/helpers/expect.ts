/** Assertion helpers shared by the tests. */
import { BpfError } from "../../mod.ts";

/** Runs fn and returns the BpfError it throws; fails if it throws something else or nothing. */
export function bpfError(fn: () => unknown): BpfError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BpfError) return e;
    throw e;
  }
  throw new Error("expected a BpfError, nothing was thrown");
}
