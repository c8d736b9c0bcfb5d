import { silentLogger, type Logger } from '@seda/core';
import type { LevelStateStore } from './store.js';

/** Options of {@link startStandby}. */
export interface StandbyOptions {
  store: LevelStateStore;
  /** The input topic whose partitions' state is kept warm. */
  topic: string;
  /** How many partitions the input has. */
  partitions: number;
  /** Pause between rounds. Default 5 s. */
  intervalMs?: number;
  log?: Logger;
}

/**
 * Keeps warm copies of the partitions this process does not own: every
 * round, each such partition's local copy catches up with the changelog
 * (see {@link LevelStateStore.warm}), so that when the partition moves here
 * its restore reads only what was committed since the last round. Returns a
 * function that stops it (and resolves when the round in progress is over).
 */
export function startStandby(options: StandbyOptions): () => Promise<void> {
  const { store, topic, partitions } = options;
  const log = options.log ?? silentLogger;
  const intervalMs = options.intervalMs ?? 5000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<void> = Promise.resolve();

  const run = async (): Promise<void> => {
    let warmed = 0;
    for (let p = 0; p < partitions && !stopped; p++) {
      try {
        if (await store.warm(topic, p)) warmed++;
      } catch (err) {
        // A standby copy that cannot catch up is only less warm: the owner's restore still reads everything.
        log.warn({ err, topic, partition: p }, 'standby: cannot bring the local copy up to date');
      }
    }
    log.debug({ topic, warmed }, 'standby round done');
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      round = run().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  log.info({ topic, partitions, intervalMs }, 'standby: keeping warm copies of partitions owned elsewhere');
  round = run().finally(schedule);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await round.catch(() => {});
  };
}
