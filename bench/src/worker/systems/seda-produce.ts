import { once } from 'node:events';
import type { OutgoingMessage } from '@seda/core';
import { KafkaSink } from '@seda/kafka';
import { nowMicros } from '../../payload.js';
import { ProduceDriver } from './produce-load.js';
import { required, type SystemFactory, type WorkerSystem } from './system.js';

/**
 * seda's producer: messages written to a {@link KafkaSink} in batches (1000
 * at full speed, what is due at a fixed rate), with its defaults; a batch's
 * messages count as acknowledged when the sink reports the batch delivered.
 */
export const sedaProduce: SystemFactory = (config, hooks): WorkerSystem => {
  const topic = required(config, 'output');
  const driver = new ProduceDriver(config);
  const errors: string[] = [];
  const sink = new KafkaSink({
    brokers: config.brokers,
    kafka: config.kafka,
    onDelivered: (batch) => {
      const now = nowMicros();
      for (const m of batch.messages) driver.acknowledged(m.value!, now);
    },
  });
  sink.on('error', (err: Error) => {
    errors.push(`sink failed: ${err.message}`);
    hooks.onFatal(err);
  });
  return {
    errors,
    count: () => driver.acked,
    start: () => sink.connect(),
    go: () =>
      driver.run(
        {
          async produce(first, count, value) {
            const messages: OutgoingMessage[] = new Array(count);
            for (let i = 0; i < count; i++) messages[i] = { topic, key: null, value: value(first + i), partition: driver.partitionOf(first + i) };
            if (!sink.write({ topic, partition: 0, nextOffset: first + count, inputCount: count, messages, deadLetters: 0 })) await once(sink, 'drain');
          },
        },
        () => {
          const c = process.cpuUsage();
          return c.user + c.system;
        },
      ),
    async stop() {
      sink.end();
      await sink.close();
    },
  };
};
