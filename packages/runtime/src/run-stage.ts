import type { Transform } from 'node:stream';
import { createCounters, silentLogger, type DeliveryMode, type InputBatch, type Logger, type OutputBatch, type RetrySpec, type Stage, type StageCounters, type StateProvider } from '@seda/core';
import { describeTopic, KafkaSink, KafkaSource, OffsetTracker, type KafkaProperties } from '@seda/kafka';
import { connectWithRetries, type ConnectRetryOptions } from './connect.js';
import { clusterKafkaDefaults } from './broker-defaults.js';
import { CommitPolicy } from './commit-policy.js';
import { kafkaLogProperties, levelOf, routeKafkaLogs } from './kafka-log.js';
import { producerMessageMaxBytes } from './message-limit.js';
import { checkStoredOffsets } from './offset-ahead.js';
import { rebalanceHandlers } from './rebalance.js';
import { RunningStage, type CommitCounts, type KafkaStats } from './running-stage.js';
import { Shutdown } from './shutdown.js';
import { StageFailure } from './stage-failure.js';
import { resolveInstance, type StageInstance } from './stage-instance.js';
import { openStageState, type StageState } from './stage-state.js';
import { StateWrites } from './state-writes.js';
import { openStageTables, type StageTables } from './stage-tables.js';

export { checkMode } from './stage-instance.js';

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
  /** Table topic overrides by table name (`--table name=topic`). */
  tables?: { [name: string]: string };
  dlqTopic?: string;
  /**
   * Where state is kept in the state modes. By default the runtime opens
   * LevelDB under `stateDir`, with its changelog (as `seda run` does).
   */
  state?: StateProvider;
  /** Where LevelDB keeps a stateful stage's state when no `state` is given; `.seda/state/<group>` by default. */
  stateDir?: string;
  /** Keep the opened store's changelog topic `<group>-<stage>-changelog` (restores on another machine). Default true. */
  changelog?: boolean;
  /** Keep warm standby copies of the partitions other instances own, from the changelog. Default false. */
  standby?: boolean;
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
  /**
   * Tables: how long a batch waits for the table consumer to fetch more when
   * it is behind and has nothing newer than the batch (see docs/tables.md). Default 2000 ms.
   */
  tableIdleMs?: number;
}

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

/** Partition counts of the input and table topics: the checked ones, else asked of the broker (only for a stage with tables). */
async function tablePartitions(options: RunOptions, checked: { [topic: string]: number }, topics: string[], kafka: KafkaProperties): Promise<{ [topic: string]: number }> {
  if (topics.length <= 1) return checked;
  const out = { ...checked };
  for (const t of topics) out[t] ??= (await describeTopic(options.brokers, t, kafka)).length;
  return out;
}

/**
 * Runs one stage: Kafka source -> stage transform -> Kafka sink, committing
 * input offsets only after every output they produced was acknowledged.
 * In `state` mode offsets are written with the state instead, and the
 * consumer starts each assigned partition at its stored offset.
 * `exactly-once` is `state` plus deduplication of the input by lineage:
 * every output carries its lineage in every mode, so any stage can feed an
 * exactly-once hop (see the README's "Exactly-once across a chain").
 *
 * The parts: {@link CommitPolicy} (tickets, acks, commits), {@link StateWrites}
 * (state modes), {@link rebalanceHandlers} (assign, revoke), {@link Shutdown};
 * this function resolves the instance, connects, opens the state and
 * {@link assemble}s them.
 */
export async function runStage(stage: Stage, options: RunOptions): Promise<RunningStage> {
  const instance = resolveInstance(stage, options); // every check before any connection is made
  const { mode, group, stateful, topics } = instance;
  const log = (options.log ?? silentLogger).child({ stage: stage.name, group });
  // librdkafka logs at the level of ours; the user's --kafka log_level/debug win.
  const kafka = { ...kafkaLogProperties(levelOf(log)), ...options.kafka };
  // Partition counts let null-key outputs go to the same partition on a replay (lineage stays ordered per partition).
  const outputTopics = Object.values(topics.outputs);
  const tableTopics = Object.values(instance.tableTopics);
  const partitions = await connectWithRetries(options.brokers, options.kafka, options.checkTopics === false ? undefined : [topics.input, ...outputTopics, ...tableTopics], log, options.connect);
  Object.assign(kafka, await clusterKafkaDefaults(options.brokers, kafka, log, options.connect)); // embedded broker: short group timeouts

  // A stateful stage given no store gets LevelDB with its changelog, as `seda run` gives it.
  const opened = stateful && options.state === undefined
    ? await openStageState(stage, { brokers: options.brokers, group, kafka, log, input: topics.input, stateDir: options.stateDir, changelog: options.changelog })
    : undefined;
  let tables: StageTables | undefined;
  try {
    tables = await openStageTables(stage, { brokers: options.brokers, kafka, group, log, input: topics.input, partitions: await tablePartitions(options, partitions, [topics.input, ...tableTopics], kafka), idleMs: options.tableIdleMs, topics: instance.tableTopics });
    return await assemble(stage, options, { ...instance, log, kafka, partitions, opened, state: options.state ?? opened?.store, tables });
  } catch (err) {
    await tables?.close();
    await opened?.store.close().catch(() => {});
    await opened?.close();
    throw err;
  }
}

/** What {@link runStage} resolved and opened before assembling the stage. */
interface Resolved extends StageInstance {
  log: Logger;
  kafka: KafkaProperties;
  /** Partition counts of the checked topics. */
  partitions: { [topic: string]: number };
  opened?: StageState;
  state?: StateProvider;
  tables?: StageTables;
}

