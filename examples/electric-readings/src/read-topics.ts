import { readToEnd } from '@seda/kafka';

/** A record read back for the end-of-run checks, key, value and headers as text. */
export interface ReadBack {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  /** The Kafka record timestamp, epoch ms. */
  timestamp: number;
  headers: { [key: string]: string };
}

/** Reads whole topics (every partition from its log start to the high watermark measured now) as text, with @seda/kafka's {@link readToEnd}. */
export async function readTopics(brokers: string, topics: string[], timeoutMs = 120_000): Promise<Map<string, ReadBack[]>> {
  const read = await readToEnd(brokers, topics, { timeoutMs });
  const out = new Map<string, ReadBack[]>();
  for (const [topic, records] of read) {
    out.set(
      topic,
      records.map((r) => ({
        topic: r.topic,
        partition: r.partition,
        offset: r.offset,
        key: r.key === null ? null : r.key.toString(),
        value: r.value === null ? null : r.value.toString(),
        timestamp: r.timestamp,
        headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value.toString()])),
      })),
    );
  }
  return out;
}
