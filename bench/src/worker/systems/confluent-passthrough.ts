import { consumerDefaults, producerDefaults } from '@seda/kafka';
import { importPeer } from '../../peers.js';
import { required, type SystemFactory, type WorkerSystem } from './system.js';

/** The part of @confluentinc/kafka-javascript's KafkaJS-style API the bench uses. */
interface ConfluentKafkaJS {
  KafkaJS: {
    Kafka: new (config: object) => {
      consumer(config: object): ConfluentConsumer;
      producer(config: object): ConfluentProducer;
    };
    logLevel: { ERROR: number; NOTHING: number };
  };
}
interface ConfluentConsumer {
  connect(): Promise<void>;
  subscribe(s: { topics: string[] }): Promise<void>;
  run(config: {
    partitionsConsumedConcurrently?: number;
    eachBatch(payload: { batch: { partition: number; messages: Array<{ key: Buffer | null; value: Buffer | null }> } }): Promise<void>;
  }): Promise<void>;
  assignment(): Array<{ topic: string; partition?: number; partitions?: number[] }>;
  disconnect(): Promise<void>;
}
interface ConfluentProducer {
  connect(): Promise<void>;
  send(r: { topic: string; messages: Array<{ key: Buffer | null; value: Buffer | null }> }): Promise<unknown>;
  disconnect(): Promise<void>;
}

/**
 * The same pipeline with @confluentinc/kafka-javascript (librdkafka underneath),
 * through its KafkaJS-style API as its docs recommend for new code:
 * `eachBatch` awaits `producer.send` of the batch (acks all, idempotent),
 * then the batch is resolved and auto-committed every second, so commits
 * follow delivery. The same librdkafka settings as seda's and the raw
 * loop's (`consumerDefaults`: 10 ms fetch wait; `producerDefaults`: 5 ms linger).
 * Installed on demand: `npm run bench:peers`.
 */
export const confluentPassthrough: SystemFactory = (config, hooks): WorkerSystem => {
  const input = required(config, 'input');
  const output = required(config, 'output');
  const errors: string[] = [];
  let consumed = 0;
  let consumer: ConfluentConsumer | undefined;
  let producer: ConfluentProducer | undefined;
  let assigned = -1;
  let watch: NodeJS.Timeout | undefined;
  return {
    errors,
    count: () => consumed,
    async start() {
      const { KafkaJS } = await importPeer<ConfluentKafkaJS>('@confluentinc/kafka-javascript');
      const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers: config.brokers.split(','), logLevel: KafkaJS.logLevel.ERROR } });
      producer = kafka.producer({ kafkaJS: { idempotent: true, acks: -1 }, ...producerDefaults, ...config.kafka });
      consumer = kafka.consumer({
        kafkaJS: { groupId: required(config, 'group'), fromBeginning: true, autoCommit: true, autoCommitInterval: 1000 },
        'partition.assignment.strategy': 'range,roundrobin',
        ...consumerDefaults,
        ...config.kafka,
      });
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topics: [input] });
      const c = consumer;
      const p = producer;
      await c.run({
        partitionsConsumedConcurrently: Math.max(1, config.partitions ?? 1),
        eachBatch: async ({ batch }) => {
          if (batch.messages.length === 0) return;
          consumed += batch.messages.length;
          await p.send({ topic: output, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) });
        },
      });
      // Its KafkaJS API has no group-join event with the assignment: poll it.
      watch = setInterval(() => {
        const n = c.assignment().reduce((sum, a) => sum + (a.partitions?.length ?? 1), 0);
        if (n !== assigned) hooks.onAssigned((assigned = n));
      }, 50);
    },
    async stop() {
      clearInterval(watch);
      await consumer?.disconnect().catch((err: Error) => errors.push(`consumer disconnect failed: ${err.message}`));
      await producer?.disconnect().catch((err: Error) => errors.push(`producer disconnect failed: ${err.message}`));
    },
  };
};
