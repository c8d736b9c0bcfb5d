import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TopicPartition, TopicPartitionOffset } from '@seda/kafka';
import { tpKey } from '@seda/core';
import type { BatchDone, KafkaStats, RunningStage } from './running-stage.js';

/** Options of {@link createStageMetrics}. */
export interface StageMetricsOptions {
  /** Registry to fill; a new one by default. */
  registry?: Registry;
  /** Node.js process metrics (prom-client's collectDefaultMetrics). Default true. */
  processMetrics?: boolean;
  /** Size of the state store in bytes, read at scrape time; by default that of the store the runtime opened. */
  stateSizeBytes?: () => Promise<number>;
  /**
   * Restores from the changelog, read at scrape time: per partition, records
   * restored so far (all restores of this process) and records still to read;
   * by default those of the store the runtime opened.
   */
  restores?: () => Array<{ topic: string; partition: number; restored: number; remaining: number }>;
  /** Labels added to every metric besides `stage` and `group` (e.g. `instance`). */
  labels?: { [name: string]: string };
}

/** A stage's Prometheus metrics. */
export interface StageMetrics {
  readonly registry: Registry;
  /** Stops listening to the stage. */
  close(): void;
}

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Prometheus metrics of a running stage, from its events and counters.
 * Counts are read from the stage's counters at scrape time and timings are
 * observed once per batch or commit: nothing here runs per record. Every
 * metric carries the `stage` and `group` labels.
 */
