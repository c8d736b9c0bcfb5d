import { EventEmitter } from 'node:events';
import type { DeliveryMode, Stage, StageCounters } from '@seda/core';
import type { TableWaitStats } from './table-wait.js';
import type { TopicPartition } from '@seda/kafka';
import type { StageState } from './stage-state.js';

/** A batch of input records done: outputs acknowledged (and, in state mode, state and offsets written). */
export interface BatchDone {
  topic: string;
  partition: number;
  /** Input records in the batch. */
  records: number;
  /** From consumed to done, seconds. */
  durationSeconds: number;
}

/** librdkafka statistics of one client (JSON of `statistics.interval.ms`, parsed). */
export interface KafkaStats {
  client: 'consumer' | 'producer';
  stats: { [key: string]: any };
}

/** Commits counted while a stage runs; read live by {@link RunningStage}. */
export interface CommitCounts {
  /** Commits made (Kafka commits or state writes). */
  commits: number;
  /** Group commits that failed and were left for the next commit. */
  commitFailures: number;
}

/** What {@link RunningStage} is made of; the runtime builds it (not for users). */
export interface RunningStageParts {
  stage: Stage;
  mode: DeliveryMode;
  group: string;
  topics: { input: string; outputs: { [output: string]: string }; dlq: string };
  counters: StageCounters;
  /** Live counts: the same object the commit policy updates (read at each access). */
  counts: CommitCounts;
  done: Promise<void>;
  /** The store, changelog and standby the runtime opened (stateful stages given no `state`). */
  state?: StageState;
  /** Counts of the waits for co-partitioned tables (stages declaring tables). */
  tables?: Readonly<TableWaitStats>;
  assignment(): TopicPartition[];
  stop(): Promise<void>;
}

/**
 * A stage running against Kafka. What happens is told by events, for
 * metrics, health and tests (listeners run on the stage's path: keep them
 * cheap; none is per record):
 * - `assigned` (partitions), `revoked` (partitions): rebalance steps;
 * - `assignment` (partitions): the assignment after a rebalance step took effect ({@link assignment} is current);
 * - `batch` ({@link BatchDone}): per input batch done;
 * - `committed` (offsets, durationSeconds): a group commit confirmed;
 * - `commitFailed` (err, offsets): a group commit that failed and was left for the next one;
 * - `stateWritten` (topic, partition, durationSeconds): state and offsets written (state modes);
 * - `stats` ({@link KafkaStats}): librdkafka statistics, when `statistics.interval.ms` is set;
 * - `stopping`: a stop began; `failed` (err): the stage failed and stops.
 */
export class RunningStage extends EventEmitter {
  readonly stage: Stage;
  readonly mode: DeliveryMode;
  readonly group: string;
  /** The topics it reads and writes, overrides applied. */
  readonly topics: { input: string; outputs: { [output: string]: string }; dlq: string };
  readonly counters: StageCounters;
  /** The store (with its changelog) the runtime opened for a stateful stage given no `state`. */
  readonly state: StageState | undefined;
  /** Counts of the batches' waits for co-partitioned tables; undefined without tables. */
  readonly tables: Readonly<TableWaitStats> | undefined;
  readonly #parts: RunningStageParts;

  constructor(parts: RunningStageParts) {
    super();
    this.#parts = parts;
    this.stage = parts.stage;
    this.mode = parts.mode;
    this.group = parts.group;
    this.topics = parts.topics;
    this.counters = parts.counters;
    this.state = parts.state;
    this.tables = parts.tables;
  }

  /** Resolves once stopped; rejects with the error that stopped the stage. */
  get done(): Promise<void> {
    return this.#parts.done;
  }

  /** Commits made so far (Kafka commits or state writes). */
  get commits(): number {
    return this.#parts.counts.commits;
  }

  /** Group commits that failed and were left for the next commit (rebalance, broker trouble). */
  get commitFailures(): number {
    return this.#parts.counts.commitFailures;
  }

  /** Partitions assigned now. */
  assignment(): TopicPartition[] {
    return this.#parts.assignment();
  }

  /** Graceful stop: stop fetching, drain, deliver, commit, close. Idempotent; rejects with the error that stopped the stage. */
  stop(): Promise<void> {
    return this.#parts.stop();
  }
}
