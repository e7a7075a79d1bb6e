/**
 * Range checks for instruction fields, so a bad value is an error when the instruction is built,
 * not a silently truncated encoding the verifier rejects later.
 * @module
 */

/** `v` as a signed 16-bit offset; a RangeError if it does not fit (a jump too far, say). */
export function off16(v: number, what = "offset"): number {
  if (!Number.isInteger(v) || v < -32768 || v > 32767) throw new RangeError(`${what} ${v} does not fit in 16 signed bits`);
  return v;
}

/** `v` as a 32-bit immediate: any integer in [-2^31, 2^32), stored as its signed 32-bit pattern. */
export function imm32(v: number, what = "immediate"): number {
  if (!Number.isInteger(v) || v < -2147483648 || v > 4294967295) {
    throw new RangeError(`${what} ${v} does not fit in 32 bits`);
  }
  return v | 0;
}

/** `v` as a 64-bit immediate split into [low, high] signed 32-bit halves. */
export function imm64(v: number | bigint, what = "immediate"): [number, number] {
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new RangeError(`${what} ${v} is not a safe integer; pass a bigint`);
    // Exact in doubles: ToInt32 keeps the low half, the floored quotient is the high half.
    return [v | 0, Math.floor(v / 4294967296) | 0];
  }
  if (v < -(1n << 63n) || v >= 1n << 64n) throw new RangeError(`${what} ${v} does not fit in 64 bits`);
  const u = BigInt.asUintN(64, v);
  return [Number(BigInt.asIntN(32, u)), Number(BigInt.asIntN(32, u >> 32n))];
}
