/**
 * Registers: r0-r9 general purpose, r10 the read-only frame pointer (BPF_REG_0 .. BPF_REG_10).
 * @module
 */

/** A register name, "r0" .. "r10". */
export type Reg = "r0" | "r1" | "r2" | "r3" | "r4" | "r5" | "r6" | "r7" | "r8" | "r9" | "r10";

const REGS: Readonly<Record<string, number>> = {
  r0: 0, r1: 1, r2: 2, r3: 3, r4: 4, r5: 5, r6: 6, r7: 7, r8: 8, r9: 9, r10: 10,
};

/** True when `x` is a register name. */
export function isReg(x: unknown): x is Reg {
  return typeof x === "string" && Object.hasOwn(REGS, x);
}

/** The number of register `r` (BPF_REG_n); a TypeError naming the bad value otherwise. */
export function regNum(r: Reg): number {
  const n = REGS[r as string];
  if (n === undefined) throw new TypeError(`not a register: ${JSON.stringify(r)} (expected "r0" .. "r10")`);
  return n;
}
