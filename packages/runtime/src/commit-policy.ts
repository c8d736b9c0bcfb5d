import type { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { SedaError, tpKey, type InputBatch, type Logger, type OutputBatch } from '@seda/core';
import type { OffsetTracker, Ticket, TopicPartition, TopicPartitionOffset } from '@seda/kafka';
import type { BatchDone, CommitCounts } from './running-stage.js';
import type { StageFailure } from './stage-failure.js';

/** Options of {@link CommitPolicy}. */
export interface CommitPolicyOptions {
  tracker: OffsetTracker;
  /** Commits offsets to the group; resolves once the broker confirmed (the source's commit). */
  commit(offsets: TopicPartitionOffset[]): Promise<void>;
  /** Partitions assigned now. */
  assignment(): TopicPartition[];
  /** State modes: offsets live with the state, and group commits are for lag visibility only. */
  stateful: boolean;
  /** Mode `auto`: librdkafka commits by itself, this policy never does. */
  autoCommit: boolean;
  /** Commit after this many acknowledged records even before the interval. */
  commitEveryRecords: number;
  /** Where `batch`, `committed` and `commitFailed` are emitted (the running stage). */
  events: EventEmitter;
  failure: StageFailure;
  log: Logger;
}

/**
 * When and what a stage commits: every input batch gets a ticket (riding on
 * the batch) in source order; a batch is acknowledged once its outputs (and
 * state) are done; commits, one at a time, store what the offset tracker
 * says is committable: never past a batch still in flight.
 */
export class CommitPolicy {
  /** Live counts, read by the running stage. */
  readonly counts: CommitCounts = { commits: 0, commitFailures: 0 };
  readonly #o: CommitPolicyOptions;
  #ackedSinceCommit = 0;
  #committing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  /**
   * State mode: the stored offsets partitions were just assigned at, for the next group commit.
   * Kafka commits are only for lag visibility there, but without this a partition resumed at
   * its stored offset with nothing new to read would show the previous owner's stale commit
   * (or one that failed during the rebalance) as lag forever.
   */
  #seeded: TopicPartitionOffset[] = [];

  constructor(options: CommitPolicyOptions) {
    this.#o = options;
  }

  /** Gives a consumed batch its ticket (in source order), unless its partition is not assigned any more. */
  track(batch: InputBatch): void {
    const tracker = this.#o.tracker;
    if (tracker.isOpen(batch.topic, batch.partition)) batch.ticket = tracker.track(batch.topic, batch.partition, batch.nextOffset);
  }

  /** Partitions assigned at these stored offsets (state mode): the next group commit includes them. */
  seed(starts: TopicPartitionOffset[]): void {
    this.#seeded.push(...starts);
  }

  /** A batch's state and offset were written (state modes): counted as a commit, and the batch is done. */
  stateWritten(batch: OutputBatch): void {
    this.counts.commits++;
    this.ack(batch);
  }

  /** A batch is done (outputs acknowledged, state written): its offset may be committed once those before it are. */
  ack(batch: OutputBatch): void {
    const tracker = this.#o.tracker;
    // A hand-written Transform may not carry the ticket along: found by its offset then.
    const ticket = (batch.ticket as Ticket | undefined) ?? tracker.ticketFor(batch.topic, batch.partition, batch.nextOffset);
    if (ticket === undefined || !tracker.ack(ticket)) return; // partition revoked meanwhile: nothing to commit for it here
    this.#ackedSinceCommit += batch.inputCount;
    const done: BatchDone = { topic: batch.topic, partition: batch.partition, records: batch.inputCount, durationSeconds: (performance.now() - ticket.trackedAt) / 1000 };
    this.#o.events.emit('batch', done);
    if (this.#ackedSinceCommit >= this.#o.commitEveryRecords) void this.commitNow();
  }

  /** Commits at least this often while the stage runs. */
  startInterval(intervalMs: number): void {
    this.#timer = setInterval(() => void this.commitNow(), intervalMs);
    this.#timer.unref();
  }

  stopInterval(): void {
    clearInterval(this.#timer);
  }

  /** Resolves once the commits started so far are done. */
  idle(): Promise<void> {
    return this.#committing;
  }

  /** Commits what is committable now, after any commit in progress; never rejects. */
  commitNow(): Promise<void> {
    this.#committing = this.#committing.then(() => this.#commit());
    return this.#committing;
  }

  async #commit(): Promise<void> {
    const { failure, stateful, log, events } = this.#o;
    if (failure.error !== undefined || this.#o.autoCommit) return;
    const offsets = this.#o.tracker.committable();
    const seeded = this.#seeded;
    this.#seeded = [];
    if (seeded.length > 0) {
      const owned = new Set(this.#o.assignment().map((p) => tpKey(p.topic, p.partition)));
      const advanced = new Set(offsets.map((o) => tpKey(o.topic, o.partition)));
      for (const s of seeded) if (owned.has(tpKey(s.topic, s.partition)) && !advanced.has(tpKey(s.topic, s.partition))) offsets.push(s);
    }
    if (offsets.length === 0) return;
    this.#ackedSinceCommit = 0;
    const startedAt = performance.now();
    try {
      await this.#o.commit(offsets);
      this.#o.tracker.markCommitted(offsets);
      if (!stateful) this.counts.commits++;
      events.emit('committed', offsets, (performance.now() - startedAt) / 1000);
      log.debug({ offsets }, 'committed');
    } catch (err) {
      if (stateful) {
        // In state mode Kafka commits are only for lag visibility: offsets live with the state.
        this.#seeded = [...seeded, ...this.#seeded]; // tried again with the next commit
        log.warn({ err }, 'group commit (lag visibility only) failed');
      } else if ((err as SedaError).canRetry) {
        // Not committed: these records are redelivered if the partition moves, never skipped;
        // the next commit (interval, revoke or shutdown) covers them.
        this.counts.commitFailures++;
        events.emit('commitFailed', err, offsets);
        log.warn({ err, offsets }, 'commit failed; offsets stay uncommitted and are retried with the next commit');
      } else failure.fail(new SedaError('SEDA_RUNTIME_FAILED', (err as Error).message, { cause: err }));
    }
  }
}