/**
 * Builds the parts of a running stage, joins them and starts it. Longer than
 * most functions because it is one linear assembly, in the order the parts
 * depend on each other; each concern lives in its own file.
 */
async function assemble(stage: Stage, options: RunOptions, r: Resolved): Promise<RunningStage> {
  const { mode, group, stateful, topics, log, kafka, partitions } = r;
  const outputTopics = Object.values(topics.outputs);
  const counters = options.counters ?? createCounters();
  const tracker = new OffsetTracker();
  let shutdown: Shutdown | undefined;
  let source: KafkaSource | undefined;
  const running: RunningStage = new RunningStage({
    stage,
    mode,
    group,
    topics,
    counters,
    state: r.opened,
    tables: r.tables?.stats,
    get counts(): CommitCounts {
      return policy.counts;
    },
    get done(): Promise<void> {
      return shutdown!.done;
    },
    assignment: () => source!.assignment(),
    stop: async () => {
      await shutdown!.run();
      if (failure.error) throw failure.error;
    },
  });
  const failure = new StageFailure(running, log, () => void shutdown?.run());
  const policy: CommitPolicy = new CommitPolicy({
    tracker,
    commit: (offsets) => source!.commit(offsets),
    assignment: () => source!.assignment(),
    stateful,
    autoCommit: mode === 'auto',
    commitEveryRecords: options.commitEveryRecords ?? 10_000,
    events: running,
    failure,
    log,
  });
  const provider = r.state;
  const state = provider === undefined ? undefined : { provider, writes: new StateWrites({ state: provider, events: running, failure, onWritten: (b) => policy.stateWritten(b) }) };
  const onDelivered = (batch: OutputBatch): void => {
    if (failure.error !== undefined) return;
    // Deliver outputs before writing offsets with state: a crash replays, never skips.
    if (stateful) state!.writes.write(batch);
    else policy.ack(batch);
  };

  source = new KafkaSource({
    brokers: options.brokers,
    groupId: group,
    topics: [topics.input],
    kafka,
    connectTimeoutMs: options.connect?.timeoutMs,
    batchSize: options.batchSize,
    fromBeginning: options.fromBeginning,
    assignmentStrategy: options.assignmentStrategy,
    autoCommit: mode === 'auto',
    log,
    ...rebalanceHandlers({
      tracker, policy, stateful, state, tables: r.tables, fromBeginning: options.fromBeginning, revokeTimeoutMs: options.revokeTimeoutMs ?? 10_000, events: running, failure, log,
      // A broker that lost its data (stored offsets above the high watermark) stops the stage with what to do.
      checkStarts: (starts) => checkStoredOffsets(source!.consumer, starts, { stage: stage.name, stateDir: (provider as { dir?: string } | undefined)?.dir }, log),
    }),
  });
  // onDelivered needs a batch's offsets, ticket and state, not its messages: released once produced.
  const sink = new KafkaSink({ brokers: options.brokers, kafka: producerProperties(kafka), log, onDelivered, connectTimeoutMs: options.connect?.timeoutMs, releaseProduced: true });
  // After the source took the step: running.assignment() is current (the rebalance events fire before).
  for (const step of ['assigned', 'revoked']) source.on(step, () => running.emit('assignment', running.assignment()));
  routeKafkaLogs(source.consumer, log, 'consumer');
  routeKafkaLogs(sink.producer, log, 'producer');
  const forwardStats = (client: KafkaStats['client']) => (event: { message: string }) => {
    if (running.listenerCount('stats') > 0) running.emit('stats', { client, stats: JSON.parse(event.message) } satisfies KafkaStats);
  };
  source.consumer.on('event.stats', forwardStats('consumer'));
  sink.producer.on('event.stats', forwardStats('producer'));
  const transform: Transform = stage.createTransform({
    input: options.input,
    outputs: options.outputs,
    dlqTopic: topics.dlq,
    state: provider,
    log,
    retry: options.retry,
    concurrency: options.concurrency ?? 4,
    counters,
    group,
    mode,
    partitions,
    options: r.options,
    maxMessageBytes: producerMessageMaxBytes(kafka),
    tables: r.tables?.source,
  });
  shutdown = new Shutdown({ source, transform, sink, tracker, policy, state, tables: r.tables, stageState: r.opened, timeoutMs: options.shutdownTimeoutMs ?? 30_000, events: running, failure, counters, log });

  // Every input batch gets its ticket in source order before the stage sees it; the ticket rides on the batch.
  const src = source;
  src.on('data', (batch: InputBatch) => {
    policy.track(batch);
    // Paused while the stage is full, or while too many delivered batches wait for their state write.
    if (!transform.write(batch) || (state !== undefined && !state.writes.hasRoom())) src.pause();
  });
  const resume = (): void => {
    if (!shutdown!.isStopping && !transform.writableNeedDrain && (state === undefined || state.writes.hasRoom())) src.resume();
  };
  transform.on('drain', resume);
  state?.writes.onRoom(resume);
  src.pause();
  transform.pipe(sink);
  for (const s of [src, transform, sink]) s.on('error', (err: unknown) => failure.fail(err));

  await sink.connect();
  try {
    await src.connect();
  } catch (err) {
    await sink.close().catch(() => {});
    throw err;
  }
  src.resume();
  policy.startInterval(options.commitIntervalMs ?? 1000);
  if (options.standby === true && !r.opened?.startStandby(partitions[topics.input] ?? (await describeTopic(options.brokers, topics.input, kafka)).length)) {
    log.warn('--standby needs a stateful stage with a changelog; no standby copies are kept');
  }
  log.info({ mode, input: topics.input, outputs: outputTopics }, 'stage started');
  return running;
}
