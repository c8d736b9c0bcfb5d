import { Readable } from 'node:stream';
import Kafka from 'node-rdkafka';
import { SedaError, silentLogger, type InputBatch, type Logger, type RawRecord } from '@seda/core';
import { cannotReach, connectClient, disconnectClient } from './client-connection.js';
import { consumerDefaults } from './client-defaults.js';
import { splitKafkaProperties, type KafkaProperties } from './config.js';
import { startAboveLogStart } from './retention.js';
import { tpKey, type TopicPartition, type TopicPartitionOffset } from './topic-partition.js';

export type { TopicPartition, TopicPartitionOffset } from './topic-partition.js';

/** Options of {@link KafkaSource}. */
export interface KafkaSourceOptions {
  brokers: string;
  groupId: string;
  topics: string[];
  /** librdkafka properties, passed through (they win over seda's defaults). */
  kafka?: KafkaProperties;
  /** Max records per consume call. Default 1000. */
  batchSize?: number;
  /** How long one idle consume call waits for a first record. Default 100 ms. */
  idleWaitMs?: number;
  /** `auto.offset.reset=earliest` (default: latest). */
  fromBeginning?: boolean;
  /** Default `eager` (range,roundrobin). */
  assignmentStrategy?: 'eager' | 'cooperative-sticky';
  /** librdkafka auto-commit; off by default (seda commits after delivery). */
  autoCommit?: boolean;
  /** Runs before partitions are assigned; may return start offsets to assign with. */
  onAssign?: (partitions: TopicPartition[]) => Promise<TopicPartitionOffset[] | void> | TopicPartitionOffset[] | void;
  /** Runs before partitions are released; records of them are no longer emitted. */
  onRevoke?: (partitions: TopicPartition[]) => Promise<void> | void;
  log?: Logger;
  /** Connect timeout. Default 15 s. */
  connectTimeoutMs?: number;
  /** Bound of each query of the assignment's retention check (committed offsets, log start). Default 5 s. */
  queryTimeoutMs?: number;
}

/** A commit waiting for its confirmation. */
interface CommitWaiter {
  /** {@link commitKey} of the committed offsets. */
  key: string;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** The same string for the same offsets in any order: matches a confirmation to its commit. */
function commitKey(offsets: readonly TopicPartitionOffset[]): string {
  return offsets
    .map((o) => `${tpKey(o.topic, o.partition)}@${o.offset}`)
    .sort()
    .join('\u0001');
}

const ERR_ASSIGN = -175;
const ERR_REVOKE = -174;
const { ERRORS } = Kafka.CODES;
/**
 * Commit errors that trying again cannot fix (authorization, bad request).
 * Every other commit error (rebalance in progress, generation or member gone,
 * coordinator moving, timeouts, broker down) leaves the offsets uncommitted:
 * the records are redelivered, never skipped, and a later commit catches up.
 */
const FATAL_COMMIT_ERRORS: ReadonlySet<number> = new Set([
  ERRORS.ERR_GROUP_AUTHORIZATION_FAILED,
  ERRORS.ERR_TOPIC_AUTHORIZATION_FAILED,
  ERRORS.ERR_OFFSET_METADATA_TOO_LARGE,
  ERRORS.ERR_INVALID_COMMIT_OFFSET_SIZE,
]);

/**
 * A Readable of {@link InputBatch} chunks over node-rdkafka's KafkaConsumer.
 *
 * It consumes only when the stream is read: `consume(n)` with a zero timeout
 * drains what librdkafka has fetched; when that comes back empty, one call
 * waits up to `idleWaitMs` for the next record. (node-rdkafka's timeout is
 * per message, so waiting inside a large batch would hold a trickle of
 * records back.) While downstream does not read, nothing is consumed and
 * librdkafka's bounded fetch queue stops fetching: real backpressure.
 *
 * On assignment, a partition whose start offset is below the log start (the
 * reader fell behind retention) starts at the log start, never at the end
 * (which is what librdkafka's `auto.offset.reset=latest` would do): the loss
 * is logged and emitted as `retention-loss` (`RetentionLoss[]`). One whose
 * group-committed offset is past the partition's end (the broker lost data)
 * starts where `auto.offset.reset` says, logged as a warning and emitted as
 * `offset-ahead` (`OffsetAhead[]`).
 */
export class KafkaSource extends Readable {
  readonly consumer: Kafka.KafkaConsumer;
  readonly #options: KafkaSourceOptions;
  readonly #log: Logger;
  readonly #assigned = new Map<string, TopicPartition>();
  readonly #batchSize: number;
  readonly #cooperative: boolean;
  readonly #idleWaitMs: number;
  #consumed = 0;
  #connected = false;
  #consuming = false;
  #wantMore = false;
  #idle = true;
  #closing = false;
  #closed: Promise<void> | undefined;
  #rebalancing: Promise<void> = Promise.resolve();
  /** Commits waiting for their confirmation, each known by its offsets (see {@link commitKey}). */
  readonly #commitWaiters: CommitWaiter[] = [];

