// What the event readers' waiting tests share (test/ringbuf/async.test.ts, test/perf/async.test.ts):
// timers, and several readers iterated at once while their producers take turns.
import { inVm } from "./env.ts";

/** How much longer a wait may take: emulated guests run ~10x slower. */
export const SLOW: number = inVm ? 10 : 1;

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `f` after `ms`. */
export const later = (ms: number, f: () => void): ReturnType<typeof setTimeout> => setTimeout(f, ms);

/** How long `p` takes to settle, in ms, and its value. */
export async function timed<T>(p: Promise<T>): Promise<[T, number]> {
  const t0 = Date.now();
  const v = await p;
  return [v, Date.now() - t0];
}

/**
 * `for await` over every reader at once while the producers run in turn (2, 0, 1, three rounds,
 * 10 ms apart); each loop stops at its third record. What each saw, as `seq` reads a record.
 */
export async function interleavedReads(readers: AsyncIterable<Uint8Array>[], producers: { run(): void }[], seq: (rec: Uint8Array) => number): Promise<number[][]> {
  const got = readers.map(() => [] as number[]);
  const loops = readers.map(async (r, i) => {
    for await (const rec of r) {
      got[i].push(seq(rec));
      if (got[i].length === 3) return;
    }
  });
  for (let k = 0; k < 3; k++) {
    for (const i of [2, 0, 1]) {
      await sleep(10);
      producers[i].run();
    }
  }
  await Promise.all(loops);
  return got;
}

/** The moments around a wait's arming a producer runs at: before wait(), while it arms, and 0, 3 and 15 ms on. */
export const ARMING_MOMENTS: readonly ((f: () => void) => void)[] = [
  (f) => f(), // before wait() is called
  (f) => void Promise.resolve().then(f), // while wait() is arming
  (f) => setTimeout(f, 0),
  (f) => setTimeout(f, 3),
  (f) => setTimeout(f, 15),
];

/** Rounds of the lost-wake-up tests: fewer in the emulated guests. */
export const WAKE_ROUNDS: number = inVm ? 20 : 100;

/** What `wait()` resolved with, and how many 5 ms ticks the event loop ran meanwhile. */
export async function ticksWhile(wait: () => Promise<boolean>): Promise<{ woke: boolean; ticks: number }> {
  let ticks = 0;
  const iv = setInterval(() => ticks++, 5);
  try {
    const woke = await wait();
    return { woke, ticks };
  } finally {
    clearInterval(iv);
  }
}
