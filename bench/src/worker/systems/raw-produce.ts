import Kafka from 'node-rdkafka';
import { connectClient, disconnectClient } from '@seda/kafka';
import { nowMicros } from '../../payload.js';
import { ProduceDriver } from './produce-load.js';
import { rawProducer } from './raw-producer.js';
import { required, sleep, type SystemFactory, type WorkerSystem } from './system.js';

const ERR_QUEUE_FULL = Kafka.CODES.ERRORS.ERR__QUEUE_FULL;

/** Wait while this many messages await their delivery reports (seda's sink bounds the same). */
const MAX_IN_FLIGHT = 20_000;

/**
 * The baseline producer: a node-rdkafka Producer loop with the same settings
 * as seda's sink (idempotent, linger 5 ms, delivery reports polled every
 * 5 ms) and the same bound on messages awaiting delivery reports (node-rdkafka
 * hands them to JS at most 100 per event-loop turn: without a bound a fast
 * loop piles them up); a full queue waits 1 ms and tries again.
 */
export const rawProduce: SystemFactory = (config): WorkerSystem => {
  const topic = required(config, 'output');
  const driver = new ProduceDriver(config);
  const errors: string[] = [];
  let inFlight = 0;
  const producer = rawProducer(config);
  producer.on('delivery-report', (err, report) => {
    inFlight--;
    if (err) errors.push(`delivery failed: ${err.message}`);
    else driver.acknowledged(report.opaque as Buffer, nowMicros());
  });
  return {
    errors,
    count: () => driver.acked,
    async start() {
      await connectClient(producer, 15_000);
      producer.setPollInterval(5);
    },
    go: () =>
      driver.run(
        {
          async produce(first, count, value) {
            for (let seq = first; seq < first + count; seq++) {
              const v = value(seq);
              while (inFlight >= MAX_IN_FLIGHT) await sleep(1);
              for (;;) {
                try {
                  producer.produce(topic, driver.partitionOf(seq), v, null, null, v);
                  inFlight++;
                  break;
                } catch (err) {
                  if ((err as { code?: number }).code !== ERR_QUEUE_FULL) throw err;
                  await sleep(1);
                }
              }
            }
          },
        },
        () => {
          const c = process.cpuUsage();
          return c.user + c.system;
        },
      ),
    async stop() {
      await new Promise<void>((resolve) => producer.flush(20_000, () => resolve()));
      await disconnectClient(producer, { timeoutMs: 15_000, flushMs: 10_000 });
    },
  };
};