export function createStageMetrics(running: RunningStage, options: StageMetricsOptions = {}): StageMetrics {
  const registry = options.registry ?? new Registry();
  registry.setDefaultLabels({ stage: running.stage.name, group: running.group, ...options.labels });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const { counters, topics } = running;

  new Gauge({ name: 'seda_stage_info', help: 'The stage this process runs (always 1), with its mode and input topic.', labelNames: ['mode', 'input'], registers }).set(
    { mode: running.mode, input: topics.input },
    1,
  );

  // Counters mirror the stage's own counts at scrape time (prom-client counters only go up: add the difference).
  type Series = Array<[labels: { [k: string]: string }, value: number]>;
  const mirrored = (name: string, help: string, labelNames: string[], read: () => Series): Counter<string> => {
    const seen = new Map<string, number>();
    const counter: Counter<string> = new Counter({
      name,
      help,
      labelNames,
      registers,
      collect: () => {
        for (const [labels, value] of read()) {
          const key = JSON.stringify(labels);
          const before = seen.get(key);
          const delta = value - (before ?? 0);
          if (delta > 0 || before === undefined) counter.inc(labels, Math.max(0, delta)); // a series shows from the start, at 0
          seen.set(key, value);
        }
      },
    });
    return counter;
  };
  mirrored('seda_records_in_total', 'Input records the stage took in (each retry of a record counts once).', ['topic'], () => [[{ topic: topics.input }, counters.recordsIn]]);
  mirrored('seda_records_out_total', 'Records the stage emitted, per output.', ['output', 'topic'], () =>
    Object.entries(topics.outputs).map(([output, topic]) => [{ output, topic }, counters.recordsOut[output] ?? 0]),
  );
  mirrored('seda_dead_letters_total', 'Records sent to the dead-letter topic (after their last retry, or undecodable).', ['topic'], () => [[{ topic: topics.dlq }, counters.deadLetters]]);
  mirrored('seda_retries_total', 'Retried attempts of process().', [], () => [[{}, counters.retries]]);
  mirrored('seda_late_records_dropped_total', "Records dropped as later than their window's grace.", [], () => [[{}, counters.lateDropped]]);
  mirrored('seda_duplicates_skipped_total', 'exactly-once: input records skipped because their lineage was already applied.', [], () => [[{}, counters.duplicatesSkipped]]);
  mirrored('seda_unlineaged_records_total', 'exactly-once: input records without a lineage header, applied as they came.', [], () => [[{}, counters.unlineaged]]);

  const batchDuration = new Histogram({
    name: 'seda_batch_duration_seconds',
    help: 'Time from a batch being consumed to all its outputs acknowledged (and, in state mode, its state written).',
    buckets: latencyBuckets,
    registers,
  });
  const commits = new Counter({ name: 'seda_commits_total', help: 'Consumer group offset commits confirmed by Kafka.', registers });
  const commitFailures = new Counter({ name: 'seda_commit_failures_total', help: 'Group commits that failed and were left for the next commit (rebalance, broker trouble).', registers });
  const commitDuration = new Histogram({ name: 'seda_commit_duration_seconds', help: 'Time for a group commit to be confirmed.', buckets: latencyBuckets, registers });
  const stateful = running.mode === 'state' || running.mode === 'exactly-once';
  const stateWrite = stateful
    ? new Histogram({
        name: 'seda_state_write_duration_seconds',
        help: 'Time to write a batch\'s state changes and offset to the state store (one atomic write).',
        buckets: latencyBuckets,
        registers,
      })
    : undefined;
  const restores = options.restores ?? running.state?.restores;
  if (restores !== undefined) {
    const read = restores;
    mirrored(
      'seda_state_restored_records_total',
      'Changelog records replayed into the local state store (restores of partitions that moved here or were behind).',
      ['topic', 'partition'],
      () => read().map((r) => [{ topic: r.topic, partition: String(r.partition) }, r.restored]),
    );
    new Gauge({
      name: 'seda_state_restore_remaining_records',
      help: 'Changelog records a restore in progress still has to read (0 when none runs).',
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        for (const r of read()) this.set({ topic: r.topic, partition: String(r.partition) }, r.remaining);
      },
    });
  }
  const tableStats = running.tables;
  if (tableStats !== undefined) {
    mirrored('seda_table_idle_timeouts_total', 'Batches that waited --table-idle for a table consumer behind and idle, then went on without the timestamp order (see docs/tables.md).', [], () => [
      [{}, tableStats.idleTimeouts],
    ]);
  }
  const store = running.state?.store;
  const stateSizeBytes = options.stateSizeBytes ?? (store === undefined ? undefined : () => store.sizeBytes());
  if (stateSizeBytes !== undefined) {
    const read = stateSizeBytes;
    new Gauge({
      name: 'seda_state_size_bytes',
      help: 'Approximate size of the state store on disk.',
      registers,
      async collect() {
        // A store closing during the scrape keeps the last value rather than failing the scrape.
        const size = await read().catch(() => undefined);
        if (size !== undefined) this.set(size);
      },
    });
  }
  const rebalances = new Counter({ name: 'seda_rebalances_total', help: 'Rebalance steps of this member, by event (assigned, revoked).', labelNames: ['event'], registers });
  new Gauge({
    name: 'seda_assigned_partitions',
    help: 'Partitions assigned to this member now.',
    registers,
    collect() {
      this.set(running.assignment().length);
    },
  });
  const lag = new Gauge({
    name: 'seda_consumer_lag',
    help: 'Records between the committed offset and the end of the partition, per assigned partition (librdkafka statistics).',
    labelNames: ['topic', 'partition'],
    registers,
  });
  const queueMessages = new Gauge({ name: 'seda_producer_queue_messages', help: 'Messages in the producer\'s queue, not yet acknowledged (librdkafka statistics).', registers });
  const queueBytes = new Gauge({ name: 'seda_producer_queue_bytes', help: 'Bytes of the messages in the producer\'s queue (librdkafka statistics).', registers });
  const brokersUp = new Gauge({ name: 'seda_kafka_brokers_up', help: 'Brokers a client is connected to (librdkafka statistics).', labelNames: ['client'], registers });

  const onBatch = (b: BatchDone): void => batchDuration.observe(b.durationSeconds);
  const onCommitted = (_offsets: TopicPartitionOffset[], seconds: number): void => {
    commits.inc();
    commitDuration.observe(seconds);
  };
  const onCommitFailed = (): void => commitFailures.inc();
  const onStateWritten = (_topic: string, _partition: number, seconds: number): void => stateWrite?.observe(seconds);
  const onAssigned = (): void => rebalances.inc({ event: 'assigned' });
  const onRevoked = (partitions: TopicPartition[]): void => {
    rebalances.inc({ event: 'revoked' });
    for (const p of partitions) lag.remove({ topic: p.topic, partition: String(p.partition) });
  };
  const onStats = ({ client, stats }: KafkaStats): void => {
    brokersUp.set({ client }, countBrokersUp(stats));
    if (client === 'producer') {
      queueMessages.set(Number(stats.msg_cnt ?? 0));
      queueBytes.set(Number(stats.msg_size ?? 0));
      return;
    }
    const assigned = new Set(running.assignment().map((p) => tpKey(p.topic, p.partition)));
    for (const [topic, t] of Object.entries((stats.topics ?? {}) as { [topic: string]: { partitions?: { [p: string]: { consumer_lag?: number } } } })) {
      for (const [partition, p] of Object.entries(t.partitions ?? {})) {
        if (!assigned.has(tpKey(topic, Number(partition)))) continue; // -1 (unassigned) and partitions of other members
        if (typeof p.consumer_lag === 'number' && p.consumer_lag >= 0) lag.set({ topic, partition }, p.consumer_lag);
      }
    }
  };
  running.on('batch', onBatch);
  running.on('committed', onCommitted);
  running.on('commitFailed', onCommitFailed);
  running.on('stateWritten', onStateWritten);
  running.on('assigned', onAssigned);
  running.on('revoked', onRevoked);
  running.on('stats', onStats);
  return {
    registry,
    close() {
      running.off('batch', onBatch);
      running.off('committed', onCommitted);
      running.off('commitFailed', onCommitFailed);
      running.off('stateWritten', onStateWritten);
      running.off('assigned', onAssigned);
      running.off('revoked', onRevoked);
      running.off('stats', onStats);
    },
  };
}

/** A registry with Node.js process metrics (before a stage runs, e.g. while it connects). */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** Brokers (not librdkafka's internal or logical ones) whose connection is up, from a client's statistics. */
export function countBrokersUp(stats: { [key: string]: any }): number {
  let up = 0;
  for (const b of Object.values((stats.brokers ?? {}) as { [name: string]: { state?: string; source?: string } })) {
    if (b.source !== 'internal' && b.source !== 'logical' && b.state === 'UP') up++;
  }
  return up;
}
