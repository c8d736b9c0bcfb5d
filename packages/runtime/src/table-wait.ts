import type { Logger, TableQueue } from '@seda/core';

/** What {@link waitForTables} needs of the table consumer. */
export interface TableFetcher {
  /** The partition's low and high watermarks, asked of the broker. */
  watermarks(topic: string, partition: number): Promise<{ low: number; high: number }>;
  /** Resolves after the next fetch round (records or not). */
  nextFetch(): Promise<void>;
}

/** One co-partitioned table of one input partition, as the wait sees it. */
export interface TableLane {
  readonly name: string;
  readonly topic: string;
  readonly queue: TableQueue;
  /** When the queue last got a record (or was started), for the idle bound. */
  progressAt: number;
}

/** Counts of the waits, read by the metrics. */
export interface TableWaitStats {
  /** Waits that ran out of the idle bound and went on without the timestamp order. */
  idleTimeouts: number;
}

/**
 * Waits until each lane of the partition decides the stream timestamp `t`
 * (a fetched record is newer) or is caught up (nothing left below the high
 * watermark). A lane that fetched nothing for `idleMs` (counted from this
 * wait's start) is given up on: logged, counted in `stats.idleTimeouts`,
 * and the batch goes on with what was fetched.
 */
export async function waitForTables(lanes: readonly TableLane[], partition: number, t: number, o: { fetcher: TableFetcher; idleMs: number; log: Logger; stats: TableWaitStats }): Promise<void> {
  const since = Date.now();
  for (const lane of lanes) {
    while (!lane.queue.decides(t)) {
      // A failed query (a leader moving, a broker down) does not tell the table is caught up: it is
      // asked again after the next fetch round, within the idle bound like a consumer behind.
      let marks: { low: number; high: number } | undefined;
      let failure: unknown;
      try {
        marks = await o.fetcher.watermarks(lane.topic, partition);
      } catch (err) {
        failure = err;
      }
      // Caught up: nothing left to fetch (below `low` the log was deleted or compacted away).
      if (marks !== undefined && Math.max(lane.queue.fetchedTo, marks.low) >= marks.high) break;
      // Idle: no record fetched for idleMs, counted from this wait's start (a table quiet for hours is not idle).
      if (Date.now() - Math.max(since, lane.progressAt) > o.idleMs) {
        o.stats.idleTimeouts++;
        o.log.warn(
          { table: lane.name, partition, fetchedTo: lane.queue.fetchedTo, high: marks?.high, idleMs: o.idleMs, err: failure },
          'table consumer behind and idle; processing on with what was fetched (the join order may differ on a replay)',
        );
        break;
      }
      await o.fetcher.nextFetch();
    }
  }
}
