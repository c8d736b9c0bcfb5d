import Kafka from 'node-rdkafka';
import { connectClient, disconnectClient } from '@seda/kafka';
import { loadStage } from '@seda/runtime';
import { meterKey } from './payload.js';

/** Where {@link preloadTables} creates topics. */
export interface TopicMaker {
  createTopic(name: string, partitions: number): Promise<void>;
}

/**
 * Makes a stage with tables benchmarkable: creates each table topic it
 * declares (with the input's partition count, so a co-partitioned table
 * fits) and writes one `{"price": ...}` per meter, keyed like the readings
 * (`meterKey`) on the readings' partition (meter % partitions), before the
 * stage starts. Returns notes for the report; none for a stage without tables.
 */
export async function preloadTables(brokers: string, broker: TopicMaker, stagePath: string, partitions: number, meters: number): Promise<string[]> {
  const stage = await loadStage(stagePath);
  const topics = [...new Set(Object.values(stage.tables ?? {}).map((t) => t.topic))];
  if (topics.length === 0) return [];
  const producer = new Kafka.Producer({ 'bootstrap.servers': brokers, dr_cb: true, 'linger.ms': 20 });
  await connectClient(producer, 10_000);
  producer.setPollInterval(10);
  let acked = 0;
  let failed: Error | undefined;
  producer.on('delivery-report', (err) => {
    if (err) failed = new Error(err.message);
    acked++;
  });
  try {
    for (const topic of topics) {
      await broker.createTopic(topic, partitions);
      for (let m = 0; m < meters; m++) {
        const value = Buffer.from(JSON.stringify({ price: 0.1 + (m % 4) / 10 }));
        for (;;) {
          try {
            producer.produce(topic, m % partitions, value, meterKey(m));
            break;
          } catch (err) {
            if ((err as { code?: number }).code !== Kafka.CODES.ERRORS.ERR__QUEUE_FULL) throw err;
            await new Promise((r) => setTimeout(r, 5));
          }
        }
      }
    }
    const deadline = Date.now() + 60_000;
    while (acked < topics.length * meters && failed === undefined) {
      if (Date.now() > deadline) throw new Error(`table preload: ${acked}/${topics.length * meters} acknowledged after 60 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
    if (failed) throw failed;
  } finally {
    await disconnectClient(producer, { flushMs: 5000 });
  }
  return [`tables preloaded before the stage started: ${topics.join(', ')} (${partitions} partitions, one {"price"} per meter keyed like the readings)`];
}