  constructor(options: KafkaSourceOptions) {
    super({ objectMode: true, highWaterMark: 4 });
    this.#options = options;
    this.#log = options.log ?? silentLogger;
    this.#batchSize = options.batchSize ?? 1000;
    this.#idleWaitMs = options.idleWaitMs ?? 100;
    const cooperative = options.assignmentStrategy === 'cooperative-sticky';
    const { global, topic } = splitKafkaProperties(options.kafka, 'consumer');
    // Whatever chose it (the option or a passed-through librdkafka property), the protocol decides
    // how a rebalance is answered: incremental (un)assign for cooperative, full for eager.
    const strategy = String(global['partition.assignment.strategy'] ?? (cooperative ? 'cooperative-sticky' : 'range,roundrobin'));
    this.#cooperative = strategy.includes('cooperative');
    this.consumer = new Kafka.KafkaConsumer(
      {
        'bootstrap.servers': options.brokers,
        'group.id': options.groupId,
        'enable.auto.commit': options.autoCommit === true,
        'enable.auto.offset.store': options.autoCommit === true,
        'partition.assignment.strategy': cooperative ? 'cooperative-sticky' : 'range,roundrobin',
        ...consumerDefaults,
        ...global,
        rebalance_cb: (err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]) => this.#onRebalance(err, assignment),
        offset_commit_cb: (err: Kafka.LibrdKafkaError | undefined, offsets: TopicPartitionOffset[] | undefined) => this.#onCommitted(err, offsets),
      },
      { 'auto.offset.reset': options.fromBeginning ? 'earliest' : 'latest', ...topic },
    );
    this.consumer.on('event.error', (err: Kafka.LibrdKafkaError) => this.#log.warn({ err }, 'consumer error (librdkafka retries)'));
  }

  /** Connects and subscribes; fails with one clear error when the broker cannot be reached. */
  async connect(): Promise<void> {
    const timeout = this.#options.connectTimeoutMs ?? 15_000;
    await connectClient(this.consumer, timeout, cannotReach(this.#options.brokers));
    this.#connected = true;
    this.consumer.subscribe(this.#options.topics);
    this.#log.debug({ topics: this.#options.topics }, 'subscribed');
    this.#next();
  }

  /** Commits offsets (the next offset to read per partition); resolves when the broker confirmed. */
  commit(offsets: TopicPartitionOffset[], timeoutMs = 30_000): Promise<void> {
    if (offsets.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: CommitWaiter = {
        key: commitKey(offsets),
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#removeWaiter(waiter);
          reject(new SedaError('SEDA_KAFKA_COMMIT', `commit not confirmed within ${timeoutMs} ms`, { canRetry: true }));
        }, timeoutMs),
      };
      this.#commitWaiters.push(waiter);
      try {
        this.consumer.commit(offsets);
        this.#next();
      } catch (err) {
        clearTimeout(waiter.timer);
        this.#removeWaiter(waiter);
        const code = (err as { code?: number }).code;
        reject(new SedaError('SEDA_KAFKA_COMMIT', `commit failed: ${(err as Error).message}`, { cause: err, canRetry: code === undefined || !FATAL_COMMIT_ERRORS.has(code) }));
      }
    });
  }

  #removeWaiter(waiter: CommitWaiter): void {
    const i = this.#commitWaiters.indexOf(waiter);
    if (i >= 0) this.#commitWaiters.splice(i, 1);
  }

  /**
   * Answers the waiter of the commit this confirmation is for, found by its
   * offsets: a waiter that timed out is gone, so its late confirmation must
   * not answer the next commit (whose offsets may not be committed at all).
   * An error without offsets rejects the oldest waiter: rejecting only leaves
   * offsets uncommitted, which is safe.
   */
  #onCommitted(err: Kafka.LibrdKafkaError | undefined, offsets: TopicPartitionOffset[] | undefined): void {
    const key = offsets !== undefined && offsets.length > 0 ? commitKey(offsets) : undefined;
    const waiter = key === undefined ? (err ? this.#commitWaiters[0] : undefined) : this.#commitWaiters.find((w) => w.key === key);
    if (waiter === undefined) return this.#log.debug({ offsets }, 'commit confirmation of no waiting commit (it timed out); ignored');
    this.#removeWaiter(waiter);
    clearTimeout(waiter.timer);
    if (err) {
      waiter.reject(
        new SedaError('SEDA_KAFKA_COMMIT', `commit failed: ${err.message ?? String(err)}`, { cause: err, canRetry: !FATAL_COMMIT_ERRORS.has(err.code) }),
      );
    } else waiter.resolve();
  }

