import type Kafka from 'node-rdkafka';
import { SedaError, tpKey, type Logger, type TableInfo } from '@seda/core';
import type { TopicPartitionOffset } from '@seda/kafka';
import type { TableConsumer } from './table-consumer.js';

/** Global tables in memory: every partition of their topics, read by every instance. */
export interface GlobalTables {
  /** Applies a record if it is of a global table's topic. */
  take(message: Kafka.Message): void;
  /** The table's latest value for `key`. */
  lookup(table: string, key: string): unknown;
  /** What the table consumer fetches for them: every partition, from the next offset not read. */
  assignment(): TopicPartitionOffset[];
  /** Resolves once every partition was read up to its high watermark as of now (bounded). */
  catchUp(consumer: TableConsumer): Promise<void>;
}

/** Options of {@link globalTables}. */
export interface GlobalTablesOptions {
  /** Partition counts of the table topics. */
  partitions: { readonly [topic: string]: number };
  log: Logger;
  /** How long reading a global table to its end at start may take. Default 120 s. */
  timeoutMs?: number;
}

/**
 * Reads each global table from its beginning (the compacted topic is its
 * only copy: a new machine restores from there) to the high watermarks seen
 * at start, then keeps applying new records as they come, in no order with
 * the stream. Undefined when there are none.
 */
export function globalTables(tables: Array<[string, TableInfo]>, o: GlobalTablesOptions): GlobalTables | undefined {
  if (tables.length === 0) return undefined;
  const values = new Map<string, Map<string, unknown>>(tables.map(([name]) => [name, new Map()]));
  /** Per table partition (by `tpKey`): the next offset not read. */
  const next = new Map<string, TopicPartitionOffset>();
  const byTopic = new Map<string, Array<[string, TableInfo]>>();
  for (const [name, t] of tables) byTopic.set(t.topic, [...(byTopic.get(t.topic) ?? []), [name, t]]);
  for (const topic of byTopic.keys()) for (let p = 0; p < (o.partitions[topic] ?? 0); p++) next.set(tpKey(topic, p), { topic, partition: p, offset: 0 });
  const g: GlobalTables = {
    take(m) {
      const ts = byTopic.get(m.topic);
      if (ts === undefined) return;
      const k = tpKey(m.topic, m.partition);
      const position = next.get(k) ?? { topic: m.topic, partition: m.partition, offset: 0 };
      if (m.offset < position.offset) return;
      next.set(k, { ...position, offset: m.offset + 1 });
      for (const [name, info] of ts) {
        try {
          const tableKey = String(info.keyCodec.decode(m.key === undefined || m.key === null ? null : Buffer.from(m.key as Buffer)));
          if (m.value === null || m.value === undefined) values.get(name)!.delete(tableKey);
          else values.get(name)!.set(tableKey, info.codec.decode(m.value));
        } catch (err) {
          o.log.error({ table: name, partition: m.partition, offset: m.offset, err: (err as Error).message }, 'global table record cannot be decoded; skipped');
        }
      }
    },
    lookup: (table, k) => values.get(table)?.get(k),
    assignment: () => [...next.values()].map((p) => ({ ...p })),
    async catchUp(consumer) {
      const deadline = Date.now() + (o.timeoutMs ?? 120_000);
      for (const [k, { topic, partition }] of next) {
        const { low, high } = await consumer.watermarks(topic, partition);
        while (Math.max(next.get(k)!.offset, low) < high) {
          if (Date.now() > deadline) {
            throw new SedaError('SEDA_RUNTIME_TABLE_READ', `reading global table topic ${topic}/${partition} to its end (offset ${high}) did not finish in time (at ${next.get(k)!.offset}); check the broker and the topic`, { canRetry: true });
          }
          await consumer.nextFetch();
        }
      }
      o.log.info({ tables: tables.map(([name]) => ({ table: name, keys: values.get(name)!.size })) }, 'global tables read');
    },
  };
  return g;
}
