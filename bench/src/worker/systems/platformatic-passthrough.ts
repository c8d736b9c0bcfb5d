import { consumerDefaults } from '@seda/kafka';
import { importPeer } from '../../peers.js';
import { required, type SystemFactory, type WorkerSystem } from './system.js';

/** The part of @platformatic/kafka's API the bench uses. */
interface PlatformaticKafka {
  Consumer: new (options: object) => {
    consume(options: object): Promise<AsyncIterable<PlatformaticMessage> & { close(): Promise<void> }>;
    close(force?: boolean): Promise<void>;
    on(event: 'consumer:group:join', listener: (e: { memberId: string; assignments?: Array<{ partitions: number[] }> }) => void): void;
  };
  Producer: new (options: object) => {
    send(options: { messages: Array<{ topic: string; key?: Buffer; value: Buffer }> }): Promise<unknown>;
    close(): Promise<void>;
  };
}
interface PlatformaticMessage {
  key: Buffer;
  value: Buffer;
  partition: number;
  commit(): void | Promise<void>;
}

/** Messages sent per produce request (the others' batching: a consume call or fetched batch). */
const BATCH = 1000;

/**
 * The same pipeline with @platformatic/kafka (pure TypeScript), the way its
 * README shows: a consumer stream read with `for await`, messages sent with
 * `producer.send` (acks all, idempotent) in batches of up to 1000, and each
 * batch's last message of every partition committed once the send resolved, so commits follow
 * delivery. The same 10 ms fetch wait as the others. Installed on demand:
 * `npm run bench:peers`. Version 1.35 cannot talk to the embedded broker
 * (its first request is ApiVersions v3, which librdkafka's mock cluster
 * does not serve): see docs/bench-peers.md.
 */
export const platformaticPassthrough: SystemFactory = (config, hooks): WorkerSystem => {
  const input = required(config, 'input');
  const output = required(config, 'output');
  const errors: string[] = [];
  let consumed = 0;
  let stopping = false;
  let consumer: InstanceType<PlatformaticKafka['Consumer']> | undefined;
  let producer: InstanceType<PlatformaticKafka['Producer']> | undefined;
  let stream: (AsyncIterable<PlatformaticMessage> & { close(): Promise<void> }) | undefined;
  let loop: Promise<void> | undefined;
  let lingerTimer: NodeJS.Timeout | undefined;
  const system = {
    errors,
    count: () => consumed,
    async start() {
      // Its errors keep the broker's answer in `errors`: say it in the message.
      await system.connect().catch((err: Error & { errors?: Error[] }) => {
        const inner = (err.errors ?? []).map((e) => e.message).filter((m) => m !== err.message);
        throw new Error(inner.length > 0 ? `${err.message}: ${inner.join('; ')}` : err.message, { cause: err });
      });
    },
    async connect() {
      const { Consumer, Producer } = await importPeer<PlatformaticKafka>('@platformatic/kafka');
      const bootstrapBrokers = config.brokers.split(',');
      producer = new Producer({ clientId: `seda-bench-platformatic-${process.pid}`, bootstrapBrokers, idempotent: true, acks: -1 });
      consumer = new Consumer({
        clientId: `seda-bench-platformatic-${process.pid}`,
        groupId: required(config, 'group'),
        bootstrapBrokers,
        autocommit: false,
        maxWaitTime: Number(config.kafka?.['fetch.wait.max.ms'] ?? consumerDefaults['fetch.wait.max.ms']),
      });
      consumer.on('consumer:group:join', (e) => hooks.onAssigned((e.assignments ?? []).reduce((n, a) => n + a.partitions.length, 0)));
      stream = await consumer.consume({ topics: [input], mode: 'committed', fallbackMode: 'earliest' });
      const s = stream;
      const p = producer;
      loop = (async () => {
        let batch: PlatformaticMessage[] = [];
        let sending: Promise<void> = Promise.resolve();
        // Sends are chained: each batch's commits follow its own and every earlier delivery.
        const flush = (): Promise<void> => {
          if (batch.length === 0) return sending;
          const sent = batch;
          batch = [];
          sending = sending.then(async () => {
            await p.send({ messages: sent.map((m) => ({ topic: output, key: m.key, value: m.value })) });
            const last = new Map<number, PlatformaticMessage>();
            for (const m of sent) last.set(m.partition, m);
            for (const m of last.values()) await m.commit();
          });
          return sending;
        };
        // A partial batch goes out after the others' linger (5 ms).
        lingerTimer = setInterval(() => void flush().catch((err: Error) => hooks.onFatal(err)), 5);
        for await (const m of s) {
          consumed++;
          batch.push(m);
          if (batch.length >= BATCH) await flush();
          if (stopping) break;
        }
        await flush();
      })().catch((err: Error) => {
        if (!stopping) hooks.onFatal(err);
      });
    },
    async stop() {
      stopping = true;
      clearInterval(lingerTimer);
      await stream?.close().catch(() => {});
      await loop;
      await consumer?.close(true).catch((err: Error) => errors.push(`consumer close failed: ${err.message}`));
      await producer?.close().catch((err: Error) => errors.push(`producer close failed: ${err.message}`));
    },
  };
  return system;
};
