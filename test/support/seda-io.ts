import { once } from 'node:events';
import type { InputBatch, OutgoingMessage } from '@seda/core';
import { describeTopic, KafkaSink, KafkaSource, type KafkaProperties, type KafkaSourceOptions } from '@seda/kafka';

/** A record as seda's source read it, decoded to strings. */
export interface SeenRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
}

/**
 * Writes `count` records through seda's {@link KafkaSink} in batches of 1000
 * and resolves with the number the broker acknowledged (every one, or it throws).
 */
export async function produceWithSink(
  brokers: string,
  topic: string,
  count: number,
  options: {
    key?: (i: number) => string | null;
    value?: (i: number) => string;
    /** The partition of record `i` (default: by key, or sticky when there is none). */
    partition?: (i: number) => number;
    kafka?: KafkaProperties; pauseMs?: number; onBatch?: (sent: number) => void;
    /** Stops producing (before the next batch of 1000) once this says true: fewer than `count` are then written. */
    stop?: () => boolean } = {},
): Promise<number> {
  let delivered = 0;
  const sink = new KafkaSink({ brokers, kafka: options.kafka, onDelivered: (b) => (delivered += b.messages.length) });
  let failure: Error | undefined;
  sink.on('error', (err: Error) => (failure ??= err));
  await sink.connect();
  try {
    for (let i = 0; i < count && failure === undefined && options.stop?.() !== true; i += 1000) {
      const messages: OutgoingMessage[] = [];
      for (let j = i; j < Math.min(count, i + 1000); j++) {
        const key = options.key?.(j) ?? null;
        const message: OutgoingMessage = { topic, key: key === null ? null : Buffer.from(key), value: Buffer.from(options.value?.(j) ?? String(j)) };
        if (options.partition) message.partition = options.partition(j);
        messages.push(message);
      }
      if (!sink.write({ topic, partition: 0, nextOffset: i + messages.length, inputCount: messages.length, messages, deadLetters: 0 })) {
        await Promise.race([once(sink, 'drain'), once(sink, 'close')]);
      }
      options.onBatch?.(i + messages.length);
      if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
    await sink.flush(60_000);
  } finally {
    await sink.close(10_000);
  }
  if (failure) throw failure;
  return delivered;
}

/**
 * Reads a topic through seda's {@link KafkaSource} (a fresh group, from the
 * beginning) until `expected` records arrived, then `settleMs` more to catch
 * any extra; bounded by `timeoutMs`.
 */
export async function consumeWithSource(
  brokers: string,
  topic: string,
  expected: number,
  options: { timeoutMs?: number; settleMs?: number; kafka?: KafkaProperties; source?: Partial<KafkaSourceOptions> } = {},
): Promise<SeenRecord[]> {
  const source = new KafkaSource({
    brokers,
    groupId: `seda-test-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    topics: [topic],
    fromBeginning: true,
    kafka: options.kafka,
    ...options.source,
  });
  const seen: SeenRecord[] = [];
  await source.connect();
  try {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let reachedAt: number | undefined;
    const iterator = (source as AsyncIterable<InputBatch>)[Symbol.asyncIterator]();
    let pending: Promise<IteratorResult<InputBatch>> | undefined;
    for (;;) {
      const now = Date.now();
      if (reachedAt === undefined && seen.length >= expected) reachedAt = now;
      if (reachedAt !== undefined && now - reachedAt >= (options.settleMs ?? 300)) break;
      if (now > deadline) break;
      // Poll with a short bound so the settle and deadline checks run even when nothing arrives.
      // A pending next() is kept across polls: calling next() again would queue a second read.
      pending ??= iterator.next();
      const next = await Promise.race([pending, new Promise<null>((r) => setTimeout(() => r(null), 100))]);
      if (next === null) continue;
      pending = undefined;
      if (next.done) break;
      for (const r of next.value.records) {
        seen.push({ partition: r.partition, offset: r.offset, key: r.key == null ? null : r.key.toString(), value: r.value == null ? '' : r.value.toString() });
      }
    }
  } finally {
    await source.close(10_000);
  }
  return seen;
}

/** Records in the topic's logs: the sum of high watermarks minus log starts. */
export async function recordsInTopic(brokers: string, topic: string): Promise<number> {
  return (await describeTopic(brokers, topic)).reduce((n, p) => n + p.high - p.low, 0);
}

/** Fails unless `values` holds each of `expected` exactly once, naming what is missing or repeated. */
export function exactlyOnce(values: string[], expected: string[]): { missing: string[]; duplicated: string[]; unexpected: string[] } {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const want = new Set(expected);
  return {
    missing: expected.filter((v) => !counts.has(v)).slice(0, 10),
    duplicated: [...counts].filter(([, n]) => n > 1).map(([v]) => v).slice(0, 10),
    unexpected: [...counts.keys()].filter((v) => !want.has(v)).slice(0, 10),
  };
}
