import { EventEmitter, once } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Transform } from 'node:stream';
import {
  createCounters,
  resolveOptions,
  SedaError,
  silentLogger,
  type DeliveryMode,
  type InputBatch,
  type Logger,
  type OutputBatch,
  type RetrySpec,
  type Stage,
  type StageCounters,
  type StateProvider,
} from '@seda/core';
import {
  KafkaSink,
  KafkaSource,
  OffsetTracker,
  type KafkaProperties,
  type Ticket,
  type TopicPartition,
  type TopicPartitionOffset,
} from '@seda/kafka';
import { connectWithRetries, type ConnectRetryOptions } from './connect.js';
import { clusterKafkaDefaults } from './broker-defaults.js';
import { kafkaLogProperties, levelOf, routeKafkaLogs } from './kafka-log.js';
import { producerMessageMaxBytes } from './message-limit.js';
import { checkStoredOffsets } from './offset-ahead.js';

/** Options of {@link runStage}. */
export interface RunOptions {
  /** Bootstrap servers, `host:port,...`. */
  brokers: string;
  /** Consumer group; the stage name by default. */
  group?: string;
  /** Delivery mode; the stage's default (`state` when it has state, else `at-least-once`). */
  mode?: DeliveryMode;
  /** librdkafka properties passed through to the consumer and the producer. */
  kafka?: KafkaProperties;
  /** Start partitions without a stored/committed offset at the beginning (default: the end). */
  fromBeginning?: boolean;
  /** Input topic override. */
  input?: string;
  /** Output topic overrides by output name. */
  outputs?: { [name: string]: string };
  dlqTopic?: string;
  /** Where state is kept; required for `state` and `exactly-once` modes (the CLI opens LevelDB under --state-dir). */
  state?: StateProvider;
  log?: Logger;
  /** Commit at least this often while records flow. Default 1000 ms. */
  commitIntervalMs?: number;
  /** Commit after this many acknowledged records even before the interval. Default 10000. */
  commitEveryRecords?: number;
  /** Max records per consumed batch. Default 1000. */
  batchSize?: number;
  /**
   * How many partitions' batches an async `process` may work on at once
   * (records of one partition stay in order). Default 4.
   */
  concurrency?: number;
  assignmentStrategy?: 'eager' | 'cooperative-sticky';
  /** How long a revoke waits for in-flight records of the revoked partitions. Default 10 s. */
  revokeTimeoutMs?: number;
  /** How long a graceful stop waits for in-flight records. Default 30 s. */
  shutdownTimeoutMs?: number;
  retry?: RetrySpec;
  /** Check that input and output topics exist before starting. Default true. */
  checkTopics?: boolean;
  /** How the first contact with Kafka is retried at start (attempts, backoff, timeout per attempt). */
  connect?: ConnectRetryOptions;
  /** Counters to fill (for metrics); fresh ones by default. */
  counters?: StageCounters;
  /** Values of the stage's declared options (typed, or strings to parse); resolved once, before connecting. */
  options?: { readonly [name: string]: unknown };
}

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

/**
 * A stage running against Kafka. What happens is told by events, for
 * metrics, health and tests (listeners run on the stage's path: keep them
 * cheap; none is per record):
 * - `assigned` (partitions), `revoked` (partitions): rebalance steps;
 * - `batch` ({@link BatchDone}): per input batch done;
 * - `committed` (offsets, durationSeconds): a group commit confirmed;
 * - `commitFailed` (err, offsets): a group commit that failed and was left for the next one;
 * - `stateWritten` (topic, partition, durationSeconds): state and offsets written (state modes);
 * - `stats` ({@link KafkaStats}): librdkafka statistics, when `statistics.interval.ms` is set;
 * - `stopping`: a stop began; `failed` (err): the stage failed and stops.
 */
