import { pause } from './wait.js';

/** A seeded generator, so which process is killed (or which fault injected) when is reproducible with --seed. */
export function random(seed: number): () => number {
  let a = (seed ^ 0x9e3779b9) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What {@link inRounds} and the loops built on it share: the seed, Ctrl-C, when to end, and the clock of the demo. */
export interface RoundsOptions {
  seed: number;
  signal: AbortSignal;
  /** Ends the loop (the source finished). */
  done: () => boolean;
  /** When the demo started (epoch ms), for the times in its events. */
  started: number;
}

/**
 * Until `done()`, every `everyMs` (+/- 50%) hands `act` the next item of a
 * seeded shuffle of `items`, each once per round, so every item is hit.
 * `rand` drives the pauses and the shuffles; `act` may draw from it too (the
 * sequence stays reproducible with the seed). Rejects with Interrupted on
 * Ctrl-C.
 */
export async function inRounds<T>(
  items: readonly T[],
  everyMs: number,
  rand: () => number,
  options: Pick<RoundsOptions, 'signal' | 'done'>,
  act: (item: T) => Promise<void> | void,
): Promise<void> {
  let round: T[] = [];
  while (!options.done()) {
    await pause(everyMs * (0.5 + rand()), options.signal);
    if (options.done()) return;
    if (round.length === 0) {
      round = [...items];
      for (let i = round.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [round[i], round[j]] = [round[j], round[i]];
      }
    }
    await act(round.shift()!);
  }
}
