import Kafka from 'node-rdkafka';
import { producerDefaults } from '@seda/kafka';
import type { WorkerConfig } from '../protocol.js';

/** The raw node-rdkafka producer of the raw systems: idempotent, with delivery reports, seda's producer defaults and the run's --kafka. */
export function rawProducer(config: WorkerConfig): Kafka.Producer {
  return new Kafka.Producer({
    'bootstrap.servers': config.brokers,
    dr_cb: true,
    'enable.idempotence': true,
    ...producerDefaults,
    ...config.kafka,
  });
}
