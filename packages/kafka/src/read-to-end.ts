import type Kafka from 'node-rdkafka';
import { SedaError } from '@seda/core';
import type { KafkaProperties } from './config.js';
import { connectConsumer, disconnectConsumer, metadata, watermarks, wrap } from './metadata-consumer.js';

/** A record read by {@link readToEnd}. */
export interface StoredRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  /** The record's Kafka timestamp, epoch ms (0 when it has none). */
  timestamp: number;
  /** Headers in record order (a name may repeat). */
  headers: Array<{ key: string; value: Buffer }>;
}

/** Options of {@link readToEnd}. */
export interface ReadToEndOptions {
  kafka?: KafkaProperties;
  /** Bounds the whole read (`SEDA_KAFKA_TIMEOUT` past it). Default 120 s. */
  timeoutMs?: number;
}

function headersOf(headers: Kafka.MessageHeader[] | undefined): StoredRecord['headers'] {
  const out: StoredRecord['headers'] = [];
  for (const h of headers ?? []) for (const key of Object.keys(h)) out.push({ key, value: Buffer.isBuffer(h[key]) ? h[key] : Buffer.from(String(h[key])) });
  return out;
}

/**
 * Reads whole topics: every partition from its log start to the high
 * watermark measured when called (records produced later are not read), with
 * a plain assigned consumer: no group membership, no commits. Resolves with
 * each topic's records, in offset order per partition. A topic that does not
 * exist fails with `SEDA_KAFKA_TOPIC_MISSING`.
 */
export async function readToEnd(brokers: string, topics: string[], options: ReadToEndOptions = {}): Promise<Map<string, StoredRecord[]>> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const out = new Map<string, StoredRecord[]>(topics.map((t) => [t, []]));
  // From the new log start if retention deleted records after the watermarks were read.
  const consumer = await connectConsumer(brokers, options.kafka, `seda-read-${process.pid}`, 10_000, {
    global: { 'fetch.wait.max.ms': 50 },
    topic: { 'auto.offset.reset': 'earliest' },
  });
  try {
    const md = await metadata(consumer, brokers);
    const missing = topics.filter((t) => !md.topics.some((m) => m.name === t && m.partitions.length > 0));
    if (missing.length > 0) throw new SedaError('SEDA_KAFKA_TOPIC_MISSING', `cannot read ${missing.map((t) => `"${t}"`).join(', ')}: no such topic on ${brokers}`);
    const remaining = new Map<string, number>();
    const assignment: Array<{ topic: string; partition: number; offset: number }> = [];
    for (const t of md.topics.filter((m) => topics.includes(m.name))) {
      for (const { id } of t.partitions) {
        const w = await watermarks(consumer, brokers, t.name, id);
        if (w.high <= w.low) continue;
        assignment.push({ topic: t.name, partition: id, offset: w.low });
        remaining.set(`${t.name}/${id}`, w.high);
      }
    }
    if (assignment.length === 0) return out;
    consumer.assign(assignment);
    consumer.setDefaultConsumeTimeout(100);
    const deadline = Date.now() + timeoutMs;
    while (remaining.size > 0) {
      if (Date.now() > deadline) {
        throw new SedaError('SEDA_KAFKA_TIMEOUT', `reading ${topics.join(', ')} to their end on ${brokers} took over ${timeoutMs} ms (still missing: ${[...remaining.keys()].join(', ')})`, {
          canRetry: true,
        });
      }
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) =>
        consumer.consume(5000, (err, msgs) => (err ? reject(wrap(`reading ${topics.join(', ')}`, brokers, err)) : resolve(msgs))),
      );
      for (const m of batch) {
        const key = `${m.topic}/${m.partition}`;
        const high = remaining.get(key);
        if (high === undefined || m.offset >= high) continue;
        out.get(m.topic)!.push({ topic: m.topic, partition: m.partition, offset: m.offset, key: m.key == null ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key), value: m.value, timestamp: m.timestamp ?? 0, headers: headersOf(m.headers) });
        if (m.offset + 1 >= high) remaining.delete(key);
      }
    }
    return out;
  } finally {
    await disconnectConsumer(consumer, 5000);
  }
}
