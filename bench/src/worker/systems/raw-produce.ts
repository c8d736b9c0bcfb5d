import Kafka from 'node-rdkafka';
import { producerDefaults } from '@seda/kafka';
import { nowMicros } from '../../payload.js';
import { ProduceDriver } from './produce-load.js';
import { required, sleep, type SystemFactory, type WorkerSystem } from './system.js';

const ERR_QUEUE_FULL = Kafka.CODES.ERRORS.ERR__QUEUE_FULL;

/**
 * The baseline producer: a node-rdkafka Producer loop with the same settings
 * as seda's sink (idempotent, linger 5 ms, delivery reports polled every
 * 5 ms); a full queue waits 1 ms for delivery reports and tries again.
 */
export const rawProduce: SystemFactory = (config): WorkerSystem => {
  const topic = required(config, 'output');
  const driver = new ProduceDriver(config);
  const errors: string[] = [];
  const producer = new Kafka.Producer({
    'bootstrap.servers': config.brokers,
    dr_cb: true,
    'enable.idempotence': true,
    ...producerDefaults,
    ...config.kafka,
  });
  producer.on('delivery-report', (err, report) => {
    if (err) errors.push(`delivery failed: ${err.message}`);
    else driver.acknowledged(report.opaque as Buffer, nowMicros());
  });
  return {
    errors,
    count: () => driver.acked,
    async start() {
      await new Promise<void>((resolve, reject) => producer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
      producer.setPollInterval(5);
    },
    go: () =>
      driver.run(
        {
          async produce(first, count, value) {
            for (let seq = first; seq < first + count; seq++) {
              const v = value(seq);
              for (;;) {
                try {
                  producer.produce(topic, driver.partitionOf(seq), v, null, null, v);
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
      await new Promise<void>((resolve) => producer.disconnect(10_000, () => resolve()));
    },
  };
};
