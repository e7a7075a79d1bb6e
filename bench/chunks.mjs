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

/**
 * The wake-up latency of `for await (const r of reader)`: `samples` times, a timer (2-5 ms apart,
 * as bench/c/latency.h sleeps) runs `fire()` to write one record while the loop waits; from the
 * write to the loop body, in µs. `check(record)` throws for a record that is not the one written.
 * Returns the median and the 99th percentile.
 */
export async function wakeLatency(reader, fire, check, samples) {
  const lat = [];
  let t0 = 0;
  let i = 0;
  const next = () => setTimeout(() => {
    t0 = performance.now();
    fire();
  }, 2 + (i % 4));
  await new Promise((r) => setTimeout(r, 300)); // the poll Worker's start-up is not a wake-up
  next();
  for await (const rec of reader) {
    lat.push((performance.now() - t0) * 1000);
    check(rec);
    if (++i === samples) break;
    next();
  }
  lat.sort((a, b) => a - b);
  return { median: lat[lat.length >> 1], p99: lat[Math.floor((lat.length * 99) / 100)] };
}
