import Kafka from 'node-rdkafka';
import { lineageHeader } from '@seda/core';
import { connectClient, consumerDefaults, disconnectClient } from '@seda/kafka';
import { rawProducer } from './raw-producer.js';
import { required, waitUntil, type SystemFactory, type WorkerSystem } from './system.js';

const ERR_ASSIGN = Kafka.CODES.ERRORS.ERR__ASSIGN_PARTITIONS;
const ERR_QUEUE_FULL = Kafka.CODES.ERRORS.ERR__QUEUE_FULL;
/** Stop consuming while this many messages wait for acknowledgement. */
const MAX_IN_FLIGHT = 50_000;
/** Commit after this many acknowledged records, or every second. */
const COMMIT_EVERY = 10_000;

/** Messages of one partition from one consume call, waiting for acknowledgement. */
interface Batch {
  partition: number;
  nextOffset: number;
  size: number;
  remaining: number;
}

/**
 * The baseline: what a careful node-rdkafka user writes by hand for
 * consume -> identity -> produce with at-least-once commits. Batch consume
 * (one idle wait, then drain what librdkafka fetched), produce every message
 * with its batch as opaque, commit per partition only up to the last batch
 * whose every message was acknowledged, every second or 10k records. The
 * same librdkafka settings as seda's defaults (`consumerDefaults`,
 * `producerDefaults`, idempotent producer).
 *
 * With `config.lineage` it also writes the header seda writes on every output
 * (`seda.lineage: <group>/<topic>:<partition>:<offset>:<index>`, one string
 * header, built per record the way seda builds it): the second baseline,
 * which splits seda's cost into the header's and seda's own.
 */
