import Kafka from 'node-rdkafka';
import { SedaError } from '@seda/core';
import type { BrokerProbe } from './probe.js';

/** A record read back for the end-of-run checks. */
export interface ReadBack {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: { [key: string]: string };
}

/**
 * Reads whole topics (every partition from its log start to the high
 * watermark measured now) with a plain assigned consumer: no group, no
 * commits. Bounded by `timeoutMs`.
 */
export async function readTopics(brokers: string, probe: BrokerProbe, topics: string[], partitions: number, timeoutMs = 120_000): Promise<Map<string, ReadBack[]>> {
  const out = new Map<string, ReadBack[]>(topics.map((t) => [t, []]));
  const remaining = new Map<string, number>();
  const assignment: Array<{ topic: string; partition: number; offset: number }> = [];
  for (const topic of topics) {
    const w = await probe.watermarks(topic, partitions);
    for (let p = 0; p < partitions; p++) {
      if (w.high[p] > w.low[p]) {
        assignment.push({ topic, partition: p, offset: w.low[p] });
        remaining.set(`${topic}/${p}`, w.high[p]);
      }
    }
  }
  if (assignment.length === 0) return out;
  const consumer = new Kafka.KafkaConsumer(
    { 'bootstrap.servers': brokers, 'group.id': `seda-demo-check-${process.pid}`, 'enable.auto.commit': false, 'fetch.wait.max.ms': 50 },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    consumer.assign(assignment);
    consumer.setDefaultConsumeTimeout(100);
    const deadline = Date.now() + timeoutMs;
    while (remaining.size > 0) {
      if (Date.now() > deadline) {
        throw new SedaError('SEDA_DEMO_BROKER', `reading the topics back for the checks took over ${timeoutMs} ms (still missing: ${[...remaining.keys()].join(', ')})`);
      }
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) => consumer.consume(5000, (err, msgs) => (err ? reject(err) : resolve(msgs))));
      for (const m of batch) {
        const key = `${m.topic}/${m.partition}`;
        const high = remaining.get(key);
        if (high === undefined || m.offset >= high) continue;
        const headers: { [key: string]: string } = {};
        for (const h of m.headers ?? []) for (const k of Object.keys(h)) headers[k] = String(h[k]);
        out.get(m.topic)!.push({
          topic: m.topic,
          partition: m.partition,
          offset: m.offset,
          key: m.key == null ? null : m.key.toString(),
          value: m.value == null ? null : m.value.toString(),
          headers,
        });
        if (m.offset + 1 >= high) remaining.delete(key);
      }
    }
  } finally {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5000);
      consumer.disconnect(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return out;
}
