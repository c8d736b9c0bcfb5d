import kafkajs from 'kafkajs';
import { consumerDefaults } from '@seda/kafka';
import { required, type SystemFactory, type WorkerSystem } from './system.js';

const { Kafka, logLevel } = kafkajs;

/**
 * The same pipeline written with KafkaJS, as a peer: `eachBatch` sends the
 * batch's messages (acks all) and returns; KafkaJS then resolves the batch
 * and commits every second or 10k records, so commits follow delivery.
 * Partitions are processed concurrently (one batch per partition at a time),
 * as a KafkaJS user tuning for throughput would. The fetch wait is seda's
 * (`fetch.wait.max.ms`, 10 ms; KafkaJS's own is 5 s): the embedded broker
 * holds an empty fetch for the whole wait.
 */
export const kafkajsPassthrough: SystemFactory = (config, hooks): WorkerSystem => {
  const input = required(config, 'input');
  const output = required(config, 'output');
  const errors: string[] = [];
  let consumed = 0;
  const kafka = new Kafka({
    clientId: `seda-bench-kafkajs-${process.pid}`,
    brokers: config.brokers.split(','),
    logLevel: logLevel.ERROR,
    logCreator: () => (entry) => {
      if (entry.level <= logLevel.ERROR) process.stderr.write(`kafkajs: ${entry.log.message} ${JSON.stringify(entry.log)}\n`);
    },
  });
  const maxWaitTimeInMs = Number(config.kafka?.['fetch.wait.max.ms'] ?? consumerDefaults['fetch.wait.max.ms']);
  const consumer = kafka.consumer({ groupId: required(config, 'group'), maxWaitTimeInMs, sessionTimeout: 30_000 });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    const assignment = e.payload.memberAssignment as { [topic: string]: number[] };
    hooks.onAssigned(Object.values(assignment).reduce((n, ps) => n + ps.length, 0));
  });
  consumer.on(consumer.events.CRASH, (e) => {
    errors.push(`consumer crashed: ${e.payload.error.message}`);
    hooks.onFatal(e.payload.error);
  });
  return {
    errors,
    count: () => consumed,
    async start() {
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topic: input, fromBeginning: true });
      await consumer.run({
        autoCommit: true,
        autoCommitInterval: 1000,
        autoCommitThreshold: 10_000,
        partitionsConsumedConcurrently: Math.max(1, config.partitions ?? 1),
        eachBatch: async ({ batch }) => {
          if (batch.messages.length === 0) return;
          consumed += batch.messages.length;
          await producer.send({ topic: output, acks: -1, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) });
        },
      });
    },
    async stop() {
      await consumer.disconnect().catch((err: Error) => errors.push(`consumer disconnect failed: ${err.message}`));
      await producer.disconnect().catch((err: Error) => errors.push(`producer disconnect failed: ${err.message}`));
    },
  };
};