export const rawPassthrough: SystemFactory = (config, hooks): WorkerSystem => {
  const topic = required(config, 'input');
  const output = required(config, 'output');
  const group = required(config, 'group');
  const withLineage = config.lineage === true;
  /** Per partition: `<group>/<topic>:<partition>:`, as seda's lineage prefix. */
  const prefixes: string[] = [];
  const prefixOf = (partition: number): string => (prefixes[partition] ??= `${group}/${topic}:${partition}:`);
  const errors: string[] = [];
  let consumed = 0;
  let inFlight = 0;
  let stopping = false;
  let consuming = false;
  let idle = true;
  let ackedSinceCommit = 0;
  let commitFailures = 0;
  const pending = new Map<number, Batch[]>();
  const committable = new Map<number, number>();

  const consumer = new Kafka.KafkaConsumer(
    {
      'bootstrap.servers': config.brokers,
      'group.id': group,
      'enable.auto.commit': false,
      'enable.auto.offset.store': false,
      'partition.assignment.strategy': 'range,roundrobin',
      ...consumerDefaults,
      ...config.kafka,
      rebalance_cb: (err: Kafka.LibrdKafkaError, assignment: Kafka.Assignment[]) => {
        if (err.code === ERR_ASSIGN) {
          consumer.assign(assignment);
          hooks.onAssigned(assignment.length);
        } else {
          commit(true);
          consumer.unassign();
          for (const a of assignment) pending.delete(a.partition);
          hooks.onAssigned(0);
        }
      },
      offset_commit_cb: (err: Kafka.LibrdKafkaError | undefined) => {
        // Like seda: a failed commit leaves the offsets for the next one (records may repeat, none are lost).
        if (err) commitFailures++;
      },
    },
    { 'auto.offset.reset': 'earliest' },
  );
  const producer = rawProducer(config);

  producer.on('delivery-report', (err, report) => {
    inFlight--;
    if (err) {
      errors.push(`delivery failed: ${err.message}`);
      return;
    }
    const batch = report.opaque as Batch;
    if (--batch.remaining === 0) settle(batch.partition);
    if (inFlight === MAX_IN_FLIGHT >> 1) next();
  });

  /** Moves the commit point of a partition past every fully acknowledged batch at the head. */
  function settle(partition: number): void {
    const queue = pending.get(partition);
    if (queue === undefined) return; // revoked meanwhile
    let n = 0;
    while (n < queue.length && queue[n].remaining === 0) {
      committable.set(partition, queue[n].nextOffset);
      ackedSinceCommit += queue[n].size;
      n++;
    }
    if (n > 0) queue.splice(0, n);
    if (ackedSinceCommit >= COMMIT_EVERY) commit();
  }

  function commit(sync = false): void {
    ackedSinceCommit = 0;
    if (committable.size === 0) return;
    const offsets = [...committable].map(([partition, offset]) => ({ topic, partition, offset }));
    committable.clear();
    try {
      if (sync) consumer.commitSync(offsets);
      else consumer.commit(offsets);
    } catch {
      commitFailures++; // e.g. a rebalance in progress: the records are redelivered, never lost
    }
  }

  function produceFrom(messages: Kafka.Message[], batches: Batch[], from: number): void {
    for (let i = from; i < messages.length; i++) {
      const m = messages[i];
      try {
        if (withLineage) producer.produce(output, null, m.value, m.key, null, batches[i], [{ [lineageHeader]: `${prefixOf(m.partition)}${m.offset}:0` }]);
        else producer.produce(output, null, m.value, m.key, null, batches[i]);
        inFlight++;
      } catch (err) {
        if ((err as { code?: number }).code !== ERR_QUEUE_FULL) {
          hooks.onFatal(err as Error);
          return;
        }
        // librdkafka's queue is full: let delivery reports make room, then go on.
        setTimeout(() => produceFrom(messages, batches, i), 1);
        return;
      }
    }
    consuming = false;
    next();
  }

  function next(): void {
    if (consuming || stopping || inFlight > MAX_IN_FLIGHT) return;
    consuming = true;
    consumer.setDefaultConsumeTimeout(idle ? 100 : 0);
    consumer.consume(idle ? 1 : 1000, (err, messages) => {
      if (stopping) {
        consuming = false;
        return;
      }
      if (err) {
        errors.push(`consume failed: ${err.message}`);
        consuming = false;
        setTimeout(next, 100);
        return;
      }
      idle = messages.length === 0;
      if (idle) {
        consuming = false;
        setImmediate(next);
        return;
      }
      consumed += messages.length;
      // One batch per partition present; each message points at its batch.
      const byMessage = new Array<Batch>(messages.length);
      const current = new Map<number, Batch>();
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i];
        let batch = current.get(m.partition);
        if (batch === undefined) {
          batch = { partition: m.partition, nextOffset: m.offset + 1, size: 0, remaining: 0 };
          current.set(m.partition, batch);
          let queue = pending.get(m.partition);
          if (queue === undefined) pending.set(m.partition, (queue = []));
          queue.push(batch);
        }
        batch.nextOffset = m.offset + 1;
        batch.size++;
        batch.remaining++;
        byMessage[i] = batch;
      }
      produceFrom(messages, byMessage, 0);
    });
  }

  let timer: NodeJS.Timeout | undefined;
  return {
    errors,
    notes: () => (commitFailures > 0 ? [`${commitFailures} group commits failed (rebalance) and were left to the next commit`] : []),
    count: () => consumed,
    async start() {
      await connectClient(producer, 15_000);
      producer.setPollInterval(5);
      await connectClient(consumer, 15_000);
      consumer.subscribe([topic]);
      timer = setInterval(() => commit(), 1000);
      next();
    },
    async stop() {
      stopping = true;
      clearInterval(timer);
      await waitUntil(() => !consuming, 10_000);
      await new Promise<void>((resolve) => producer.flush(20_000, () => resolve()));
      await waitUntil(() => inFlight === 0, 10_000);
      commit(true);
      await disconnectClient(consumer, { timeoutMs: 10_000 });
      await disconnectClient(producer, { timeoutMs: 15_000, flushMs: 10_000 });
    },
  };
};
