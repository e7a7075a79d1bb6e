/** The fuzz tests' seeded random numbers: xorshift32, so a failing case replays from its seed. */

/** A generator of uint32s from `seed` (0 counts as 1). */
export function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}
