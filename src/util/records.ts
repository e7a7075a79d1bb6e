/**
 * What the event readers share (RingBufReader, PerfReader): the async iteration (records in
 * place, waiting for more between them, until the reader is closed) and drain()'s batch budget.
 * @module
 */

/** What a reader offers for iteration: its records one at a time, a wait for more, and a commit. */
export interface RecordSource {
  /** Whether the reader is closed (the iteration then ends). */
  readonly closed: boolean;
  /** The next record in place, or null when none is ready. */
  read(): Uint8Array | null;
  /** Resolves true when records may be ready, false when the reader closed. */
  wait(): Promise<boolean>;
  /** Gives the records read so far back to the producer. */
  commit(): void;
}

/** Yields each record of `src` in place (valid until the next step); leaving the loop commits the last one. */
export async function* iterateRecords(src: RecordSource): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    while (!src.closed) {
      const r = src.read();
      if (r !== null) {
        yield r;
        continue;
      }
      if (!(await src.wait())) return;
    }
  } finally {
    if (!src.closed) src.commit();
  }
}

/**
 * How many records one drain() batch may still deliver: `max - n`, capped at 2^30 - 1 so the loop
 * counts in int32 (a batch of under 2^32 bytes holds fewer records; comparing a double per record
 * costs engines a conversion).
 */
export function drainBudget(max: number, n: number): number {
  return (max - n > 0x3fffffff ? 0x3fffffff : max - n) | 0;
}