  /** Records taken from librdkafka so far (pushed downstream, or buffered in this stream until read). */
  get consumedRecords(): number {
    return this.#consumed;
  }

  /** Partitions assigned now. */
  assignment(): TopicPartition[] {
    return [...this.#assigned.values()];
  }

  #onRebalance(err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]): void {
    // Not rebalanceProtocol(): it no longer says COOPERATIVE once the consumer is closing.
    const cooperative = this.#cooperative;
    const partitions = assignment.map((a) => ({ topic: a.topic, partition: a.partition }));
    // Rebalance steps run one after another, each finishing its async work first.
    this.#rebalancing = this.#rebalancing.then(async () => {
      try {
        if (err.code === ERR_ASSIGN && this.#closing) {
          // Leaving the group: take nothing new (no onAssign, no records of them emitted), only answer
          // the rebalance; the partitions go to the members that stay.
          if (cooperative) this.consumer.incrementalAssign(partitions);
          else this.consumer.assign(partitions);
        } else if (err.code === ERR_ASSIGN) {
          const starts = (await this.#options.onAssign?.(partitions)) ?? undefined;
          const byKey = new Map((starts ?? []).map((s) => [tpKey(s.topic, s.partition), s.offset]));
          await this.#startAboveLogStart(partitions, byKey);
          const withOffsets = partitions.map((p) => {
            const offset = byKey.get(tpKey(p.topic, p.partition));
            return offset === undefined ? p : { ...p, offset };
          });
          for (const p of partitions) this.#assigned.set(tpKey(p.topic, p.partition), p);
          if (cooperative) this.consumer.incrementalAssign(withOffsets);
          else this.consumer.assign(withOffsets);
          this.emit('assigned', partitions);
        } else if (err.code === ERR_REVOKE) {
          const revoked = partitions.filter((p) => this.#assigned.has(tpKey(p.topic, p.partition)));
          // Stop emitting records of these partitions before the owner finishes them.
          for (const p of revoked) this.#assigned.delete(tpKey(p.topic, p.partition));
          if (revoked.length > 0) await this.#options.onRevoke?.(revoked);
          if (cooperative) this.consumer.incrementalUnassign(assignment);
          else this.consumer.unassign();
          if (revoked.length > 0) this.emit('revoked', revoked);
        } else {
          this.#log.error({ err }, 'rebalance error');
        }
      } catch (e) {
        // While closing, answering a rebalance may fail (the client is leaving, or already gone
        // natively while it still reports connected): expected, not a failure of the stream.
        // node-rdkafka throws plain objects ({ message, code }): made Errors, so the reason shows.
        const error = e instanceof Error ? e : Object.assign(new Error(String((e as { message?: unknown }).message ?? e)), e);
        if (this.#closing) this.#log.debug({ err: error }, 'rebalance step failed while closing (the group reassigns these partitions)');
        else if (this.consumer.isConnected()) this.destroy(error);
      }
    });
  }

  /** Moves partitions that fell behind retention to the log start (in `starts`) and reports the loss. */
  async #startAboveLogStart(partitions: TopicPartition[], starts: Map<string, number>): Promise<void> {
    try {
      const { losses, ahead } = await startAboveLogStart(this.consumer, partitions, starts, this.#options.queryTimeoutMs ?? 5000, this.#options.fromBeginning === true);
      if (ahead.length > 0) {
        // Loud: records may be read again (earliest) or skipped (latest); the operator must know.
        this.#log.warn(
          { ahead, autoOffsetReset: this.#options.fromBeginning ? 'earliest' : 'latest' },
          `committed offsets past the end of their partitions (the broker lost data, or the topic was recreated): starting per auto.offset.reset=${this.#options.fromBeginning ? 'earliest (the log start: records may be read again)' : 'latest (the end: records written meanwhile are skipped)'}`,
        );
        this.emit('offset-ahead', ahead);
      }
      if (losses.length > 0) {
        this.#log.warn({ losses }, 'records lost to retention: these partitions start at the log start, past offsets deleted before this group read them');
        this.emit('retention-loss', losses);
      }
    } catch (err) {
      // Best effort: with a broker down the partitions start as they would have.
      this.#log.debug({ err }, 'retention check skipped');
    }
  }

  override _read(): void {
    this.#wantMore = true;
    this.#next();
  }

  /**
   * Starts the next consume call unless one is in flight: there is never more
   * than one, or two libuv workers could return batches of a partition out of order.
   */
  #next(): void {
    if (this.#consuming || !this.#connected) return;
    if (!this.#wantMore || this.#closing || this.destroyed) return this.#service();
    this.#consume();
  }

  #consume(): void {
    this.#consuming = true;
    const n = this.#idle ? 1 : this.#batchSize;
    this.consumer.setDefaultConsumeTimeout(this.#idle ? this.#idleWaitMs : 0);
    this.consumer.consume(n, (err, messages) => {
      this.#consuming = false;
      if (this.#closing || this.destroyed) return this.#next();
      if (err) {
        // Transient consumer errors (e.g. a broker restarting) are retried by librdkafka.
        this.#log.warn({ err }, 'consume error; retrying');
        this.#consuming = true;
        setTimeout(() => {
          this.#consuming = false;
          this.#next();
        }, 200).unref();
        return;
      }
      this.#idle = messages.length === 0;
      if (messages.length > 0 && !this.#pushBatches(messages as unknown as RawRecord[])) {
        this.#wantMore = false;
        return this.#next();
      }
      this.#consuming = true;
      setImmediate(() => {
        this.#consuming = false;
        this.#next();
      });
    });
  }

  /**
   * librdkafka hands commit results (and rebalance events) to JS only inside
   * consume calls. While a commit waits and the read loop is stopped
   * (downstream not reading, or the stream closing), short consume calls keep
   * serving them. A record such a call returns is buffered in order (beyond
   * the high-water mark, at most one per `idleWaitMs`), or, once closing, left
   * uncommitted for the partition's next reader.
   */
  #service(): void {
    if (this.#consuming || !this.#connected || this.#commitWaiters.length === 0) return;
    if (this.#wantMore && !this.#closing && !this.destroyed) return; // the read loop serves them
    this.#consuming = true;
    this.consumer.setDefaultConsumeTimeout(this.#idleWaitMs);
    this.consumer.consume(1, (err, messages) => {
      const took = !err && messages.length > 0;
      if (took && !this.#closing && !this.destroyed) this.#pushBatches(messages as unknown as RawRecord[]);
      // Paced when it took a record: a commit waiting long must not drain the topic past backpressure.
      setTimeout(
        () => {
          this.#consuming = false;
          this.#next();
        },
        err ? 200 : took ? this.#idleWaitMs : 0,
      ).unref();
    });
  }

  /** Groups records by partition (keeping their order) and pushes one batch per partition. */
  #pushBatches(messages: RawRecord[]): boolean {
    let first = messages[0];
    let allSame = true;
    for (let i = 1; i < messages.length; i++) {
      if (messages[i].partition !== first.partition || messages[i].topic !== first.topic) {
        allSame = false;
        break;
      }
    }
    if (allSame) {
      if (!this.#assigned.has(tpKey(first.topic, first.partition))) return true;
      return this.push(this.#batch(first.topic, first.partition, messages));
    }
    const groups = new Map<string, RawRecord[]>();
    for (const m of messages) {
      const k = tpKey(m.topic, m.partition);
      let list = groups.get(k);
      if (list === undefined) groups.set(k, (list = []));
      list.push(m);
    }
    let more = true;
    for (const [k, records] of groups) {
      if (!this.#assigned.has(k)) continue; // revoked meanwhile: its new owner reads them
      first = records[0];
      more = this.push(this.#batch(first.topic, first.partition, records)) && more;
    }
    return more;
  }

  #batch(topic: string, partition: number, records: RawRecord[]): InputBatch {
    this.#consumed += records.length;
    return { topic, partition, records, nextOffset: records[records.length - 1].offset + 1 };
  }

  /** Releases the assignment (running `onRevoke`), leaves the group and disconnects; bounded. */
  close(timeoutMs = 30_000): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#connected) {
        const assigned = this.assignment();
        for (const p of assigned) this.#assigned.delete(tpKey(p.topic, p.partition));
        this.#closing = true;
        await this.#rebalancing;
        if (assigned.length > 0) await this.#options.onRevoke?.(assigned);
        try {
          this.consumer.unsubscribe();
        } catch (err) {
          this.#log.debug({ err }, 'unsubscribe failed');
        }
        if (!(await disconnectClient(this.consumer, { timeoutMs }))) this.#log.warn(`consumer did not disconnect within ${timeoutMs} ms`);
        this.#connected = false;
      }
      this.#closing = true;
      for (const w of this.#commitWaiters.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new SedaError('SEDA_KAFKA_COMMIT', 'consumer closed before the commit was confirmed', { canRetry: true }));
      }
      this.push(null);
    })();
    return this.#closed;
  }
}
