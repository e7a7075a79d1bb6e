// What the in-process benchmarks of the event readers share: timed chunks of the library and of
// its C baseline, alternating which goes first, paired, and reduced to medians. Runs on any runtime.

/** The median (upper middle) of `xs`. */
export const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * Runs `js()` and `c()` (each returns ns per record) once to warm up, then `chunks` times each,
 * alternating which goes first. Returns the medians of both and of the pairs' ratios c / js
 * (our share of C's records per second).
 */
export function pairChunks(js, c, chunks) {
  js(); // warm-up: the loop optimized, the pages touched, on both sides
  c();
  const tj = [], tc = [], r = [];
  for (let i = 0; i < chunks; i++) {
    let a, b;
    if (i & 1) {
      a = js();
      b = c();
    } else {
      b = c();
      a = js();
    }
    tj.push(a);
    tc.push(b);
    r.push(b / a);
  }
  return { js: med(tj), c: med(tc), ratio: med(r) };
}
