/**
 * haveHelper(): loads "call helper; r0 = 0; exit" as the program type and reads the verifier's
 * verdict. "invalid func" (an id the kernel does not know), "unknown func" (pre-5.x) and "program
 * of this type cannot use helper" mean no; anything else - success, or a complaint about the
 * helper's arguments - means the kernel let the call through, so yes.
 * @module
 */
import { Helper } from "../uapi/enums.gen.ts";
import { helperName, progTypeName } from "../uapi/names.gen.ts";
import { Insn } from "../asm/insn.ts";
import type { ProgTypeLike } from "../program/program.ts";
import { haveProgType, needsTarget, progTypeValue, typeLoad } from "./prog-types.ts";
import { cached, FeatureError, tryLoad } from "./probe.ts";
import type { HelperName } from "./versions.ts";

const REFUSED = ["invalid func ", "unknown func ", "program of this type cannot use helper "];

function helperValue(helper: number | HelperName): number {
  if (typeof helper === "number") {
    if (!Number.isInteger(helper) || helper <= 0 || helper > 0x7fffffff) throw new RangeError(`helper must be a positive Helper value, got ${helper}`);
    return helper;
  }
  const n = (Helper as Record<string, number>)[helper];
  if (n === undefined || n === 0) throw new TypeError(`unknown helper ${JSON.stringify(helper)}`);
  return n;
}

function probe(type: number, helper: number): boolean {
  if (!haveProgType(type)) return false;
  const insns = Insn.encode([Insn.call(helper), Insn.mov("r0", 0), Insn.exit()]);
  const r = tryLoad(type, insns, { ...typeLoad(type).opts, log: true });
  if (r.errno === 0) return true;
  // Only the last lines hold the verdict on the call (the first instruction).
  const tail = r.log.split("\n").slice(-6).join("\n");
  return !REFUSED.some((s) => tail.includes(s));
}

/**
 * Whether programs of `progType` may call `helper` (BPF_FUNC_*) on the running kernel. Cached.
 * Types that need an attach target to load (tracing, ext, lsm, struct_ops) cannot be probed: a
 * FeatureError says so.
 */
export function haveHelper(progType: ProgTypeLike, helper: number | HelperName): boolean {
  const type = progTypeValue(progType);
  const id = helperValue(helper);
  const what = `helper ${helperName(id)} (${id}) for program type ${progTypeName(type)}`;
  if (needsTarget(type)) {
    throw new FeatureError(what, new Error("this program type needs an attach target to load, so helper calls cannot be probed for it"));
  }
  return cached(what, () => probe(type, id));
}