export interface RunningStage extends EventEmitter {
  readonly stage: Stage;
  readonly mode: DeliveryMode;
  readonly group: string;
  /** The topics it reads and writes, overrides applied. */
  readonly topics: { input: string; outputs: { [output: string]: string }; dlq: string };
  readonly counters: StageCounters;
  /** Resolves once stopped; rejects with the error that stopped the stage. */
  readonly done: Promise<void>;
  /** Partitions assigned now. */
  assignment(): TopicPartition[];
  /** Commits made so far (Kafka commits or state writes). */
  readonly commits: number;
  /** Group commits that failed and were left for the next commit (rebalance, broker trouble). */
  readonly commitFailures: number;
  /** Graceful stop: stop fetching, drain, deliver, commit, close. Idempotent. */
  stop(): Promise<void>;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * The producer's properties: the user's, over `enable.gapless.guarantee`.
 * With the idempotent producer, an error that fails one batch for good while
 * later batches of the partition still land becomes a fatal error instead:
 * the stage already fails on any failed delivery, and without this the
 * outputs behind the hole would land, so that the hole's records, replayed
 * after a restart, would look like duplicates to an exactly-once stage
 * downstream. (Not covered by librdkafka: messages failing by
 * `message.timeout.ms`; see the README.)
 */
function producerProperties(kafka: KafkaProperties | undefined): KafkaProperties {
  const idempotence = kafka?.['enable.idempotence'];
  if (idempotence === false || idempotence === 'false') return { ...kafka };
  return { 'enable.gapless.guarantee': true, ...kafka };
}

/**
 * Fails with `SEDA_RUNTIME_MODE` when `stage` cannot run in `mode`: a
 * stateful stage outside the state modes, or `exactly-once` for a stage
 * that is not deterministic or is a hand-written Transform (no lineage).
 * Needs nothing but the definition, so a CLI can refuse before it opens
 * state or reaches Kafka.
 */
export function checkMode(stage: Stage, mode: DeliveryMode): void {
  if (stage.hasState && mode !== 'state' && mode !== 'exactly-once') {
    throw new SedaError('SEDA_RUNTIME_MODE', `stage "${stage.name}" keeps state, so it runs in mode "state" or "exactly-once", not "${mode}"`);
  }
  if (mode === 'exactly-once' && !stage.deterministic) {
    throw new SedaError(
      'SEDA_RUNTIME_MODE',
      `stage "${stage.name}" declares deterministic: false, so a replay may emit other outputs; it cannot run exactly-once. Use mode "state"`,
    );
  }
  if (mode === 'exactly-once' && !stage.lineage) {
    throw new SedaError(
      'SEDA_RUNTIME_MODE',
      `stage "${stage.name}" is a hand-written Transform: it neither reads nor writes lineage, so it cannot run exactly-once. Define it with defineStage, or use mode "state"`,
    );
  }
}

/**
 * Runs one stage: Kafka source -> stage transform -> Kafka sink, committing
 * input offsets only after every output they produced was acknowledged.
 * In `state` mode offsets are written with the state instead, and the
 * consumer starts each assigned partition at its stored offset.
 * `exactly-once` is `state` plus deduplication of the input by lineage:
 * every output carries its lineage in every mode, so any stage can feed an
 * exactly-once hop (see the README's "Exactly-once across a chain").
 */
export async function runStage(stage: Stage, options: RunOptions): Promise<RunningStage> {
  const mode: DeliveryMode = options.mode ?? stage.mode;
  const group = options.group ?? stage.name;
  const log = (options.log ?? silentLogger).child({ stage: stage.name, group });
  // librdkafka logs at the level of ours; the user's --kafka log_level/debug win.
  const kafka = { ...kafkaLogProperties(levelOf(log)), ...options.kafka };
  const inputTopic = options.input ?? stage.input.topic;
  if (!inputTopic) throw new SedaError('SEDA_RUNTIME_OPTIONS', `stage "${stage.name}" has no input topic: pass --input <topic>`);
  const stateful = mode === 'state' || mode === 'exactly-once';
  if (stateful && options.state === undefined) {
    throw new SedaError('SEDA_RUNTIME_MODE', `mode "${mode}" keeps offsets with state, but no state store was given (pass --state-dir)`);
  }
  checkMode(stage, mode);
  for (const name of Object.keys(options.outputs ?? {})) {
    if (!(name in stage.outputs)) {
      throw new SedaError(
        'SEDA_RUNTIME_OPTIONS',
        `stage "${stage.name}" has no output "${name}"; its outputs are: ${Object.keys(stage.outputs).join(', ') || '(none)'}`,
      );
    }
  }
  // Options are resolved once here, so a bad one fails before any connection is made.
  const stageOptions = resolveOptions(stage.options, options.options, stage.name);
  const outputsByName = Object.fromEntries(Object.entries(stage.outputs).map(([name, o]) => [name, options.outputs?.[name] ?? o.topic]));
  const outputTopics = Object.values(outputsByName);
  const dlqTopic = options.dlqTopic ?? (options.input ? `${options.input}.dlq` : stage.dlqTopic);
  // Partition counts let null-key outputs go to the same partition on a replay (lineage stays ordered per partition).
  const partitions = await connectWithRetries(options.brokers, options.kafka, options.checkTopics === false ? undefined : [inputTopic, ...outputTopics], log, options.connect);
  Object.assign(kafka, await clusterKafkaDefaults(options.brokers, kafka, log, options.connect)); // embedded broker: short group timeouts

  const counters = options.counters ?? createCounters();
  const tracker = new OffsetTracker();
  /** Per partition, by the batch's next offset: its offset-tracker ticket and when it was consumed. */
  const tickets = new Map<string, Map<number, { ticket: Ticket; consumedAt: number }>>();
  const state = options.state;
  const commitIntervalMs = options.commitIntervalMs ?? 1000;
  const commitEveryRecords = options.commitEveryRecords ?? 10_000;
  const emitter = new EventEmitter();
  let failed: Error | undefined;
  let stopping = false;
  let commits = 0;
  let commitFailures = 0;
  let ackedSinceCommit = 0;
  let committing: Promise<void> = Promise.resolve();
  /** State writes in order per partition: a batch's write starts after the previous one's. */
  const stateChains = new Map<string, Promise<void>>();
  /**
   * State mode: the stored offsets partitions were just assigned at, for the next group commit.
   * Kafka commits are only for lag visibility there, but without this a partition resumed at
   * its stored offset with nothing new to read would show the previous owner's stale commit
   * (or one that failed during the rebalance) as lag forever.
   */
  let assignedAt: TopicPartitionOffset[] = [];

  const fail = (err: unknown): void => {
    if (failed !== undefined) return;
    failed = err instanceof Error ? err : new Error(String(err));
    log.error({ err: failed }, 'stage failed; stopping without committing past the failure');
    emitter.emit('failed', failed);
    void shutdown();
  };

  const commitNow = (): Promise<void> => {
    committing = committing.then(async () => {
      if (failed !== undefined || mode === 'auto') return;
      const offsets = tracker.committable();
      const seeded = assignedAt;
      assignedAt = [];
      if (seeded.length > 0) {
        const owned = new Set(source.assignment().map((p) => tpKey(p.topic, p.partition)));
        const advanced = new Set(offsets.map((o) => tpKey(o.topic, o.partition)));
        for (const s of seeded) if (owned.has(tpKey(s.topic, s.partition)) && !advanced.has(tpKey(s.topic, s.partition))) offsets.push(s);
      }
      if (offsets.length === 0) return;
      ackedSinceCommit = 0;
      const startedAt = performance.now();
      try {
        await source.commit(offsets);
        tracker.markCommitted(offsets);
        if (!stateful) commits++;
        emitter.emit('committed', offsets, (performance.now() - startedAt) / 1000);
        log.debug({ offsets }, 'committed');
      } catch (err) {
        // In state mode Kafka commits are only for lag visibility: offsets live with the state.
        if (stateful) {
          assignedAt = [...seeded, ...assignedAt]; // tried again with the next commit
          log.warn({ err }, 'group commit (lag visibility only) failed');
        }
        else if ((err as SedaError).canRetry) {
          // Not committed: these records are redelivered if the partition moves, never skipped;
          // the next commit (interval, revoke or shutdown) covers them.
          commitFailures++;
          emitter.emit('commitFailed', err, offsets);
          log.warn({ err, offsets }, 'commit failed; offsets stay uncommitted and are retried with the next commit');
        } else fail(new SedaError('SEDA_RUNTIME_FAILED', (err as Error).message, { cause: err }));
      }
    });
    return committing;
  };

  const ack = (batch: OutputBatch): void => {
    const byOffset = tickets.get(tpKey(batch.topic, batch.partition));
    const entry = byOffset?.get(batch.nextOffset);
    if (entry === undefined) return; // partition revoked meanwhile: nothing to commit for it here
    byOffset!.delete(batch.nextOffset);
    tracker.ack(entry.ticket);
    ackedSinceCommit += batch.inputCount;
    const done: BatchDone = { topic: batch.topic, partition: batch.partition, records: batch.inputCount, durationSeconds: (performance.now() - entry.consumedAt) / 1000 };
    emitter.emit('batch', done);
    if (ackedSinceCommit >= commitEveryRecords) void commitNow();
  };

  const onDelivered = (batch: OutputBatch): void => {
    if (failed !== undefined) return;
    if (!stateful) return ack(batch);
    // Deliver outputs before writing offsets with state: a crash replays, never skips.
    const key = tpKey(batch.topic, batch.partition);
    let startedAt = 0;
    const chain = (stateChains.get(key) ?? Promise.resolve())
      .then(() => {
        startedAt = performance.now();
        return state!.commit(batch.topic, batch.partition, batch.state, batch.nextOffset);
      })
      .then(
        () => {
          commits++;
          emitter.emit('stateWritten', batch.topic, batch.partition, (performance.now() - startedAt) / 1000);
          ack(batch);
        },
        (err: unknown) => fail(err),
      );
    stateChains.set(key, chain);
  };

  const source = new KafkaSource({
    brokers: options.brokers,
    groupId: group,
    topics: [inputTopic],
    kafka,
    connectTimeoutMs: options.connect?.timeoutMs,
    batchSize: options.batchSize,
    fromBeginning: options.fromBeginning,
    assignmentStrategy: options.assignmentStrategy,
    autoCommit: mode === 'auto',
    log,
    onAssign: async (partitions) => {
      for (const p of partitions) tickets.set(tpKey(p.topic, p.partition), new Map());
      log.info({ partitions: partitions.map((p) => p.partition) }, 'partitions assigned');
      emitter.emit('assigned', partitions);
      if (!stateful) return;
      // State mode: start where the state ends, never at the group's commit (that is only for lag).
      const starts: TopicPartitionOffset[] = [];
      for (const p of partitions) {
        const stored = await state!.storedOffset(p.topic, p.partition);
        starts.push({ ...p, offset: stored ?? (options.fromBeginning ? -2 : -1) });
        if (stored !== undefined) tracker.start(p.topic, p.partition, stored);
      }
      await checkStoredOffsets(source.consumer, starts, { stage: stage.name, stateDir: (state as { dir?: string }).dir }, log);
      log.info({ starts }, 'starting partitions at stored offsets');
      assignedAt.push(...starts.filter((s) => s.offset >= 0));
      return starts;
    },
    onRevoke: async (partitions) => {
      log.info({ partitions: partitions.map((p) => p.partition) }, 'partitions revoked; finishing in-flight records');
      const drained = await tracker.whenDrained(partitions, options.revokeTimeoutMs ?? 10_000);
      if (failed === undefined) {
        if (drained) {
          await commitNow();
        } else if (stateful) {
          // Records of these partitions are still between stage and store; their state
          // writes could land after another instance took over. Stop: a restart resumes
          // exactly from the stored offsets.
          fail(new SedaError('SEDA_RUNTIME_REVOKE_TIMEOUT', `in-flight records of revoked partitions did not finish within ${options.revokeTimeoutMs ?? 10_000} ms`));
        } else {
          log.warn({ partitions }, 'revoke: in-flight records abandoned; they will be redelivered to the new owner');
          await commitNow();
        }
      }
      tracker.forget(partitions);
      for (const p of partitions) {
        tickets.delete(tpKey(p.topic, p.partition));
        const key = tpKey(p.topic, p.partition);
        // Free the partition's store for its next owner (maybe another process on this machine).
        if (state !== undefined) {
          await (stateChains.get(key) ?? Promise.resolve());
          stateChains.delete(key);
          await state.release(p.topic, p.partition).catch((err: unknown) => fail(err));
        }
      }
      emitter.emit('revoked', partitions);
    },
  });

  const sink = new KafkaSink({ brokers: options.brokers, kafka: producerProperties(kafka), log, onDelivered, connectTimeoutMs: options.connect?.timeoutMs });
  routeKafkaLogs(source.consumer, log, 'consumer');
  routeKafkaLogs(sink.producer, log, 'producer');
  const forwardStats = (client: KafkaStats['client']) => (event: { message: string }) => {
    if (emitter.listenerCount('stats') > 0) emitter.emit('stats', { client, stats: JSON.parse(event.message) } satisfies KafkaStats);
  };
  source.consumer.on('event.stats', forwardStats('consumer'));
  sink.producer.on('event.stats', forwardStats('producer'));
  const transform: Transform = stage.createTransform({
    input: options.input,
    outputs: options.outputs,
    dlqTopic,
    state,
    log,
    retry: options.retry,
    concurrency: options.concurrency ?? 4,
    counters,
    group,
    mode,
    partitions,
    options: stageOptions,
    maxMessageBytes: producerMessageMaxBytes(kafka),
  });

  // Every input batch gets a ticket in source order before the stage sees it.
  source.on('data', (batch: InputBatch) => {
    const byOffset = tickets.get(tpKey(batch.topic, batch.partition));
    if (byOffset !== undefined) byOffset.set(batch.nextOffset, { ticket: tracker.track(batch.topic, batch.partition, batch.nextOffset), consumedAt: performance.now() });
    if (!transform.write(batch)) source.pause();
  });
  transform.on('drain', () => {
    if (!stopping) source.resume();
  });
  source.pause();
  transform.pipe(sink);
  for (const s of [source, transform, sink]) s.on('error', fail);

  await sink.connect();
  try {
    await source.connect();
  } catch (err) {
    await sink.close().catch(() => {});
    throw err;
  }
  source.resume();
  const timer = setInterval(() => void commitNow(), commitIntervalMs);
  timer.unref();
  log.info({ mode, input: inputTopic, outputs: outputTopics }, 'stage started');

  let stopped: Promise<void> | undefined;
  let resolveDone!: () => void;
  let rejectDone!: (err: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  done.catch(() => {}); // observed through `done` by the caller

  async function shutdown(): Promise<void> {
    stopped ??= (async () => {
      stopping = true;
      emitter.emit('stopping');
      clearInterval(timer);
      source.pause();
      source.unpipe();
      const timeoutMs = options.shutdownTimeoutMs ?? 30_000;
      if (failed === undefined) {
        // Let what was fetched go through the stage and out, then commit it.
        transform.end();
        const finished = once(sink, 'finish').then(() => true);
        const timedOut = new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref());
        if (!(await Promise.race([finished, timedOut]))) log.warn('shutdown: stage did not drain in time; uncommitted records will be redelivered');
        await sink.flush(timeoutMs).catch((err: unknown) => fail(err));
        await tracker.whenDrained(source.assignment(), timeoutMs);
        await Promise.all(stateChains.values());
        await commitNow();
      } else {
        transform.destroy();
      }
      await source.close().catch((err: unknown) => log.warn({ err }, 'closing the consumer failed'));
      await sink.close().catch((err: unknown) => log.warn({ err }, 'closing the producer failed'));
      await committing;
      if (state !== undefined) await state.close().catch((err: unknown) => log.warn({ err }, 'closing the state store failed'));
      log.info({ counters }, failed ? 'stage stopped after a failure' : 'stage stopped');
      if (failed) rejectDone(failed);
      else resolveDone();
    })();
    return stopped;
  }

  return Object.assign(emitter, {
    stage,
    mode,
    group,
    topics: { input: inputTopic, outputs: outputsByName, dlq: dlqTopic },
    counters,
    done,
    assignment: () => source.assignment(),
    get commits() {
      return commits;
    },
    get commitFailures() {
      return commitFailures;
    },
    stop: async () => {
      await shutdown();
      if (failed) throw failed;
    },
  }) as RunningStage;
}
